// Command dataplane benchmarks appconfigd's data plane — GetLatestConfiguration
// throughput and latency over 1,000 live sessions, and memory per live
// session at 100,000 sessions — side by side with a bare net/http server
// (bench/dataplane/ceiling) that answers the same requests with the same
// bytes and no work, in one run, and reports the ratio. appconfigd runs on
// SQLite, on PostgreSQL (-store; a throwaway cluster started with
// scripts/pg.sh), or both side by side, and on PostgreSQL with several
// replicas sharing one database (-replicas 1,2).
//
//	go run ./bench/dataplane [flags]
//
// See bench/README.md ("Data plane") for what each figure means.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

type options struct {
	sessions     int
	workers      int
	warmup       time.Duration
	duration     time.Duration
	pause        time.Duration
	timeScale    float64
	payloadSize  int
	variants     []string
	servers      []string
	stores       []string // appconfigd's: sqlite, postgres
	replicas     []int    // PostgreSQL: replica counts to run
	sticky       bool     // a session polls the replica that started it
	pool         int
	memSessions  int
	memBase      int
	memTimeScale float64
	memIdle      time.Duration
	memGodebug   string
	bin          string
	inProcess    bool
	cpuProfile   string
	memProfile   string
	jsonOut      string
	target       float64
	memTarget    float64
	maxErrRate   float64
	keep         bool
}

func logf(format string, args ...any) { benchutil.Logf(format, args...) }

func main() { os.Exit(realMain()) }

func realMain() int {
	o, code := parseFlags()
	if code != 0 {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ws, err := benchutil.NewWorkspace("appconfigd-bench-dataplane-", o.keep)
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer ws.Close()
	machine := benchutil.DescribeMachine()
	in, err := prepare(ctx, o, ws)
	if err != nil {
		logf("%v", err)
		return 1
	}
	// Throughput: both servers up for the whole phase; one runs at a time.
	var results []result
	var idles []idleCPU
	if len(o.variants) > 0 && len(o.servers) > 0 {
		if results, idles, err = throughput(ctx, o, ws, in); err != nil {
			if ctx.Err() != nil {
				logf("interrupted")
				return 130
			}
			logf("%v", err)
			return 1
		}
	}
	var mem *memResult
	if o.memSessions > 0 && ctx.Err() == nil {
		m, err := runMemory(ctx, o, ws, in.bin, in.sig, in.content, in.pg)
		if err != nil {
			if ctx.Err() == nil {
				logf("memory phase: %v", err)
			}
			return 1
		}
		mem = &m
	}
	if ctx.Err() != nil {
		logf("interrupted")
		return 130
	}
	machine.End()
	pgInfo := ""
	if in.pg != nil {
		pgInfo = "PostgreSQL " + in.pg.Version + " (" + in.pg.Settings + ")"
	}
	report(os.Stdout, o, machine, pgInfo, idles, results, mem)
	if err := writeJSON(o, machine, pgInfo, idles, results, mem); err != nil {
		logf("%v", err)
		return 1
	}
	if failedErrorRates(o, results) {
		return 1
	}
	return 0
}

// parseFlags reads the command line; code is 2 for bad flags.
func parseFlags() (o options, code int) {
	var variants, servers, store, replicas, affinity string
	flag.IntVar(&o.sessions, "sessions", 1000, "live sessions polled in the throughput runs")
	flag.IntVar(&o.workers, "workers", 32, "concurrent closed-loop workers (one keep-alive connection each); each owns sessions/workers sessions")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up per variant and server (not measured)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured period per variant and server")
	flag.DurationVar(&o.pause, "pause", time.Second, "idle pause between runs")
	flag.Float64Var(&o.timeScale, "time-scale", 1000, "appconfigd --time-scale in the throughput runs (the 15 s minimum poll interval becomes 15/N s)")
	flag.IntVar(&o.payloadSize, "payload", 4096, "size of the deployed JSON configuration in bytes")
	flag.StringVar(&variants, "variants", "steady,full", "throughput variants: steady (polls of primed sessions, empty bodies), full (first polls of new sessions, whole configuration)")
	flag.StringVar(&servers, "servers", "appconfigd,ceiling", "servers of the throughput runs: appconfigd, ceiling")
	flag.StringVar(&store, "store", "sqlite", "appconfigd's store: sqlite, postgres (a throwaway cluster via scripts/pg.sh, or $APPCONFIGD_TEST_POSTGRES), or both (side by side in this run, with a PostgreSQL/SQLite table)")
	flag.StringVar(&replicas, "replicas", "1", "PostgreSQL: appconfigd replicas on one database, a comma-separated list of counts run side by side (e.g. 1,2); sessions and workers are spread evenly over the replicas")
	flag.StringVar(&affinity, "affinity", "sticky", "with replicas: sticky (a session polls the replica that started it, as behind a load balancer with keep-alive connections) or any (each worker rotates over the replicas request by request; tokens work on every replica)")
	flag.IntVar(&o.pool, "pool", 0, "full variant: new sessions started beforehand (0: 1.3 × what the server answered in its steady run, or 300000)")
	flag.IntVar(&o.memSessions, "mem-sessions", 100000, "memory phase: live sessions (0: skip the phase)")
	flag.IntVar(&o.memBase, "mem-base", 100, "memory phase: sessions live when the 'before' figures are read")
	flag.Float64Var(&o.memTimeScale, "mem-time-scale", 100, "memory phase: appconfigd --time-scale (token lifetime 24 h of service time must outlast the phase)")
	flag.DurationVar(&o.memIdle, "mem-idle", 5*time.Second, "memory phase: idle period before reading memory")
	flag.StringVar(&o.memGodebug, "mem-godebug", "", "memory phase: extra GODEBUG settings for the server (gctrace=1 is always set), e.g. madvdontneed=0")
	flag.StringVar(&o.bin, "appconfigd-bin", "", "benchmark this appconfigd binary instead of building ./cmd/appconfigd")
	flag.BoolVar(&o.inProcess, "inprocess", false, "run appconfigd inside this process (needs -tags inprocess): CPU profiles of server and client together, exact Go heap in the memory phase; figures are not comparable to the default")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process for each appconfigd measured period to `PREFIX`.<variant>.pprof")
	flag.StringVar(&o.memProfile, "memprofile", "", "in-process memory phase: write a heap profile after the sessions to `FILE`")
	flag.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to `FILE` (- for stdout, after the tables)")
	flag.Float64Var(&o.target, "target", 0.60, "target ratio appconfigd/ceiling in requests/s")
	flag.Float64Var(&o.memTarget, "mem-target", 200, "target bytes per live session")
	flag.Float64Var(&o.maxErrRate, "max-error-rate", 0.01, "fail (exit 1) when any run's error rate exceeds this")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binaries, data, server logs)")
	flag.Parse()
	o.variants, o.servers = benchutil.SplitList(variants), benchutil.SplitList(servers)
	if err := o.parseLists(store, replicas, affinity); err != nil {
		logf("%v", err)
		return o, 2
	}
	if err := o.validate(); err != nil {
		logf("%v", err)
		return o, 2
	}
	if gap := time.Duration(float64(minPollSeconds) / o.timeScale * float64(time.Second)); gap > 5*time.Millisecond {
		logf("note: at -time-scale %g a session may poll every %v of wall time; with %d sessions that caps the steady run at %.0f req/s",
			o.timeScale, gap, o.sessions, float64(o.sessions)/gap.Seconds())
	}
	return o, 0
}

