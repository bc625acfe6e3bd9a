package benchutil

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Wrk is one measured run of wrk: requests per second, requests
// completed, and latency percentiles in milliseconds.
type Wrk struct {
	RPS, P50, P99 float64
	Requests      float64
	LoadAvg       string // /proc/loadavg when the run ended
}

// RunWrk runs wrk with one thread (pinned to CPU 0 when pin is set) and
// conns connections against url for d with the Lua script, and parses its
// report (run with --latency). A non-2xx answer fails the run.
func RunWrk(ctx context.Context, pin bool, script, url string, conns int, d time.Duration) (Wrk, error) {
	argv := []string{"wrk", "-t1", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())), "--latency", "-s", script, url}
	if pin {
		argv = append([]string{"taskset", "-c", "0"}, argv...)
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return Wrk{}, fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	l, err := ParseWrk(string(out))
	l.LoadAvg = LoadAvg()
	return l, err
}

// ParseWrk reads wrk's Requests/sec, requests completed and the 50 % and
// 99 % latencies; any non-2xx answer is an error.
func ParseWrk(out string) (Wrk, error) {
	var l Wrk
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			l.RPS, _ = strconv.ParseFloat(f[1], 64)
		case len(f) > 2 && f[1] == "requests" && f[2] == "in":
			l.Requests, _ = strconv.ParseFloat(f[0], 64)
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
