// Package metrics exposes appconfigd's Prometheus metrics (with the
// official client) and writes the per-request access log.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/wire"
)

// Metrics holds every collector.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	storeTx     *prometheus.HistogramVec
	lateness    prometheus.Histogram
	invocations *prometheus.CounterVec
	polls       *prometheus.CounterVec
	treatments  *prometheus.CounterVec
	log         *slog.Logger
	failLog     *slog.Logger // failed requests when there is no access log
	// series caches each (service, operation, outcome)'s counter and
	// histogram: resolving label values (hashing, the vector's lock) was a
	// measurable share of a poll. Bounded by the model's operations times
	// their error codes.
	series sync.Map // seriesKey → *requestSeries
}

type seriesKey struct{ svc, op, outcome string }

type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

func (m *Metrics) seriesFor(svc, op, outcome string) *requestSeries {
	k := seriesKey{svc, op, outcome}
	if s, ok := m.series.Load(k); ok {
		return s.(*requestSeries)
	}
	s := &requestSeries{count: m.requests.WithLabelValues(svc, op, outcome), duration: m.duration.WithLabelValues(svc, op)}
	m.series.Store(k, s)
	return s
}

// New registers the collectors. logger writes the access log (nil: none).
func New(logger *slog.Logger) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg: reg,
		log: logger,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appconfigd_requests_total",
			Help: "API requests by service, operation and outcome (the AWS error code, or OK)."}, []string{"service", "operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "appconfigd_request_duration_seconds",
			Help: "API request latency by service and operation.", Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14)}, []string{"service", "operation"}),
		storeTx: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "appconfigd_store_transaction_seconds",
			Help: "Store transaction latency by kind (update, view, claim).", Buckets: prometheus.ExponentialBuckets(0.00005, 2.5, 14)}, []string{"kind"}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "appconfigd_deployment_step_lateness_seconds",
			Help: "How late (service time) the engine took deployment steps after they were due.", Buckets: prometheus.ExponentialBuckets(0.001, 3, 12)}),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appconfigd_extension_invocations_total",
			Help: "Extension action invocations by action point and outcome (ok, error)."}, []string{"action_point", "outcome"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appconfigd_dataplane_polls_total",
			Help: "Successful GetLatestConfiguration polls by result (changed: content sent; unchanged: empty body)."}, []string{"result"}),
		treatments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "appconfigd_experiment_treatments_returned_total",
			Help: "Experiment treatments returned to entities (AWS's vended ReturnedCount), by application, environment and configuration profile ID, flag key and variant; counted only in accounts whose settings enable VendedMetrics."},
			[]string{"application", "environment", "configuration_profile", "flag", "variant"}),
	}
	reg.MustRegister(m.requests, m.duration, m.storeTx, m.lateness, m.invocations, m.polls, m.treatments)
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gauge registers a gauge read at scrape time.
func (m *Metrics) Gauge(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

// CounterFunc registers a counter read at scrape time.
func (m *Metrics) CounterFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
}

// Observe implements wire.Observer: metrics and one access-log line per
// request (never bodies, configuration contents or credentials).
func (m *Metrics) Observe(ctx context.Context, info wire.RequestInfo) {
	outcome := "OK"
	if info.ErrorCode != "" {
		outcome = info.ErrorCode
	}
	svc, op := info.Service, info.Operation
	if op == "" {
		svc, op = "none", "unrouted"
	}
	series := m.seriesFor(svc, op, outcome)
	series.count.Inc()
	series.duration.Observe(info.Duration.Seconds())
	log := m.log
	if info.ErrorCode != "" && m.failLog != nil {
		log = m.failLog // at once, even when the access log is batched
	}
	if log == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("requestId", info.RequestID), slog.String("operation", op), slog.String("account", info.Scope.Account),
		slog.String("region", info.Scope.Region), slog.Int("status", info.Status), slog.Float64("durationMs", float64(info.Duration.Microseconds())/1000),
	}
	if info.ErrorCode != "" {
		attrs = append(attrs, slog.String("errorCode", info.ErrorCode), slog.String("errorMessage", clip(info.ErrorMessage, 512)))
	}
	level := slog.LevelInfo
	if info.Status >= 500 {
		level = slog.LevelError
		if info.Err != nil {
			attrs = append(attrs, slog.String("err", info.Err.Error()))
		}
	}
	msg := "request"
	if info.ErrorCode != "" {
		msg = "request failed"
	}
	log.LogAttrs(ctx, level, msg, attrs...)
}

