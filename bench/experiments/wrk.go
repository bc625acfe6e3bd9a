package main

import (
	"context"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// load is one measured run of wrk, with the server's CPU per request.
type load struct {
	benchutil.Wrk
	// CPUPerReq is the server process's CPU time (user+system) per
	// request, in microseconds: what the request cost, whatever share of
	// the core the server got on a busy machine.
	CPUPerReq float64
}

// runWrk runs wrk (benchutil.RunWrk); the caller fills CPUPerReq.
func runWrk(ctx context.Context, pin bool, script, url string, conns int, d time.Duration) (load, error) {
	w, err := benchutil.RunWrk(ctx, pin, script, url, conns, d)
	return load{Wrk: w}, err
}
