// Package service holds the rules of AppConfig, once, for every backend:
// identifiers and ARNs, name-or-id resolution, versions and optimistic
// locks, quotas, validation and state transitions.
package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Quotas are the per-scope resource limits; zero means AWS's default.
type Quotas struct {
	Applications          int // per account and region (AWS: 100)
	EnvironmentsPerApp    int // (AWS: 20)
	ProfilesPerApp        int // (AWS: 100)
	DeploymentStrategies  int // custom ones per account and region (AWS: 20)
	HostedConfigurationKB int // size of one hosted version (AWS: 2048)
	ExtensionsPerAccount  int // not published by AWS; ours: 100
	AssociationsPerScope  int // not published by AWS; ours: 1000
	ExperimentsPerApp     int // experiment definitions not archived (AWS: 50)
}

// WithDefaults fills zero quotas with AWS's defaults.
func (q Quotas) WithDefaults() Quotas {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&q.Applications, 100)
	def(&q.EnvironmentsPerApp, 20)
	def(&q.ProfilesPerApp, 100)
	def(&q.DeploymentStrategies, 20)
	def(&q.HostedConfigurationKB, 2048)
	def(&q.ExtensionsPerAccount, 100)
	def(&q.AssociationsPerScope, 1000)
	def(&q.ExperimentsPerApp, 50)
	return q
}

// LambdaInvoker runs a LAMBDA validator: it returns nil when the
// configuration is valid, a BadRequest domain error when it is not.
type LambdaInvoker interface {
	ValidateWithLambda(ctx context.Context, sc appconfig.Scope, functionArn string, event LambdaValidationEvent) error
}

// SourceFetcher reads a configuration kept outside the hosted store (S3,
// Parameter Store, SSM documents, Secrets Manager) at the version
// StartDeployment or ValidateConfiguration names. Errors are domain
// errors (NotFound for a missing configuration or version).
type SourceFetcher interface {
	// Fetch reads at most a little over maxBytes of content (the caller
	// refuses more) or refuses a larger configuration itself.
	Fetch(ctx context.Context, sc appconfig.Scope, locationURI, version string, maxBytes int) (FetchedConfiguration, error)
}

// FetchedConfiguration is one version of a configuration read from its
// source.
type FetchedConfiguration struct {
	Content     []byte
	ContentType string
	Version     string
}

// LambdaValidationEvent is what a LAMBDA validator receives.
type LambdaValidationEvent struct {
	ApplicationID          string `json:"applicationId"`
	ConfigurationProfileID string `json:"configurationProfileId"`
	ConfigurationVersion   string `json:"configurationVersion"`
	Content                string `json:"content"` // base64
	URI                    string `json:"uri"`
}

// Config wires a Service.
type Config struct {
	Store  appconfig.Store
	Clock  clock.Clock
	Quotas Quotas
	Logger *slog.Logger
	// Lambda runs LAMBDA validators; nil refuses them with a clear error.
	Lambda LambdaInvoker
	// Sources reads non-hosted configurations; nil refuses deploying them
	// with a clear error.
	Sources SourceFetcher
	// UsageFlushInterval batches data-plane usage marks (default 10s).
	UsageFlushInterval time.Duration
	// Catalog answers which extensions apply (nil: the service builds
	// one); the extension system shares it.
	Catalog *Catalog
	// Lifecycle records deployments and their transitions (nil: one with
	// no extension hooks and no engine to wake).
	Lifecycle *deploy.Lifecycle
	// Hooks are the synchronous PRE_* action points (zero: none).
	Hooks Hooks
}

// Service implements the AppConfig control-plane rules.
type Service struct {
	store    appconfig.Store
	clock    clock.Clock
	quotas   Quotas
	log      *slog.Logger
	lambda   LambdaInvoker
	sources  SourceFetcher
	schemas  *schemaCache
	versions *versionCache
	usage    *usageTracker
	hooks    Hooks
	life     *deploy.Lifecycle
	// Catalog's BoundActions, AppliedExtensions, Names and ViewTx are the
	// service's too.
	*Catalog
}

// Hooks let the deployment engine and the extension system take part in
// control-plane operations without the service knowing them.
type Hooks struct {
	// PreCreateHostedVersion may rewrite content or refuse it.
	PreCreateHostedVersion func(ctx context.Context, sc appconfig.Scope, app appconfig.Application, prof appconfig.ConfigurationProfile, v *appconfig.HostedConfigurationVersion, previous *appconfig.HostedConfigurationVersion) error
	// PreStartDeployment runs PRE_START_DEPLOYMENT actions; it may replace
	// the content or refuse the deployment.
	PreStartDeployment func(ctx context.Context, sc appconfig.Scope, p *PreStart) error
}

