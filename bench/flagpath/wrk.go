package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// load is one measured run of wrk, with the server's CPU per request.
type load struct {
	benchutil.Wrk
	CPUus float64 // the server's CPU time per request (µs)
}

// request is what a target sends: method, path, headers and body.
type request struct {
	Method  string
	Path    string
	Headers map[string]string
	Body    string
}

// luaScript writes the wrk script sending r and returns its path.
func luaScript(dir, name string, r request) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = %q\n", r.Method)
	for k, v := range r.Headers {
		fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", k, v)
	}
	if r.Body != "" {
		fmt.Fprintf(&b, "wrk.body = %q\n", r.Body)
	}
	path := filepath.Join(dir, name+".lua")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// runWrk runs wrk (benchutil.RunWrk); the caller fills CPUus.
func runWrk(ctx context.Context, pin bool, script, url string, conns int, d time.Duration) (load, error) {
	w, err := benchutil.RunWrk(ctx, pin, script, url, conns, d)
	return load{Wrk: w}, err
}
