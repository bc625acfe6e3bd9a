// Command dataplane benchmarks appconfigd's data plane — GetLatestConfiguration
// throughput and latency over 1,000 live sessions, and memory per live
// session at 100,000 sessions — side by side with a bare net/http server
// (bench/dataplane/ceiling) that answers the same requests with the same
// bytes and no work, in one run, and reports the ratio.
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
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
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
	var o options
	var variants, servers string
	flag.IntVar(&o.sessions, "sessions", 1000, "live sessions polled in the throughput runs")
	flag.IntVar(&o.workers, "workers", 32, "concurrent closed-loop workers (one keep-alive connection each); each owns sessions/workers sessions")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up per variant and server (not measured)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured period per variant and server")
	flag.DurationVar(&o.pause, "pause", time.Second, "idle pause between runs")
	flag.Float64Var(&o.timeScale, "time-scale", 1000, "appconfigd --time-scale in the throughput runs (the 15 s minimum poll interval becomes 15/N s)")
	flag.IntVar(&o.payloadSize, "payload", 4096, "size of the deployed JSON configuration in bytes")
	flag.StringVar(&variants, "variants", "steady,full", "throughput variants: steady (polls of primed sessions, empty bodies), full (first polls of new sessions, whole configuration)")
	flag.StringVar(&servers, "servers", "appconfigd,ceiling", "servers of the throughput runs: appconfigd, ceiling")
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
	if o.sessions < 1 || o.workers < 1 || o.duration <= 0 || o.warmup < 0 || o.timeScale <= 0 || o.memTimeScale <= 0 || o.payloadSize < 2 || o.memSessions < 0 || o.memBase < 1 {
		logf("bad flags")
		return 2
	}
	for _, v := range o.variants {
		if v != "steady" && v != "full" {
			logf("unknown variant %q (want steady, full)", v)
			return 2
		}
	}
	for _, s := range o.servers {
		if s != "appconfigd" && s != "ceiling" {
			logf("unknown server %q (want appconfigd, ceiling)", s)
			return 2
		}
	}
	if o.inProcess && !inProcessBuilt {
		_, err := startAppconfigdInProcess(context.Background(), "", 1)
		logf("%v", err)
		return 2
	}
	if gap := time.Duration(float64(minPollSeconds) / o.timeScale * float64(time.Second)); gap > 5*time.Millisecond {
		logf("note: at -time-scale %g a session may poll every %v of wall time; with %d sessions that caps the steady run at %.0f req/s",
			o.timeScale, gap, o.sessions, float64(o.sessions)/gap.Seconds())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "appconfigd-bench-dataplane-")
	if err != nil {
		logf("%v", err)
		return 1
	}
	var stops []func()
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		if o.keep {
			logf("kept %s", tmp)
		} else {
			os.RemoveAll(tmp)
		}
	}()

	machine := benchutil.DescribeMachine()
	content := payload(o.payloadSize)
	payloadFile := filepath.Join(tmp, "payload.json")
	if err := os.WriteFile(payloadFile, content, 0o644); err != nil {
		logf("%v", err)
		return 1
	}
	bin := o.bin
	if bin == "" && !o.inProcess {
		logf("building appconfigd")
		if bin, err = benchutil.BuildAppconfigd(tmp); err != nil {
			logf("%v", err)
			return 1
		}
	}
	var ceilingBin string
	if slices.Contains(o.servers, "ceiling") && len(o.variants) > 0 {
		logf("building the ceiling server")
		if ceilingBin, err = benchutil.GoBuild(tmp, "ceiling", "./bench/dataplane/ceiling"); err != nil {
			logf("%v", err)
			return 1
		}
	}
	sig := benchutil.NewSigner(time.Now())

	// Throughput: both servers up for the whole phase; one runs at a time.
	var results []result
	var idle idleCPU
	if len(o.variants) > 0 && len(o.servers) > 0 {
		var targets []*target
		stopAll := func() {
			for _, t := range targets {
				logf("stopping %s", t.name)
				t.stop()
			}
			targets = nil
		}
		stops = append(stops, stopAll)
		for _, s := range o.servers {
			var t *target
			switch s {
			case "appconfigd":
				dir := filepath.Join(tmp, "throughput")
				if err := os.MkdirAll(dir, 0o755); err != nil {
					logf("%v", err)
					return 1
				}
				if o.inProcess {
					t, err = startAppconfigdInProcess(ctx, dir, o.timeScale)
				} else {
					t, err = startAppconfigd(ctx, dir, bin, o.timeScale, nil)
				}
				if err == nil {
					targets = append(targets, t)
					err = setupDeployed(ctx, t, sig, content)
				}
			case "ceiling":
				if t, err = startCeiling(ctx, tmp, ceilingBin, payloadFile); err == nil {
					targets = append(targets, t)
				}
			}
			if err != nil {
				logf("start %s: %v", s, err)
				return 1
			}
			logf("%s ready at %s", t.name, t.base)
		}
		for _, t := range targets {
			if t.name == "appconfigd" && t.proc != nil {
				idle = measureIdle(ctx, t, 2*time.Second)
				logf("appconfigd idle at --time-scale %g: %.3f cores", o.timeScale, idle.Cores)
			}
		}
		steadyTotal := map[string]int64{}
		for _, v := range o.variants {
			for _, t := range targets {
				if ctx.Err() != nil {
					break
				}
				r, err := runVariant(ctx, o, sig, t, v, len(content), steadyTotal[t.name], idle.Cores)
				if err != nil {
					if ctx.Err() == nil {
						logf("%s on %s: %v", v, t.name, err)
					}
					return 1
				}
				if v == "steady" {
					steadyTotal[t.name] = r.WarmupOK + r.OK + r.Errors
				}
				results = append(results, r)
				if t.proc != nil && t.proc.Exited() {
					logf("%s exited during the run; log tail:\n%s", t.name, t.proc.LogTail(20))
					return 1
				}
				benchutil.Sleep(ctx, o.pause)
			}
		}
		stopAll()
	}

	var mem *memResult
	if o.memSessions > 0 && ctx.Err() == nil {
		m, err := runMemory(ctx, o, tmp, bin, sig, content, &stops)
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
	report(os.Stdout, o, machine, idle, results, mem)
	if o.jsonOut != "" {
		out := struct {
			Machine  benchutil.Machine `json:"machine"`
			Settings map[string]any    `json:"settings"`
			Idle     idleCPU           `json:"appconfigdIdle"`
			Results  []result          `json:"results"`
			Ratios   []ratio           `json:"ratios"`
			Memory   *memResult        `json:"memory,omitempty"`
		}{machine, settings(o), idle, results, ratios(results), mem}
		b, _ := json.MarshalIndent(out, "", "  ")
		b = append(b, '\n')
		if o.jsonOut == "-" {
			os.Stdout.Write(b)
		} else if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			logf("%v", err)
			return 1
		}
	}
	failed := false
	for _, r := range results {
		if r.errorRate() > o.maxErrRate {
			logf("FAIL: %s on %s: error rate %.2f%% (%d of %d): %s (first: %s)", r.Variant, r.Server, 100*r.errorRate(), r.Errors, r.OK+r.Errors, fmtErrs(r.ErrorsBy), r.FirstError)
			failed = true
		}
	}
	if failed {
		return 1
	}
	return 0
}