// parseLists reads -store, -replicas and -affinity into o.
func (o *options) parseLists(store, replicas, affinity string) error {
	switch store {
	case "sqlite", "postgres":
		o.stores = []string{store}
	case "both":
		o.stores = []string{"sqlite", "postgres"}
	default:
		return fmt.Errorf("unknown -store %q (want sqlite, postgres, both)", store)
	}
	for _, f := range benchutil.SplitList(replicas) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return fmt.Errorf("bad -replicas %q", replicas)
		}
		o.replicas = append(o.replicas, n)
	}
	if len(o.replicas) == 0 {
		o.replicas = []int{1}
	}
	switch affinity {
	case "sticky", "any":
		o.sticky = affinity == "sticky"
	default:
		return fmt.Errorf("unknown -affinity %q (want sticky, any)", affinity)
	}
	return nil
}

func (o *options) validate() error {
	if slices.ContainsFunc(o.replicas, func(n int) bool { return n > 1 }) {
		if !slices.Contains(o.stores, "postgres") {
			return errors.New("-replicas above 1 needs -store postgres or both (replicas share a PostgreSQL database)")
		}
		if o.inProcess {
			return errors.New("-replicas above 1 does not work with -inprocess")
		}
	}
	if o.sessions < 1 || o.workers < 1 || o.duration <= 0 || o.warmup < 0 || o.timeScale <= 0 || o.memTimeScale <= 0 || o.payloadSize < 2 || o.memSessions < 0 || o.memBase < 1 {
		return errors.New("bad flags")
	}
	for _, v := range o.variants {
		if v != "steady" && v != "full" {
			return fmt.Errorf("unknown variant %q (want steady, full)", v)
		}
	}
	for _, s := range o.servers {
		if s != "appconfigd" && s != "ceiling" {
			return fmt.Errorf("unknown server %q (want appconfigd, ceiling)", s)
		}
	}
	if o.inProcess && !inProcessBuilt {
		_, err := startAppconfigdInProcess(context.Background(), "", 1, "", nil)
		return err
	}
	return nil
}

// inputs is what every phase shares: the PostgreSQL cluster (nil without
// one), the binaries, the deployed payload and the request signer.
type inputs struct {
	pg              *benchutil.Postgres
	bin, ceilingBin string
	content         []byte
	payloadFile     string
	sig             benchutil.Signer
}