// New builds a Service.
func New(cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.UsageFlushInterval <= 0 {
		cfg.UsageFlushInterval = 10 * time.Second
	}
	if cfg.Catalog == nil {
		cfg.Catalog = NewCatalog(cfg.Store)
	}
	if cfg.Lifecycle == nil {
		cfg.Lifecycle = deploy.NewLifecycle(nil, nil, nil)
	}
	s := &Service{
		store:    cfg.Store,
		clock:    cfg.Clock,
		quotas:   cfg.Quotas.WithDefaults(),
		log:      cfg.Logger,
		lambda:   cfg.Lambda,
		sources:  cfg.Sources,
		schemas:  newSchemaCache(),
		versions: newVersionCache(64 << 20),
		hooks:    cfg.Hooks,
		life:     cfg.Lifecycle,
		Catalog:  cfg.Catalog,
	}
	s.usage = newUsageTracker(s, cfg.UsageFlushInterval)
	return s
}

// updateAssociations runs a transaction that may change a scope's
// associations, then drops the scope's cached index (also on failure: a
// reader may have cached what the failed transaction had written).
func (s *Service) updateAssociations(ctx context.Context, sc appconfig.Scope, fn func(appconfig.Tx) error) error {
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		tx.Notify(appconfig.AssociationsTopic(sc))
		return fn(tx)
	})
	s.assocs.drop(sc)
	return err
}

// Store is the service's store.
func (s *Service) Store() appconfig.Store { return s.store }

// Clock is the service's clock.
func (s *Service) Clock() clock.Clock { return s.clock }

// Quotas are the effective quotas.
func (s *Service) Quotas() Quotas { return s.quotas }

// Run does the service's background work until ctx ends: it flushes
// usage marks and drops cached versions deleted by any process.
func (s *Service) Run(ctx context.Context) {
	topics := s.store.Subscribe(ctx)
	go func() {
		for topic := range topics {
			if t, err := appconfig.ParseTopic(topic); err == nil {
				s.versions.onTopic(t)
				s.assocs.onTopic(t)
			}
		}
	}()
	s.usage.run(ctx)
}

// Flush writes pending usage marks now.
func (s *Service) Flush(ctx context.Context) error { return s.usage.flush(ctx) }

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns a 7-character identifier of [a-z0-9], as AWS issues.
func NewID() string {
	var b [7]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b[:])
}

// quota is a cap on a kind's records that the insert itself checks
// (Tx.InsertCapped): one statement counts and inserts, after the lock.
type quota struct {
	// lock is the name locked first (scopeLock), "" when the transaction
	// already holds what serializes the creations counted (the parent's
	// row, locked with Get forUpdate).
	lock     string
	counted  appconfig.Query
	limit    int
	exceeded func() error // the QuotaExceeded error
}

// insertNewCapped inserts a record of kind k under a fresh random id
// (the ID of key), built by build from that id, under quota q.
func insertNewCapped[T any](ctx context.Context, tx appconfig.Tx, q quota, k records.Kind[T], key appconfig.Key, name string, build func(id string) T) (string, error) {
	return withNewID(key, name, func(id string) []byte { return k.Encode(build(id)) }, func(r *appconfig.Record) error {
		return q.check(tx.InsertCapped(ctx, q.lock, q.counted, q.limit, r))
	})
}

// createNewCapped is insertNewCapped as a transaction of its own that
// writes nothing else but the records with returns for the new id (nil:
// none) and notifies topics (Store.CreateCapped: one round trip on
// PostgreSQL, shared with the creates waiting at the same time).
func createNewCapped[T any](ctx context.Context, st appconfig.Store, q quota, k records.Kind[T], key appconfig.Key, name string, build func(id string) T, with func(id string) []appconfig.Record, topics ...string) (string, error) {
	return withNewID(key, name, func(id string) []byte { return k.Encode(build(id)) }, func(r *appconfig.Record) error {
		var more []appconfig.Record
		if with != nil {
			more = with(r.ID)
		}
		return q.check(st.CreateCapped(ctx, q.lock, q.counted, q.limit, r, more, topics...))
	})
}

// check turns the store's ErrCapReached into the quota's error.
func (q quota) check(err error) error {
	if errors.Is(err, appconfig.ErrCapReached) {
		return q.exceeded()
	}
	return err
}

// insertWithNewID inserts a record under a fresh random id, retrying on
// the (unlikely) collision.
func insertWithNewID(ctx context.Context, tx appconfig.Tx, k appconfig.Key, name string, build func(id string) []byte) (string, error) {
	return withNewID(k, name, build, func(r *appconfig.Record) error { return tx.Insert(ctx, r) })
}

