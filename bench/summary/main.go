// Command summary reads the JSON outputs of several rounds of the
// harnesses (scripts/bench.sh writes them) and prints one Markdown table
// with a line per row of the performance issue: each round's ratio
// against its baseline (measured in the same round), their median, the
// spread, the target and the load average of each round.
//
//	go run ./bench/summary -dir DIR
//
// DIR holds, for round r = 1, 2, …: controlplane-r.json,
// dataplane-r.json, deployments-r.json (any may be missing) and
// loadavg-r.txt (the load average before and after the round).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

type cpOut struct {
	Ratios []struct {
		Op       string  `json:"operation"`
		Store    string  `json:"store"`
		Ratio    float64 `json:"ratio"`
		CPURatio float64 `json:"serverCpuPerRequestRatio"`
	} `json:"ratios"`
}

type dpOut struct {
	Ratios []struct {
		Variant  string  `json:"variant"`
		Server   string  `json:"server"`
		Ratio    float64 `json:"ratio"`
		CPURatio float64 `json:"serverCpuPerRequestRatio"`
	} `json:"ratios"`
	Memory *struct {
		Sessions   int   `json:"sessions"`
		HeapBefore int64 `json:"heapBefore"`
		HeapAfter  int64 `json:"heapAfter"`
	} `json:"memory"`
}

type depOut struct {
	Results []struct {
		N        int `json:"n"`
		Lateness struct {
			P50 float64 `json:"p50Ms"`
			P99 float64 `json:"p99Ms"`
		} `json:"lateness"`
		CPUPerDeploymentMs float64 `json:"cpuMsPerDeployment"`
		CPUProgressCores   float64 `json:"cpuProgressCores"`
		Incomplete         int     `json:"incomplete"`
	} `json:"results"`
}

// row is one line of the table: a value per round.
type row struct {
	name, unit, target string
	// better reports whether v meets the target.
	better func(v float64) bool
	values []float64 // per round; NaN when the round has none
}

func main() {
	dir := flag.String("dir", "", "directory of the rounds' JSON files")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "summary: -dir is required")
		os.Exit(2)
	}
	rounds := countRounds(*dir)
	if rounds == 0 {
		fmt.Fprintln(os.Stderr, "summary: no rounds in", *dir)
		os.Exit(1)
	}
	rows := collect(*dir, rounds)
	write(os.Stdout, *dir, rounds, rows)
}

func countRounds(dir string) int {
	n := 0
	for {
		if _, err := os.Stat(filepath.Join(dir, "loadavg-"+strconv.Itoa(n+1)+".txt")); err != nil {
			return n
		}
		n++
	}
}

func atLeast(t float64) func(float64) bool { return func(v float64) bool { return v >= t } }
func below(t float64) func(float64) bool   { return func(v float64) bool { return v < t } }

func newRows(rounds int) []*row {
	mk := func(name, unit, target string, ok func(float64) bool) *row {
		r := &row{name: name, unit: unit, target: target, better: ok, values: make([]float64, rounds)}
		for i := range r.values {
			r.values[i] = math.NaN()
		}
		return r
	}
	return []*row{
		mk("GetLatestConfiguration, 1,000 sessions, 4 KB, unchanged (appconfigd SQLite / bare net/http, req/s)", "×", "≥ 0.8", atLeast(0.8)),
		mk("  the same, server CPU per request (bare / appconfigd)", "×", "", nil),
		mk("Memory per live session at 100k sessions (live heap)", "B", "< 200", below(200)),
		mk("CreateApplication, SQLite (appconfigd / moto, req/s)", "×", "≥ 20", atLeast(20)),
		mk("  the same, server CPU per request (moto / appconfigd)", "×", "", nil),
		mk("CreateApplication, PostgreSQL (appconfigd / moto, req/s)", "×", "≥ 20", atLeast(20)),
		mk("  the same, CPU per request (moto / appconfigd + database)", "×", "", nil),
		mk("GetHostedConfigurationVersion 64 KiB, SQLite (appconfigd / moto, req/s)", "×", "≥ 100", atLeast(100)),
		mk("  the same, server CPU per request (moto / appconfigd)", "×", "", nil),
		mk("GetHostedConfigurationVersion 64 KiB, PostgreSQL (appconfigd / moto, req/s)", "×", "≥ 100", atLeast(100)),
		mk("10,000 concurrent deployments: step lateness p50", "ms", "", nil),
		mk("10,000 concurrent deployments: step lateness p99", "ms", "< 1000", below(1000)),
		mk("10,000 concurrent deployments: CPU per deployment", "ms", "", nil),
	}
}