// prepare starts PostgreSQL when a phase needs it, writes the payload and
// builds the binaries not given.
func prepare(ctx context.Context, o options, ws *benchutil.Workspace) (*inputs, error) {
	in := &inputs{bin: o.bin, content: payload(o.payloadSize), payloadFile: filepath.Join(ws.Dir, "payload.json"), sig: benchutil.NewSigner(time.Now())}
	var err error
	throughput := len(o.variants) > 0 && slices.Contains(o.servers, "appconfigd")
	if slices.Contains(o.stores, "postgres") && (throughput || (o.memSessions > 0 && o.stores[0] == "postgres")) {
		if in.pg, err = benchutil.StartPostgres(ctx, o.keep); err != nil {
			return nil, err
		}
		ws.Defer(in.pg.Stop) // after the servers that use it
	}
	if err := os.WriteFile(in.payloadFile, in.content, 0o644); err != nil {
		return nil, err
	}
	if in.bin == "" && !o.inProcess {
		logf("building appconfigd")
		if in.bin, err = benchutil.BuildAppconfigd(ws.Dir); err != nil {
			return nil, err
		}
	}
	if slices.Contains(o.servers, "ceiling") && len(o.variants) > 0 {
		logf("building the ceiling server")
		if in.ceilingBin, err = benchutil.GoBuild(ws.Dir, "ceiling", "./bench/dataplane/ceiling"); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// throughput starts every server of the throughput phase, measures their
// idle CPU and runs each variant on each, then stops them.
func throughput(ctx context.Context, o options, ws *benchutil.Workspace, in *inputs) ([]result, []idleCPU, error) {
	var targets []*target
	stopAll := func() {
		for _, t := range targets {
			logf("stopping %s", t.label())
			t.stop()
		}
		targets = nil
	}
	ws.Defer(stopAll)
	defer stopAll()
	if err := startThroughputTargets(ctx, o, ws.Dir, in, &targets); err != nil {
		return nil, nil, err
	}
	var idles []idleCPU
	idleOf := map[string]float64{}
	for _, t := range targets {
		if t.name == "appconfigd" && t.proc() != nil {
			idle := measureIdle(ctx, t, 2*time.Second)
			idles = append(idles, idle)
			idleOf[idle.Server] = idle.Cores
			logf("%s idle at --time-scale %g: %.3f cores (database: %s)", idle.Server, o.timeScale, idle.Cores, fmtCores(idle.DBCores, idle.DBMeasured))
		}
	}
	results, err := runVariants(ctx, o, in, targets, idleOf)
	return results, idles, err
}

// startThroughputTargets starts the ceiling and every appconfigd (each
// store, each replica count) with the configuration deployed; each is
// appended to *started as soon as it runs, so that it is stopped.
func startThroughputTargets(ctx context.Context, o options, tmp string, in *inputs, started *[]*target) error {
	for _, s := range o.servers {
		if s == "ceiling" {
			t, err := startCeiling(ctx, tmp, in.ceilingBin, in.payloadFile)
			if err != nil {
				return fmt.Errorf("start ceiling: %w", err)
			}
			*started = append(*started, t)
			logf("ceiling ready at %s", t.base())
			continue
		}
		for _, store := range o.stores {
			counts := []int{1}
			if store == "postgres" {
				counts = o.replicas
			}
			for _, n := range counts {
				if err := startDeployed(ctx, o, tmp, in, store, n, started); err != nil {
					return fmt.Errorf("start appconfigd (%s, %d): %w", store, n, err)
				}
			}
		}
	}
	return nil
}

// startDeployed starts one appconfigd target (n replicas on store) and
// deploys the configuration to it.
func startDeployed(ctx context.Context, o options, tmp string, in *inputs, store string, n int, started *[]*target) error {
	dir := filepath.Join(tmp, fmt.Sprintf("throughput-%s-%d", store, n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var t *target
	var err error
	if o.inProcess {
		t, err = startAppconfigdInProcess(ctx, dir, o.timeScale, store, in.pg)
	} else {
		t, err = startAppconfigd(ctx, dir, in.bin, o.timeScale, nil, store, in.pg, n)
	}
	if err != nil {
		return err
	}
	*started = append(*started, t)
	if err := setupDeployed(ctx, t, in.sig, in.content); err != nil {
		return err
	}
	bases := make([]string, len(t.replicas))
	for i, r := range t.replicas {
		bases[i] = r.base
	}
	logf("%s ready at %s", t.label(), strings.Join(bases, ", "))
	return nil
}

// runVariants runs each variant on each target, in that order.
func runVariants(ctx context.Context, o options, in *inputs, targets []*target, idleOf map[string]float64) ([]result, error) {
	var results []result
	steadyTotal := map[string]int64{}
	for _, v := range o.variants {
		for _, t := range targets {
			if ctx.Err() != nil {
				return results, ctx.Err()
			}
			r, err := runVariant(ctx, o, in.sig, t, v, len(in.content), steadyTotal[t.label()], idleOf[t.label()])
			if err != nil {
				return nil, fmt.Errorf("%s on %s: %w", v, t.label(), err)
			}
			if v == "steady" {
				steadyTotal[t.label()] = r.WarmupOK + r.OK + r.Errors
			}
			results = append(results, r)
			if p := t.exited(); p != nil {
				return nil, fmt.Errorf("%s exited during the run; log tail:\n%s", t.label(), p.LogTail(20))
			}
			benchutil.Sleep(ctx, o.pause)
		}
	}
	return results, nil
}

// writeJSON writes the results as JSON to -json ("-": stdout).
func writeJSON(o options, machine benchutil.Machine, pgInfo string, idles []idleCPU, results []result, mem *memResult) error {
	if o.jsonOut == "" {
		return nil
	}
	out := struct {
		Machine  benchutil.Machine `json:"machine"`
		Postgres string            `json:"postgres,omitempty"`
		Settings map[string]any    `json:"settings"`
		Idle     []idleCPU         `json:"appconfigdIdle"`
		Results  []result          `json:"results"`
		Ratios   []ratio           `json:"ratios"`
		Stores   []compare         `json:"postgresVsSqlite,omitempty"`
		Replicas []compare         `json:"replicasVsOne,omitempty"`
		Memory   *memResult        `json:"memory,omitempty"`
	}{machine, pgInfo, settings(o), idles, results, ratios(results), storeCompare(results), replicaCompare(results), mem}
	b, _ := json.MarshalIndent(out, "", "  ")
	b = append(b, '\n')
	if o.jsonOut == "-" {
		_, err := os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(o.jsonOut, b, 0o644)
}

// failedErrorRates logs every run whose error rate is above the limit.
func failedErrorRates(o options, results []result) bool {
	failed := false
	for _, r := range results {
		if r.errorRate() > o.maxErrRate {
			logf("FAIL: %s on %s: error rate %.2f%% (%d of %d): %s (first: %s)", r.Variant, r.label(), 100*r.errorRate(), r.Errors, r.OK+r.Errors, benchutil.FmtCounts(r.ErrorsBy), r.FirstError)
			failed = true
		}
	}
	return failed
}

func settings(o options) map[string]any {
	return map[string]any{
		"sessions": o.sessions, "workers": o.workers, "warmup": o.warmup.String(), "duration": o.duration.String(),
		"timeScale": o.timeScale, "payloadBytes": o.payloadSize, "inProcess": o.inProcess,
		"stores": o.stores, "replicas": o.replicas, "sticky": o.sticky,
		"memSessions": o.memSessions, "memTimeScale": o.memTimeScale, "memIdle": o.memIdle.String(),
	}
}

// payload is an n-byte JSON object of string flags, the same bytes for
// every server.
func payload(n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	b.WriteString("{")
	x := uint32(2463534242)
	rnd := func(k int) string {
		s := make([]byte, k)
		for i := range s {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			s[i] = alphabet[x%uint32(len(alphabet))]
		}
		return string(s)
	}
	for i := 0; ; i++ {
		entry := fmt.Sprintf("%q:%q", fmt.Sprintf("flag%04d", i), rnd(24))
		if i > 0 {
			entry = "," + entry
		}
		// Room for this entry, the closing brace, and a last entry.
		if b.Len()+len(entry)+1 > n-20 {
			break
		}
		b.WriteString(entry)
	}
	// Pad with one last string member to exactly n bytes.
	head := `,"pad":"`
	if b.Len() == 1 {
		head = `"pad":"`
	}
	pad := n - b.Len() - len(head) - 2
	if pad < 0 {
		return []byte(b.String()[:n-1] + "}")
	}
	b.WriteString(head)
	b.WriteString(strings.Repeat("x", pad))
	b.WriteString(`"}`)
	return []byte(b.String())
}

// setupDeployed creates, on appconfigd, an application, an environment,
// a hosted profile with content as version 1, and deploys it with
// AppConfig.AllAtOnce, waiting until the deployment is COMPLETE.
func setupDeployed(ctx context.Context, t *target, sig benchutil.Signer, content []byte) error {
	client, _ := benchutil.NewClient(4)
	defer client.CloseIdleConnections()
	api := &benchutil.API{Base: t.base(), Client: client, Signer: sig, Account: account, Region: region}
	h, err := api.CreateHosted(ctx, "bench-dataplane", content, "application/json")
	if err != nil {
		return err
	}
	env, err := api.Create(ctx, "/applications/"+h.App+"/environments", map[string]any{"Name": "e"})
	if err != nil {
		return err
	}
	if err := api.StartDeployment(ctx, h.App, env, h.Profile, "AppConfig.AllAtOnce"); err != nil {
		return err
	}
	d, err := api.WaitDeployment(ctx, h.App, env, 1, 5*time.Minute)
	if err != nil {
		return err
	}
	if d.State != "COMPLETE" {
		return fmt.Errorf("deployment ended %s", d.State)
	}
	t.app, t.env, t.profile = h.App, env, h.Profile
	return nil
}

// idleCPU is the server's CPU use with no requests (background loops,
// which --time-scale speeds up): every replica's, and the database
// cluster's (which also serves the other targets' idle loops).
type idleCPU struct {
	Server     string  `json:"server"`
	Seconds    float64 `json:"seconds"`
	Cores      float64 `json:"cores"`
	DBMeasured bool    `json:"dbMeasured,omitempty"`
	DBCores    float64 `json:"dbCores,omitempty"`
}

func measureIdle(ctx context.Context, t *target, d time.Duration) idleCPU {
	c0 := sampleCPU(t)
	benchutil.Sleep(ctx, d)
	c1 := sampleCPU(t)
	wall := c1.at.Sub(c0.at).Seconds()
	i := idleCPU{Server: t.label(), Seconds: wall, Cores: (c1.server - c0.server).Seconds() / wall}
	if c0.dbOK && c1.dbOK {
		i.DBMeasured, i.DBCores = true, (c1.db-c0.db).Seconds()/wall
	}
	return i
}

func fmtCores(c float64, ok bool) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.3f cores", c)
}

// runVariant prepares sessions on t and runs one variant.
func runVariant(ctx context.Context, o options, sig benchutil.Signer, t *target, variant string, size int, steadyTotal int64, idleCores float64) (result, error) {
	client, dialer := benchutil.NewClient(o.workers)
	defer client.CloseIdleConnections()
	pl := newPollers(o, sig, t, client)
	nrep := len(pl)
	full := variant == "full"
	prep := time.Now()
	ss, err := prepareSessions(ctx, o, t, pl, full, size, steadyTotal)
	if err != nil {
		return result{}, fmt.Errorf("sessions: %w", err)
	}
	prepRate := 0.0
	if !(full && t.name == "ceiling") {
		prepRate = float64(ss.prepared) / time.Since(prep).Seconds()
		logf("  %d sessions in %.1f s", ss.prepared, time.Since(prep).Seconds())
	}
	logf("%s on %s: %d workers, %d sessions, %v warm-up, %v measured", variant, t.label(), o.workers, ss.count(), o.warmup, o.duration)
	prof, err := variantProfile(o, t, variant)
	if err != nil {
		return result{}, err
	}
	var cpu0 cpuSample
	onMeasure := func() {
		cpu0 = sampleCPU(t)
		prof.Start()
	}
	r, err := runLoad(ctx, pl, o.sticky, dialer, full, ss.steady, ss.pools, o.workers, o.warmup, o.duration, ss.want, onMeasure)
	cpu1 := sampleCPU(t)
	prof.Stop()
	r.Variant, r.Server, r.Store, r.Replicas, r.PrepRate = variant, t.name, t.store, nrep, prepRate
	if nrep > 1 {
		r.Affinity = "any"
		if o.sticky {
			r.Affinity = "sticky"
		}
	}
	addCPU(&r, t, cpu0, cpu1, idleCores)
	if nrep == 1 {
		r.ReplicaOK = nil
	}
	if err != nil {
		return r, fmt.Errorf("%w (errors: %s; first: %s)", err, benchutil.FmtCounts(r.ErrorsBy), r.FirstError)
	}
	logResult(r)
	return r, nil
}

// newPollers makes one poller per replica of t, sharing client. Against
// appconfigd, a session waits its minimum poll interval (scaled to wall
// time) between polls.
func newPollers(o options, sig benchutil.Signer, t *target, client *http.Client) []*poller {
	var minGap time.Duration
	if t.name == "appconfigd" {
		minGap = time.Duration(float64(minPollSeconds)/o.timeScale*float64(time.Second)) + 200*time.Microsecond
	}
	pl := make([]*poller, len(t.replicas))
	for i, r := range t.replicas {
		pl[i] = &poller{t: t, base: r.base, client: client, signer: sig, minGap: minGap}
	}
	return pl
}

// sessionSet is what a variant runs on: steady's started and primed
// sessions, or full's pools of never-polled ones (one per replica).
type sessionSet struct {
	steady   []*session
	pools    [][]*session
	want     int64 // the body length of a good answer (steady: 0)
	prepared int   // sessions started over HTTP
}

func (s sessionSet) count() int {
	n := len(s.steady)
	for _, p := range s.pools {
		n += len(p)
	}
	return n
}

// prepareSessions starts the sessions a variant needs on t's replicas.
func prepareSessions(ctx context.Context, o options, t *target, pl []*poller, full bool, size int, steadyTotal int64) (sessionSet, error) {
	if full {
		return preparePools(ctx, o, t, pl, size, steadyTotal)
	}
	logf("%s: starting and priming %d sessions", t.label(), o.sessions)
	// Session i is polled by worker i mod workers, so it starts on that
	// worker's replica.
	nrep := len(pl)
	sessions, err := startSessions(ctx, func(i int) *poller { return pl[(i%o.workers)%nrep] }, o.sessions, o.workers, true, int64(size))
	return sessionSet{steady: sessions, prepared: len(sessions)}, err
}

// preparePools makes full's pools of new sessions: -pool of them, or
// by default 1.3 times what the steady variant served plus one per
// worker (300000 without a steady figure).
func preparePools(ctx context.Context, o options, t *target, pl []*poller, size int, steadyTotal int64) (sessionSet, error) {
	n := o.pool
	if n == 0 {
		n = 300000
		if steadyTotal > 0 {
			n = int(math.Ceil(1.3*float64(steadyTotal))) + o.workers
		}
	}
	ss := sessionSet{want: int64(size)}
	if t.name == "ceiling" {
		// The ceiling keeps no sessions: its initial tokens are any
		// token starting with 'I', made here rather than over HTTP.
		pool := make([]*session, n)
		for i := range pool {
			pool[i] = &session{token: fmt.Sprintf("I%0149d", i)}
		}
		ss.pools = [][]*session{pool}
		return ss, nil
	}
	// One pool per replica, in proportion to its workers (worker w
	// belongs to replica w mod nrep).
	nrep := len(pl)
	workersOn := make([]int, nrep)
	for w := range o.workers {
		workersOn[w%nrep]++
	}
	logf("%s: starting a pool of %d new sessions", t.label(), n)
	for r := range nrep {
		k := (n*workersOn[r] + o.workers - 1) / o.workers
		pool, err := startSessions(ctx, func(int) *poller { return pl[r] }, k, o.workers, false, 0)
		if err != nil {
			return ss, err
		}
		ss.pools = append(ss.pools, pool)
		ss.prepared += k
	}
	return ss, nil
}

// variantProfile opens the CPU profile file for a variant on appconfigd
// when -cpuprofile is set; nil (a no-op Profile) otherwise.
func variantProfile(o options, t *target, variant string) (*benchutil.Profile, error) {
	if o.cpuProfile == "" || t.name != "appconfigd" {
		return nil, nil
	}
	name := o.cpuProfile + "." + variant
	if len(o.stores) > 1 {
		name += "." + t.store
	}
	return benchutil.NewProfile(name)
}

// addCPU fills r's CPU figures (server, replicas, database, this
// process) from the samples around the measured period.
func addCPU(r *result, t *target, cpu0, cpu1 cpuSample, idleCores float64) {
	n := r.OK + r.Errors
	if n == 0 || cpu0.at.IsZero() {
		return
	}
	wall := cpu1.at.Sub(cpu0.at).Seconds()
	if cpu0.serverOK && cpu1.serverOK {
		d := (cpu1.server - cpu0.server).Seconds()
		r.ServerCores, r.ServerUsPerOp = d/wall, d*1e6/float64(n)
		if t.name == "appconfigd" && idleCores > 0 {
			r.ServerUsPerOpNet = (d - idleCores*wall) * 1e6 / float64(n)
		}
		if r.Replicas > 1 {
			for i := range cpu1.replicas {
				r.ReplicaCores = append(r.ReplicaCores, (cpu1.replicas[i]-cpu0.replicas[i]).Seconds()/wall)
			}
		}
	}
	if cpu0.dbOK && cpu1.dbOK {
		d := (cpu1.db - cpu0.db).Seconds()
		r.DBMeasured, r.DBCores, r.DBUsPerOp = true, d/wall, d*1e6/float64(n)
	}
	d := (cpu1.self - cpu0.self).Seconds()
	r.ClientCores, r.ClientUsPerOp = d/wall, d*1e6/float64(n)
}

// logResult logs one variant's figures.
func logResult(r result) {
	serverCPU := "server CPU n/a"
	if r.ServerUsPerOp > 0 {
		serverCPU = fmt.Sprintf("server CPU %.2f cores (%.1f µs/req)", r.ServerCores, r.ServerUsPerOp)
	}
	if r.DBMeasured {
		serverCPU += fmt.Sprintf(", database CPU %.2f cores (%.1f µs/req)", r.DBCores, r.DBUsPerOp)
	}
	logf("  %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors, %d too early, %d paced waits, %d new connections, %s, client CPU %.2f cores (%.1f µs/req)",
		r.RPS, r.P50ms, r.P99ms, r.Errors, r.TooEarly, r.PacedWaits, r.Conns, serverCPU, r.ClientCores, r.ClientUsPerOp)
	if r.Replicas > 1 {
		logf("  per replica: polls %v, cores %.2f", r.ReplicaOK, r.ReplicaCores)
	}
}

// runMemory starts a fresh appconfigd (gctrace on), deploys the
// configuration, and reads its memory with memBase and with memSessions
// live sessions, each started and polled once.
//
// It runs on the first of -store's stores (SQLite unless -store postgres):
// a session's memory is in the process, whatever the store.
func runMemory(ctx context.Context, o options, ws *benchutil.Workspace, bin string, sig benchutil.Signer, content []byte, pg *benchutil.Postgres) (memResult, error) {
	tmp := ws.Dir
	store := o.stores[0]
	m := memResult{Store: store, Sessions: o.memSessions, BaseSessions: o.memBase, TimeScale: o.memTimeScale, InProcess: o.inProcess, Idle: o.memIdle.String()}
	dir := filepath.Join(tmp, "memory")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return m, err
	}
	var t *target
	var err error
	if o.inProcess {
		t, err = startAppconfigdInProcess(ctx, dir, o.memTimeScale, store, pg)
		m.HeapSource = "runtime.MemStats.HeapAlloc after runtime.GC() (in-process: server and tool in one heap)"
	} else {
		m.Godebug = "gctrace=1"
		if o.memGodebug != "" {
			m.Godebug += "," + o.memGodebug
		}
		t, err = startAppconfigd(ctx, dir, bin, o.memTimeScale, []string{"GODEBUG=" + m.Godebug}, store, pg, 1)
		m.HeapSource = "live heap marked by the first GC after the sessions (GODEBUG=gctrace=1; MiB resolution)"
	}
	if err != nil {
		return m, err
	}
	ws.Defer(t.stop)
	defer t.stop()
	logf("memory phase: %s at %s, --time-scale %g", t.label(), t.base(), o.memTimeScale)
	if err := setupDeployed(ctx, t, sig, content); err != nil {
		return m, err
	}
	client, _ := benchutil.NewClient(o.workers)
	defer client.CloseIdleConnections()
	p := &poller{t: t, base: t.base(), client: client, signer: sig}
	on := func(int) *poller { return p }
	api := &benchutil.API{Base: t.base(), Client: client, Signer: sig, Account: account, Region: region}
	read := func() (benchutil.ProcMem, int64, string, int64, error) {
		benchutil.Sleep(ctx, o.memIdle)
		var pm benchutil.ProcMem
		if t.proc() != nil {
			pm, _ = benchutil.ReadProcMem(t.proc().Pid())
		}
		heap, line, err := liveHeapAfterGC(ctx, t, api, o.workers)
		live := int64(-1)
		if mt, err := benchutil.ScrapeMetrics(ctx, client, t.base()+"/metrics"); err == nil {
			if v, ok := mt["appconfigd_dataplane_sessions"]; ok {
				live = int64(v)
			}
		}
		return pm, heap, line, live, err
	}
	if _, err := startSessions(ctx, on, o.memBase, o.workers, true, int64(len(content))); err != nil {
		return m, err
	}
	pm, heap, line, live, err := read()
	if err != nil {
		return m, err
	}
	m.RSSBefore, m.RSSAnonBefore, m.HeapBefore, m.GCBefore, m.LiveBefore = pm.RSS, pm.RSSAnon, heap, line, live
	logf("memory phase: %d sessions: RSS %.1f MiB, heap %.1f MiB; starting %d more", o.memBase, mib(pm.RSS), mib(heap), o.memSessions)
	t0 := time.Now()
	if _, err := startSessions(ctx, on, o.memSessions, o.workers, true, int64(len(content))); err != nil {
		return m, err
	}
	m.StartRate = float64(o.memSessions) / time.Since(t0).Seconds()
	if o.memProfile != "" && o.inProcess {
		t.memStats()
		if f, err := os.Create(o.memProfile); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
			logf("wrote %s", o.memProfile)
		}
	}
	pm, heap, line, live, err = read()
	if err != nil {
		return m, err
	}
	m.RSSAfter, m.RSSAnonAfter, m.HeapAfter, m.GCAfter, m.LiveAfter = pm.RSS, pm.RSSAnon, heap, line, live
	if pr := t.proc(); pr != nil {
		if pm, ok := benchutil.ReadProcMem(pr.Pid()); ok {
			m.PeakRSS = pm.HWM
		}
		if pr.Exited() {
			return m, errors.New("appconfigd exited during the memory phase:\n" + pr.LogTail(20))
		}
	}
	logf("memory phase: %d sessions: RSS %.1f MiB, heap %.1f MiB (%.0f sessions/s)", o.memBase+o.memSessions, mib(pm.RSS), mib(heap), m.StartRate)
	return m, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func storeLabel(s string) string {
	if s == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite"
}

type ratio struct {
	Variant    string  `json:"variant"`
	Server     string  `json:"server"` // the appconfigd target's label
	Appconfigd float64 `json:"appconfigdRps"`
	Ceiling    float64 `json:"ceilingRps"`
	Ratio      float64 `json:"ratio"`
	P50Ratio   float64 `json:"p50Ratio"` // ceiling p50 / appconfigd p50
	// CPURatio is ceiling server CPU per request over appconfigd's (all
	// replicas', plus the database's on PostgreSQL); CPURatioNet the same
	// with appconfigd's idle CPU left out.
	CPURatio    float64 `json:"serverCpuPerRequestRatio,omitempty"`
	CPURatioNet float64 `json:"serverCpuPerRequestRatioNetOfIdle,omitempty"`
}

func ratios(results []result) []ratio {
	var out []ratio
	for _, a := range results {
		if a.Server != "appconfigd" {
			continue
		}
		for _, c := range results {
			if c.Server != "ceiling" || c.Variant != a.Variant || c.RPS == 0 {
				continue
			}
			r := ratio{Variant: a.Variant, Server: a.label(), Appconfigd: a.RPS, Ceiling: c.RPS, Ratio: a.RPS / c.RPS}
			if a.P50ms > 0 {
				r.P50Ratio = c.P50ms / a.P50ms
			}
			if a.ServerUsPerOp > 0 && c.ServerUsPerOp > 0 {
				r.CPURatio = c.ServerUsPerOp / a.totalUsPerOp()
			}
			if a.ServerUsPerOpNet > 0 && c.ServerUsPerOp > 0 {
				r.CPURatioNet = c.ServerUsPerOp / (a.ServerUsPerOpNet + a.DBUsPerOp)
			}
			out = append(out, r)
		}
	}
	return out
}

// compare sets one appconfigd result (B) against another (A) of the same
// variant: PostgreSQL against SQLite, or N replicas against one.
type compare struct {
	Variant  string  `json:"variant"`
	A        string  `json:"a"`
	B        string  `json:"b"`
	ARPS     float64 `json:"aRps"`
	BRPS     float64 `json:"bRps"`
	RPSRatio float64 `json:"rpsRatio"` // B / A
	P50Ratio float64 `json:"p50Ratio"` // B / A
	P99Ratio float64 `json:"p99Ratio"` // B / A
	// CPU per request: appconfigd's (every replica's) and the database's.
	AServerUs float64 `json:"aServerCpuUsPerRequest"`
	ADBUs     float64 `json:"aDbCpuUsPerRequest"`
	BServerUs float64 `json:"bServerCpuUsPerRequest"`
	BDBUs     float64 `json:"bDbCpuUsPerRequest"`
	CPURatio  float64 `json:"cpuPerRequestRatio"` // B / A, appconfigd + database
	// Cores in use during the measured periods: servers + database + client.
	ACores float64 `json:"aCores"`
	BCores float64 `json:"bCores"`
}

func compareResults(a, b result) compare {
	c := compare{Variant: a.Variant, A: a.label(), B: b.label(), ARPS: a.RPS, BRPS: b.RPS,
		AServerUs: a.ServerUsPerOp, ADBUs: a.DBUsPerOp, BServerUs: b.ServerUsPerOp, BDBUs: b.DBUsPerOp,
		ACores: a.ServerCores + a.DBCores + a.ClientCores, BCores: b.ServerCores + b.DBCores + b.ClientCores}
	if a.RPS > 0 {
		c.RPSRatio = b.RPS / a.RPS
	}
	if a.P50ms > 0 && a.P99ms > 0 {
		c.P50Ratio, c.P99Ratio = b.P50ms/a.P50ms, b.P99ms/a.P99ms
	}
	if a.totalUsPerOp() > 0 {
		c.CPURatio = b.totalUsPerOp() / a.totalUsPerOp()
	}
	return c
}

// storeCompare: appconfigd on PostgreSQL (one replica) against SQLite.
func storeCompare(results []result) []compare {
	var out []compare
	for _, a := range results {
		if a.Server != "appconfigd" || a.Store != "sqlite" {
			continue
		}
		for _, b := range results {
			if b.Server == "appconfigd" && b.Store == "postgres" && b.Replicas == 1 && b.Variant == a.Variant {
				out = append(out, compareResults(a, b))
			}
		}
	}
	return out
}

// replicaCompare: appconfigd on PostgreSQL with N > 1 replicas against one.
func replicaCompare(results []result) []compare {
	var out []compare
	for _, a := range results {
		if a.Server != "appconfigd" || a.Store != "postgres" || a.Replicas != 1 {
			continue
		}
		for _, b := range results {
			if b.Server == "appconfigd" && b.Store == "postgres" && b.Replicas > 1 && b.Variant == a.Variant {
				out = append(out, compareResults(a, b))
			}
		}
	}
	return out
}

func variantName(v string) string {
	if v == "full" {
		return "full (first poll, 4 KB body)"
	}
	return "steady (no change, empty body)"
}

func report(w io.Writer, o options, m benchutil.Machine, pgInfo string, idles []idleCPU, results []result, mem *memResult) {
	fmt.Fprintf(w, "## Data plane: appconfigd vs bare net/http ceiling\n\n")
	mode := "appconfigd binary"
	if o.inProcess {
		mode = "appconfigd **in-process** (profiling mode; not comparable)"
	}
	fmt.Fprintf(w, "%s · %s\n\n", mode, m)
	if pgInfo != "" {
		fmt.Fprintf(w, "%s on the same machine; each appconfigd target on PostgreSQL has a database of its own, shared by its replicas. \"database CPU\" is the whole cluster's (postmaster and every backend).\n\n", pgInfo)
	}
	if len(results) > 0 {
		reportRuns(w, o, idles, results)
		reportRatios(w, o, m, results)
		reportNotes(w, results)
	}
	if mem != nil {
		reportMemory(w, o, mem)
	}
}

// reportRuns prints the settings, the idle CPU and one row per run.
func reportRuns(w io.Writer, o options, idles []idleCPU, results []result) {
	fmt.Fprintf(w, "GetLatestConfiguration: %d sessions, %d workers, %v warm-up + %v measured per variant and server, %d-byte JSON configuration, appconfigd --time-scale %g",
		o.sessions, o.workers, o.warmup, o.duration, o.payloadSize, o.timeScale)
	var idle []string
	for _, i := range idles {
		s := fmt.Sprintf("%s %.3f cores", i.Server, i.Cores)
		if i.DBMeasured {
			s += fmt.Sprintf(" + database %.3f", i.DBCores)
		}
		idle = append(idle, s)
	}
	if len(idle) > 0 {
		fmt.Fprintf(w, " (idle CPU at this scale: %s)", strings.Join(idle, "; "))
	}
	for _, r := range results {
		if r.Replicas > 1 {
			if o.sticky {
				fmt.Fprint(w, ". Replicas: worker w and its sessions belong to replica w mod N; each session is started on and polls its replica (sticky)")
			} else {
				fmt.Fprint(w, ". Replicas: sessions are started on replica (worker mod N); each worker rotates over the replicas request by request (any)")
			}
			break
		}
	}
	fmt.Fprint(w, "\n\n")
	withDB := false
	for _, r := range results {
		withDB = withDB || r.Store == "postgres"
	}
	head := "| Variant | Server | req/s | p50 | p99 | max | errors / requests | new TCP conns | server CPU | server CPU/req | client CPU/req |"
	sep := "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	if withDB {
		head += " database CPU | database CPU/req |"
		sep += "---:|---:|"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, sep)
	for _, r := range results {
		serverCPU, serverPer := "n/a", "n/a"
		if r.ServerUsPerOp > 0 {
			serverCPU, serverPer = fmt.Sprintf("%.2f cores", r.ServerCores), fmt.Sprintf("%.1f µs", r.ServerUsPerOp)
			if len(r.ReplicaCores) > 1 {
				parts := make([]string, len(r.ReplicaCores))
				for i, c := range r.ReplicaCores {
					parts[i] = fmt.Sprintf("%.2f", c)
				}
				serverCPU += " (" + strings.Join(parts, " + ") + ")"
			}
			if r.ServerUsPerOpNet > 0 {
				serverPer += fmt.Sprintf(" (%.1f net of idle)", r.ServerUsPerOpNet)
			}
		}
		errs := fmt.Sprintf("%d / %d", r.Errors, r.OK+r.Errors)
		if r.Errors > 0 {
			errs += " (" + benchutil.FmtCounts(r.ErrorsBy) + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %s | %d | %s | %s | %.1f µs |",
			variantName(r.Variant), r.label(), r.RPS, benchutil.FmtMs(r.P50ms), benchutil.FmtMs(r.P99ms), benchutil.FmtMs(r.MaxMs), errs, r.Conns, serverCPU, serverPer, r.ClientUsPerOp)
		if withDB {
			switch {
			case r.Store == "postgres" && r.DBMeasured:
				fmt.Fprintf(w, " %.2f cores | %.1f µs |", r.DBCores, r.DBUsPerOp)
			case r.Store == "postgres":
				fmt.Fprint(w, " n/a | n/a |")
			default:
				fmt.Fprint(w, " — | — |")
			}
		}
		fmt.Fprintln(w)
	}
}

// reportRatios prints appconfigd against the ceiling, and the store and replica comparisons.
func reportRatios(w io.Writer, o options, m benchutil.Machine, results []result) {
	withDB := slices.ContainsFunc(results, func(r result) bool { return r.Store == "postgres" })
	if rs := ratios(results); len(rs) > 0 {
		fmt.Fprintf(w, "\n| Variant | Server | appconfigd req/s | ceiling req/s | appconfigd/ceiling | p50 ceiling/appconfigd | server CPU/req ceiling/appconfigd (net of idle) | target ≥ %.0f %% |\n", 100*o.target)
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---|")
		for _, r := range rs {
			verdict := "met"
			if r.Ratio < o.target {
				verdict = "**not met**"
			}
			cpu := "n/a"
			if r.CPURatio > 0 {
				cpu = fmt.Sprintf("%.0f %%", 100*r.CPURatio)
				if r.CPURatioNet > 0 {
					cpu += fmt.Sprintf(" (%.0f %%)", 100*r.CPURatioNet)
				}
			}
			fmt.Fprintf(w, "| %s | %s | %.0f | %.0f | **%.0f %%** | %.0f %% | %s | %s |\n", variantName(r.Variant), r.Server, r.Appconfigd, r.Ceiling, 100*r.Ratio, 100*r.P50Ratio, cpu, verdict)
		}
		if withDB {
			fmt.Fprintln(w, "\n(appconfigd's CPU per request: every replica's, plus the database's on PostgreSQL.)")
		}
	}
	printCompare := func(title string, cs []compare) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s\n\n", title)
		fmt.Fprintln(w, "| Variant | A | B | A req/s | B req/s | req/s B/A | p50 B/A | p99 B/A | CPU/req A: appconfigd + database | CPU/req B: appconfigd + database | CPU/req B/A | cores in use A → B (servers + database + client) |")
		fmt.Fprintln(w, "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, c := range cs {
			fmt.Fprintf(w, "| %s | %s | %s | %.0f | %.0f | **%.2f×** | %.2f× | %.2f× | %.1f + %.1f = %.1f µs | %.1f + %.1f = %.1f µs | **%.2f×** | %.2f → %.2f |\n",
				variantName(c.Variant), c.A, c.B, c.ARPS, c.BRPS, c.RPSRatio, c.P50Ratio, c.P99Ratio,
				c.AServerUs, c.ADBUs, c.AServerUs+c.ADBUs, c.BServerUs, c.BDBUs, c.BServerUs+c.BDBUs, c.CPURatio, c.ACores, c.BCores)
		}
	}
	printCompare("PostgreSQL / SQLite (same run):", storeCompare(results))
	printCompare(fmt.Sprintf("Replicas on one PostgreSQL database, N / 1 (same run; %d cores shared by replicas, database and load generator):", m.NumCPU), replicaCompare(results))
}

// reportNotes prints what each run prepared beforehand.
func reportNotes(w io.Writer, results []result) {
	var notes []string
	for _, r := range results {
		if r.PrepRate > 0 {
			what := "StartConfigurationSession + first poll"
			if r.Variant == "full" {
				what = "StartConfigurationSession"
			}
			notes = append(notes, fmt.Sprintf("- %s on %s: %d sessions prepared before the run at %.0f/s (%s)", r.Variant, r.label(), r.Sessions, r.PrepRate, what))
		}
		if len(r.ReplicaOK) > 1 {
			parts := make([]string, len(r.ReplicaOK))
			for i, n := range r.ReplicaOK {
				parts[i] = strconv.FormatInt(n, 10)
			}
			notes = append(notes, fmt.Sprintf("- %s on %s: successful measured polls per replica %s", r.Variant, r.label(), strings.Join(parts, " / ")))
		}
		if r.TooEarly > 0 || r.Replaced > 0 {
			notes = append(notes, fmt.Sprintf("- %s on %s: %d \"Request too early\" answers, %d sessions replaced", r.Variant, r.label(), r.TooEarly, r.Replaced))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
	}
	fmt.Fprintln(w)
}

// reportMemory prints the memory phase.
func reportMemory(w io.Writer, o options, mem *memResult) {
	fmt.Fprintf(w, "Memory per live session (appconfigd on %s): %d sessions started and polled once each (%.0f sessions/s), appconfigd --time-scale %g", storeLabel(mem.Store), mem.Sessions, mem.StartRate, mem.TimeScale)
	if mem.Godebug != "" {
		fmt.Fprintf(w, ", GODEBUG=%s", mem.Godebug)
	}
	fmt.Fprintf(w, "; 'before' = %d sessions; each reading after %s idle\n\n", mem.BaseSessions, mem.Idle)
	fmt.Fprintf(w, "| Measure | before | after | delta | per session | target < %.0f B |\n", o.memTarget)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	row := func(name string, before, after int64) {
		per := mem.per(before, after)
		verdict := "met"
		if per >= o.memTarget {
			verdict = "**not met**"
		}
		fmt.Fprintf(w, "| %s | %.1f MiB | %.1f MiB | %.1f MiB | **%.0f B** | %s |\n", name, mib(before), mib(after), mib(after-before), per, verdict)
	}
	row("Go heap live after GC", mem.HeapBefore, mem.HeapAfter)
	if !mem.InProcess {
		row("VmRSS", mem.RSSBefore, mem.RSSAfter)
		row("RssAnon", mem.RSSAnonBefore, mem.RSSAnonAfter)
	}
	fmt.Fprintf(w, "\nGo heap: %s.", mem.HeapSource)
	if mem.LiveAfter >= 0 {
		fmt.Fprintf(w, " The server's own count (appconfigd_dataplane_sessions on /metrics): %d sessions before, %d after.", mem.LiveBefore, mem.LiveAfter)
	}
	if mem.PeakRSS > 0 {
		fmt.Fprintf(w, " Peak RSS (VmHWM) of the memory-phase server: %.1f MiB.", mib(mem.PeakRSS))
	}
	fmt.Fprintln(w)
	if mem.GCAfter != "" {
		fmt.Fprintf(w, "\n```\nbefore: %s\nafter:  %s\n```\n", mem.GCBefore, mem.GCAfter)
	}
	fmt.Fprintln(w)
}
