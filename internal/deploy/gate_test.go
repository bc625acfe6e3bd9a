package deploy

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/internal/clock"
)

// A closed gate holds a start until it reopens, or until maxWait of the
// clock's time, or until the start's context ends; an open one, or none,
// lets it through at once.
func TestGateHoldsStartsWhileClosed(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	g := newGate(clk, time.Second)
	ctx := context.Background()
	if err := g.wait(ctx); err != nil {
		t.Fatal(err)
	}
	var none *gate
	none.close()
	if err := none.wait(ctx); err != nil {
		t.Fatal(err)
	}

	waitDone := func() chan error {
		done := make(chan error, 1)
		go func() { done <- g.wait(ctx) }()
		return done
	}
	blocked := func(done chan error) {
		t.Helper()
		for clk.Pending() == 0 { // the waiter's timer is set: it waits
			select {
			case err := <-done:
				t.Fatalf("a start went through a closed gate: %v", err)
			default:
			}
			runtime.Gosched()
		}
	}

	g.close()
	done := waitDone()
	blocked(done)
	g.reopen()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	g.close()
	done = waitDone()
	blocked(done)
	clk.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := g.wait(cctx); err != context.Canceled {
		t.Fatalf("canceled start: %v", err)
	}
	g.reopen()
	g.reopen()
	if err := g.wait(cctx); err != nil {
		t.Fatalf("open gate: %v", err)
	}
}
