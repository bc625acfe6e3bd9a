//go:build inprocess

package main

import (
	"context"
	"path/filepath"
	"runtime"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
	"github.com/appconfigd/appconfigd/internal/server"
)

const inProcessBuilt = true

// startAppconfigdInProcess runs appconfigd's server package inside this
// process: CPU profiles hold server and client together, and the memory
// phase can force a GC and read the exact Go heap.
func startAppconfigdInProcess(ctx context.Context, dir string, timeScale float64, store string, db *benchutil.Postgres) (*target, error) {
	cfg := server.Defaults()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.TimeScale = timeScale
	t := &target{name: "appconfigd", store: store}
	if store == "postgres" {
		dsn, err := db.CreateDatabase(ctx, "bench_dataplane")
		if err != nil {
			return nil, err
		}
		t.db, t.dsn, cfg.Store = db, dsn, dsn
	}
	base, stop, err := benchutil.ServeInProcess(ctx, cfg)
	if err != nil {
		return nil, err
	}
	t.replicas = []*replica{{base: base, stop: stop}}
	t.memStats = func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	return t, nil
}