func collect(dir string, rounds int) []*row {
	rows := newRows(rounds)
	for i := range rounds {
		r := strconv.Itoa(i + 1)
		var cp cpOut
		if readJSON(filepath.Join(dir, "controlplane-"+r+".json"), &cp) {
			for _, x := range cp.Ratios {
				k := x.Op + "/" + x.Store
				set := map[string][2]int{
					"CreateApplication/sqlite":             {3, 4},
					"CreateApplication/postgres":           {5, 6},
					"GetHostedConfigurationVersion/sqlite": {7, 8},
				}
				if idx, ok := set[k]; ok {
					rows[idx[0]].values[i], rows[idx[1]].values[i] = x.Ratio, x.CPURatio
				}
				if k == "GetHostedConfigurationVersion/postgres" {
					rows[9].values[i] = x.Ratio
				}
			}
		}
		var dp dpOut
		if readJSON(filepath.Join(dir, "dataplane-"+r+".json"), &dp) {
			for _, x := range dp.Ratios {
				if x.Variant == "steady" && !strings.Contains(x.Server, "PostgreSQL") && !strings.Contains(x.Server, "replica") {
					rows[0].values[i], rows[1].values[i] = x.Ratio, x.CPURatio
				}
			}
			if m := dp.Memory; m != nil && m.Sessions > 0 {
				rows[2].values[i] = float64(m.HeapAfter-m.HeapBefore) / float64(m.Sessions)
			}
		}
		var dep depOut
		if readJSON(filepath.Join(dir, "deployments-"+r+".json"), &dep) {
			for _, x := range dep.Results {
				if x.N == 10000 {
					rows[10].values[i], rows[11].values[i], rows[12].values[i] = x.Lateness.P50, x.Lateness.P99, x.CPUPerDeploymentMs
				}
			}
		}
	}
	return rows
}

func readJSON(path string, v any) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		fmt.Fprintf(os.Stderr, "summary: %s: %v\n", path, err)
		return false
	}
	return true
}

// median of the values that are not NaN; ok false when there are none.
func median(vs []float64) (float64, bool) {
	var xs []float64
	for _, v := range vs {
		if !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return 0, false
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2], true
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2, true
}

func format(v float64, unit string) string {
	if math.IsNaN(v) {
		return "—"
	}
	switch {
	case unit == "×" && v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64) + unit
	case unit == "×":
		return strconv.FormatFloat(v, 'f', 1, 64) + unit
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
}

func write(w io.Writer, dir string, rounds int, rows []*row) {
	fmt.Fprintf(w, "| Row | %s | median | spread (max/min) | target | met |\n", roundHeads(rounds))
	fmt.Fprintf(w, "|---|%s---:|---:|---|---|\n", strings.Repeat("---:|", rounds))
	for _, r := range rows {
		cells := make([]string, rounds)
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, v := range r.values {
			cells[i] = format(v, r.unit)
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		med, ok := median(r.values)
		medCell, spread, met := "—", "—", ""
		if ok {
			medCell = "**" + format(med, r.unit) + "**"
			if lo > 0 {
				spread = strconv.FormatFloat(hi/lo, 'f', 2, 64)
			}
			if r.better != nil {
				met = map[bool]string{true: "yes", false: "**no**"}[r.better(med)]
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.name, strings.Join(cells, " | "), medCell, spread, r.target, met)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Load average (1, 5, 15 min) before and after each round:")
	fmt.Fprintln(w)
	for i := range rounds {
		b, _ := os.ReadFile(filepath.Join(dir, "loadavg-"+strconv.Itoa(i+1)+".txt"))
		fmt.Fprintf(w, "- round %d: %s\n", i+1, strings.TrimSpace(strings.ReplaceAll(string(b), "\n", "; ")))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "A spread above 1.3 means the round-to-round noise is larger than 30 %: read that row's median with care.")
}

func roundHeads(n int) string {
	h := make([]string, n)
	for i := range h {
		h[i] = "round " + strconv.Itoa(i+1)
	}
	return strings.Join(h, " | ")
}
