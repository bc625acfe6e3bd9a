// Package server wires the concrete parts of appconfigd together — store,
// clock, service, engines, wire handlers, HTTP — for the binary and for
// tests that run a real server in-process.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/apitoken"
	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/controlplane"
	"github.com/appconfigd/appconfigd/internal/dataplane"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/experiment"
	"github.com/appconfigd/appconfigd/internal/extension"
	"github.com/appconfigd/appconfigd/internal/metrics"
	"github.com/appconfigd/appconfigd/internal/ofrep"
	"github.com/appconfigd/appconfigd/internal/push"
	"github.com/appconfigd/appconfigd/internal/seed"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/source"
	"github.com/appconfigd/appconfigd/internal/store/postgres"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
	"github.com/appconfigd/appconfigd/internal/wire"
)

// Config is everything the binary's flags say.
type Config struct {
	Listen          string
	DataDir         string
	Store           string // sqlite://PATH, sqlite://:memory:, postgres://...
	Auth            auth.Mode
	CredentialsFile string
	Region          string
	Account         string
	TimeScale       float64
	Quotas          service.Quotas

	// CloudWatchEndpoint is where CloudWatch alarm monitors are read
	// (empty: AWS). CloudWatchProtocol is "query" (default) or "cbor".
	CloudWatchEndpoint string
	CloudWatchProtocol string
	// MonitorInterval and TickInterval pace alarm checks and
	// AT_DEPLOYMENT_TICK actions (service time; defaults 30s and 60s).
	MonitorInterval time.Duration
	TickInterval    time.Duration

	// Extensions: hosts URL targets may reach, a file mapping Lambda ARNs
	// to URLs, and the AWS endpoints deliveries go to (empty: AWS).
	ExtensionAllowHosts  string
	ExtensionTargetsFile string
	LambdaEndpoint       string
	SQSEndpoint          string
	SNSEndpoint          string
	EventBridgeEndpoint  string

	// Configuration sources other than the hosted store. They are read
	// with the server's own AWS credentials, so any caller that can create
	// a profile could read what those credentials reach: ConfigurationSources
	// is "on", "off", or "auto" (the default: on only with --auth open,
	// where every caller is trusted). Endpoints: empty means AWS.
	ConfigurationSources   string
	S3Endpoint             string
	SSMEndpoint            string
	SecretsManagerEndpoint string

	// Operations.
	AllowReset      bool          // POST /_appconfigd/reset wipes all data
	SeedDir         string        // YAML/JSON files applied at start
	MaxBodyBytes    int64         // request body cap (default 8 MiB)
	MaxHeaderBytes  int           // request header cap (default 64 KiB)
	ReadTimeout     time.Duration // whole-request read bound (default 60s)
	WriteTimeout    time.Duration // response write bound (default 60s)
	IdleTimeout     time.Duration // keep-alive idle bound (default 120s)
	ShutdownTimeout time.Duration // drain bound on shutdown (default 15s)
	// PlainHTTP serves every request through net/http, without the fast
	// path for simple GETs (fasthttp.go).
	PlainHTTP       bool
	StreamHeartbeat time.Duration // longest silence on a change stream (default 10s)
	RateLimit       float64       // requests/s per account (0: off)
	RateBurst       int           // burst of RateLimit (default: RateLimit)
	// AccessLog receives one line per request (nil: none).
	AccessLog *slog.Logger
	// AssignmentLog is where experiment treatment assignments are logged:
	// "" (nowhere), "stderr", or "file:DIR".
	AssignmentLog string

	// Clock overrides the service clock (tests use clock.Fake).
	Clock clock.Clock
	// WallClock is what SigV4 signatures are checked against (default:
	// the real clock, whatever --time-scale says).
	WallClock clock.Clock
	Logger    *slog.Logger
}

// Defaults are the binary's defaults.
func Defaults() Config {
	return Config{
		Listen:    "127.0.0.1:2772",
		DataDir:   "./appconfigd-data",
		Auth:      auth.ModeOpen,
		Region:    "us-east-1",
		Account:   "123456789012",
		TimeScale: 1,

		MaxBodyBytes:    8 << 20,
		MaxHeaderBytes:  64 << 10,
		ReadTimeout:     60 * time.Second,
		WriteTimeout:    60 * time.Second,
		IdleTimeout:     120 * time.Second,
		ShutdownTimeout: 15 * time.Second,
	}
}

