//go:build inprocess

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
	"github.com/appconfigd/appconfigd/internal/server"
)

const inProcessBuilt = true

// startAppconfigdInProcess runs appconfigd's server package inside this
// process: CPU profiles hold server and client together, and the memory
// phase can force a GC and read the exact Go heap.
func startAppconfigdInProcess(ctx context.Context, dir string, timeScale float64, store string, db *benchutil.Postgres) (*target, error) {
	port, err := benchutil.FreePort()
	if err != nil {
		return nil, err
	}
	cfg := server.Defaults()
	cfg.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.TimeScale = timeScale
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	t := &target{name: "appconfigd", store: store}
	if store == "postgres" {
		if t.dsn, err = db.CreateDatabase(ctx, "bench_dataplane"); err != nil {
			return nil, err
		}
		t.db, cfg.Store = db, t.dsn
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(sctx, cfg)
	if err != nil {
		cancel()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		cancel()
		srv.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(sctx, ln); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
			logf("in-process appconfigd: %v", err)
		}
	}()
	t.replicas = []*replica{{base: "http://" + cfg.Listen, stop: func() {
		cancel()
		<-done
		srv.Close()
	}}}
	t.memStats = func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	if err := benchutil.WaitReady(ctx, nil, "appconfigd (in-process)", func() *http.Request {
		r, _ := http.NewRequest("GET", t.base()+"/applications", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
		t.stop()
		return nil, err
	}
	return t, nil
}
