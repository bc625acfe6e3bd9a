package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestBatchWriterHoldsWholeLinesUntilFlushOrFull(t *testing.T) {
	var out bytes.Buffer
	b := newBatchWriter(&out, time.Hour)
	b.after = func(time.Duration, func()) {} // the timer never fires here
	log := slog.New(logHandler(b, "text", slog.LevelInfo))
	log.Info("request", "requestId", "a")
	log.Info("request", "requestId", "b")
	if out.Len() != 0 {
		t.Fatalf("written before a flush: %q", out.String())
	}
	b.Flush()
	if got := strings.Count(out.String(), "\n"); got != 2 || !strings.Contains(out.String(), "requestId=b") {
		t.Fatalf("after Flush: %q", out.String())
	}
	out.Reset()
	line := strings.Repeat("x", 1000)
	for out.Len() == 0 {
		log.Info("request", "pad", line)
		if len(b.buf) > accessLogBatch {
			t.Fatalf("batch grew past %d bytes without a write", accessLogBatch)
		}
	}
	if !strings.HasSuffix(out.String(), "\n") || out.Len() < accessLogBatch {
		t.Fatalf("a full batch is written whole: %d bytes", out.Len())
	}
}

func TestBatchWriterFlushesAfterItsDelay(t *testing.T) {
	var out bytes.Buffer
	b := newBatchWriter(&out, 50*time.Millisecond)
	var timers []func()
	b.after = func(d time.Duration, f func()) {
		if d != 50*time.Millisecond {
			t.Errorf("flush delay %v", d)
		}
		timers = append(timers, f)
	}
	_, _ = b.Write([]byte("one\n"))
	_, _ = b.Write([]byte("two\n"))
	if len(timers) != 1 || out.Len() != 0 {
		t.Fatalf("%d timers armed, %q written", len(timers), out.String())
	}
	timers[0]()
	if out.String() != "one\ntwo\n" {
		t.Fatalf("after the delay: %q", out.String())
	}
	_, _ = b.Write([]byte("three\n"))
	if len(timers) != 2 {
		t.Fatalf("a write after a flush arms the timer again: %d timers", len(timers))
	}
}