// Server is a running appconfigd.
type Server struct {
	cfg    Config
	log    *slog.Logger
	store  appconfig.Store
	clock  clock.Clock
	svc    *service.Service
	runner *deploy.Runner
	// runWatch stops experiment runs whose environment's monitors alarm.
	runWatch *service.RunWatcher
	ext      *extension.Extensions
	outbox   *extension.Outbox
	data     *dataplane.Server
	metrics  *metrics.Metrics
	handler  http.Handler
	push     *push.Broker
	ofrep    *ofrep.Handler
	tokens   *apitoken.Authenticator
	// assignLog is the experiment assignment log (nil: off).
	assignLog *experiment.AssignmentLog

	mu   sync.Mutex
	http *http.Server
	fast *fastServer // nil with PlainHTTP
	// fastStats counts the fast path's requests and handoffs.
	fastStats fastStats
	stopBg    context.CancelFunc
	bgDone    sync.WaitGroup
	started   bool
}

// IsLoopback reports whether a listen address binds only loopback.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New opens the store and builds every part; nothing runs until Serve.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Auth == auth.ModeOpen && cfg.Listen != "" && !IsLoopback(cfg.Listen) {
		return nil, fmt.Errorf("refusing --auth open on %s: open mode accepts any caller, so it is allowed only on a loopback address; use --auth sigv4 with --credentials-file", cfg.Listen)
	}
	if !auth.IsAccountID(cfg.Account) {
		return nil, fmt.Errorf("--account %q is not a 12-digit AWS account id", cfg.Account)
	}
	sourcesOn := false
	switch cfg.ConfigurationSources {
	case "", "auto":
		sourcesOn = cfg.Auth == auth.ModeOpen
	case "on":
		sourcesOn = true
	case "off":
	default:
		return nil, fmt.Errorf("--configuration-sources %q: want auto, on or off", cfg.ConfigurationSources)
	}
	s := &Server{cfg: cfg, log: cfg.Logger}
	if cfg.TimeScale <= 0 {
		return nil, fmt.Errorf("--time-scale must be positive, got %v", cfg.TimeScale)
	}
	if cfg.WallClock == nil {
		cfg.WallClock = clock.Real{}
	}
	raw, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s.metrics = metrics.New(cfg.AccessLog)
	s.metrics.LogFailures(s.log)
	st := s.metrics.Store(raw)
	s.store = st
	s.clock = cfg.Clock
	if s.clock == nil {
		if s.clock, err = serviceClock(ctx, st, cfg.TimeScale); err != nil {
			st.Close()
			return nil, err
		}
	}
	authn, err := newAuthenticator(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	// Background pacing is meant in wall time: scale it with the clock.
	wall := func(d time.Duration) time.Duration { return time.Duration(float64(d) * cfg.TimeScale) }
	// A lease must outlast the I/O it covers in wall time (an evaluation's
	// I/O is cut at the runner's IOTimeout, 25 s; one delivery at the
	// invoker's 10 s), or another replica would take the work over while
	// it is still running.
	lease := func(d time.Duration) time.Duration { return max(d, wall(30*time.Second)) }
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		s.log.Warn("no AWS configuration for CloudWatch monitors, extension deliveries and configuration sources", "err", err)
	}
	invoker, err := newInvoker(cfg, awsCfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	// The object graph, built once, each part given what it uses:
	// catalog → extensions → runner (and its lifecycle) → outbox, service.
	catalog := service.NewCatalog(st)
	s.ext = extension.New(extension.Config{Catalog: catalog, Store: st, Clock: s.clock, Logger: s.log, Invoker: invoker, Observe: s.metrics.Invocation, Poll: wall(time.Second),
		Lease: lease(time.Minute)})
	s.runner = deploy.NewRunner(deploy.Config{
		Store: st, Clock: s.clock, Logger: s.log, Hooks: s.ext,
		Alarms: &deploy.Alarms{AWS: awsCfg, CloudWatchEndpoint: cfg.CloudWatchEndpoint, CloudWatchProtocol: cfg.CloudWatchProtocol,
			HTTP: probeClient(invoker)},
		MonitorInterval: cfg.MonitorInterval, TickInterval: cfg.TickInterval, Observe: s.metrics.StepLateness,
		Poll: wall(time.Second), Lease: lease(2 * time.Minute),
	})
	s.outbox = extension.NewOutbox(s.ext, s.runner.Lifecycle())
	var sources service.SourceFetcher
	if sourcesOn {
		sources = &source.Fetcher{AWS: awsCfg, S3Endpoint: cfg.S3Endpoint, SSMEndpoint: cfg.SSMEndpoint, SecretsManagerEndpoint: cfg.SecretsManagerEndpoint}
	}
	s.svc = service.New(service.Config{Store: st, Clock: s.clock, Quotas: cfg.Quotas, Logger: s.log, UsageFlushInterval: wall(10 * time.Second),
		Catalog: catalog, Lifecycle: s.runner.Lifecycle(), Hooks: s.ext.ServiceHooks(), Lambda: s.ext, Sources: sources})
	s.runWatch = s.svc.NewRunWatcher(service.RunWatchConfig{Alarms: s.runner.Alarms(), Logger: s.log, Interval: cfg.MonitorInterval,
		Poll: wall(time.Second), Lease: lease(2 * time.Minute)})
	tokenKey, err := dataplane.TokenKey(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	exp, err := s.experiments()
	if err != nil {
		st.Close()
		return nil, err
	}
	s.data = dataplane.New(dataplane.Config{Service: s.svc, Clock: s.clock, Logger: s.log, TokenKey: tokenKey, OnPoll: s.metrics.Poll,
		CacheMaxAge: wall(30 * time.Second), Experiments: exp})
	s.metrics.Gauge("appconfigd_dataplane_sessions", "Configuration sessions remembered for single-use token checks.", func() float64 { return float64(s.data.Sessions()) })
	s.metrics.Deployments(raw)
	s.fastStats.register(s.metrics)
	authFlags := s.withTokens(authn)
	api := wire.New(wire.Config{
		ControlPlane: controlplane.New(s.svc, s.data),
		DataPlane:    s.data,
		Agent:        s.data,
		Auth:         authFlags,
		Logger:       s.log,
		Observer:     s.metrics,
		MaxBodyBytes: cfg.MaxBodyBytes,
		RateLimit:    cfg.RateLimit,
		RateBurst:    cfg.RateBurst,
	})
	s.handler = s.routes(s.withOFREP(api, authFlags, tokenKey))
	if _, err := s.applySeed(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// newAuthenticator checks requests as --auth says; sigv4 verifies
// against --credentials-file with the wall clock.
func newAuthenticator(cfg Config) (*auth.Authenticator, error) {
	authn := &auth.Authenticator{Mode: cfg.Auth, DefaultAccount: cfg.Account, DefaultRegion: cfg.Region}
	if cfg.Auth != auth.ModeSigV4 {
		return authn, nil
	}
	if cfg.CredentialsFile == "" {
		return nil, errors.New("--auth sigv4 needs --credentials-file")
	}
	creds, err := auth.LoadCredentialsFile(cfg.CredentialsFile)
	if err != nil {
		return nil, err
	}
	authn.Verifier = &auth.Verifier{Credentials: creds, Now: cfg.WallClock.Now, Service: "appconfig"}
	return authn, nil
}

// applySeed applies --seed-dir (at start, and after a reset) and returns
// how many files it applied.
func (s *Server) applySeed(ctx context.Context) (int, error) {
	if s.cfg.SeedDir == "" {
		return 0, nil
	}
	files, paths, err := seed.Load(s.cfg.SeedDir)
	if err == nil {
		err = seed.Apply(ctx, s.svc, appconfig.Scope{Account: s.cfg.Account, Region: s.cfg.Region}, files, paths, func(ctx context.Context) error {
			_, err := s.runner.RunDue(ctx)
			return err
		})
	}
	if err != nil {
		return 0, err
	}
	s.log.Info("seeded", "dir", s.cfg.SeedDir, "files", len(files))
	return len(files), nil
}

func openStore(ctx context.Context, cfg Config) (appconfig.Store, error) {
	spec := cfg.Store
	if spec == "" {
		spec = "sqlite://" + filepath.Join(cfg.DataDir, "appconfigd.db")
	}
	switch {
	case strings.HasPrefix(spec, "sqlite://"):
		return sqlite.Open(ctx, strings.TrimPrefix(spec, "sqlite://"))
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return postgres.Open(ctx, spec)
	}
	return nil, fmt.Errorf("unsupported --store %q (want sqlite://PATH or postgres://DSN)", spec)
}

// Handler is the HTTP handler serving both APIs.
func (s *Server) Handler() http.Handler { return s.handler }

// Service is the control-plane service.
func (s *Server) Service() *service.Service { return s.svc }

// Runner is the deployment engine's runner.
func (s *Server) Runner() *deploy.Runner { return s.runner }

// Outbox is the extension outbox (queued ON_* deliveries).
func (s *Server) Outbox() *extension.Outbox { return s.outbox }

// RunWatcher is the alarm watcher of experiment runs.
func (s *Server) RunWatcher() *service.RunWatcher { return s.runWatch }

// DataPlane is the data-plane server.
func (s *Server) DataPlane() *dataplane.Server { return s.data }

// Clock is the service clock.
func (s *Server) Clock() clock.Clock { return s.clock }

// Store is the server's store.
func (s *Server) Store() appconfig.Store { return s.store }

// Serve runs background work and serves HTTP on ln until ctx ends, then
// shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	bg, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.stopBg = cancel
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ConnContext:       gatherConnContext,
	}
	s.started = true
	s.mu.Unlock()
	s.bgDone.Add(6)
	go func() {
		defer s.bgDone.Done()
		s.runWatch.Run(bg)
	}()
	go func() {
		defer s.bgDone.Done()
		s.runPush(bg)
	}()
	go func() {
		defer s.bgDone.Done()
		s.outbox.Run(bg)
	}()
	go func() {
		defer s.bgDone.Done()
		s.data.Run(bg, s.store)
	}()
	go func() {
		defer s.bgDone.Done()
		s.svc.Run(bg)
	}()
	go func() {
		defer s.bgDone.Done()
		s.runner.Run(bg)
	}()
	errc := make(chan error, 1)
	if s.cfg.PlainHTTP {
		go func() { errc <- s.http.Serve(gatherListener{ln}) }()
	} else {
		s.mu.Lock()
		s.fast = newFastServer(ln, s.http, fastRoute, &s.fastStats)
		s.mu.Unlock()
		go func() { errc <- s.http.Serve(s.fast.listener()) }()
	}
	select {
	case err := <-errc:
		s.stop()
		return err
	case <-ctx.Done():
	}
	return s.stop()
}

// stop drains: no new connections, in-flight requests finish (within
// ShutdownTimeout), then the engine and background loops stop. Their state
// is in the store after every step, so the next start resumes it.
func (s *Server) stop() error {
	timeout := s.cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// Change streams never end by themselves, and Shutdown does not wait
	// for them: end them first, so their handlers return.
	s.push.Close()
	fastDone := make(chan error, 1)
	if s.fast != nil {
		go func() { fastDone <- s.fast.shutdown(shutdownCtx) }()
	} else {
		fastDone <- nil
	}
	err := s.http.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shutdown timeout: closing connections still in flight", "timeout", timeout)
		err = s.http.Close()
	}
	if ferr := <-fastDone; err == nil && ferr != nil {
		err = ferr
	}
	s.stopBg()
	s.bgDone.Wait()
	return err
}