// clip bounds a logged message to n bytes (on a rune boundary).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// LogFailures makes failed requests (an error code in the answer) go to
// l, with or without an access log, so they are never silent and never
// wait in the access log's batch.
func (m *Metrics) LogFailures(l *slog.Logger) { m.failLog = l }

// StepLateness records how late a deployment step was taken.
func (m *Metrics) StepLateness(d time.Duration) {
	if d < 0 {
		d = 0
	}
	m.lateness.Observe(d.Seconds())
}

// Invocation records one extension invocation.
func (m *Metrics) Invocation(point string, ok bool) {
	outcome := "ok"
	if !ok {
		outcome = "error"
	}
	m.invocations.WithLabelValues(point, outcome).Inc()
}

// Poll records one successful data-plane poll.
func (m *Metrics) Poll(changed bool) {
	if changed {
		m.polls.WithLabelValues("changed").Inc()
	} else {
		m.polls.WithLabelValues("unchanged").Inc()
	}
}

// Treatment is the counter of one treatment returned (variant __c__,
// __t1__ ...) of a flag of an environment's profile.
func (m *Metrics) Treatment(app, env, profile, flag, variant string) prometheus.Counter {
	return m.treatments.WithLabelValues(app, env, profile, flag, variant)
}

// Deployments registers the gauge of deployments in progress by state,
// read from the store at scrape time (an indexed scan of active ones).
func (m *Metrics) Deployments(st appconfig.Store) {
	m.reg.MustRegister(&deploymentCollector{st: st, desc: prometheus.NewDesc("appconfigd_deployments_active",
		"Deployments in progress by state.", []string{"state"}, nil)})
}

type deploymentCollector struct {
	st   appconfig.Store
	desc *prometheus.Desc
}

func (c *deploymentCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *deploymentCollector) Collect(ch chan<- prometheus.Metric) {
	counts := map[appconfig.DeploymentState]int{}
	for _, s := range []appconfig.DeploymentState{appconfig.DeploymentDeploying, appconfig.DeploymentBaking, appconfig.DeploymentRollingBack} {
		counts[s] = 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = deploy.ScanActive(ctx, c.st, func(d appconfig.Deployment) error {
		counts[d.State]++
		return nil
	})
	for s, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), string(s))
	}
}

// Store wraps a store so that transaction latencies are measured.
func (m *Metrics) Store(st appconfig.Store) appconfig.Store { return &timedStore{Store: st, m: m} }

// wall times store transactions (latency is wall time, not service time).
var wall clock.Real

type timedStore struct {
	appconfig.Store
	m *Metrics
}

// Listen forwards the wrapped store's synchronous topic listener (see
// sqlstore.DB.Listen); nil when it has none.
func (s *timedStore) Listen(fn func(string)) (stop func()) {
	if l, ok := s.Store.(interface{ Listen(func(string)) func() }); ok {
		return l.Listen(fn)
	}
	return nil
}

func (s *timedStore) Update(ctx context.Context, fn func(appconfig.Tx) error) error {
	defer s.timed("update", wall.Now())
	return s.Store.Update(ctx, fn)
}

func (s *timedStore) CreateCapped(ctx context.Context, lock string, q appconfig.Query, limit int, r *appconfig.Record, with []appconfig.Record, topics ...string) error {
	defer s.timed("update", wall.Now())
	return s.Store.CreateCapped(ctx, lock, q, limit, r, with, topics...)
}

func (s *timedStore) View(ctx context.Context, fn func(appconfig.Tx) error) error {
	defer s.timed("view", wall.Now())
	return s.Store.View(ctx, fn)
}

func (s *timedStore) ClaimDue(ctx context.Context, kind string, now time.Time, limit int, fn func(appconfig.Tx, appconfig.Record) error) (int, error) {
	defer s.timed("claim", wall.Now())
	return s.Store.ClaimDue(ctx, kind, now, limit, fn)
}

func (s *timedStore) timed(kind string, start time.Time) {
	s.m.storeTx.WithLabelValues(kind).Observe(wall.Now().Sub(start).Seconds())
}
