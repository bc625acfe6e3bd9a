package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/server"
)

// Exit codes of `deployment wait`.
const (
	waitComplete    = 0   // the deployment is COMPLETE
	waitRolledBack  = 1   // ROLLED_BACK or REVERTED
	waitUsage       = 2   // bad command line
	waitNotFound    = 3   // no such application, environment or deployment
	waitTimedOut    = 4   // --timeout passed first
	waitFailed      = 5   // any other error (server unreachable, access denied, ...)
	waitInterrupted = 130 // SIGINT or SIGTERM
)

const waitExitCodes = `Exit status:
  0    the deployment is COMPLETE
  1    it was ROLLED_BACK or REVERTED (the last line says why)
  2    usage error
  3    the application, environment or deployment does not exist
  4    --timeout passed before the deployment ended
  5    any other error (server unreachable, access denied, ...)
  130  interrupted
`

const deploymentUsage = `Usage: appconfigd deployment <command> [flags]

Commands:
  wait   follow a deployment until it completes or rolls back

Run 'appconfigd help deployment wait' for its flags.
`

func deploymentCmd(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		fmt.Fprintf(stderr, "appconfigd deployment: missing command\n\n%s", deploymentUsage)
		return waitUsage
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		fmt.Fprint(stdout, deploymentUsage)
		return 0
	case args[0] != "wait":
		fmt.Fprintf(stderr, "appconfigd deployment: unknown command %q\n\n%s", args[0], deploymentUsage)
		return waitUsage
	}
	tty := isTerminal(stdout)
	width := 0
	if tty {
		width = terminalWidth(stdout)
	}
	return waitCmd(args[1:], stdout, stderr, tty, width)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

type waitOptions struct {
	app, env, endpoint, region string
	arn                        string
	number                     int
	interval, timeout          time.Duration
}

