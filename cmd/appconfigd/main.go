// Command appconfigd is a self-hosted server that speaks the AWS AppConfig
// and AppConfig Data APIs. See `appconfigd help`.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/server"
	"github.com/appconfigd/appconfigd/internal/service"
)

const usage = `appconfigd — a self-hosted AWS AppConfig and AppConfig Data server.

Point unmodified AWS SDKs and the aws CLI at it with --endpoint-url (or
AWS_ENDPOINT_URL) and they work as they do against AWS.

Usage:
  appconfigd <command> [flags]

Commands:
  serve             run the server (the default command)
  deployment wait   follow a deployment until it completes or rolls back
  token             create, list or revoke read-only bearer tokens for the flag path
  healthcheck       exit 0 when a server answers /readyz (for container health checks)
  version           print the version and the commit it was built from
  help [command]    show this help, or a command's flags

Run 'appconfigd help <command>' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line. Help goes to stdout with exit 0; a usage
// error prints a short error and the usage to stderr with exit 2.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Fprint(stdout, usage)
			return 0
		case !strings.HasPrefix(a, "-"):
			cmd, args = a, args[1:]
		}
	}
	switch cmd {
	case "serve":
		return serve(args, stdout, stderr)
	case "deployment":
		return deploymentCmd(args, stdout, stderr)
	case "token":
		return tokenCmd(args, stdout, stderr)
	case "healthcheck":
		return healthcheck(args, stdout, stderr)
	case "version":
		fs := flag.NewFlagSet("version", flag.ContinueOnError)
		fs.Usage = func() {
			fmt.Fprint(fs.Output(), "Usage: appconfigd version\n\nPrints the version (the module version, or the commit with -dirty for\nuncommitted changes) and the commit and Go version it was built with.\n")
		}
		if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
			return code
		}
		if fs.NArg() > 0 {
			return usageError(stderr, fs, "unexpected argument %q", fs.Arg(0))
		}
		printVersion(stdout)
		return 0
	case "help":
		if len(args) == 0 || args[0] == "help" {
			fmt.Fprint(stdout, usage)
			return 0
		}
		if !knownCommand(args[0]) {
			fmt.Fprintf(stderr, "appconfigd help: unknown command %q\n\n%s", args[0], usage)
			return 2
		}
		return run(append(append([]string(nil), args...), "--help"), stdout, stderr)
	}
	fmt.Fprintf(stderr, "appconfigd: unknown command %q\n\n%s", cmd, usage)
	return 2
}

func knownCommand(name string) bool {
	switch name {
	case "serve", "deployment", "token", "healthcheck", "version", "help":
		return true
	}
	return false
}

// parseFlags parses args into fs. A help flag prints the usage to stdout
// (exit 0); a bad flag prints the flag package's one-line error and the
// usage to stderr (exit 2). ok is true when the command should go on.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		_, _ = stdout.Write(buf.Bytes())
		return 0, false
	default:
		_, _ = stderr.Write(buf.Bytes())
		return 2, false
	}
}

// usageError prints a short error and the command's usage to stderr and
// returns exit status 2.
func usageError(stderr io.Writer, fs *flag.FlagSet, format string, a ...any) int {
	fmt.Fprintf(stderr, "appconfigd %s: %s\n", fs.Name(), fmt.Sprintf(format, a...))
	fs.SetOutput(stderr)
	fs.Usage()
	return 2
}

// envFlags makes every flag also readable from APPCONFIGD_<FLAG> (dashes
// become underscores); a flag on the command line wins.
func envFlags(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		name := "APPCONFIGD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

func serve(args []string, stdout, stderr io.Writer) int {
	def := server.Defaults()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	listen := fs.String("listen", def.Listen, "`address` to listen on (host:port); both APIs share it")
	dataDir := fs.String("data-dir", def.DataDir, "`directory` of the embedded store")
	store := fs.String("store", "", "store `URL`: sqlite://PATH (default: sqlite://<data-dir>/appconfigd.db), sqlite://:memory:, or postgres://DSN")
	authMode := fs.String("auth", string(def.Auth), "`mode`: open (accept any signature; loopback only) or sigv4 (verify against --credentials-file)")
	credsFile := fs.String("credentials-file", "", "`file` of access keys for --auth sigv4 (AWS credentials-file format with aws_account_id)")
	region := fs.String("region", def.Region, "default `region` when a request carries no credential scope")
	account := fs.String("account", def.Account, "default 12-digit `account` id (open mode: used unless the access key id is 12 digits)")
	timeScale := fs.Float64("time-scale", def.TimeScale, "run the service clock `N` times faster (deployments, bake times, token lifetimes)")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	logFormat := fs.String("log-format", "text", "log `format`: text or json")
	accessLog := fs.Bool("access-log", true, "log one line per API request (request id, operation, account, status, duration)")
	allowReset := fs.Bool("allow-reset", false, "enable POST /_appconfigd/reset, which wipes all data (for test suites)")
	seedDir := fs.String("seed-dir", "", "`directory` of YAML/JSON seed files applied at start (idempotent)")
	maxBody := fs.Int64("max-body-bytes", def.MaxBodyBytes, "largest request body accepted, in `bytes`")
	maxHeader := fs.Int("max-header-bytes", def.MaxHeaderBytes, "largest request header block accepted, in `bytes`")
	readTimeout := fs.Duration("read-timeout", def.ReadTimeout, "longest `duration` to read a request")
	writeTimeout := fs.Duration("write-timeout", def.WriteTimeout, "longest `duration` to write a response")
	idleTimeout := fs.Duration("idle-timeout", def.IdleTimeout, "how long an idle keep-alive connection stays open")
	streamHeartbeat := fs.Duration("stream-heartbeat", 10*time.Second, "longest silence on a change stream (server-sent events) before a heartbeat comment")
	assignLog := fs.String("experiment-assignment-log", "", "log each experiment treatment served as one JSON line to `dest`: stderr, or file:DIR (one .jsonl per run under DIR/region/account/app/definition); off when empty")
	plainHTTP := fs.Bool("plain-http", false, "answer every request through Go's net/http, without the fast path for simple GETs")
	shutdownTimeout := fs.Duration("shutdown-timeout", def.ShutdownTimeout, "how long shutdown waits for requests in flight")
	rateLimit := fs.Float64("rate-limit", 0, "requests per second allowed per account (0: no limit); excess gets ThrottlingException")
	rateBurst := fs.Int("rate-burst", 0, "burst allowed above --rate-limit (default: the rate)")
	monitorInterval := fs.Duration("monitor-interval", 30*time.Second, "how often deployment monitors (alarms) are evaluated, in service time")
	tickInterval := fs.Duration("tick-interval", time.Minute, "period of AT_DEPLOYMENT_TICK extension actions, in service time")
	quotas := fs.String("quotas", "", "override AWS's default `quotas`, e.g. applications=500,hosted-configuration-kb=4000 (see README)")
	cwEndpoint := fs.String("cloudwatch-endpoint", "", "`URL` where CloudWatch alarm monitors are read (default: AWS)")
	cwProtocol := fs.String("cloudwatch-protocol", "query", "CloudWatch wire `protocol`: query (AWS and emulators) or cbor")
	allowHosts := fs.String("extension-allow-hosts", "", "comma-separated `hosts` that http(s) extension targets and HTTP monitors may reach (names, *.domain, CIDRs, *; loopback only when listed)")
	targetsFile := fs.String("extension-targets", "", "JSON `file` mapping Lambda function ARNs to http(s) URLs")
	lambdaEndpoint := fs.String("lambda-endpoint", "", "`URL` of the Lambda Invoke API for extension and validator functions (default: AWS)")
	sqsEndpoint := fs.String("sqs-endpoint", "", "`URL` of SQS for extension deliveries (default: AWS)")
	snsEndpoint := fs.String("sns-endpoint", "", "`URL` of SNS for extension deliveries (default: AWS)")
	ebEndpoint := fs.String("eventbridge-endpoint", "", "`URL` of EventBridge for extension deliveries (default: AWS)")
	sources := fs.String("configuration-sources", "auto", "read profiles stored in S3, Parameter Store, SSM documents and Secrets Manager with this server's AWS credentials: on, off, or auto (on only with --auth open, where every caller is trusted)")
	s3Endpoint := fs.String("s3-endpoint", "", "`URL` of S3 for configurations stored there (default: AWS)")
	ssmEndpoint := fs.String("ssm-endpoint", "", "`URL` of Systems Manager for Parameter Store and SSM document configurations (default: AWS)")
	smEndpoint := fs.String("secretsmanager-endpoint", "", "`URL` of Secrets Manager for configurations stored there (default: AWS)")
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: appconfigd serve [flags]\n\nRuns the AppConfig and AppConfig Data APIs on one port.\nEvery flag can also be set with APPCONFIGD_<FLAG>, e.g. APPCONFIGD_LISTEN=127.0.0.1:8080.\n\nFlags:\n")
		printFlags(fs)
		fmt.Fprintf(out, "\nExample:\n  appconfigd serve &\n  aws --endpoint-url http://127.0.0.1:2772 appconfig list-applications\n")
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if err := envFlags(fs); err != nil {
		fmt.Fprintln(stderr, "appconfigd:", err)
		return 2
	}
	if fs.NArg() > 0 {
		return usageError(stderr, fs, "unexpected argument %q", fs.Arg(0))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "appconfigd: --log-level:", err)
		return 2
	}
	handler := logHandler(stderr, *logFormat, level)
	if handler == nil {
		fmt.Fprintf(stderr, "appconfigd: --log-format %q: want text or json\n", *logFormat)
		return 2
	}
	logger := slog.New(handler)
	q, err := service.ParseQuotas(*quotas)
	if err != nil {
		fmt.Fprintln(stderr, "appconfigd:", err)
		return 2
	}
	mode, err := auth.ParseMode(*authMode)
	if err != nil {
		fmt.Fprintln(stderr, "appconfigd: --auth:", err)
		return 2
	}
	cfg := server.Config{
		Listen: *listen, DataDir: *dataDir, Store: *store, Auth: mode, CredentialsFile: *credsFile,
		Region: *region, Account: *account, TimeScale: *timeScale, Logger: logger,
		CloudWatchEndpoint: *cwEndpoint, CloudWatchProtocol: *cwProtocol,
		ExtensionAllowHosts: *allowHosts, ExtensionTargetsFile: *targetsFile,
		LambdaEndpoint: *lambdaEndpoint, SQSEndpoint: *sqsEndpoint, SNSEndpoint: *snsEndpoint, EventBridgeEndpoint: *ebEndpoint,
		ConfigurationSources: *sources, S3Endpoint: *s3Endpoint, SSMEndpoint: *ssmEndpoint, SecretsManagerEndpoint: *smEndpoint,
		AllowReset: *allowReset, SeedDir: *seedDir, MaxBodyBytes: *maxBody, MaxHeaderBytes: *maxHeader,
		ReadTimeout: *readTimeout, WriteTimeout: *writeTimeout, IdleTimeout: *idleTimeout, ShutdownTimeout: *shutdownTimeout, PlainHTTP: *plainHTTP,
		StreamHeartbeat: *streamHeartbeat,
		RateLimit:       *rateLimit, RateBurst: *rateBurst, MonitorInterval: *monitorInterval, TickInterval: *tickInterval, Quotas: q,
	}
	cfg.AssignmentLog = *assignLog
	if *accessLog {
		// Successful requests' lines are written in batches (failed ones
		// go to logger at once, see metrics.LogFailures).
		batch := newBatchWriter(stderr, accessLogFlush)
		defer batch.Flush()
		cfg.AccessLog = slog.New(logHandler(batch, *logFormat, level))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "appconfigd:", err)
		return 1
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintln(stderr, "appconfigd:", err)
		return 1
	}
	logger.Info("appconfigd listening", "address", ln.Addr().String(), "auth", string(mode), "store", storeName(cfg), "timeScale", strconv.FormatFloat(cfg.TimeScale, 'g', -1, 64))
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, net.ErrClosed) {
		logger.Error("server stopped", "err", err)
		return 1
	}
	logger.Info("appconfigd stopped")
	return 0
}

func storeName(cfg server.Config) string {
	if cfg.Store != "" {
		if i := strings.Index(cfg.Store, "://"); i > 0 && cfg.Store[:i] == "postgres" {
			return "postgres"
		}
		return cfg.Store
	}
	return "sqlite://" + cfg.DataDir + "/appconfigd.db"
}

// printFlags prints fs's flags as PrintDefaults does, spelled with two
// dashes as the README and the examples spell them.
func printFlags(fs *flag.FlagSet) {
	var buf bytes.Buffer
	out := fs.Output()
	fs.SetOutput(&buf)
	fs.PrintDefaults()
	fs.SetOutput(out)
	fmt.Fprint(out, strings.ReplaceAll("\n"+buf.String(), "\n  -", "\n  --")[1:])
}
