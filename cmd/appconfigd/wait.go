package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"

	"github.com/appconfigd/appconfigd/internal/clock"
)

// Exit codes of `deployment wait`.
const (
	waitComplete   = 0
	waitRolledBack = 1
	waitUsage      = 2
	waitFailed     = 3
)

func deploymentCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "wait" {
		fmt.Fprintln(stderr, "usage: appconfigd deployment wait --application A --environment E --deployment N [--endpoint-url URL]")
		return waitUsage
	}
	return waitCmd(args[1:], stdout, stderr, isTerminal(stdout))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func waitCmd(args []string, stdout, stderr io.Writer, tty bool) int {
	fs := flag.NewFlagSet("deployment wait", flag.ContinueOnError)
	fs.SetOutput(stderr)
	app := fs.String("application", "", "application `ID or name` (required)")
	env := fs.String("environment", "", "environment `ID or name` (required)")
	number := fs.Int("deployment", 0, "deployment `number` (required)")
	endpoint := fs.String("endpoint-url", "", "`URL` of appconfigd (default: the SDK's, e.g. AWS_ENDPOINT_URL or real AWS)")
	region := fs.String("region", "", "`region` (default: the SDK's configuration)")
	interval := fs.Duration("interval", 5*time.Second, "polling `interval`")
	timeout := fs.Duration("timeout", 0, "give up after this `duration` (0: never)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: appconfigd deployment wait --application A --environment E --deployment N [flags]\n\n"+
			"Follows a deployment through the public AppConfig API (so it works against AWS too) until it ends.\n"+
			"Exit status: 0 COMPLETE, 1 ROLLED_BACK or REVERTED, 2 usage, 3 error or timeout.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return waitUsage
	}
	if *app == "" || *env == "" || *number <= 0 {
		fs.Usage()
		return waitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	var opts []func(*awsconfig.LoadOptions) error
	if *region != "" {
		opts = append(opts, awsconfig.WithRegion(*region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "appconfigd deployment wait:", err)
		return waitFailed
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := sdk.NewFromConfig(cfg, func(o *sdk.Options) {
		if *endpoint != "" {
			o.BaseEndpoint = aws.String(*endpoint)
		}
	})
	p := progress{w: stdout, tty: tty}
	for {
		d, err := client.GetDeployment(ctx, &sdk.GetDeploymentInput{ApplicationId: app, EnvironmentId: env, DeploymentNumber: aws.Int32(int32(*number))})
		if err != nil {
			p.done()
			fmt.Fprintln(stderr, "appconfigd deployment wait:", err)
			return waitFailed
		}
		state := string(d.State)
		p.show(state, aws.ToFloat32(d.PercentageComplete))
		switch state {
		case "COMPLETE":
			p.done()
			return waitComplete
		case "ROLLED_BACK", "REVERTED":
			p.done()
			for _, e := range d.EventLog {
				if e.EventType == "ROLLBACK_STARTED" || e.EventType == "REVERT_COMPLETED" {
					fmt.Fprintf(stderr, "deployment %d %s: %s (%s)\n", *number, state, aws.ToString(e.Description), e.TriggeredBy)
					break
				}
			}
			return waitRolledBack
		}
		if !clock.Sleep(clock.Real{}, *interval, ctx.Done()) {
			p.done()
			fmt.Fprintln(stderr, "appconfigd deployment wait:", ctx.Err())
			return waitFailed
		}
	}
}

// progress draws a bar on a terminal, and a line per change otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	last     string
	drewLine bool
}

func (p *progress) show(state string, pct float32) {
	line := fmt.Sprintf("%-12s %6.2f%%", state, pct)
	if p.tty {
		const width = 30
		filled := int(pct / 100 * width)
		fmt.Fprintf(p.w, "\r[%s%s] %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), line)
		p.drewLine = true
		return
	}
	if line != p.last {
		fmt.Fprintln(p.w, line)
		p.last = line
	}
}

func (p *progress) done() {
	if p.tty && p.drewLine {
		fmt.Fprintln(p.w)
		p.drewLine = false
	}
}
