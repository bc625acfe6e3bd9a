// Command deployments benchmarks appconfigd's deployment engine: it starts
// N deployments at about the same time (one per environment, spread over
// applications and accounts as AWS's quotas require) on a server whose
// clock runs --time-scale times faster, and reports how late each step
// fired against the strategy's schedule, the server's CPU and peak RSS,
// and the total wall time. The baseline is the ideal schedule itself.
//
//	go run ./bench/deployments [flags]
//
// See bench/README.md ("Deployments").
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

type options struct {
	ns             []int
	timeScale      float64
	durationMin    int
	growth         float64
	bakeMin        int
	workers        int
	envsPerApp     int
	appsPerAccount int
	bin            string
	jsonOut        string
	keep           bool
	timeout        time.Duration
}

func logf(format string, args ...any) { benchutil.Logf(format, args...) }

func main() { os.Exit(realMain()) }

func realMain() int {
	var o options
	var ns string
	flag.StringVar(&ns, "n", "1000,10000", "numbers of concurrent deployments, one run (and one fresh server) each")
	flag.Float64Var(&o.timeScale, "time-scale", 120, "appconfigd --time-scale: service seconds per wall second")
	flag.IntVar(&o.durationMin, "duration", 10, "strategy: DeploymentDurationInMinutes")
	flag.Float64Var(&o.growth, "growth", 20, "strategy: GrowthFactor (LINEAR)")
	flag.IntVar(&o.bakeMin, "bake", 2, "strategy: FinalBakeTimeInMinutes")
	flag.IntVar(&o.workers, "workers", 32, "concurrent clients for setup, starts and reads")
	flag.IntVar(&o.envsPerApp, "envs-per-app", 20, "environments per application (AWS quota: 20)")
	flag.IntVar(&o.appsPerAccount, "apps-per-account", 100, "applications per account (AWS quota: 100 per region)")
	flag.StringVar(&o.bin, "appconfigd-bin", "", "benchmark this appconfigd binary instead of building ./cmd/appconfigd")
	flag.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to `FILE` (- for stdout, after the tables)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binary, data, server logs)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up waiting for the deployments of one run after this")
	flag.Parse()
	for _, s := range benchutil.SplitList(ns) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			logf("bad -n %q", s)
			return 2
		}
		o.ns = append(o.ns, n)
	}
	if len(o.ns) == 0 || o.timeScale <= 0 || o.durationMin < 0 || o.growth <= 0 || o.growth > 100 || o.bakeMin < 0 || o.workers < 1 || o.envsPerApp < 1 || o.appsPerAccount < 1 {
		logf("bad flags")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ws, err := benchutil.NewWorkspace("appconfigd-bench-deployments-", o.keep)
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer ws.Close()
	tmp := ws.Dir
	machine := benchutil.DescribeMachine()
	bin := o.bin
	if bin == "" {
		logf("building appconfigd")
		if bin, err = benchutil.BuildAppconfigd(tmp); err != nil {
			logf("%v", err)
			return 1
		}
	}
	var results []runResult
	for _, n := range o.ns {
		r, err := runOne(ctx, o, ws, bin, n)
		if err != nil {
			if ctx.Err() != nil {
				logf("interrupted")
				return 130
			}
			logf("N=%d: %v", n, err)
			return 1
		}
		results = append(results, r)
		benchutil.Sleep(ctx, time.Second)
	}
	machine.End()
	report(os.Stdout, o, machine, results)
	if o.jsonOut != "" {
		out := struct {
			Machine benchutil.Machine `json:"machine"`
			Results []runResult       `json:"results"`
		}{machine, results}
		b, _ := json.MarshalIndent(out, "", "  ")
		b = append(b, '\n')
		if o.jsonOut == "-" {
			os.Stdout.Write(b)
		} else if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			logf("%v", err)
			return 1
		}
	}
	for _, r := range results {
		if r.Incomplete > 0 {
			logf("FAIL: N=%d: %d deployments did not complete (%v)", r.N, r.Incomplete, r.States)
			return 1
		}
	}
	return 0
}

