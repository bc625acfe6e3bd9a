// Command push measures appconfigd's change streams (server-sent events):
// how long a deployment takes to reach every open stream, on one server
// (SQLite) and across two replicas on one PostgreSQL database (deploy on
// one, listen on the other), and how much memory each open stream costs.
// Baselines from the same run: a bare round trip (GET /healthz) to the
// listening server, and the memory of an idle keep-alive connection.
//
//	taskset -c 0 go run ./bench/push -server-cpu 1
//
// See bench/README.md (Push).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

type options struct {
	store     string
	listeners int
	deploys   int
	streams   int
	serverCPU string
	out       string
}

type result struct {
	Scenario   string  `json:"scenario"`
	Listeners  int     `json:"listeners"`
	Deploys    int     `json:"deploys"`
	P50Ms      float64 `json:"p50Ms"`
	P99Ms      float64 `json:"p99Ms"`
	MaxMs      float64 `json:"maxMs"`
	RoundTrip  float64 `json:"roundTripP50Ms"`
	Load       string  `json:"loadavg"`
	Duplicates int     `json:"duplicates"`
	OutOfOrder int     `json:"outOfOrder"`
}

func main() {
	var o options
	flag.StringVar(&o.store, "store", "both", "sqlite (one server), postgres (two replicas), or both")
	flag.IntVar(&o.listeners, "listeners", 20, "streams that time each deployment")
	flag.IntVar(&o.deploys, "deploys", 40, "deployments per scenario")
	flag.IntVar(&o.streams, "streams", 2000, "streams opened for the memory measurement (0: skip)")
	flag.StringVar(&o.serverCPU, "server-cpu", "", "pin servers to this CPU list with taskset (e.g. 1)")
	flag.StringVar(&o.out, "json", "", "also write results as JSON to this file")
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "acbench-push-")
	check(err)
	defer os.RemoveAll(dir)
	bin, err := benchutil.BuildAppconfigd(dir)
	check(err)
	m := benchutil.DescribeMachine()
	var results []result
	var mem *memResult
	if o.store == "sqlite" || o.store == "both" {
		srv := start(ctx, o, bin, filepath.Join(dir, "sqlite"), "--data-dir", filepath.Join(dir, "sqlite-data"))
		results = append(results, propagation(ctx, o, "one server (SQLite)", srv, srv))
		if o.streams > 0 {
			r := memory(ctx, o, srv)
			mem = &r
		}
		srv.proc.Stop()
	}
	if o.store == "postgres" || o.store == "both" {
		pg, err := benchutil.StartPostgres(ctx, false)
		check(err)
		dsn, err := pg.CreateDatabase(ctx, "push")
		check(err)
		a := start(ctx, o, bin, filepath.Join(dir, "pg-a"), "--store", dsn, "--data-dir", filepath.Join(dir, "pg-a-data"))
		b := start(ctx, o, bin, filepath.Join(dir, "pg-b"), "--store", dsn, "--data-dir", filepath.Join(dir, "pg-b-data"))
		results = append(results, propagation(ctx, o, "two replicas (PostgreSQL LISTEN/NOTIFY)", a, b))
		b.proc.Stop()
		a.proc.Stop()
		pg.Stop()
	}
	m.End()
	report(m, results, mem)
	if o.out != "" {
		b, _ := json.MarshalIndent(map[string]any{"machine": m.String(), "propagation": results, "memory": mem}, "", "  ")
		check(os.WriteFile(o.out, b, 0o644))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/push:", err)
		os.Exit(1)
	}
}

// server is one appconfigd process.
type server struct {
	base string
	proc *benchutil.Proc
}

func start(ctx context.Context, o options, bin, logPrefix string, args ...string) *server {
	port, err := benchutil.FreePort()
	check(err)
	argv := append([]string{bin, "serve", "--listen", "127.0.0.1:" + strconv.Itoa(port), "--access-log=false", "--log-level", "warn"}, args...)
	if o.serverCPU != "" {
		argv = append([]string{"taskset", "-c", o.serverCPU}, argv...)
	}
	p, err := benchutil.StartProc("appconfigd", logPrefix+".log", []string{"GODEBUG=gctrace=1"}, argv...)
	check(err)
	s := &server{base: "http://127.0.0.1:" + strconv.Itoa(port), proc: p}
	check(benchutil.WaitReady(ctx, p, "appconfigd", func() *http.Request { r, _ := http.NewRequest("GET", s.base+"/readyz", nil); return r }, func(r *http.Response) bool { return r.StatusCode == 200 }, 60*time.Second))
	return s
}

func percentiles(d []time.Duration) (p50, p99, maxv float64) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return benchutil.Ms(benchutil.Percentile(d, 0.50)), benchutil.Ms(benchutil.Percentile(d, 0.99)), benchutil.Ms(d[len(d)-1])
}

func report(m benchutil.Machine, results []result, mem *memResult) {
	fmt.Println("machine:", m.String())
	fmt.Println()
	fmt.Println("| scenario | streams | deployments | p50 ms | p99 ms | max ms | bare round trip p50 ms | p50 / round trip | dup | out of order | loadavg |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Printf("| %s | %d | %d | %.2f | %.2f | %.2f | %.3f | %.1f× | %d | %d | %s |\n", r.Scenario, r.Listeners, r.Deploys, r.P50Ms, r.P99Ms, r.MaxMs, r.RoundTrip, r.P50Ms/r.RoundTrip, r.Duplicates, r.OutOfOrder, r.Load)
	}
	if mem != nil {
		fmt.Println()
		fmt.Printf("memory: %d open streams: %.0f bytes/stream RSS (%.0f anonymous); %d idle keep-alive connections (baseline): %.0f bytes/connection RSS; ratio %.1f× (loadavg %s)\n",
			mem.Streams, mem.PerStream, mem.PerStreamAnon, mem.Streams, mem.PerIdle, mem.PerStream/mem.PerIdle, mem.Load)
	}
}
