// Command experiments benchmarks the cost of an experiment on the flag
// path: the Agent route evaluating a flag an experiment run owns (with
// Entity-Id, Context and an audience rule) against the same route on a
// plain multi-variant flag with one rule, in one run, the server pinned
// to CPU 1 and wrk to CPU 0. Every request names another entity. Target:
// the experiment path costs at most 10 % more (requests/s ratio ≥ 0.91).
//
//	go run ./bench/experiments [-rounds 5] [-duration 10s] [-out FILE]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

type options struct {
	rounds      int
	duration    time.Duration
	warmup      time.Duration
	connections int
	keep        bool
	out         string
}

func main() {
	var o options
	flag.IntVar(&o.rounds, "rounds", 5, "rounds; each runs both targets (alternating which goes first); the report takes medians")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per target and round")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured wrk run of each target before the rounds")
	flag.IntVar(&o.connections, "connections", 16, "wrk connections (one thread)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	flag.StringVar(&o.out, "out", "", "also write the Markdown report to this file")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "experiments:", err)
		os.Exit(1)
	}
}

// flagsDoc: "button" is the plain multi-variant flag (one rule on the
// context); "checkout" has the same shape, and the experiment runs on it.
const flagsDoc = `{"version":"1","flags":{"button":{"name":"Button","attributes":{"color":{"constraints":{"type":"string"}}}},` +
	`"checkout":{"name":"Checkout","attributes":{"color":{"constraints":{"type":"string"}}}}},"values":{` +
	`"button":{"_variants":[{"name":"pro","enabled":true,"rule":"(eq $plan \"pro\")","attributeValues":{"color":"blue"}},{"name":"rest","enabled":false}]},` +
	`"checkout":{"_variants":[{"name":"pro","enabled":true,"rule":"(eq $plan \"pro\")","attributeValues":{"color":"blue"}},{"name":"rest","enabled":false}]}}}`

const flagsPath = "/applications/bench/environments/prod/configurations/flags"

// target is one measured route.
type target struct {
	name, flag, script, answer string
}

func run(ctx context.Context, o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is needed (Debian: apt-get install -y wrk): %w", err)
	}
	_, err := exec.LookPath("taskset")
	pin := err == nil
	ws, err := benchutil.NewWorkspace("experiments-", o.keep)
	if err != nil {
		return err
	}
	defer ws.Close()
	base, pid, err := startServer(ctx, ws, pin)
	if err != nil {
		return err
	}
	ts := []*target{{name: "plain multi-variant flag (1 rule)", flag: "button"}, {name: "experiment flag (audience rule, 100 % exposure, 1 override)", flag: "checkout"}}
	for _, t := range ts {
		if t.script, err = script(ws.Dir, t.flag); err != nil {
			return err
		}
		if t.answer, err = check(ctx, base, t.flag); err != nil {
			return err
		}
		if _, err := runWrk(ctx, pin, t.script, base, o.connections, o.warmup); err != nil {
			return err
		}
	}
	machine := benchutil.DescribeMachine()
	res := make([][2]load, o.rounds)
	for r := 0; r < o.rounds; r++ {
		order := []int{0, 1}
		if r%2 == 1 {
			order = []int{1, 0}
		}
		for _, i := range order {
			cpu0, _ := benchutil.ProcCPU(pid)
			if res[r][i], err = runWrk(ctx, pin, ts[i].script, base, o.connections, o.duration); err != nil {
				return err
			}
			cpu1, _ := benchutil.ProcCPU(pid)
			res[r][i].CPUPerReq = float64((cpu1 - cpu0).Microseconds()) / res[r][i].Requests
			benchutil.Logf("round %d, %s: %.0f req/s, %.1f µs CPU/request (load %s)", r+1, ts[i].name, res[r][i].RPS, res[r][i].CPUPerReq, res[r][i].LoadAvg)
		}
	}
	machine.End()
	rep := report(ts, res, o, pin, machine)
	fmt.Print(rep)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(rep), 0o644)
	}
	return nil
}