// envRef is one environment with the deployment it gets.
type envRef struct {
	api            *benchutil.API
	app, env, prof string
	strategy       string
	// From StartDeployment: when the tool got the answer, and the
	// deployment's StartedAt (service time).
	answered  time.Time
	startedAt time.Time
}

// plan is the ideal schedule of the strategy, as offsets from StartedAt
// (the engine's documented plan: with n steps over a duration D, step k at
// k·D/(n+1); bake at D; complete at D + bake).
type plan struct {
	steps      []time.Duration
	bake, done time.Duration
}

func planFor(durationMin int, growth float64, bakeMin int) plan {
	n := int(math.Ceil(100/growth - 1e-9))
	d := time.Duration(durationMin) * time.Minute
	p := plan{bake: d, done: d + time.Duration(bakeMin)*time.Minute}
	for k := 1; k <= n; k++ {
		p.steps = append(p.steps, time.Duration(int64(d)*int64(k)/int64(n+1)))
	}
	return p
}

// latency summary in wall milliseconds.
type dist struct {
	Count int     `json:"count"`
	Min   float64 `json:"minMs"`
	P50   float64 `json:"p50Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

func summarize(ds []time.Duration) dist {
	if len(ds) == 0 {
		return dist{}
	}
	slices.Sort(ds)
	return dist{Count: len(ds), Min: benchutil.Ms(ds[0]), P50: benchutil.Ms(benchutil.Percentile(ds, 0.5)),
		P99: benchutil.Ms(benchutil.Percentile(ds, 0.99)), Max: benchutil.Ms(ds[len(ds)-1])}
}

type runResult struct {
	N            int     `json:"n"`
	Accounts     int     `json:"accounts"`
	Applications int     `json:"applications"`
	TimeScale    float64 `json:"timeScale"`
	Strategy     string  `json:"strategy"`
	SetupSeconds float64 `json:"setupSeconds"`
	// Starts: wall time from the first StartDeployment sent to the last
	// answered, and the rate.
	StartSeconds float64 `json:"startSeconds"`
	StartRate    float64 `json:"startsPerSecond"`
	// Lateness in wall time (service-time lateness / time scale).
	All      dist            `json:"lateness"`
	ByType   map[string]dist `json:"latenessByEvent"`
	BadSteps int             `json:"deploymentsWithWrongEvents"`
	// Wall time from the first StartedAt to the last CompletedAt (server
	// timestamps / time scale), and the ideal: the same span if every
	// step fired on time, given when the deployments actually started.
	TotalWallSeconds float64 `json:"totalWallSeconds"`
	IdealWallSeconds float64 `json:"idealWallSeconds"`
	ScheduleSeconds  float64 `json:"scheduleWallSeconds"`
	// CPU of the server: during the starts, during the progression (last
	// start answered → last completion), and in all.
	CPUStartSeconds    float64 `json:"cpuStartSeconds"`
	CPUProgressSeconds float64 `json:"cpuProgressSeconds"`
	CPUProgressCores   float64 `json:"cpuProgressCores"`
	CPUTotalSeconds    float64 `json:"cpuTotalSeconds"`
	CPUPerDeploymentMs float64 `json:"cpuMsPerDeployment"`
	IdleCores          float64 `json:"idleCores"`
	// Memory: RSS before the starts, peak RSS sampled every 50 ms during
	// the run, and VmHWM (peak since the process started, setup included).
	RSSBefore  int64          `json:"rssBefore"`
	PeakRSS    int64          `json:"peakRss"`
	HWM        int64          `json:"vmHwm"`
	Incomplete int            `json:"incomplete"`
	States     map[string]int `json:"states"`
}

// sampler records the server's CPU and RSS every interval.
type sampler struct {
	mu      sync.Mutex
	samples []sample
}

type sample struct {
	at  time.Time
	cpu time.Duration
	rss int64
}

func (s *sampler) run(ctx context.Context, pid int, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.take(pid)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *sampler) take(pid int) sample {
	c, _ := benchutil.ProcCPU(pid)
	m, _ := benchutil.ReadProcMem(pid)
	sm := sample{at: time.Now(), cpu: c, rss: m.RSS}
	s.mu.Lock()
	s.samples = append(s.samples, sm)
	s.mu.Unlock()
	return sm
}

// at is the last sample taken at or before t (the first one if none).
func (s *sampler) at(t time.Time) sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := s.samples[0]
	for _, sm := range s.samples {
		if sm.at.After(t) {
			break
		}
		best = sm
	}
	return best
}

// after is the first sample taken at or after t (the last one if none).
func (s *sampler) after(t time.Time) sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sm := range s.samples {
		if !sm.at.Before(t) {
			return sm
		}
	}
	return s.samples[len(s.samples)-1]
}

func (s *sampler) peak(from, to time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p int64
	for _, sm := range s.samples {
		if !sm.at.Before(from) && !sm.at.After(to) && sm.rss > p {
			p = sm.rss
		}
	}
	return p
}

func startServer(ctx context.Context, dir, bin string, timeScale float64) (*benchutil.Proc, string, error) {
	port, err := benchutil.FreePort()
	if err != nil {
		return nil, "", err
	}
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := benchutil.StartProc("appconfigd", filepath.Join(dir, "appconfigd.log"), nil,
		bin, "serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn",
		"--time-scale", strconv.FormatFloat(timeScale, 'g', -1, 64))
	if err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	if err := benchutil.WaitReady(ctx, p, "appconfigd", func() *http.Request {
		r, _ := http.NewRequest("GET", base+"/applications", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
		p.Stop()
		return nil, "", err
	}
	return p, base, nil
}

// oneRun is the state of one run (one N, one fresh server) as it goes
// through its phases.
type oneRun struct {
	o      options
	n      int
	pl     plan
	r      runResult
	proc   *benchutil.Proc
	client *http.Client
	sig    benchutil.Signer
	base   string
	envs   []*envRef
	smp    *sampler

	firstSent, lastAnswered time.Time
	minStart, maxStart      time.Time // service time
	offset                  float64   // wall = offset + service/S, in seconds
}

func (x *oneRun) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) / x.o.timeScale)
}

// wallOf converts a service time of this run to wall time.
func (x *oneRun) wallOf(t time.Time) time.Time {
	return time.Unix(0, int64((x.offset+float64(t.UnixNano())/1e9/x.o.timeScale)*1e9))
}

func runOne(ctx context.Context, o options, ws *benchutil.Workspace, bin string, n int) (runResult, error) {
	x := &oneRun{o: o, n: n, pl: planFor(o.durationMin, o.growth, o.bakeMin)}
	x.r = runResult{N: n, TimeScale: o.timeScale, ByType: map[string]dist{}, States: map[string]int{},
		Strategy: fmt.Sprintf("%d min, LINEAR %g %% (%d steps), bake %d min", o.durationMin, o.growth, len(x.pl.steps), o.bakeMin)}
	x.r.ScheduleSeconds = x.scale(x.pl.done).Seconds()
	dir := filepath.Join(ws.Dir, "n"+strconv.Itoa(n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return x.r, err
	}
	proc, base, err := startServer(ctx, dir, bin, o.timeScale)
	if err != nil {
		return x.r, err
	}
	ws.Defer(proc.Stop)
	defer proc.Stop()
	x.proc, x.base = proc, base
	logf("N=%d: appconfigd at %s, --time-scale %g; strategy %s = %.1f s of wall time", n, base, o.timeScale, x.r.Strategy, x.r.ScheduleSeconds)

	client, _ := benchutil.NewClient(o.workers)
	defer client.CloseIdleConnections()
	x.client, x.sig = client, benchutil.NewSigner(time.Now())

	if err := x.setup(ctx); err != nil {
		return x.r, fmt.Errorf("setup: %w", err)
	}
	x.measureIdle(ctx)
	sctx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	x.smp = &sampler{}
	x.r.RSSBefore = x.smp.take(proc.Pid()).rss
	go x.smp.run(sctx, proc.Pid(), 50*time.Millisecond)

	if err := x.startAll(ctx); err != nil {
		return x.r, fmt.Errorf("starting deployments: %w", err)
	}
	done, err := x.waitDone(ctx)
	if err != nil {
		return x.r, fmt.Errorf("reading deployments: %w", err)
	}
	stopSampling()
	x.figures(done)
	if proc.Exited() {
		return x.r, errors.New("appconfigd exited:\n" + proc.LogTail(20))
	}
	r := x.r
	logf("N=%d: lateness p50 %.2f ms, p99 %.2f ms, max %.2f ms; total %.2f s (ideal %.2f s); CPU %.2f s; peak RSS %.1f MiB",
		n, r.All.P50, r.All.P99, r.All.Max, r.TotalWallSeconds, r.IdealWallSeconds, r.CPUTotalSeconds, mib(r.PeakRSS))
	return r, nil
}

// appJob is one application to create in setup, with its environments.
type appJob struct {
	api  *benchutil.API
	idx  int
	envs int
}

// setup creates accounts × applications × environments, one hosted
// profile with version 1 per application and one custom strategy per
// account, and lists the environments in start order.
func (x *oneRun) setup(ctx context.Context) error {
	o, n := x.o, x.n
	t0 := time.Now()
	perAccount := o.envsPerApp * o.appsPerAccount
	x.r.Accounts = (n + perAccount - 1) / perAccount
	var jobs []appJob
	strategies := make([]string, x.r.Accounts)
	for a := range x.r.Accounts {
		api := &benchutil.API{Base: x.base, Client: x.client, Signer: x.sig, Account: strconv.Itoa(200000000000 + a), Region: "us-east-1"}
		id, err := api.Create(ctx, "/deploymentstrategies", map[string]any{
			"Name": "bench", "DeploymentDurationInMinutes": o.durationMin, "GrowthType": "LINEAR",
			"GrowthFactor": o.growth, "FinalBakeTimeInMinutes": o.bakeMin, "ReplicateTo": "NONE"})
		if err != nil {
			return err
		}
		strategies[a] = id
		left := min(n-a*perAccount, perAccount)
		for i := 0; left > 0; i++ {
			k := min(left, o.envsPerApp)
			jobs = append(jobs, appJob{api: api, idx: a*o.appsPerAccount + i, envs: k})
			left -= k
		}
	}
	x.r.Applications = len(jobs)
	envsOf, err := createApps(ctx, jobs, strategies, o.workers)
	if err != nil {
		return err
	}
	// Interleave accounts and applications so that concurrent starts do
	// not queue on one application.
	for k := 0; len(x.envs) < n; k++ {
		for _, es := range envsOf {
			if k < len(es) {
				x.envs = append(x.envs, es[k])
			}
		}
	}
	x.r.SetupSeconds = time.Since(t0).Seconds()
	logf("N=%d: setup: %d accounts, %d applications, %d environments in %.1f s", n, x.r.Accounts, x.r.Applications, len(x.envs), x.r.SetupSeconds)
	return nil
}

// createApps creates each job's application, hosted profile and
// environments; the result lists each job's environments.
func createApps(ctx context.Context, jobs []appJob, strategies []string, workers int) ([][]*envRef, error) {
	envsOf := make([][]*envRef, len(jobs))
	err := benchutil.Parallel(ctx, len(jobs), workers, func(i int) error {
		j := jobs[i]
		h, err := j.api.CreateHosted(ctx, "bench-"+strconv.Itoa(j.idx), []byte(`{"v":1}`), "application/json")
		if err != nil {
			return err
		}
		acct, _ := strconv.Atoi(j.api.Account)
		for e := range j.envs {
			id, err := j.api.Create(ctx, "/applications/"+h.App+"/environments", map[string]any{"Name": "e" + strconv.Itoa(e)})
			if err != nil {
				return err
			}
			envsOf[i] = append(envsOf[i], &envRef{api: j.api, app: h.App, env: id, prof: h.Profile, strategy: strategies[acct-200000000000]})
		}
		return nil
	})
	return envsOf, err
}

// measureIdle reads the server's idle CPU at this time scale (background
// loops run S times faster).
func (x *oneRun) measureIdle(ctx context.Context) {
	c0, _ := benchutil.ProcCPU(x.proc.Pid())
	w0 := time.Now()
	benchutil.Sleep(ctx, 2*time.Second)
	c1, _ := benchutil.ProcCPU(x.proc.Pid())
	x.r.IdleCores = (c1 - c0).Seconds() / time.Since(w0).Seconds()
}

// startAll starts every deployment as fast as the workers can, then
// derives the start figures and the service-to-wall time offset.
func (x *oneRun) startAll(ctx context.Context) error {
	logf("N=%d: starting %d deployments with %d workers", x.n, len(x.envs), x.o.workers)
	x.firstSent = time.Now()
	err := benchutil.Parallel(ctx, len(x.envs), x.o.workers, func(i int) error {
		e := x.envs[i]
		_, b, err := e.api.Do(ctx, "POST", "/applications/"+e.app+"/environments/"+e.env+"/deployments", "", map[string]any{
			"DeploymentStrategyId": e.strategy, "ConfigurationProfileId": e.prof, "ConfigurationVersion": "1"})
		e.answered = time.Now()
		if err != nil {
			return err
		}
		var d struct{ StartedAt time.Time }
		if err := json.Unmarshal(b, &d); err != nil || d.StartedAt.IsZero() {
			return fmt.Errorf("StartDeployment: no StartedAt in %.200q", b)
		}
		e.startedAt = d.StartedAt
		return nil
	})
	if err != nil {
		return err
	}
	x.lastAnswered = x.firstSent
	for _, e := range x.envs {
		if e.answered.After(x.lastAnswered) {
			x.lastAnswered = e.answered
		}
		if x.minStart.IsZero() || e.startedAt.Before(x.minStart) {
			x.minStart = e.startedAt
		}
		if e.startedAt.After(x.maxStart) {
			x.maxStart = e.startedAt
		}
	}
	x.r.StartSeconds = x.lastAnswered.Sub(x.firstSent).Seconds()
	x.r.StartRate = float64(x.n) / x.r.StartSeconds
	logf("N=%d: started in %.2f s (%.0f/s); waiting for the schedule (%.1f s)", x.n, x.r.StartSeconds, x.r.StartRate, x.r.ScheduleSeconds)

	// Service time → wall time: wall = offset + service/S. A start's
	// answer comes after its StartedAt, so the smallest offset is the
	// tightest bound.
	for i, e := range x.envs {
		c := float64(e.answered.UnixNano())/1e9 - float64(e.startedAt.UnixNano())/1e9/x.o.timeScale
		if i == 0 || c < x.offset {
			x.offset = c
		}
	}
	return nil
}

// waitDone waits until the last deployment is due to complete, then reads
// each deployment until all have left the active states (or the timeout);
// done[i] is nil for a deployment still active.
func (x *oneRun) waitDone(ctx context.Context) ([]*benchutil.Deployment, error) {
	benchutil.Sleep(ctx, time.Until(x.wallOf(x.maxStart).Add(x.scale(x.pl.done))))
	deadline := time.Now().Add(x.o.timeout)
	done := make([]*benchutil.Deployment, len(x.envs))
	for {
		pending, err := x.readPending(ctx, done)
		if err != nil {
			return nil, err
		}
		if pending == 0 {
			return done, nil
		}
		if time.Now().After(deadline) {
			logf("N=%d: %d deployments still active after %v", x.n, pending, x.o.timeout)
			x.r.Incomplete = pending
			return done, nil
		}
		logf("N=%d: %d deployments still active", x.n, pending)
		benchutil.Sleep(ctx, 250*time.Millisecond)
	}
}

// readPending reads every deployment not yet done, records those that
// ended, and counts the others.
func (x *oneRun) readPending(ctx context.Context, done []*benchutil.Deployment) (int, error) {
	var mu sync.Mutex
	pending := 0
	err := benchutil.Parallel(ctx, len(x.envs), x.o.workers, func(i int) error {
		if done[i] != nil {
			return nil
		}
		e := x.envs[i]
		d, err := e.api.GetDeployment(ctx, e.app, e.env, 1)
		if err != nil {
			return err
		}
		switch d.State {
		case "COMPLETE", "ROLLED_BACK", "REVERTED":
			done[i] = &d
		default:
			mu.Lock()
			pending++
			mu.Unlock()
		}
		return nil
	})
	return pending, err
}

// figures computes lateness against the ideal schedule, CPU and memory.
func (x *oneRun) figures(done []*benchutil.Deployment) {
	lastDone := x.lateness(done)
	r := &x.r
	if !lastDone.IsZero() {
		r.TotalWallSeconds = x.scale(lastDone.Sub(x.minStart)).Seconds()
		r.IdealWallSeconds = x.scale(x.maxStart.Add(x.pl.done).Sub(x.minStart)).Seconds()
		end := x.wallOf(lastDone)
		s0, s1, s2 := x.smp.at(x.firstSent), x.smp.after(x.lastAnswered), x.smp.after(end)
		r.CPUStartSeconds = (s1.cpu - s0.cpu).Seconds()
		r.CPUProgressSeconds = (s2.cpu - s1.cpu).Seconds()
		if w := s2.at.Sub(s1.at).Seconds(); w > 0 {
			r.CPUProgressCores = r.CPUProgressSeconds / w
		}
		r.CPUTotalSeconds = (s2.cpu - s0.cpu).Seconds()
		r.CPUPerDeploymentMs = r.CPUTotalSeconds * 1000 / float64(x.n)
		r.PeakRSS = x.smp.peak(x.firstSent, s2.at)
	}
	if m, ok := benchutil.ReadProcMem(x.proc.Pid()); ok {
		r.HWM = m.HWM
	}
}

// lateness records the lateness of every step against the ideal
// schedule, the final states, and returns when the last deployment
// completed (service time; zero if none did).
func (x *oneRun) lateness(done []*benchutil.Deployment) time.Time {
	var all []time.Duration
	byType := map[string][]time.Duration{}
	var lastDone time.Time
	for i, d := range done {
		if d == nil {
			x.r.States["ACTIVE"]++
			continue
		}
		x.r.States[d.State]++
		steps, bakes, completes := eventTimes(d)
		if d.State != "COMPLETE" || !d.StartedAt.Equal(x.envs[i].startedAt) ||
			len(steps) != len(x.pl.steps) || len(bakes) != 1 || len(completes) != 1 {
			x.r.BadSteps++
			continue
		}
		add := func(typ string, at time.Time, due time.Duration) {
			late := x.scale(at.Sub(d.StartedAt.Add(due)))
			all = append(all, late)
			byType[typ] = append(byType[typ], late)
		}
		for k, at := range steps {
			add("PERCENTAGE_UPDATED", at, x.pl.steps[k])
			byType[stepKey(k)] = append(byType[stepKey(k)], byType["PERCENTAGE_UPDATED"][len(byType["PERCENTAGE_UPDATED"])-1])
		}
		add("BAKE_TIME_STARTED", bakes[0], x.pl.bake)
		add("DEPLOYMENT_COMPLETED", completes[0], x.pl.done)
		if completes[0].After(lastDone) {
			lastDone = completes[0]
		}
	}
	x.r.All = summarize(all)
	for typ, ds := range byType {
		x.r.ByType[typ] = summarize(ds)
	}
	return lastDone
}

// eventTimes returns when d's growth steps (sorted), bake starts and
// completions occurred.
func eventTimes(d *benchutil.Deployment) (steps, bakes, completes []time.Time) {
	for _, ev := range d.EventLog {
		switch ev.EventType {
		case "PERCENTAGE_UPDATED":
			steps = append(steps, ev.OccurredAt)
		case "BAKE_TIME_STARTED":
			bakes = append(bakes, ev.OccurredAt)
		case "DEPLOYMENT_COMPLETED":
			completes = append(completes, ev.OccurredAt)
		}
	}
	slices.SortFunc(steps, func(a, b time.Time) int { return a.Compare(b) })
	return steps, bakes, completes
}

func stepKey(k int) string { return fmt.Sprintf("PERCENTAGE_UPDATED #%d", k+1) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func report(w io.Writer, o options, m benchutil.Machine, results []runResult) {
	fmt.Fprintf(w, "## Deployments: N concurrent deployments vs the ideal schedule\n\n")
	fmt.Fprintf(w, "appconfigd binary · %s\n\n", m)
	if len(results) == 0 {
		return
	}
	r0 := results[0]
	fmt.Fprintf(w, "Strategy %s; --time-scale %g, so the schedule takes %.1f s of wall time; %d workers start the deployments. Lateness = (OccurredAt − scheduled time) / time scale, in wall time; the baseline (ideal schedule) has lateness 0 and total = start spread + %.1f s.\n\n",
		r0.Strategy, r0.TimeScale, r0.ScheduleSeconds, o.workers, r0.ScheduleSeconds)
	fmt.Fprintln(w, "| N | accounts / apps | starts | step lateness p50 | p99 | max | total wall | ideal (baseline) | server CPU: starts + progression | CPU / deployment | progression cores | idle cores | RSS before → peak |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		fmt.Fprintf(w, "| %d | %d / %d | %.2f s (%.0f/s) | %s | %s | %s | %.2f s | %.2f s | %.2f + %.2f s | %.2f ms | %.2f | %.3f | %.1f → %.1f MiB |\n",
			r.N, r.Accounts, r.Applications, r.StartSeconds, r.StartRate, benchutil.FmtMs(r.All.P50), benchutil.FmtMs(r.All.P99), benchutil.FmtMs(r.All.Max),
			r.TotalWallSeconds, r.IdealWallSeconds, r.CPUStartSeconds, r.CPUProgressSeconds, r.CPUPerDeploymentMs, r.CPUProgressCores, r.IdleCores, mib(r.RSSBefore), mib(r.PeakRSS))
	}
	fmt.Fprintln(w, "\n| N | event | count | min | p50 | p99 | max |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|")
	for _, r := range results {
		types := []string{"PERCENTAGE_UPDATED"}
		for k := 0; ; k++ {
			if _, ok := r.ByType[stepKey(k)]; !ok {
				break
			}
			types = append(types, stepKey(k))
		}
		types = append(types, "BAKE_TIME_STARTED", "DEPLOYMENT_COMPLETED")
		for _, typ := range types {
			d := r.ByType[typ]
			if typ == "PERCENTAGE_UPDATED" {
				typ += " (all steps)"
			}
			fmt.Fprintf(w, "| %d | %s | %d | %s | %s | %s | %s |\n", r.N, typ, d.Count, benchutil.FmtMs(d.Min), benchutil.FmtMs(d.P50), benchutil.FmtMs(d.P99), benchutil.FmtMs(d.Max))
		}
	}
	var notes []string
	for _, r := range results {
		if r.BadSteps > 0 || r.Incomplete > 0 {
			notes = append(notes, fmt.Sprintf("- N=%d: %d deployments not measured (not COMPLETE or unexpected events); states %v", r.N, r.BadSteps+r.Incomplete, r.States))
		}
		notes = append(notes, fmt.Sprintf("- N=%d: setup %.1f s; VmHWM (peak since start, setup included) %.1f MiB", r.N, r.SetupSeconds, mib(r.HWM)))
	}
	fmt.Fprintf(w, "\n%s\n\n", strings.Join(notes, "\n"))
}
