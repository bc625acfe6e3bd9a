package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// replica is one server process (in-process: the server inside the tool).
type replica struct {
	base string
	proc *benchutil.Proc // nil in-process
	stop func()
}

// target is one server under test: the ceiling, or appconfigd on one
// store — on PostgreSQL with one or more replicas sharing a database.
type target struct {
	name     string // "appconfigd" or "ceiling"
	store    string // appconfigd: "sqlite" or "postgres"
	replicas []*replica
	// db is the PostgreSQL cluster of a postgres-backed appconfigd (its
	// CPU is the database's CPU); dsn is the target's database.
	db  *benchutil.Postgres
	dsn string
	// memStats, in-process only, runs a full GC and returns the Go heap
	// in use (runtime.MemStats.HeapAlloc) of this whole process.
	memStats func() uint64
	// appconfigd: the deployed configuration the sessions poll.
	app, env, profile string
}

// base is the first replica's URL (setup goes through it).
func (t *target) base() string { return t.replicas[0].base }

// proc is the first replica's process (nil in-process).
func (t *target) proc() *benchutil.Proc { return t.replicas[0].proc }

// stop stops every replica, the last started first.
func (t *target) stop() {
	for i := len(t.replicas) - 1; i >= 0; i-- {
		t.replicas[i].stop()
	}
}

// exited returns a replica that has ended, if any.
func (t *target) exited() *benchutil.Proc {
	for _, r := range t.replicas {
		if r.proc != nil && r.proc.Exited() {
			return r.proc
		}
	}
	return nil
}

// label names the target in tables.
func (t *target) label() string {
	return serverLabel(t.name, t.store, len(t.replicas))
}

func serverLabel(name, store string, replicas int) string {
	switch {
	case name != "appconfigd":
		return name
	case store == "sqlite":
		return "appconfigd (SQLite)"
	case replicas > 1:
		return fmt.Sprintf("appconfigd (PostgreSQL, %d replicas)", replicas)
	}
	return "appconfigd (PostgreSQL)"
}

// startAppconfigd runs `appconfigd serve` (open auth) with the given time
// scale and extra environment: on SQLite in a fresh data directory, or
// `replicas` processes on one fresh database of the PostgreSQL cluster
// db, started one after the other (the first migrates the schema and
// anchors the shared service clock).
func startAppconfigd(ctx context.Context, dir, bin string, timeScale float64, env []string, store string, db *benchutil.Postgres, replicas int) (*target, error) {
	t := &target{name: "appconfigd", store: store}
	if store == "postgres" {
		var err error
		if t.dsn, err = db.CreateDatabase(ctx, "bench_dataplane"); err != nil {
			return nil, err
		}
		t.db = db
	}
	for i := range replicas {
		port, err := benchutil.FreePort()
		if err != nil {
			t.stop()
			return nil, err
		}
		dataDir := filepath.Join(dir, "data-"+strconv.Itoa(i))
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			t.stop()
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		args := []string{bin, "serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn",
			"--time-scale", strconv.FormatFloat(timeScale, 'g', -1, 64)}
		if store == "postgres" {
			args = append(args, "--store", t.dsn)
		}
		p, err := benchutil.StartProc("appconfigd", filepath.Join(dir, "appconfigd-"+strconv.Itoa(i)+".log"), env, args...)
		if err != nil {
			t.stop()
			return nil, err
		}
		r := &replica{base: "http://" + addr, proc: p, stop: p.Stop}
		t.replicas = append(t.replicas, r)
		if err := benchutil.WaitReady(ctx, p, "appconfigd", func() *http.Request {
			req, _ := http.NewRequest("GET", r.base+"/applications", nil)
			return req
		}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
			t.stop()
			return nil, err
		}
	}
	return t, nil
}

// startCeiling runs the bare net/http baseline (bench/dataplane/ceiling).
func startCeiling(ctx context.Context, dir, bin, payloadFile string) (*target, error) {
	port, err := benchutil.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := benchutil.StartProc("ceiling", filepath.Join(dir, "ceiling.log"), nil, bin, "-listen", addr, "-payload", payloadFile)
	if err != nil {
		return nil, err
	}
	t := &target{name: "ceiling", replicas: []*replica{{base: "http://" + addr, proc: p, stop: p.Stop}}}
	if err := benchutil.WaitReady(ctx, p, "ceiling", func() *http.Request {
		r, _ := http.NewRequest("GET", t.base()+"/healthz", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return t, nil
}

type cpuSample struct {
	at       time.Time
	server   time.Duration   // every replica's
	replicas []time.Duration // each replica's
	serverOK bool
	db       time.Duration // the PostgreSQL cluster's
	dbOK     bool
	self     time.Duration
}

func sampleCPU(t *target) cpuSample {
	c := cpuSample{at: time.Now(), self: benchutil.SelfCPU(), serverOK: true}
	for _, r := range t.replicas {
		if r.proc == nil {
			c.serverOK = false
			continue
		}
		d, ok := benchutil.ProcCPU(r.proc.Pid())
		c.serverOK = c.serverOK && ok
		c.server += d
		c.replicas = append(c.replicas, d)
	}
	if t.db != nil {
		c.db, c.dbOK = t.db.CPU()
	}
	return c
}
