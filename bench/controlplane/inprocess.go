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
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
	"github.com/appconfigd/appconfigd/internal/server"
)

const inProcessBuilt = true

// startAppconfigdInProcess runs appconfigd's server package inside this
// process (for CPU profiles of server and client together).
func startAppconfigdInProcess(ctx context.Context, tmp, store string, db *benchutil.Postgres) (*target, error) {
	port, err := benchutil.FreePort()
	if err != nil {
		return nil, err
	}
	cfg := server.Defaults()
	cfg.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	cfg.DataDir = filepath.Join(tmp, "appconfigd-"+store+"-data")
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	var dsn string
	if store == "postgres" {
		if dsn, err = db.CreateDatabase(ctx, "bench_controlplane"); err != nil {
			return nil, err
		}
		cfg.Store = dsn
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
	t := &target{name: "appconfigd", store: store, base: "http://" + cfg.Listen, createOK: map[int]bool{201: true}, dsn: dsn}
	if store == "postgres" {
		t.db = db
	}
	t.stop = func() {
		cancel()
		<-done
		srv.Close()
	}
	if err := benchutil.WaitReady(ctx, nil, "appconfigd (in-process)", func() *http.Request {
		r, _ := http.NewRequest("GET", t.base+"/applications", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
		t.stop()
		return nil, err
	}
	return t, nil
}
