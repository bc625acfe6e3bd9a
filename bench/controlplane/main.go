// Command controlplane benchmarks appconfigd's control plane side by side
// with moto (the AWS mock server) in one run, with the same load
// generator, and reports the ratio appconfigd/moto per operation.
//
//	go run ./bench/controlplane [flags]
//
// It builds and starts `appconfigd serve` (open auth; the default SQLite
// store in a fresh data directory, and/or -store postgres: a fresh
// database on a throwaway PostgreSQL cluster started with scripts/pg.sh)
// and `moto_server` on free loopback ports,
// drives each operation against each server with a fixed number of
// closed-loop keep-alive workers (warm-up, then a measured period), prints
// a Markdown table and stops both servers (also on Ctrl-C).
//
// See bench/README.md for what each operation measures and the figures.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

type options struct {
	workers       int
	warmup        time.Duration
	duration      time.Duration
	pause         time.Duration
	accounts      int
	regions       []string
	payloadSize   int
	ops           []string
	servers       []string
	stores        []string // appconfigd's stores: sqlite, postgres
	explain       bool
	appconfigdBin string
	inProcess     bool
	cpuProfile    string
	motoCmd       string
	jsonOut       string
	target        float64
	maxErrRate    float64
	keep          bool
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

	ws, err := benchutil.NewWorkspace("appconfigd-bench-", o.keep)
	if err != nil {
		logf("%v", err)
		return 1
	}
	defer ws.Close()
	env := describeEnv(o)
	targets, err := startTargets(ctx, o, ws, &env)
	if err != nil {
		logf("%v", err)
		return 1
	}
	results, code := runAll(ctx, o, targets)
	if code != 0 {
		return code
	}
	env.LoadAvgEnd = benchutil.LoadAvg()

	report(os.Stdout, o, env, results)
	if o.explain {
		for _, t := range targets {
			if t.store == "postgres" && t.name == "appconfigd" {
				explainCreate(ctx, os.Stdout, t.dsn, o)
			}
		}
	}
	if err := writeJSON(o.jsonOut, env, results); err != nil {
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
	var regions, ops, servers, store string
	flag.IntVar(&o.workers, "workers", 16, "concurrent closed-loop workers (one keep-alive connection each)")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "warm-up period per operation and server (not measured)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured period per operation and server")
	flag.DurationVar(&o.pause, "pause", time.Second, "idle pause between runs")
	flag.IntVar(&o.accounts, "accounts", 10000, "CreateApplication: number of 12-digit accounts to rotate over")
	flag.StringVar(&regions, "regions", "us-east-1,us-west-2,eu-west-1,eu-central-1,ap-southeast-2", "CreateApplication: regions to rotate over (after each round of accounts)")
	flag.IntVar(&o.payloadSize, "payload", 64<<10, "GetHostedConfigurationVersion: size of the hosted version in bytes")
	flag.StringVar(&ops, "ops", "create,get", "operations to run: create (CreateApplication), get (GetHostedConfigurationVersion)")
	flag.StringVar(&servers, "servers", "appconfigd,moto", "servers to run against: appconfigd, moto")
	flag.StringVar(&store, "store", "sqlite", "appconfigd's store: sqlite, postgres (a throwaway cluster via scripts/pg.sh, or $APPCONFIGD_TEST_POSTGRES), or both (side by side in this run, with a PostgreSQL/SQLite table)")
	flag.BoolVar(&o.explain, "explain", false, "PostgreSQL: after the runs, print EXPLAIN (ANALYZE, BUFFERS) of CreateApplication's statements on the benchmark's database")
	flag.StringVar(&o.appconfigdBin, "appconfigd-bin", "", "use this appconfigd binary instead of building ./cmd/appconfigd")
	flag.BoolVar(&o.inProcess, "inprocess", false, "run appconfigd's server package inside this process instead of the binary (needs -tags inprocess; for -cpuprofile of server and client together; figures are not comparable to the default)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process for each appconfigd measured period to `PREFIX`.<operation>.pprof")
	flag.StringVar(&o.motoCmd, "moto", "moto_server", "moto_server command")
	flag.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to `FILE` (- for stdout, after the table)")
	flag.Float64Var(&o.target, "target", 20, "target ratio appconfigd/moto in requests/s")
	flag.Float64Var(&o.maxErrRate, "max-error-rate", 0.01, "fail (exit 1) when any run's error rate exceeds this")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binary, data, server logs)")
	flag.Parse()
	o.regions = benchutil.SplitList(regions)
	o.ops = benchutil.SplitList(ops)
	o.servers = benchutil.SplitList(servers)
	switch store {
	case "sqlite", "postgres":
		o.stores = []string{store}
	case "both":
		o.stores = []string{"sqlite", "postgres"}
	default:
		logf("unknown -store %q (want sqlite, postgres, both)", store)
		return o, 2
	}
	if err := o.validate(); err != nil {
		logf("%v", err)
		return o, 2
	}
	return o, 0
}