func settings(o options) map[string]any {
	return map[string]any{
		"sessions": o.sessions, "workers": o.workers, "warmup": o.warmup.String(), "duration": o.duration.String(),
		"timeScale": o.timeScale, "payloadBytes": o.payloadSize, "inProcess": o.inProcess,
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
	api := &benchutil.API{Base: t.base, Client: client, Signer: sig, Account: account, Region: region}
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
// which --time-scale speeds up).
type idleCPU struct {
	Seconds float64 `json:"seconds"`
	Cores   float64 `json:"cores"`
}

func measureIdle(ctx context.Context, t *target, d time.Duration) idleCPU {
	c0 := sampleCPU(t)
	benchutil.Sleep(ctx, d)
	c1 := sampleCPU(t)
	wall := c1.at.Sub(c0.at).Seconds()
	return idleCPU{Seconds: wall, Cores: (c1.server - c0.server).Seconds() / wall}
}

// runVariant prepares sessions on t and runs one variant.
func runVariant(ctx context.Context, o options, sig benchutil.Signer, t *target, variant string, size int, steadyTotal int64, idleCores float64) (result, error) {
	client, dialer := benchutil.NewClient(o.workers)
	defer client.CloseIdleConnections()
	p := &poller{t: t, client: client, signer: sig}
	if t.name == "appconfigd" {
		p.minGap = time.Duration(float64(minPollSeconds)/o.timeScale*float64(time.Second)) + 200*time.Microsecond
	}
	full := variant == "full"
	var sessions []*session
	var want int64
	var err error
	prep := time.Now()
	if full {
		n := o.pool
		if n == 0 {
			n = 300000
			if steadyTotal > 0 {
				n = int(math.Ceil(1.3*float64(steadyTotal))) + o.workers
			}
		}
		want = int64(size)
		if t.name == "ceiling" {
			// The ceiling keeps no sessions: its initial tokens are any
			// token starting with 'I', made here rather than over HTTP.
			sessions = make([]*session, n)
			for i := range sessions {
				sessions[i] = &session{token: fmt.Sprintf("I%0149d", i)}
			}
		} else {
			logf("%s: starting a pool of %d new sessions", t.name, n)
			sessions, err = p.startSessions(ctx, n, o.workers, false, 0)
		}
	} else {
		logf("%s: starting and priming %d sessions", t.name, o.sessions)
		sessions, err = p.startSessions(ctx, o.sessions, o.workers, true, int64(size))
	}
	if err != nil {
		return result{}, fmt.Errorf("sessions: %w", err)
	}
	prepRate := 0.0
	if !(full && t.name == "ceiling") {
		prepRate = float64(len(sessions)) / time.Since(prep).Seconds()
		logf("  %d sessions in %.1f s", len(sessions), time.Since(prep).Seconds())
	}
	logf("%s on %s: %d workers, %d sessions, %v warm-up, %v measured", variant, t.name, o.workers, len(sessions), o.warmup, o.duration)
	profiling := o.cpuProfile != "" && t.name == "appconfigd"
	var pf *os.File
	if profiling {
		if pf, err = os.Create(o.cpuProfile + "." + variant + ".pprof"); err != nil {
			return result{}, err
		}
		defer pf.Close()
	}
	var cpu0 cpuSample
	onMeasure := func() {
		cpu0 = sampleCPU(t)
		if profiling {
			if err := pprof.StartCPUProfile(pf); err != nil {
				logf("cpu profile: %v", err)
			}
		}
	}
	r, err := runLoad(ctx, p, dialer, full, sessions, o.workers, o.warmup, o.duration, want, onMeasure)
	cpu1 := sampleCPU(t)
	if profiling {
		pprof.StopCPUProfile()
		logf("wrote %s", pf.Name())
	}
	r.Variant, r.Server, r.PrepRate = variant, t.name, prepRate
	if n := r.OK + r.Errors; n > 0 && !cpu0.at.IsZero() {
		wall := cpu1.at.Sub(cpu0.at).Seconds()
		if cpu0.serverOK && cpu1.serverOK {
			d := (cpu1.server - cpu0.server).Seconds()
			r.ServerCores, r.ServerUsPerOp = d/wall, d*1e6/float64(n)
			if t.name == "appconfigd" && idleCores > 0 {
				r.ServerUsPerOpNet = (d - idleCores*wall) * 1e6 / float64(n)
			}
		}
		d := (cpu1.self - cpu0.self).Seconds()
		r.ClientCores, r.ClientUsPerOp = d/wall, d*1e6/float64(n)
	}
	if err != nil {
		return r, fmt.Errorf("%w (errors: %s; first: %s)", err, fmtErrs(r.ErrorsBy), r.FirstError)
	}
	serverCPU := "server CPU n/a"
	if r.ServerUsPerOp > 0 {
		serverCPU = fmt.Sprintf("server CPU %.2f cores (%.1f µs/req)", r.ServerCores, r.ServerUsPerOp)
	}
	logf("  %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors, %d too early, %d paced waits, %d new connections, %s, client CPU %.2f cores (%.1f µs/req)",
		r.RPS, r.P50ms, r.P99ms, r.Errors, r.TooEarly, r.PacedWaits, r.Conns, serverCPU, r.ClientCores, r.ClientUsPerOp)
	return r, nil
}

// runMemory starts a fresh appconfigd (gctrace on), deploys the
// configuration, and reads its memory with memBase and with memSessions
// live sessions, each started and polled once.
func runMemory(ctx context.Context, o options, tmp, bin string, sig benchutil.Signer, content []byte, stops *[]func()) (memResult, error) {
	m := memResult{Sessions: o.memSessions, BaseSessions: o.memBase, TimeScale: o.memTimeScale, InProcess: o.inProcess, Idle: o.memIdle.String()}
	dir := filepath.Join(tmp, "memory")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return m, err
	}
	var t *target
	var err error
	if o.inProcess {
		t, err = startAppconfigdInProcess(ctx, dir, o.memTimeScale)
		m.HeapSource = "runtime.MemStats.HeapAlloc after runtime.GC() (in-process: server and tool in one heap)"
	} else {
		m.Godebug = "gctrace=1"
		if o.memGodebug != "" {
			m.Godebug += "," + o.memGodebug
		}
		t, err = startAppconfigd(ctx, dir, bin, o.memTimeScale, []string{"GODEBUG=" + m.Godebug})
		m.HeapSource = "live heap marked by the first GC after the sessions (GODEBUG=gctrace=1; MiB resolution)"
	}
	if err != nil {
		return m, err
	}
	*stops = append(*stops, t.stop)
	defer t.stop()
	logf("memory phase: appconfigd at %s, --time-scale %g", t.base, o.memTimeScale)
	if err := setupDeployed(ctx, t, sig, content); err != nil {
		return m, err
	}
	client, _ := benchutil.NewClient(o.workers)
	defer client.CloseIdleConnections()
	p := &poller{t: t, client: client, signer: sig}
	api := &benchutil.API{Base: t.base, Client: client, Signer: sig, Account: account, Region: region}
	read := func() (benchutil.ProcMem, int64, string, int64, error) {
		benchutil.Sleep(ctx, o.memIdle)
		var pm benchutil.ProcMem
		if t.proc != nil {
			pm, _ = benchutil.ReadProcMem(t.proc.Pid())
		}
		heap, line, err := liveHeapAfterGC(ctx, t, api, o.workers)
		live := int64(-1)
		if mt, err := benchutil.ScrapeMetrics(ctx, client, t.base+"/metrics"); err == nil {
			if v, ok := mt["appconfigd_dataplane_sessions"]; ok {
				live = int64(v)
			}
		}
		return pm, heap, line, live, err
	}
	if _, err := p.startSessions(ctx, o.memBase, o.workers, true, int64(len(content))); err != nil {
		return m, err
	}
	pm, heap, line, live, err := read()
	if err != nil {
		return m, err
	}
	m.RSSBefore, m.RSSAnonBefore, m.HeapBefore, m.GCBefore, m.LiveBefore = pm.RSS, pm.RSSAnon, heap, line, live
	logf("memory phase: %d sessions: RSS %.1f MiB, heap %.1f MiB; starting %d more", o.memBase, mib(pm.RSS), mib(heap), o.memSessions)
	t0 := time.Now()
	if _, err := p.startSessions(ctx, o.memSessions, o.workers, true, int64(len(content))); err != nil {
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
	if t.proc != nil {
		if pm, ok := benchutil.ReadProcMem(t.proc.Pid()); ok {
			m.PeakRSS = pm.HWM
		}
		if t.proc.Exited() {
			return m, errors.New("appconfigd exited during the memory phase:\n" + t.proc.LogTail(20))
		}
	}
	logf("memory phase: %d sessions: RSS %.1f MiB, heap %.1f MiB (%.0f sessions/s)", o.memBase+o.memSessions, mib(pm.RSS), mib(heap), m.StartRate)
	return m, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

type ratio struct {
	Variant    string  `json:"variant"`
	Appconfigd float64 `json:"appconfigdRps"`
	Ceiling    float64 `json:"ceilingRps"`
	Ratio      float64 `json:"ratio"`
	P50Ratio   float64 `json:"p50Ratio"` // ceiling p50 / appconfigd p50
	// CPURatio is ceiling server CPU per request over appconfigd's;
	// CPURatioNet the same with appconfigd's idle CPU left out.
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
			r := ratio{Variant: a.Variant, Appconfigd: a.RPS, Ceiling: c.RPS, Ratio: a.RPS / c.RPS}
			if a.P50ms > 0 {
				r.P50Ratio = c.P50ms / a.P50ms
			}
			if a.ServerUsPerOp > 0 && c.ServerUsPerOp > 0 {
				r.CPURatio = c.ServerUsPerOp / a.ServerUsPerOp
			}
			if a.ServerUsPerOpNet > 0 && c.ServerUsPerOp > 0 {
				r.CPURatioNet = c.ServerUsPerOp / a.ServerUsPerOpNet
			}
			out = append(out, r)
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

func report(w io.Writer, o options, m benchutil.Machine, idle idleCPU, results []result, mem *memResult) {
	fmt.Fprintf(w, "## Data plane: appconfigd vs bare net/http ceiling\n\n")
	mode := "appconfigd binary"
	if o.inProcess {
		mode = "appconfigd **in-process** (profiling mode; not comparable)"
	}
	fmt.Fprintf(w, "%s · %s\n\n", mode, m)
	if len(results) > 0 {
		fmt.Fprintf(w, "GetLatestConfiguration: %d sessions, %d workers, %v warm-up + %v measured per variant and server, %d-byte JSON configuration, appconfigd --time-scale %g",
			o.sessions, o.workers, o.warmup, o.duration, o.payloadSize, o.timeScale)
		if idle.Seconds > 0 {
			fmt.Fprintf(w, " (idle CPU at this scale: %.3f cores)", idle.Cores)
		}
		fmt.Fprint(w, "\n\n")
		fmt.Fprintln(w, "| Variant | Server | req/s | p50 | p99 | max | errors / requests | new TCP conns | server CPU | server CPU/req | client CPU/req |")
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, r := range results {
			serverCPU, serverPer := "n/a", "n/a"
			if r.ServerUsPerOp > 0 {
				serverCPU, serverPer = fmt.Sprintf("%.2f cores", r.ServerCores), fmt.Sprintf("%.1f µs", r.ServerUsPerOp)
				if r.ServerUsPerOpNet > 0 {
					serverPer += fmt.Sprintf(" (%.1f net of idle)", r.ServerUsPerOpNet)
				}
			}
			errs := fmt.Sprintf("%d / %d", r.Errors, r.OK+r.Errors)
			if r.Errors > 0 {
				errs += " (" + fmtErrs(r.ErrorsBy) + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %s | %d | %s | %s | %.1f µs |\n",
				variantName(r.Variant), r.Server, r.RPS, benchutil.FmtMs(r.P50ms), benchutil.FmtMs(r.P99ms), benchutil.FmtMs(r.MaxMs), errs, r.Conns, serverCPU, serverPer, r.ClientUsPerOp)
		}
		if rs := ratios(results); len(rs) > 0 {
			fmt.Fprintf(w, "\n| Variant | appconfigd req/s | ceiling req/s | appconfigd/ceiling | p50 ceiling/appconfigd | server CPU/req ceiling/appconfigd (net of idle) | target ≥ %.0f %% |\n", 100*o.target)
			fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---|")
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
				fmt.Fprintf(w, "| %s | %.0f | %.0f | **%.0f %%** | %.0f %% | %s | %s |\n", variantName(r.Variant), r.Appconfigd, r.Ceiling, 100*r.Ratio, 100*r.P50Ratio, cpu, verdict)
			}
		}
		var notes []string
		for _, r := range results {
			if r.PrepRate > 0 {
				what := "StartConfigurationSession + first poll"
				if r.Variant == "full" {
					what = "StartConfigurationSession"
				}
				notes = append(notes, fmt.Sprintf("- %s on %s: %d sessions prepared before the run at %.0f/s (%s)", r.Variant, r.Server, r.Sessions, r.PrepRate, what))
			}
			if r.TooEarly > 0 || r.Replaced > 0 {
				notes = append(notes, fmt.Sprintf("- %s on %s: %d \"Request too early\" answers, %d sessions replaced", r.Variant, r.Server, r.TooEarly, r.Replaced))
			}
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
		}
		fmt.Fprintln(w)
	}
	if mem != nil {
		fmt.Fprintf(w, "Memory per live session: %d sessions started and polled once each (%.0f sessions/s), appconfigd --time-scale %g", mem.Sessions, mem.StartRate, mem.TimeScale)
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
}
