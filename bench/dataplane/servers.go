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

// target is one server under test.
type target struct {
	name      string // "appconfigd" or "ceiling"
	base      string
	proc      *benchutil.Proc // nil in-process
	stop      func()
	inProcess bool
	// memStats, in-process only, runs a full GC and returns the Go heap
	// in use (runtime.MemStats.HeapAlloc) of this whole process.
	memStats func() uint64
	// appconfigd: the deployed configuration the sessions poll.
	app, env, profile string
}

// startAppconfigd runs `appconfigd serve` (open auth, SQLite in a fresh
// data directory) with the given time scale and extra environment.
func startAppconfigd(ctx context.Context, dir, bin string, timeScale float64, env []string) (*target, error) {
	port, err := benchutil.FreePort()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := benchutil.StartProc("appconfigd", filepath.Join(dir, "appconfigd.log"), env,
		bin, "serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn",
		"--time-scale", strconv.FormatFloat(timeScale, 'g', -1, 64))
	if err != nil {
		return nil, err
	}
	t := &target{name: "appconfigd", base: "http://" + addr, stop: p.Stop, proc: p}
	if err := benchutil.WaitReady(ctx, p, "appconfigd", func() *http.Request {
		r, _ := http.NewRequest("GET", t.base+"/applications", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
		p.Stop()
		return nil, err
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
	t := &target{name: "ceiling", base: "http://" + addr, stop: p.Stop, proc: p}
	if err := benchutil.WaitReady(ctx, p, "ceiling", func() *http.Request {
		r, _ := http.NewRequest("GET", t.base+"/healthz", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return t, nil
}

type cpuSample struct {
	at       time.Time
	server   time.Duration
	serverOK bool
	self     time.Duration
}

func sampleCPU(t *target) cpuSample {
	c := cpuSample{at: time.Now(), self: benchutil.SelfCPU()}
	if t.proc != nil {
		c.server, c.serverOK = benchutil.ProcCPU(t.proc.Pid())
	}
	return c
}