func waitCmd(args []string, stdout, stderr io.Writer, tty bool, width int) int {
	var o waitOptions
	fs := flag.NewFlagSet("deployment wait", flag.ContinueOnError)
	fs.StringVar(&o.app, "application", "", "application `ID or name` (required)")
	fs.StringVar(&o.env, "environment", "", "environment `ID or name` (required)")
	fs.IntVar(&o.number, "deployment", 0, "deployment `number` (required)")
	fs.StringVar(&o.arn, "deployment-arn", "", "the deployment's `ARN`, instead of --application, --environment and --deployment\n(e.g. an experiment run event's AssociatedDeployment)")
	fs.StringVar(&o.endpoint, "endpoint-url", "", "`URL` of appconfigd (default: the SDK's, e.g. AWS_ENDPOINT_URL, or real AWS)")
	fs.StringVar(&o.region, "region", "", "`region` (default: the SDK's configuration, else us-east-1)")
	fs.DurationVar(&o.interval, "interval", 2*time.Second, "how often to look (wall time)")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up after this `duration` of wall time (0: never)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: appconfigd deployment wait --application A --environment E --deployment N [flags]\n"+
			"       appconfigd deployment wait --deployment-arn ARN [flags]\n\n"+
			"Follows a deployment through the public AppConfig API (so it works against AWS too)\n"+
			"until it ends. On a terminal it draws a progress bar with the percentage and the bake\n"+
			"countdown; otherwise it prints one line per event. The first line says whether a user\n"+
			"started it (USER) or AppConfig did, for an experiment run (MANAGED); a run event's\n"+
			"AssociatedDeployment is the ARN to give --deployment-arn.\n\n%s\nFlags:\n", waitExitCodes)
		printFlags(fs)
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	switch {
	case fs.NArg() > 0:
		return usageError(stderr, fs, "unexpected argument %q", fs.Arg(0))
	case o.arn != "" && (o.app != "" || o.env != "" || o.number != 0):
		return usageError(stderr, fs, "--deployment-arn names the deployment: leave out --application, --environment and --deployment")
	case o.arn != "":
		var err error
		if o.app, o.env, o.number, err = parseDeploymentARN(o.arn); err != nil {
			return usageError(stderr, fs, "%v", err)
		}
	case o.app == "" || o.env == "" || o.number <= 0:
		return usageError(stderr, fs, "--application, --environment and --deployment (or --deployment-arn) are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return follow(ctx, o, &progress{w: stdout, tty: tty, width: width}, stderr)
}

func follow(parent context.Context, o waitOptions, p *progress, stderr io.Writer) int {
	ctx := parent
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(parent, o.timeout)
		defer cancel()
	}
	var opts []func(*awsconfig.LoadOptions) error
	if o.region != "" {
		opts = append(opts, awsconfig.WithRegion(o.region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "appconfigd deployment wait: cannot load the AWS configuration:", err)
		return waitFailed
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := sdk.NewFromConfig(cfg, func(so *sdk.Options) {
		if o.endpoint != "" {
			so.BaseEndpoint = aws.String(o.endpoint)
		}
	})
	for {
		out, err := client.GetDeployment(ctx, &sdk.GetDeploymentInput{ApplicationId: &o.app, EnvironmentId: &o.env, DeploymentNumber: aws.Int32(int32(o.number))})
		if err != nil {
			p.done()
			code, msg := describeWaitError(err, o, parent.Err() != nil)
			fmt.Fprintln(stderr, "appconfigd deployment wait:", msg)
			return code
		}
		d := snapshotOf(out)
		p.show(o.number, d)
		switch d.state {
		case "COMPLETE":
			p.done()
			if d.managed() {
				fmt.Fprintf(p.w, "deployment %d COMPLETE: version %s of %s is served to every client; while the experiment run is RUNNING, it decides what its exposed entities see\n", o.number, d.version, d.profile)
				return waitComplete
			}
			fmt.Fprintf(p.w, "deployment %d COMPLETE: version %s of %s is served to every client\n", o.number, d.version, d.profile)
			return waitComplete
		case "ROLLED_BACK", "REVERTED":
			p.done()
			fmt.Fprintf(p.w, "deployment %d %s: %s\n", o.number, d.state, d.reason())
			return waitRolledBack
		}
		if !clock.Sleep(clock.Real{}, o.interval, ctx.Done()) {
			p.done()
			if parent.Err() != nil {
				fmt.Fprintln(stderr, "appconfigd deployment wait: interrupted")
				return waitInterrupted
			}
			fmt.Fprintf(stderr, "appconfigd deployment wait: timed out after %s; deployment %d is still %s\n", o.timeout, o.number, d.state)
			return waitTimedOut
		}
	}
}

// describeWaitError turns an SDK error into one line in the user's terms
// and the exit status it means.
func describeWaitError(err error, o waitOptions, interrupted bool) (int, string) {
	var api smithy.APIError
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case interrupted:
		return waitInterrupted, "interrupted"
	case errors.Is(err, context.DeadlineExceeded):
		return waitTimedOut, fmt.Sprintf("timed out after %s", o.timeout)
	case errors.As(err, &api) && api.ErrorCode() == "ResourceNotFoundException":
		return waitNotFound, fmt.Sprintf("deployment %d of application %q, environment %q not found (%s)", o.number, o.app, o.env, api.ErrorMessage())
	case errors.As(err, &api):
		return waitFailed, fmt.Sprintf("%s: %s", api.ErrorCode(), api.ErrorMessage())
	case errors.As(err, &dnsErr):
		return waitFailed, fmt.Sprintf("cannot resolve %s: %s", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &opErr):
		inner := opErr.Err
		var sys *os.SyscallError
		if errors.As(inner, &sys) {
			inner = sys.Err
		}
		return waitFailed, fmt.Sprintf("cannot reach %s: %v", endpointName(o), inner)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return waitFailed, fmt.Sprintf("the server answered %d %s", re.HTTPStatusCode(), http.StatusText(re.HTTPStatusCode()))
	}
	return waitFailed, err.Error()
}

func endpointName(o waitOptions) string {
	if o.endpoint != "" {
		return o.endpoint
	}
	return "the AppConfig endpoint"
}

// snapshot is what one GetDeployment answer says, as deployment wait
// shows it.
type snapshot struct {
	state, profile, version string
	percent                 float64
	bake                    time.Duration
	events                  []event // oldest first
	// now is the service's time when the answer was made: the server's
	// scaled clock under --time-scale, else the local clock.
	now time.Time
}

type event struct {
	at          time.Time
	typ, by     string
	description string
}

func snapshotOf(out *sdk.GetDeploymentOutput) snapshot {
	d := snapshot{state: string(out.State), profile: aws.ToString(out.ConfigurationName), version: aws.ToString(out.ConfigurationVersion),
		percent: float64(aws.ToFloat32(out.PercentageComplete)), bake: time.Duration(out.FinalBakeTimeInMinutes) * time.Minute, now: clock.Real{}.Now()}
	if raw, ok := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response); ok && raw != nil {
		if t, err := time.Parse(time.RFC3339Nano, raw.Header.Get(server.ServiceTimeHeader)); err == nil {
			d.now = t
		}
	}
	// The API lists events newest first.
	for i := len(out.EventLog) - 1; i >= 0; i-- {
		e := out.EventLog[i]
		d.events = append(d.events, event{at: aws.ToTime(e.OccurredAt), typ: string(e.EventType), by: string(e.TriggeredBy), description: aws.ToString(e.Description)})
	}
	return d
}

