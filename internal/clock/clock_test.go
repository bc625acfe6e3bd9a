package clock

import (
	"testing"
	"time"
)

func TestFakeFiresTimersInOrder(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	late := f.NewTimer(2 * time.Hour)
	early := f.NewTimer(time.Hour)
	never := f.NewTimer(48 * time.Hour)
	f.Advance(3 * time.Hour)
	if got := <-early.C(); !got.Equal(start.Add(time.Hour)) {
		t.Fatalf("early fired at %v", got)
	}
	if got := <-late.C(); !got.Equal(start.Add(2 * time.Hour)) {
		t.Fatalf("late fired at %v", got)
	}
	select {
	case <-never.C():
		t.Fatal("timer fired before its deadline")
	default:
	}
	if !never.Stop() || f.Pending() != 0 {
		t.Fatal("Stop did not remove the pending timer")
	}
	if !f.Now().Equal(start.Add(3 * time.Hour)) {
		t.Fatalf("now = %v", f.Now())
	}
}

func TestScaledRunsFaster(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Scaled{Base: base, WallBase: time.Now().Add(-time.Second), Factor: 60}
	if d := s.Now().Sub(base); d < 59*time.Second || d > 2*time.Minute {
		t.Fatalf("one wall second at ×60 gave %v of service time", d)
	}
}