// Close releases the store.
func (s *Server) Close() error {
	if s.assignLog != nil {
		_ = s.assignLog.Close()
	}
	return s.store.Close()
}

// newInvoker builds the extension invoker: the hosts URL targets may
// reach, Lambda ARNs mapped to URLs, and the AWS endpoints.
func newInvoker(cfg Config, awsCfg aws.Config) (*extension.Invoker, error) {
	allow, err := extension.ParseAllowList(cfg.ExtensionAllowHosts)
	if err != nil {
		return nil, err
	}
	var targets map[string]string
	if cfg.ExtensionTargetsFile != "" {
		if targets, err = extension.LoadTargets(cfg.ExtensionTargetsFile); err != nil {
			return nil, err
		}
	}
	return &extension.Invoker{Allow: allow, Targets: targets, AWS: &extension.AWSTargets{AWS: awsCfg,
		LambdaEndpoint: cfg.LambdaEndpoint, SQSEndpoint: cfg.SQSEndpoint, SNSEndpoint: cfg.SNSEndpoint, EventBridgeEndpoint: cfg.EventBridgeEndpoint}}, nil
}

// probeClient is the invoker's allow-listed client with a probe's timeout.
func probeClient(inv *extension.Invoker) *http.Client {
	c := *inv.HTTPClient()
	c.Timeout = 5 * time.Second
	return &c
}