// bakeLeft is how long the bake still runs, when baking.
func (d snapshot) bakeLeft() (time.Duration, bool) {
	if d.state != "BAKING" {
		return 0, false
	}
	for i := len(d.events) - 1; i >= 0; i-- {
		if d.events[i].typ == "BAKE_TIME_STARTED" {
			left := d.events[i].at.Add(d.bake).Sub(d.now)
			return max(left, 0), true
		}
	}
	return 0, false
}

// reason is why a deployment ended without completing.
func (d snapshot) reason() string {
	for i := len(d.events) - 1; i >= 0; i-- {
		if e := d.events[i]; e.typ == "ROLLBACK_STARTED" || e.typ == "REVERT_COMPLETED" {
			return fmt.Sprintf("%s (triggered by %s)", e.description, e.by)
		}
	}
	return "no reason recorded"
}

// managed reports whether AppConfig started the deployment on its own
// behalf (an experiment run's managed deployment): its DEPLOYMENT_STARTED
// event is triggered by APPCONFIG. GetDeployment has no Type member (only
// ListDeployments' summaries do), and the event says the same.
func (d snapshot) managed() bool {
	return len(d.events) > 0 && d.events[0].typ == "DEPLOYMENT_STARTED" && d.events[0].by == "APPCONFIG"
}

// kind is the deployment's Type as ListDeployments shows it.
func (d snapshot) kind() string {
	if d.managed() {
		return "MANAGED"
	}
	return "USER"
}

// parseDeploymentARN reads
// arn:PARTITION:appconfig:REGION:ACCOUNT:application/A/environment/E/deployment/N.
func parseDeploymentARN(arn string) (app, env string, number int, err error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "appconfig" {
		var n int
		f := strings.Split(parts[5], "/")
		if len(f) == 6 && f[0] == "application" && f[2] == "environment" && f[4] == "deployment" && f[1] != "" && f[3] != "" {
			if _, scanErr := fmt.Sscanf(f[5], "%d", &n); scanErr == nil && n > 0 && fmt.Sprint(n) == f[5] {
				return f[1], f[3], n, nil
			}
		}
	}
	return "", "", 0, fmt.Errorf("--deployment-arn %q is not a deployment ARN (arn:aws:appconfig:REGION:ACCOUNT:application/APP/environment/ENV/deployment/N)", arn)
}
