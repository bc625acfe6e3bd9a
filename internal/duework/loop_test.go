package duework_test

import (
	"context"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/duework"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

// countingStore counts NextDue calls: each is one turn of the loop.
type countingStore struct {
	appconfig.Store
	looks atomic.Int64
}

func (c *countingStore) NextDue(ctx context.Context, kind string) (time.Time, bool, error) {
	c.looks.Add(1)
	return c.Store.NextDue(ctx, kind)
}

// Loop runs its step only when something is due, and a step that makes no
// progress is retried after the poll period, not in a tight loop.
func TestLoopStepsOnlyWhenDue(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	st := &countingStore{Store: raw}
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	wake := make(chan struct{}, 1)
	var steps atomic.Int64
	var stuck atomic.Bool // the step handles nothing, as when records are locked elsewhere
	step := func(ctx context.Context) (int, error) {
		steps.Add(1)
		if stuck.Load() {
			return 0, nil
		}
		return st.ClaimDue(ctx, "job", clk.Now(), 10, func(tx appconfig.Tx, r appconfig.Record) error {
			r.DueAt = time.Time{}
			return tx.Put(ctx, r)
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		duework.Loop(ctx, st, "job", clk, time.Second, wake, step)
	}()
	// asleep waits until the loop has looked `looks` times in all and is
	// waiting on its timer.
	asleep := func(looks int64) {
		t.Helper()
		for st.looks.Load() < looks || clk.Pending() == 0 {
			runtime.Gosched()
		}
	}
	due := func(id string) {
		t.Helper()
		if err := st.Update(ctx, func(tx appconfig.Tx) error {
			return tx.Insert(ctx, &appconfig.Record{Key: appconfig.Key{Account: "1", Region: "r", Kind: "job", ID: id}, Body: []byte(`{}`), DueAt: clk.Now()})
		}); err != nil {
			t.Fatal(err)
		}
	}

	asleep(1)
	clk.Advance(time.Second)
	asleep(2)
	if n := steps.Load(); n != 0 {
		t.Fatalf("%d steps with nothing due", n)
	}

	due("a")
	wake <- struct{}{}
	asleep(4) // look, step (progress), look again, sleep
	if n := steps.Load(); n != 1 {
		t.Fatalf("%d steps for one due record; want 1", n)
	}

	stuck.Store(true)
	due("b")
	wake <- struct{}{}
	asleep(5)
	if n := steps.Load(); n != 2 {
		t.Fatalf("%d steps; want 2", n)
	}
	clk.Advance(time.Second)
	asleep(6)
	if n := steps.Load(); n != 3 {
		t.Fatalf("after one poll period %d steps; want 3 (one retry, not a tight loop)", n)
	}
	cancel()
	<-done
}

// With Coalesce, a Worker's rounds start at least that long after the
// previous one ended, however often it is kicked; the first round, and
// Round called directly, do not wait.
func TestWorkerCoalescesRounds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	w := duework.New(duework.Config{Store: st, Clock: clk, Kind: "job", Poll: time.Hour, Coalesce: 10 * time.Second})
	due := func(id string) {
		t.Helper()
		if err := st.Update(ctx, func(tx appconfig.Tx) error {
			return tx.Insert(ctx, &appconfig.Record{Key: appconfig.Key{Account: "1", Region: "r", Kind: "job", ID: id}, Body: []byte(`{}`), DueAt: clk.Now()})
		}); err != nil {
			t.Fatal(err)
		}
	}
	var rounds atomic.Int64
	var handled atomic.Int64
	round := func(ctx context.Context) (int, error) {
		rounds.Add(1)
		n, err := st.ClaimDue(ctx, "job", clk.Now(), 100, func(tx appconfig.Tx, r appconfig.Record) error {
			r.DueAt = time.Time{}
			return tx.Put(ctx, r)
		})
		handled.Add(int64(n))
		return n, err
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for !ok() || clk.Pending() == 0 {
			select {
			case <-ctx.Done():
				t.Fatalf("gave up waiting for %s", what)
			default:
			}
			runtime.Gosched()
		}
	}
	due("a")
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, round)
	}()
	waitFor("the first round", func() bool { return handled.Load() == 1 })
	// Three records come due one by one, each with a kick: they wait for
	// the pause to end and go in one round.
	for _, id := range []string{"b", "c", "d"} {
		due(id)
		w.Kick()
		clk.Advance(time.Second)
	}
	waitFor("the pause", func() bool { return true })
	if r, n := rounds.Load(), handled.Load(); r != 1 || n != 1 {
		t.Fatalf("%d rounds, %d records handled during the pause; want 1, 1", r, n)
	}
	clk.Advance(7 * time.Second)
	waitFor("the second round", func() bool { return handled.Load() == 4 })
	if n := rounds.Load(); n != 2 {
		t.Fatalf("%d rounds; want 2 (the first, one for b, c and d)", n)
	}
	// Round, as tests and RunDue call it, does not wait.
	due("e")
	if n, err := w.Round(ctx, round); n != 1 || err != nil {
		t.Fatalf("a direct round handled %d (%v); want 1", n, err)
	}
	cancel()
	<-done
}
