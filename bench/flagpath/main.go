// Command flagpath benchmarks the flag path: the AppConfig Agent route of
// appconfigd serving a 4 KB configuration against a bare net/http server
// returning the same 4 KB (the ceiling), and single flag evaluations on
// the Agent route (a boolean flag, and a multi-variant flag with one
// rule) against flagd's OFREP endpoint for the same flags and context.
// See bench/flagpath/README.md.
//
//	go run ./bench/flagpath -flagd PATH/TO/flagd [-rounds 5] [-duration 10s]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

type options struct {
	flagd       string
	rounds      int
	duration    time.Duration
	warmup      time.Duration
	connections int
	keep        bool
	out         string
	only        string
}

func main() {
	var o options
	bare := flag.String("bare-listen", "", "internal: serve the bare ceiling on this address")
	flag.StringVar(&o.flagd, "flagd", "", "flagd binary (bench/flagpath/build-flagd.sh builds one); without it the flagd rows are skipped")
	flag.IntVar(&o.rounds, "rounds", 5, "rounds; each runs every target once, the report takes the median")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per target and round")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured wrk run before each target's first round")
	flag.IntVar(&o.connections, "connections", 16, "wrk connections (one thread)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory")
	flag.StringVar(&o.out, "out", "", "also write the Markdown report to this file")
	flag.StringVar(&o.only, "only", "", "measure only the rows whose name contains one of these comma-separated words (and their baselines), e.g. '4 KB' or 'OFREP'")
	flag.Parse()
	if *bare != "" {
		fmt.Fprintln(os.Stderr, serveBare(*bare))
		os.Exit(1)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "flagpath:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is needed (Debian: apt-get install -y wrk): %w", err)
	}
	ws, err := benchutil.NewWorkspace("flagpath-", o.keep)
	if err != nil {
		return err
	}
	defer ws.Close()
	pin := havePinning()
	ts, err := startTargets(ctx, ws, o, pin)
	if err != nil {
		return err
	}
	machine := benchutil.DescribeMachine()
	res, err := measure(ctx, ws.Dir, ts, o, pin)
	if err != nil {
		return err
	}
	machine.End()
	rep := report(res, ts, o, pin, machine)
	fmt.Print(rep)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(rep), 0o644)
	}
	return nil
}

// havePinning reports whether taskset exists and there are two CPUs.
func havePinning() bool {
	_, err := exec.LookPath("taskset")
	if err != nil {
		benchutil.Logf("taskset not found: nothing is pinned")
		return false
	}
	return true
}

// pinned prefixes argv with taskset -c cpu when pin is set.
func pinned(pin bool, cpu int, argv ...string) []string {
	if !pin {
		return argv
	}
	return append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
}

// serverPids are the servers' process ids by name (appconfigd, bare,
// flagd), for their CPU time per request.
var serverPids = map[string]int{}

// serverOf names the server a target's requests go to.
func serverOf(t *target) string {
	switch {
	case strings.HasPrefix(t.Name, "bare"):
		return "bare"
	case strings.HasPrefix(t.Name, "flagd"):
		return "flagd"
	}
	return "appconfigd"
}

// startServer starts argv (pinned to CPU 1) and waits until GET url
// answers with ready's approval.
func startServer(ctx context.Context, ws *benchutil.Workspace, pin bool, name, url string, ready func(*http.Response) bool, argv ...string) error {
	p, err := benchutil.StartProc(name, filepath.Join(ws.Dir, name+".log"), nil, pinned(pin, 1, argv...)...)
	if err != nil {
		return err
	}
	ws.Defer(p.Stop)
	serverPids[name] = p.Pid()
	return benchutil.WaitReady(ctx, p, name, func() *http.Request {
		r, _ := http.NewRequest("GET", url, nil)
		return r
	}, ready, 60*time.Second)
}

func freeAddr() (string, error) {
	port, err := benchutil.FreePort()
	return "127.0.0.1:" + strconv.Itoa(port), err
}
