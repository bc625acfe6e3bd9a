package itest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"

	"github.com/appconfigd/appconfigd/internal/store/postgres/pgtest"
)

// TestAcknowledgedCreatesSurviveKillSQLite: CreateApplication from 16
// concurrent clients against the binary on one core (GOMAXPROCS=1, where
// the SQLite group commit gathers by yielding), SIGKILL while writes are
// in flight, restart on the same data directory: every application whose
// creation was answered 201 is there.
func TestAcknowledgedCreatesSurviveKillSQLite(t *testing.T) {
	t.Setenv("GOMAXPROCS", "1")
	args := []string{"--data-dir", t.TempDir()}
	checkAckedSurviveKill(t, args)
}

// TestAcknowledgedCreatesSurviveKillPostgres: the same on PostgreSQL.
func TestAcknowledgedCreatesSurviveKillPostgres(t *testing.T) {
	t.Setenv("GOMAXPROCS", "1")
	args := []string{"--store", pgtest.FreshDatabase(t), "--data-dir", t.TempDir()}
	checkAckedSurviveKill(t, args)
}

func checkAckedSurviveKill(t *testing.T, args []string) {
	const workers, killAfter = 16, 400
	p := StartBinary(t, args...)
	var mu sync.Mutex
	acked := map[string][]string{} // account → application IDs answered 201
	total := 0
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			account := fmt.Sprintf("%012d", 200000000000+w)
			c := binaryClientAs(p.URL, account)
			for i := 0; ; i++ {
				select {
				case <-killed:
					return
				default:
				}
				out, err := c.CreateApplication(context.Background(), &sdk.CreateApplicationInput{Name: aws.String(fmt.Sprintf("a%d", i))})
				if err != nil {
					return // the kill: unanswered requests promise nothing
				}
				mu.Lock()
				acked[account] = append(acked[account], aws.ToString(out.Id))
				total++
				if total >= killAfter {
					once.Do(func() {
						p.Cmd.Process.Kill()
						close(killed)
					})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	p.Wait()
	if total < killAfter {
		t.Fatalf("only %d creations answered before the clients stopped:\n%s", total, p.Logs())
	}
	p2 := StartBinary(t, args...)
	for account, ids := range acked {
		c := binaryClientAs(p2.URL, account)
		for _, id := range ids {
			if _, err := c.GetApplication(context.Background(), &sdk.GetApplicationInput{ApplicationId: aws.String(id)}); err != nil {
				t.Errorf("account %s: application %s was acknowledged before the kill but is gone: %v", account, id, err)
			}
		}
	}
	t.Logf("%d acknowledged creations, all present after SIGKILL and restart", total)
}
