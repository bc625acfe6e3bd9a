package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// load is one measured run of wrk: requests per second and latency
// percentiles in milliseconds.
type load struct {
	RPS, P50, P99 float64
	LoadAvg       string  // /proc/loadavg when the run ended
	CPUus         float64 // the server's CPU time per request (µs)
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

// runWrk runs wrk with one thread (pinned to CPU 0 when pin is set)
// against url for d and parses its report.
func runWrk(ctx context.Context, pin bool, script, url string, conns int, d time.Duration) (load, error) {
	argv := []string{"wrk", "-t1", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())), "--latency", "-s", script, url}
	if pin {
		argv = append([]string{"taskset", "-c", "0"}, argv...)
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return load{}, fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	l, err := parseWrk(string(out))
	l.LoadAvg = loadAvg()
	return l, err
}

// parseWrk reads Requests/sec and the 50 % and 99 % latencies; any
// non-2xx answer fails the run.
func parseWrk(out string) (load, error) {
	var l load
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			l.RPS, _ = strconv.ParseFloat(f[1], 64)
		case len(f) == 2 && f[0] == "50%":
			l.P50 = wrkMs(f[1])
		case len(f) == 2 && f[0] == "99%":
			l.P99 = wrkMs(f[1])
		case strings.HasPrefix(sc.Text(), "Non-2xx"):
			return l, fmt.Errorf("wrk saw errors: %s", sc.Text())
		}
	}
	if l.RPS == 0 || l.P50 == 0 {
		return l, fmt.Errorf("could not read wrk's report:\n%s", out)
	}
	return l, nil
}

// wrkMs converts wrk's "812.00us", "1.23ms", "2.00s" to milliseconds.
func wrkMs(s string) float64 {
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"us", 0.001}, {"ms", 1}, {"s", 1000}, {"m", 60000}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f * u.ms
		}
	}
	return 0
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}