func (o options) validate() error {
	if o.workers < 1 || o.duration <= 0 || o.warmup < 0 || o.accounts < 1 || len(o.regions) == 0 || o.payloadSize < 1 {
		return errors.New("bad flags")
	}
	if o.inProcess && !inProcessBuilt {
		_, err := startAppconfigdInProcess(context.Background(), "", "", nil)
		return err
	}
	for _, op := range o.ops {
		if op != "create" && op != "get" {
			return fmt.Errorf("unknown operation %q (want create, get)", op)
		}
	}
	for _, s := range o.servers {
		if s != "appconfigd" && s != "moto" {
			return fmt.Errorf("unknown server %q (want appconfigd, moto)", s)
		}
	}
	return nil
}

// startTargets starts the PostgreSQL cluster when a PostgreSQL store is
// asked for, builds appconfigd unless given, and starts every server;
// the workspace stops them all.
func startTargets(ctx context.Context, o options, ws *benchutil.Workspace, env *envInfo) ([]*target, error) {
	var pg *benchutil.Postgres
	var err error
	withAppconfigd := slices.Contains(o.servers, "appconfigd")
	if withAppconfigd && slices.Contains(o.stores, "postgres") {
		if pg, err = benchutil.StartPostgres(ctx, o.keep); err != nil {
			return nil, err
		}
		ws.Defer(pg.Stop) // after the servers that use it
		env.PostgresVersion, env.PostgresSettings = pg.Version, pg.Settings
	}
	bin := o.appconfigdBin
	if withAppconfigd && !o.inProcess && bin == "" {
		logf("building appconfigd")
		if bin, err = benchutil.BuildAppconfigd(ws.Dir); err != nil {
			return nil, err
		}
	}
	var targets []*target
	for _, s := range o.servers {
		kinds := []string{""}
		if s == "appconfigd" {
			kinds = o.stores
		}
		for _, store := range kinds {
			t, err := startTarget(ctx, o, ws.Dir, bin, s, store, pg)
			if err != nil {
				return nil, fmt.Errorf("start %s %s: %w", s, store, err)
			}
			logf("%s ready at %s", t.label(), t.base)
			targets = append(targets, t)
			ws.Defer(func() {
				logf("stopping %s", t.label())
				t.stop()
			})
		}
	}
	return targets, nil
}

func startTarget(ctx context.Context, o options, tmp, bin, server, store string, pg *benchutil.Postgres) (*target, error) {
	switch {
	case server == "moto":
		return startMoto(ctx, tmp, o.motoCmd)
	case o.inProcess:
		return startAppconfigdInProcess(ctx, tmp, store, pg)
	default:
		return startAppconfigd(ctx, tmp, bin, store, pg)
	}
}

// runAll runs every operation against every target, in that order;
// code is non-zero when the tool must stop (1: a run failed, 130:
// interrupted).
func runAll(ctx context.Context, o options, targets []*target) ([]result, int) {
	sig := benchutil.NewSigner(time.Now())
	content := payload(o.payloadSize)
	var results []result
	for _, op := range o.ops {
		for _, t := range targets {
			if ctx.Err() != nil {
				break
			}
			r, err := runOne(ctx, o, sig, t, op, content)
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				logf("%s on %s: %v", opName(op), t.label(), err)
				return nil, 1
			}
			results = append(results, r)
			if t.proc != nil && t.proc.Exited() {
				logf("%s exited during the run; log tail:\n%s", t.label(), t.proc.LogTail(20))
				return nil, 1
			}
			benchutil.Sleep(ctx, o.pause)
		}
	}
	if ctx.Err() != nil {
		logf("interrupted")
		return nil, 130
	}
	return results, 0
}

