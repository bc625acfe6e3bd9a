//go:build inprocess

package main

import (
	"context"
	"path/filepath"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
	"github.com/appconfigd/appconfigd/internal/server"
)

const inProcessBuilt = true

// startAppconfigdInProcess runs appconfigd's server package inside this
// process (for CPU profiles of server and client together).
func startAppconfigdInProcess(ctx context.Context, tmp, store string, db *benchutil.Postgres) (*target, error) {
	cfg := server.Defaults()
	cfg.DataDir = filepath.Join(tmp, "appconfigd-"+store+"-data")
	t := &target{name: "appconfigd", store: store, createOK: map[int]bool{201: true}}
	if store == "postgres" {
		dsn, err := db.CreateDatabase(ctx, "bench_controlplane")
		if err != nil {
			return nil, err
		}
		t.db, t.dsn, cfg.Store = db, dsn, dsn
	}
	base, stop, err := benchutil.ServeInProcess(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t.base, t.stop = base, stop
	return t, nil
}
