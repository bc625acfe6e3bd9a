// Package clock is the only place that reads the wall clock or sleeps.
// Everything else takes a Clock, so tests run on a Fake and users can run
// the service clock faster with Scaled (--time-scale).
package clock

import (
	"sync"
	"time"
)

// Clock tells time and makes timers.
type Clock interface {
	Now() time.Time
	// NewTimer fires once on its channel after d of this clock's time.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was pending.
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now() }

// NewTimer implements Clock.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// Scaled runs Factor times faster than the wall clock from an anchor:
// service time = Base + Factor × (wall time − WallBase).
type Scaled struct {
	Base     time.Time // service time at the anchor
	WallBase time.Time // wall time at the anchor
	Factor   float64
}

// NewScaled anchors a scaled clock at the current wall time, starting
// service time at base (use the wall time itself for a fresh start).
func NewScaled(base time.Time, factor float64) *Scaled {
	if factor <= 0 {
		factor = 1
	}
	return &Scaled{Base: base, WallBase: time.Now(), Factor: factor}
}

// Now implements Clock.
func (s *Scaled) Now() time.Time {
	wall := time.Since(s.WallBase)
	return s.Base.Add(time.Duration(float64(wall) * s.Factor))
}

// NewTimer implements Clock.
func (s *Scaled) NewTimer(d time.Duration) Timer {
	return realTimer{time.NewTimer(time.Duration(float64(d) / s.Factor))}
}

// Sleep pauses the calling goroutine for d of c's time; it returns early
// with false when done is closed.
func Sleep(c Clock, d time.Duration, done <-chan struct{}) bool {
	t := c.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-done:
		return false
	}
}

// Fake is a manual clock for tests: time moves only with Advance or Set,
// which fire due timers in deadline order.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake starts a fake clock at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now implements Clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer implements Clock.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, when: f.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- f.now
		t.fired = true
		return t
	}
	f.timers = append(f.timers, t)
	return t
}

// Advance moves time forward by d, firing timers as their deadlines pass.
func (f *Fake) Advance(d time.Duration) {
	f.Set(f.Now().Add(d))
}

// Set moves time to t (never backwards), firing due timers in order.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Before(f.now) {
		return
	}
	for {
		var next *fakeTimer
		idx := -1
		for i, tm := range f.timers {
			if !tm.when.After(t) && (next == nil || tm.when.Before(next.when)) {
				next, idx = tm, i
			}
		}
		if next == nil {
			break
		}
		f.timers = append(f.timers[:idx], f.timers[idx+1:]...)
		f.now = next.when
		next.fired = true
		select {
		case next.c <- next.when:
		default:
		}
	}
	f.now = t
}

// Pending returns how many timers are waiting.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

type fakeTimer struct {
	f     *Fake
	when  time.Time
	c     chan time.Time
	fired bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	for i, tm := range t.f.timers {
		if tm == t {
			t.f.timers = append(t.f.timers[:i], t.f.timers[i+1:]...)
			return true
		}
	}
	return false
}