// writeJSON writes the results as JSON to path ("-": stdout; "": nothing).
func writeJSON(path string, env envInfo, results []result) error {
	if path == "" {
		return nil
	}
	out := struct {
		Env     envInfo      `json:"environment"`
		Results []result     `json:"results"`
		Ratios  []ratio      `json:"ratios"`
		Stores  []storeRatio `json:"postgresVsSqlite,omitempty"`
	}{env, results, ratios(results), storeRatios(results)}
	b, _ := json.MarshalIndent(out, "", "  ")
	b = append(b, '\n')
	if path == "-" {
		_, err := os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// failedErrorRates logs every run whose error rate is above the limit.
func failedErrorRates(o options, results []result) bool {
	failed := false
	for _, r := range results {
		if r.Supported && r.errorRate() > o.maxErrRate {
			logf("FAIL: %s on %s: error rate %.2f%% (%d of %d) exceeds %.2f%%: %s (first: %s)",
				r.Op, r.label(), 100*r.errorRate(), r.Errors, r.OK+r.Errors, 100*o.maxErrRate, benchutil.FmtCounts(r.ErrorsBy), r.FirstError)
			failed = true
		}
	}
	return failed
}

func opName(op string) string {
	if op == "create" {
		return opCreate
	}
	return opGetHCV
}

func runOne(ctx context.Context, o options, sig benchutil.Signer, t *target, op string, content []byte) (result, error) {
	client, dialer := benchutil.NewClient(o.workers)
	defer client.CloseIdleConnections()
	var wl workload
	switch op {
	case "create":
		wl = createWorkload(t, sig, o.accounts, o.regions)
	case "get":
		url, err := setupHosted(ctx, client, sig, t, content)
		if err != nil {
			var u unsupported
			if errors.As(err, &u) && t.name != "appconfigd" {
				logf("%s: %s does not support it: %v", opName(op), t.label(), err)
				return result{Op: opName(op), Server: t.name, Store: t.store, Note: "not supported: " + err.Error()}, nil
			}
			return result{}, fmt.Errorf("setup: %w", err)
		}
		wl = getWorkload(sig, url, len(content))
	}
	logf("%s on %s: %d workers, %v warm-up, %v measured", opName(op), t.label(), o.workers, o.warmup, o.duration)
	var prof *benchutil.Profile
	if o.cpuProfile != "" && t.name == "appconfigd" {
		name := o.cpuProfile + "." + opName(op)
		if len(o.stores) > 1 {
			name += "." + t.store
		}
		var err error
		if prof, err = benchutil.NewProfile(name); err != nil {
			return result{}, err
		}
	}
	var cpu0 cpuSample
	onMeasure := func() {
		cpu0 = sampleCPU(t)
		prof.Start()
	}
	r, err := run(ctx, client, dialer, o.workers, o.warmup, o.duration, wl, onMeasure)
	cpu1 := sampleCPU(t)
	prof.Stop()
	r.Op, r.Server, r.Store = opName(op), t.name, t.store
	if n := r.OK + r.Errors; n > 0 && !cpu0.at.IsZero() {
		wall := cpu1.at.Sub(cpu0.at).Seconds()
		if cpu0.serverOK && cpu1.serverOK {
			d := (cpu1.server - cpu0.server).Seconds()
			r.ServerCores, r.ServerUsPerOp = d/wall, d*1e6/float64(n)
		}
		if cpu0.dbOK && cpu1.dbOK {
			d := (cpu1.db - cpu0.db).Seconds()
			r.DBMeasured, r.DBCores, r.DBUsPerOp = true, d/wall, d*1e6/float64(n)
		}
		d := (cpu1.self - cpu0.self).Seconds()
		r.ClientCores, r.ClientUsPerOp = d/wall, d*1e6/float64(n)
	}
	if err != nil {
		// A server that answers nothing right is reported, not fatal,
		// unless it is appconfigd.
		if t.name != "appconfigd" && r.Errors > 0 {
			r.Supported = false
			r.Note = fmt.Sprintf("not supported: every request failed (%s; first: %s)", benchutil.FmtCounts(r.ErrorsBy), r.FirstError)
			return r, nil
		}
		return r, fmt.Errorf("%w (errors: %s; first: %s)", err, benchutil.FmtCounts(r.ErrorsBy), r.FirstError)
	}
	if op == "create" && t.name == "appconfigd" {
		if total := r.WarmupOK + r.WarmupErrs + r.OK + r.Errors; total > createCapacity(o.accounts, o.regions) {
			logf("warning: %d CreateApplication requests exceed the quota capacity %d of %d accounts × %d regions; raise -accounts",
				total, createCapacity(o.accounts, o.regions), o.accounts, len(o.regions))
		}
	}
	serverCPU := "server CPU n/a"
	if r.ServerUsPerOp > 0 {
		serverCPU = fmt.Sprintf("server CPU %.2f cores (%.0f µs/req)", r.ServerCores, r.ServerUsPerOp)
	}
	if r.DBMeasured {
		serverCPU += fmt.Sprintf(", database CPU %.2f cores (%.0f µs/req)", r.DBCores, r.DBUsPerOp)
	}
	logf("  %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors, %d new connections, %s, client CPU %.2f cores (%.0f µs/req)",
		r.RPS, r.P50ms, r.P99ms, r.Errors, r.Conns, serverCPU, r.ClientCores, r.ClientUsPerOp)
	return r, nil
}

type cpuSample struct {
	at       time.Time
	server   time.Duration
	serverOK bool
	db       time.Duration // the PostgreSQL cluster's, for appconfigd on PostgreSQL
	dbOK     bool
	self     time.Duration
}

func sampleCPU(t *target) cpuSample {
	c := cpuSample{at: time.Now(), self: benchutil.SelfCPU()}
	if t.proc != nil {
		c.server, c.serverOK = benchutil.ProcCPU(t.proc.Pid())
	}
	if t.db != nil {
		c.db, c.dbOK = t.db.CPU()
	}
	return c
}

// envInfo describes the machine and settings of a run.
type envInfo struct {
	Date        string `json:"date"`
	NumCPU      int    `json:"nproc"`
	CPUModel    string `json:"cpuModel"`
	GoVersion   string `json:"goVersion"`
	Commit      string `json:"commit"`
	MotoVersion string `json:"motoVersion"`
	Stores      string `json:"stores"`
	// PostgreSQL: server_version and the settings that matter for writes.
	PostgresVersion  string `json:"postgresVersion,omitempty"`
	PostgresSettings string `json:"postgresSettings,omitempty"`
	Workers          int    `json:"workers"`
	Warmup           string `json:"warmup"`
	Duration         string `json:"duration"`
	InProcess        bool   `json:"inProcess"`
	LoadAvgStart     string `json:"loadavgStart"`
	LoadAvgEnd       string `json:"loadavgEnd"`
}

func describeEnv(o options) envInfo {
	e := envInfo{
		Date: time.Now().UTC().Format(time.RFC3339), NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(),
		Stores: strings.Join(o.stores, ","), Workers: o.workers, Warmup: o.warmup.String(), Duration: o.duration.String(), InProcess: o.inProcess,
		LoadAvgStart: benchutil.LoadAvg(),
	}
	e.CPUModel = benchutil.CPUModel()
	e.Commit = benchutil.GitState()
	if slices.Contains(o.servers, "moto") {
		if out, err := exec.Command("python3", "-c", "import moto; print(moto.__version__)").Output(); err == nil {
			e.MotoVersion = strings.TrimSpace(string(out))
		}
	}
	return e
}

type ratio struct {
	Op         string  `json:"operation"`
	Store      string  `json:"store"` // appconfigd's
	Appconfigd float64 `json:"appconfigdRps"`
	Moto       float64 `json:"motoRps"`
	Ratio      float64 `json:"ratio"` // 0 when not comparable
	P50Ratio   float64 `json:"p50Ratio"`
	// CPURatio is moto's server CPU per request over appconfigd's
	// (appconfigd's plus its PostgreSQL's on PostgreSQL): how much more
	// work moto does per request, whatever the core sharing.
	CPURatio float64 `json:"serverCpuPerRequestRatio,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// label names a result's server in tables.
func (r result) label() string {
	if r.Server != "appconfigd" {
		return r.Server
	}
	return "appconfigd (" + storeName(r.Store) + ")"
}

func ratios(results []result) []ratio {
	var out []ratio
	for _, m := range results {
		if m.Server != "moto" {
			continue
		}
		for _, a := range results {
			if a.Server != "appconfigd" || a.Op != m.Op {
				continue
			}
			rt := ratio{Op: a.Op, Store: a.Store, Appconfigd: a.RPS, Moto: m.RPS}
			switch {
			case !m.Supported:
				rt.Note = "moto does not support it"
			case m.RPS > 0:
				rt.Ratio = a.RPS / m.RPS
				if a.P50ms > 0 {
					rt.P50Ratio = m.P50ms / a.P50ms
				}
				if a.ServerUsPerOp > 0 && m.ServerUsPerOp > 0 {
					rt.CPURatio = m.ServerUsPerOp / a.totalUsPerOp()
				}
			}
			out = append(out, rt)
		}
	}
	return out
}

// storeRatio compares appconfigd on PostgreSQL with appconfigd on SQLite
// for one operation.
type storeRatio struct {
	Op         string  `json:"operation"`
	SQLiteRPS  float64 `json:"sqliteRps"`
	PgRPS      float64 `json:"postgresRps"`
	RPSRatio   float64 `json:"rpsRatio"` // PostgreSQL / SQLite
	P50Ratio   float64 `json:"p50Ratio"` // PostgreSQL / SQLite
	P99Ratio   float64 `json:"p99Ratio"`
	SQLiteUs   float64 `json:"sqliteServerCpuUsPerRequest"`
	PgServerUs float64 `json:"postgresServerCpuUsPerRequest"`
	PgDBUs     float64 `json:"postgresDbCpuUsPerRequest"`
	// CPURatio is (appconfigd + PostgreSQL) CPU per request over
	// appconfigd-on-SQLite's (SQLite runs inside appconfigd).
	CPURatio float64 `json:"cpuPerRequestRatio"`
}

func storeRatios(results []result) []storeRatio {
	var out []storeRatio
	for _, s := range results {
		if s.Server != "appconfigd" || s.Store != "sqlite" || !s.Supported || s.RPS == 0 {
			continue
		}
		for _, p := range results {
			if p.Server != "appconfigd" || p.Store != "postgres" || p.Op != s.Op || !p.Supported {
				continue
			}
			sr := storeRatio{Op: s.Op, SQLiteRPS: s.RPS, PgRPS: p.RPS, RPSRatio: p.RPS / s.RPS,
				SQLiteUs: s.ServerUsPerOp, PgServerUs: p.ServerUsPerOp, PgDBUs: p.DBUsPerOp}
			if s.P50ms > 0 {
				sr.P50Ratio, sr.P99Ratio = p.P50ms/s.P50ms, p.P99ms/s.P99ms
			}
			if s.ServerUsPerOp > 0 {
				sr.CPURatio = p.totalUsPerOp() / s.ServerUsPerOp
			}
			out = append(out, sr)
		}
	}
	return out
}

func report(w io.Writer, o options, e envInfo, results []result) {
	fmt.Fprintf(w, "## Control plane: appconfigd vs moto\n\n")
	mode := "appconfigd binary (`appconfigd serve`, open auth)"
	if e.InProcess {
		mode = "appconfigd **in-process** (profiling mode; not comparable)"
	}
	fmt.Fprintf(w, "%s at %s · stores: %s · %d workers · %s warm-up + %s measured per operation and server · nproc %d (%s) · %s · moto %s · loadavg %s → %s\n\n",
		mode, orNA(e.Commit), e.Stores, e.Workers, e.Warmup, e.Duration, e.NumCPU, e.CPUModel, e.GoVersion, orNA(e.MotoVersion), e.LoadAvgStart, e.LoadAvgEnd)
	if e.PostgresVersion != "" {
		fmt.Fprintf(w, "PostgreSQL %s on the same machine (%s); each appconfigd on PostgreSQL has a database of its own. \"database CPU\" is the whole cluster's (postmaster and every backend).\n\n", e.PostgresVersion, e.PostgresSettings)
	}
	withDB := false
	for _, r := range results {
		withDB = withDB || r.Store == "postgres"
	}
	head := "| Operation | Server | req/s | p50 | p99 | max | errors / requests | new TCP conns | server CPU | server CPU/req | client CPU |"
	sep := "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	if withDB {
		head += " database CPU | database CPU/req |"
		sep += "---:|---:|"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, sep)
	for _, r := range results {
		if !r.Supported {
			dashes := " — | — | — | — | — | — | — | — | — |"
			if withDB {
				dashes += " — | — |"
			}
			fmt.Fprintf(w, "| %s | %s |%s\n", r.Op, r.label(), dashes)
			continue
		}
		serverCPU, serverPer := "n/a", "n/a"
		if r.ServerUsPerOp > 0 {
			serverCPU, serverPer = fmt.Sprintf("%.2f cores", r.ServerCores), fmt.Sprintf("%.0f µs", r.ServerUsPerOp)
		}
		errs := fmt.Sprintf("%d / %d", r.Errors, r.OK+r.Errors)
		if r.Errors > 0 {
			errs += " (" + benchutil.FmtCounts(r.ErrorsBy) + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %s | %d | %s | %s | %.2f cores |",
			r.Op, r.label(), r.RPS, benchutil.FmtMs(r.P50ms), benchutil.FmtMs(r.P99ms), benchutil.FmtMs(r.MaxMs), errs, r.Conns, serverCPU, serverPer, r.ClientCores)
		if withDB {
			if r.Store == "postgres" && r.DBMeasured {
				fmt.Fprintf(w, " %.2f cores | %.0f µs |", r.DBCores, r.DBUsPerOp)
			} else if r.Store == "postgres" {
				fmt.Fprint(w, " n/a | n/a |")
			} else {
				fmt.Fprint(w, " — | — |")
			}
		}
		fmt.Fprintln(w)
	}
	rs := ratios(results)
	if len(rs) > 0 {
		fmt.Fprintf(w, "\n| Operation | Store | appconfigd req/s | moto req/s | ratio appconfigd/moto | p50 moto/appconfigd | server CPU/req moto/appconfigd | target ≥ %g× |\n", o.target)
		fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---|")
		for _, r := range rs {
			if r.Ratio == 0 {
				fmt.Fprintf(w, "| %s | %s | %.0f | — | n/a | n/a | n/a | n/a (%s) |\n", r.Op, storeName(r.Store), r.Appconfigd, r.Note)
				continue
			}
			verdict := "met"
			if r.Ratio < o.target {
				verdict = "**not met**"
			}
			cpu := "n/a"
			if r.CPURatio > 0 {
				cpu = fmt.Sprintf("%.1f×", r.CPURatio)
			}
			fmt.Fprintf(w, "| %s | %s | %.0f | %.0f | %.1f× | %.1f× | %s | %s |\n", r.Op, storeName(r.Store), r.Appconfigd, r.Moto, r.Ratio, r.P50Ratio, cpu, verdict)
		}
		if withDB {
			fmt.Fprintln(w, "\n(On PostgreSQL, appconfigd's CPU per request includes the database's.)")
		}
	}
	if sr := storeRatios(results); len(sr) > 0 {
		fmt.Fprintln(w, "\nPostgreSQL / SQLite (same tool, same run):")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Operation | SQLite req/s | PostgreSQL req/s | req/s PostgreSQL/SQLite | p50 PostgreSQL/SQLite | p99 PostgreSQL/SQLite | CPU/req SQLite (appconfigd) | CPU/req PostgreSQL (appconfigd + database) | CPU/req PostgreSQL/SQLite |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
		for _, r := range sr {
			cpu := "n/a"
			if r.CPURatio > 0 {
				cpu = fmt.Sprintf("%.2f×", r.CPURatio)
			}
			fmt.Fprintf(w, "| %s | %.0f | %.0f | **%.2f×** | %.2f× | %.2f× | %.0f µs | %.0f + %.0f = %.0f µs | %s |\n",
				r.Op, r.SQLiteRPS, r.PgRPS, r.RPSRatio, r.P50Ratio, r.P99Ratio, r.SQLiteUs, r.PgServerUs, r.PgDBUs, r.PgServerUs+r.PgDBUs, cpu)
		}
	}
	var notes []string
	for _, r := range results {
		if r.Note != "" {
			notes = append(notes, fmt.Sprintf("- %s on %s: %s", r.Op, r.label(), r.Note))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
	}
	fmt.Fprintln(w)
}

func orNA(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}