// startServer builds appconfigd, runs it (pinned to CPU 1) and sets up
// the flags, their deployment and the experiment run.
func startServer(ctx context.Context, ws *benchutil.Workspace, pin bool) (string, int, error) {
	bin, err := benchutil.BuildAppconfigd(ws.Dir)
	if err != nil {
		return "", 0, err
	}
	port, err := benchutil.FreePort()
	if err != nil {
		return "", 0, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	argv := []string{bin, "serve", "--listen", addr, "--data-dir", filepath.Join(ws.Dir, "data"), "--access-log=false"}
	if pin {
		argv = append([]string{"taskset", "-c", "1"}, argv...)
	}
	p, err := benchutil.StartProc("appconfigd", filepath.Join(ws.Dir, "appconfigd.log"), nil, argv...)
	if err != nil {
		return "", 0, err
	}
	ws.Defer(p.Stop)
	base := "http://" + addr
	if err := benchutil.WaitReady(ctx, p, "appconfigd", func() *http.Request {
		r, _ := http.NewRequest("GET", base+"/applications", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, time.Minute); err != nil {
		return "", 0, err
	}
	c, _ := benchutil.NewClient(4)
	api := &benchutil.API{Base: base, Client: c, Signer: benchutil.NewSigner(time.Now()), Account: "123456789012", Region: "us-east-1"}
	return base, p.Pid(), setup(ctx, api)
}

func setup(ctx context.Context, api *benchutil.API) error {
	app, err := api.Create(ctx, "/applications", map[string]any{"Name": "bench"})
	if err != nil {
		return err
	}
	env, err := api.Create(ctx, "/applications/"+app+"/environments", map[string]any{"Name": "prod"})
	if err != nil {
		return err
	}
	strategy, err := api.Create(ctx, "/deploymentstrategies", map[string]any{"Name": "now", "DeploymentDurationInMinutes": 0,
		"GrowthFactor": 100, "FinalBakeTimeInMinutes": 0, "ReplicateTo": "NONE"})
	if err != nil {
		return err
	}
	prof, err := api.Create(ctx, "/applications/"+app+"/configurationprofiles", map[string]any{"Name": "flags", "LocationUri": "hosted", "Type": "AWS.AppConfig.FeatureFlags"})
	if err != nil {
		return err
	}
	if _, _, err := api.Do(ctx, "POST", "/applications/"+app+"/configurationprofiles/"+prof+"/hostedconfigurationversions", "application/json", []byte(flagsDoc)); err != nil {
		return err
	}
	if err := api.StartDeployment(ctx, app, env, prof, strategy); err != nil {
		return err
	}
	if d, err := api.WaitDeployment(ctx, app, env, 1, time.Minute); err != nil || d.State != "COMPLETE" {
		return fmt.Errorf("deployment: %s %v", d.State, err)
	}
	value := func(color string) map[string]any {
		return map[string]any{"Enabled": true, "AttributeValues": map[string]any{"color": map[string]any{"StringValue": color}}}
	}
	def, err := api.Create(ctx, "/applications/"+app+"/experimentdefinitions", map[string]any{"Name": "colors", "ConfigurationProfileIdentifier": "flags",
		"EnvironmentIdentifier": "prod", "FlagKey": "checkout", "AudienceRule": `(eq $plan "pro")`,
		"Control": map[string]any{"Weight": 50, "FlagValue": value("grey")}, "Treatments": []any{map[string]any{"Weight": 50, "FlagValue": value("red")}}})
	if err != nil {
		return err
	}
	_, _, err = api.Do(ctx, "POST", "/applications/"+app+"/experimentdefinitions/"+def+"/experimentruns", "",
		map[string]any{"ExposurePercentage": 100, "TreatmentOverrides": map[string]any{"Inline": map[string]string{"vip": "t1"}}})
	return err
}

// script writes the wrk script: GET ?flag=KEY with Context plan=pro and
// an Entity-Id that changes with every request (100,000 entities).
func script(dir, flag string) (string, error) {
	s := fmt.Sprintf(`wrk.method = "GET"
wrk.headers["Context"] = "plan=pro"
local n = 0
request = function()
  n = n + 1
  wrk.headers["Entity-Id"] = "user-" .. (n %% 100000)
  return wrk.format(nil, %q)
end
`, flagsPath+"?flag="+flag)
	path := filepath.Join(dir, flag+".lua")
	return path, os.WriteFile(path, []byte(s), 0o644)
}

// check asks once for entity user-1: it must answer 200.
func check(ctx context.Context, base, flag string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+flagsPath+"?flag="+flag, nil)
	req.Header.Set("Context", "plan=pro")
	req.Header.Set("Entity-Id", "user-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("%s: %d %s", flag, resp.StatusCode, b)
	}
	if flag == "checkout" && !strings.Contains(string(b), `"_variant":"__`) {
		return "", fmt.Errorf("the experiment flag gave no treatment: %s", b)
	}
	return string(b), nil
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(ts []*target, res [][2]load, o options, pin bool, m benchutil.Machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Experiment flag vs plain multi-variant flag on the Agent route\n\n%s\n", m)
	fmt.Fprintf(&b, "Pinned: %v (server CPU 1, wrk CPU 0). wrk: 1 thread, %d connections, %s per target and round, %d rounds (the two targets alternate which goes first); every request a new Entity-Id, Context plan=pro.\n\n",
		pin, o.connections, o.duration, len(res))
	fmt.Fprintf(&b, "A = %s, B = %s. CPU/request is the server process's user+system CPU time over the run divided by the requests wrk completed: on a loaded machine it measures the cost of a request far better than requests/s, which follow the share of the core the server gets.\n\n", ts[0].name, ts[1].name)
	b.WriteString("| round | A req/s | B req/s | A µs CPU/req | B µs CPU/req | B/A CPU | load average after A / after B |\n|---|---|---|---|---|---|---|\n")
	var cpuRatios, rpsRatios, cpu0, cpu1 []float64
	for r, x := range res {
		cr := x[1].CPUPerReq / x[0].CPUPerReq
		cpuRatios, rpsRatios = append(cpuRatios, cr), append(rpsRatios, x[0].RPS/x[1].RPS)
		cpu0, cpu1 = append(cpu0, x[0].CPUPerReq), append(cpu1, x[1].CPUPerReq)
		fmt.Fprintf(&b, "| %d | %.0f | %.0f | %.1f | %.1f | %.3f | %s / %s |\n", r+1, x[0].RPS, x[1].RPS, x[0].CPUPerReq, x[1].CPUPerReq, cr, x[0].LoadAvg, x[1].LoadAvg)
	}
	med := median(cpuRatios)
	fmt.Fprintf(&b, "\nMedians: A %.1f µs CPU/request, B %.1f µs CPU/request; requests/s ratio A/B %.3f (noisy).\n", median(cpu0), median(cpu1), median(rpsRatios))
	fmt.Fprintf(&b, "Median per-round CPU-per-request ratio B/A: **%.3f** (the experiment path costs %+.1f %%; target ≤ +10 %%).\n\n", med, (med-1)*100)
	for _, t := range ts {
		fmt.Fprintf(&b, "- %s answers `%s`\n", t.name, t.answer)
	}
	return b.String()
}
