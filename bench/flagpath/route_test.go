package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
	"github.com/appconfigd/appconfigd/internal/server"
)

// The Agent route's server-side cost per request, in process (no
// network, no load generator): what a CPU profile of the route shows.
//
//	go test ./bench/flagpath -run '^$' -bench . -benchmem -cpuprofile cpu.pprof

// agentHandler starts appconfigd's server on a fresh data directory,
// sets the fixture up through its API and returns its handler.
func agentHandler(b *testing.B) http.Handler {
	b.Helper()
	cfg := server.Defaults()
	cfg.DataDir = filepath.Join(b.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	base, stop, err := serveInProcess(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	c, _ := benchutil.NewClient(2)
	api := &benchutil.API{Base: base.url, Client: c, Signer: benchutil.NewSigner(time.Now()), Account: "123456789012", Region: "us-east-1"}
	if err := setupAppconfigd(ctx, api); err != nil {
		b.Fatal(err)
	}
	return base.srv.Handler()
}

func benchRoute(b *testing.B, path string, header map[string]string) {
	h := agentHandler(b)
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := &discard{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != 200 {
		b.Fatalf("%s: %d", path, w.status)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchutil.SelfCPU()
	n := 0
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
		n++
	}
	// On a shared machine wall time per op says more about the
	// neighbours than about the route: report process CPU per op too.
	b.ReportMetric(float64((benchutil.SelfCPU()-cpu).Nanoseconds())/float64(n), "cpu-ns/op")
}

func BenchmarkAgentRoute4KB(b *testing.B) { benchRoute(b, agentConfigPath, nil) }

func BenchmarkAgentRouteBooleanFlag(b *testing.B) {
	benchRoute(b, agentFlagsPath+"?flag=simple", map[string]string{"Context": "country=" + callerCountry})
}

func BenchmarkAgentRouteMultiVariantFlag(b *testing.B) {
	benchRoute(b, agentFlagsPath+"?flag=button", map[string]string{"Context": "country=" + callerCountry})
}

// discard is a ResponseWriter that keeps only the status.
type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(s int)           { d.status = s }