// withNewID calls insert with a record under a fresh random id, retrying
// with another on Conflict (an unlikely collision).
func withNewID(k appconfig.Key, name string, build func(id string) []byte, insert func(*appconfig.Record) error) (string, error) {
	for attempt := 0; ; attempt++ {
		id := NewID()
		k.ID = id
		r := appconfig.Record{Key: k, Name: name, Body: build(id)}
		err := insert(&r)
		if err == nil {
			return id, nil
		}
		if !appconfig.IsConflict(err) || attempt > 5 {
			return "", err
		}
	}
}

// --- pagination -------------------------------------------------------

const defaultPageSize = 50

func pageSize(p appconfig.PageRequest) int {
	if p.MaxResults <= 0 || p.MaxResults > defaultPageSize {
		return defaultPageSize
	}
	return p.MaxResults
}

// Tokens are opaque to clients: base64url of "kind|phase|seq".
func makeToken(kind, phase string, seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + phase + "|" + strconv.FormatInt(seq, 10)))
}

func parseToken(token, kind string) (phase string, seq int64, err error) {
	if token == "" {
		return "", 0, nil
	}
	bad := appconfig.BadRequest("The NextToken is not valid for this request.")
	raw, derr := base64.RawURLEncoding.DecodeString(token)
	if derr != nil {
		return "", 0, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != kind {
		return "", 0, bad
	}
	seq, perr := strconv.ParseInt(parts[2], 10, 64)
	if perr != nil || seq < 0 {
		return "", 0, bad
	}
	return parts[1], seq, nil
}

// pageOf lists one page of what l matches, in creation order, decoded
// as l's type and converted by conv (whose bool drops an item).
func pageOf[T, U any](ctx context.Context, tx appconfig.Tx, l records.Listing[T], p appconfig.PageRequest, conv func(T) (U, bool, error)) (appconfig.Page[U], error) {
	return listPage(ctx, tx, l.Query, p, func(r appconfig.Record) (U, bool, error) {
		v, err := l.Kind.Decode(r)
		if err != nil {
			var z U
			return z, false, err
		}
		return conv(v)
	})
}

// keep is the conv of pageOf that keeps every item as it is.
func keep[T any](v T) (T, bool, error) { return v, true, nil }

// listPage lists one page of records of q's kind in creation order
// (descending when desc), decoding each with conv.
func listPage[T any](ctx context.Context, tx appconfig.Tx, q appconfig.Query, p appconfig.PageRequest, conv func(appconfig.Record) (T, bool, error)) (appconfig.Page[T], error) {
	var page appconfig.Page[T]
	_, after, err := parseToken(p.NextToken, q.Kind)
	if err != nil {
		return page, err
	}
	size := pageSize(p)
	q.AfterSeq = after
	// Filters applied after loading (conv's bool) may drop records, so
	// read in chunks until the page is full.
	for {
		q.Limit = size + 1
		recs, err := tx.List(ctx, q)
		if err != nil {
			return page, err
		}
		for _, r := range recs {
			if len(page.Items) == size {
				page.NextToken = makeToken(q.Kind, "", q.AfterSeq)
				return page, nil
			}
			v, keep, err := conv(r)
			if err != nil {
				return page, err
			}
			q.AfterSeq = r.Seq
			if keep {
				page.Items = append(page.Items, v)
			}
		}
		if len(recs) < q.Limit {
			return page, nil
		}
	}
}

// ParseQuotas reads "name=value,..." overrides of the default quotas:
// applications, environments-per-application, profiles-per-application,
// deployment-strategies, hosted-configuration-kb, extensions,
// extension-associations, experiment-definitions-per-application.
func ParseQuotas(spec string) (Quotas, error) {
	var q Quotas
	fields := map[string]*int{
		"applications": &q.Applications, "environments-per-application": &q.EnvironmentsPerApp,
		"profiles-per-application": &q.ProfilesPerApp, "deployment-strategies": &q.DeploymentStrategies,
		"hosted-configuration-kb": &q.HostedConfigurationKB, "extensions": &q.ExtensionsPerAccount,
		"extension-associations": &q.AssociationsPerScope, "experiment-definitions-per-application": &q.ExperimentsPerApp,
	}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		dst, known := fields[strings.TrimSpace(name)]
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if !ok || !known || err != nil || n <= 0 {
			return q, fmt.Errorf("--quotas: %q: want name=positive-integer with name one of applications, environments-per-application, profiles-per-application, deployment-strategies, hosted-configuration-kb, extensions, extension-associations, experiment-definitions-per-application", part)
		}
		*dst = n
	}
	return q, nil
}

// lockScope serializes, across processes, the creations that a per-scope
// quota or uniqueness rule counts. Without it two replicas could both
// count 99 and both create the hundredth application.
func lockScope(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, what string) error {
	return tx.Lock(ctx, scopeLock(sc, what))
}

// scopeLock is lockScope's lock name (for a quota's lock).
func scopeLock(sc appconfig.Scope, what string) string {
	return "scope|" + sc.Account + "|" + sc.Region + "|" + what
}
