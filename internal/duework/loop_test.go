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
