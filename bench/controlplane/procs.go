package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// startAppconfigd runs appconfigd serve with open auth: on SQLite (the
// default store) in a fresh data directory, or on a fresh database of the
// PostgreSQL cluster db.
func startAppconfigd(ctx context.Context, tmp, bin, store string, db *benchutil.Postgres) (*target, error) {
	port, err := benchutil.FreePort()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(tmp, "appconfigd-"+store+"-data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{bin, "serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn"}
	t := &target{name: "appconfigd", store: store, base: "http://" + addr, createOK: map[int]bool{201: true}}
	if store == "postgres" {
		if t.dsn, err = db.CreateDatabase(ctx, "bench_controlplane"); err != nil {
			return nil, err
		}
		t.db = db
		args = append(args, "--store", t.dsn)
	}
	p, err := benchutil.StartProc("appconfigd", filepath.Join(tmp, "appconfigd-"+store+".log"), nil, args...)
	if err != nil {
		return nil, err
	}
	t.stop, t.proc = p.Stop, p
	if err := benchutil.WaitReady(ctx, p, "appconfigd", func() *http.Request {
		r, _ := http.NewRequest("GET", t.base+"/applications", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return t, nil
}

// startMoto runs moto_server on a free loopback port. moto implements
// only part of AppConfig (no ListApplications), so readiness is any HTTP
// answer on "/".
func startMoto(ctx context.Context, tmp, command string) (*target, error) {
	port, err := benchutil.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := benchutil.StartProc("moto", filepath.Join(tmp, "moto.log"), nil, command, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err != nil {
		return nil, err
	}
	// moto 5.x answers 200 where the AWS model (and appconfigd) answer
	// 201 for Create* operations; clients accept any 2xx.
	t := &target{name: "moto", base: "http://" + addr, stop: p.Stop, proc: p,
		createOK: map[int]bool{200: true, 201: true}}
	if err := benchutil.WaitReady(ctx, p, "moto_server", func() *http.Request {
		r, _ := http.NewRequest("GET", t.base+"/", nil)
		return r
	}, func(*http.Response) bool { return true }, 60*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return t, nil
}
