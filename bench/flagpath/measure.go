package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// measure runs every target once per round, in the same order each
// round (a warm-up run first), and returns each target's runs.
func measure(ctx context.Context, dir string, ts []*target, o options, pin bool) (map[string][]load, error) {
	scripts := map[string]string{}
	for i, t := range ts {
		s, err := luaScript(dir, fmt.Sprintf("t%d", i), t.Req)
		if err != nil {
			return nil, err
		}
		scripts[t.Name] = s
		if _, err := runWrk(ctx, pin, s, t.Base+t.Req.Path, o.connections, o.warmup); err != nil {
			return nil, err
		}
	}
	res := map[string][]load{}
	for r := 1; r <= o.rounds; r++ {
		for _, t := range ts {
			pid := serverPids[serverOf(t)]
			cpu0, _ := benchutil.ProcCPU(pid)
			l, err := runWrk(ctx, pin, scripts[t.Name], t.Base+t.Req.Path, o.connections, o.duration)
			if err != nil {
				return nil, err
			}
			if cpu1, ok := benchutil.ProcCPU(pid); ok && l.RPS > 0 {
				// CPU per request says less about the neighbours than
				// requests per second on a busy machine.
				l.CPUus = float64((cpu1 - cpu0).Microseconds()) / (l.RPS * o.duration.Seconds())
			}
			benchutil.Logf("round %d %-45s %9.0f req/s  p50 %.3f ms  p99 %.3f ms  cpu %.1f µs/req  load %s", r, t.Name, l.RPS, l.P50, l.P99, l.CPUus, l.LoadAvg)
			res[t.Name] = append(res[t.Name], l)
		}
	}
	return res, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medians of a target's runs: requests/s, p50, p99.
func medians(ls []load) (rps, p50, p99 float64) {
	var a, b, c []float64
	for _, l := range ls {
		a, b, c = append(a, l.RPS), append(b, l.P50), append(c, l.P99)
	}
	return median(a), median(b), median(c)
}

// report renders the Markdown table: medians, the ratio to each row's
// baseline, p99/p50, and the load average of every run.
func report(res map[string][]load, ts []*target, o options, pin bool, m benchutil.Machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n\n", m)
	fmt.Fprintf(&b, "wrk: 1 thread, %d connections, %v per run, %d rounds (median); pinned: %v (servers CPU 1, wrk CPU 0)\n\n", o.connections, o.duration, o.rounds, pin)
	b.WriteString("| Target | req/s | ratio of medians | median of per-round ratios | server CPU µs/req | CPU/req baseline ÷ this | p50 ms | p99 ms | p99/p50 | answer |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, t := range ts {
		rps, p50, p99 := medians(res[t.Name])
		cpu := medianCPU(res[t.Name])
		ratio, paired, cpuRatio := "—", "—", "—"
		if base, ok := res[t.Baseline]; ok {
			brps, _, _ := medians(base)
			ratio = fmt.Sprintf("%.2f× %s", rps/brps, t.Baseline)
			paired = fmt.Sprintf("%.2f×", median(roundRatios(res[t.Name], base)))
			if cpu > 0 {
				cpuRatio = fmt.Sprintf("%.2f×", medianCPU(base)/cpu)
			}
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %.1f | %s | %.3f | %.3f | %.1f | `%s` |\n", t.Name, rps, ratio, paired, cpu, cpuRatio, p50, p99, p99/p50, t.Answer)
	}
	b.WriteString("\nLoad average after each run (1/5/15 min), in run order:\n\n")
	for r := 0; r < o.rounds; r++ {
		for _, t := range ts {
			if r < len(res[t.Name]) {
				fmt.Fprintf(&b, "- round %d, %s: %.0f req/s, load %s\n", r+1, t.Name, res[t.Name][r].RPS, res[t.Name][r].LoadAvg)
			}
		}
	}
	return b.String()
}

// roundRatios divides each round's requests/s by its baseline's in the
// same round: runs close in time share the machine's load.
func roundRatios(ls, base []load) []float64 {
	var out []float64
	for i := range ls {
		if i < len(base) && base[i].RPS > 0 {
			out = append(out, ls[i].RPS/base[i].RPS)
		}
	}
	return out
}

// medianCPU is the median server CPU per request of a target's runs.
func medianCPU(ls []load) float64 {
	var v []float64
	for _, l := range ls {
		v = append(v, l.CPUus)
	}
	return median(v)
}
