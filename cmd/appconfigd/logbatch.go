package main

import (
	"io"
	"log/slog"
	"sync"
	"time"
)

// logHandler is the log format asked for on w (nil for an unknown format).
func logHandler(w io.Writer, format string, level slog.Level) slog.Handler {
	switch format {
	case "text":
		return slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	case "json":
		return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	}
	return nil
}

// accessLogFlush is how late an access-log line of a successful request
// may reach the log.
const accessLogFlush = 50 * time.Millisecond

// accessLogBatch is the most the access log holds before writing.
const accessLogBatch = 32 << 10

// batchWriter gathers whole log lines (slog writes each line with one
// Write) and writes them together at most flushAfter after the first one
// arrived, or once accessLogBatch bytes are waiting: one write system call
// per request was a tenth of a poll's CPU. Lines are never split.
type batchWriter struct {
	mu         sync.Mutex
	w          io.Writer
	buf        []byte
	armed      bool
	flushAfter time.Duration
	// after runs f after d (time.AfterFunc; tests inject their own).
	after func(d time.Duration, f func())
}

func newBatchWriter(w io.Writer, flushAfter time.Duration) *batchWriter {
	return &batchWriter{w: w, flushAfter: flushAfter, after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}
}

// Write implements io.Writer.
func (b *batchWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= accessLogBatch {
		b.flushLocked()
	} else if !b.armed {
		b.armed = true
		b.after(b.flushAfter, b.Flush)
	}
	return len(p), nil
}

// Flush writes what is waiting.
func (b *batchWriter) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.armed = false
}

func (b *batchWriter) flushLocked() {
	if len(b.buf) > 0 {
		_, _ = b.w.Write(b.buf)
		b.buf = b.buf[:0]
	}
}
