package deploy

import (
	"context"
	"sync"
	"time"

	"github.com/appconfigd/appconfigd/internal/clock"
)

// gate gives due steps priority over new starts. While the runner works
// through a round in which it found a step more than its lag late, the
// gate is closed and StartDeployment waits at its door (Lifecycle.Admit)
// instead of taking the core from the steps; the round's end opens it.
// On one core the starts' request handling, not only their
// transactions, competes with the steps, so the wait is before any work.
// A start waits at most maxWait of the clock's time, so that a runner that
// stops mid-round cannot hold starts back.
type gate struct {
	clk     clock.Clock
	maxWait time.Duration

	mu     sync.Mutex
	closed bool
	open   chan struct{}
}

func newGate(clk clock.Clock, maxWait time.Duration) *gate {
	return &gate{clk: clk, maxWait: maxWait}
}

func (g *gate) close() {
	if g == nil {
		return
	}
	g.mu.Lock()
	if !g.closed {
		g.closed, g.open = true, make(chan struct{})
	}
	g.mu.Unlock()
}

func (g *gate) reopen() {
	if g == nil {
		return
	}
	g.mu.Lock()
	if g.closed {
		g.closed = false
		close(g.open)
	}
	g.mu.Unlock()
}

// wait returns when the gate is open, maxWait has passed, or ctx ends.
func (g *gate) wait(ctx context.Context) error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	closed, open := g.closed, g.open
	g.mu.Unlock()
	if !closed {
		return nil
	}
	t := g.clk.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case <-open:
	case <-t.C():
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
