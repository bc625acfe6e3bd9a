package dataplane

import (
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/experiment"
	"github.com/appconfigd/appconfigd/internal/featureflag"
	"github.com/appconfigd/appconfigd/internal/service"
)

// View is what an environment serves for one configuration profile to a
// caller without a configuration session (the Agent route, OFREP): the
// configuration in its served form, and for a feature-flag profile the
// flags compiled for evaluation. It is shared and immutable: read it,
// never modify it or what it points to.
type View struct {
	ApplicationID, EnvironmentID, ProfileID string
	// ProfileName is the profile's name when the view was loaded.
	ProfileName string
	// FeatureFlags is set for an AWS.AppConfig.FeatureFlags profile.
	FeatureFlags bool
	// DeploymentNumber and Version (the configuration version number as
	// text) and Label are those of the deployment serving this content.
	DeploymentNumber int
	Version, Label   string
	// Content is the served body (feature flags: the client form, every
	// multi-variant flag at its default variant) and its content type.
	Content     []byte
	ContentType string
	// ETag is a quoted, strong entity tag of this content: it changes
	// with each deployed version (and with the representation).
	ETag string
	// Flags is the compiled flag document (feature flags only, else nil).
	Flags *featureflag.Compiled
	// Experiments are the RUNNING experiment runs on this environment's
	// profile (nil: none, the usual case).
	Experiments *experiment.Served
	// ExperimentTag identifies the state of the experiments on this
	// environment's profile: it changes with each start, update and stop
	// of a run ("" when no run ever started there).
	ExperimentTag string
}

// Lookup returns what the Agent route serves for an application,
// environment and profile, each named by ID or name, in scope sc: from
// memory, kept current by the store's change notifications; a store read
// happens only the first time a name or a deployed version is asked for.
// During a gradual deployment the caller is one client of the rollout,
// as an Agent is (its bucket is fixed per application, environment and
// profile).
//
// A missing resource is an *appconfig.Error of KindNotFound whose
// ResourceName is "Application", "Environment", "ConfigurationProfile"
// or "Deployment" (nothing deployed yet); other errors are internal.
// The View is shared: do not modify it.
func (s *Server) Lookup(ctx context.Context, sc appconfig.Scope, app, env, profile string) (*View, error) {
	return s.LookupEntity(ctx, sc, app, env, profile, "")
}

// LookupEntity is Lookup for a caller that names its entity (the Agent
// route's Entity-Id, OFREP's targetingKey): during a gradual deployment
// the entity's own position in that deployment's rollout decides which
// content it gets, the same on every replica, so an entity keeps one
// version for the whole rollout. entity "" is Lookup.
func (s *Server) LookupEntity(ctx context.Context, sc appconfig.Scope, app, env, profile, entity string) (*View, error) {
	r, err := s.cache.resolve(ctx, sc, app, env, profile)
	if err != nil {
		return nil, err
	}
	c, err := s.servedFor(ctx, sc, r, r.agentBucket, entity)
	if err != nil {
		return nil, err
	}
	return c.view, nil
}

// resolution is a name-or-ID triple resolved to IDs (or to not found).
type resolution struct {
	t           service.SessionTarget
	err         error
	agentBucket float64 // the Agent route's rollout bucket
	loaded      time.Time
}

// maxNamesPerScope bounds the resolutions remembered per account and
// region; past it they are forgotten and loaded again as asked.
const maxNamesPerScope = 10000

// identKey is a triple of identifiers as a caller wrote them.
type identKey struct{ app, env, profile string }

// resolve resolves identifiers from memory, loading once on a miss.
// Names are dropped from memory by appconfig.NamesTopic notifications.
func (c *cache) resolve(ctx context.Context, sc appconfig.Scope, app, env, profile string) (*resolution, error) {
	k := identKey{app, env, profile}
	now := c.now()
	c.mu.RLock()
	r, ok := c.names[sc][k]
	c.mu.RUnlock()
	if ok && now.Sub(r.loaded) < c.maxAge {
		return r, r.err
	}
	c.mu.RLock()
	stamp := c.gen.Stamp()
	c.mu.RUnlock()
	r = &resolution{loaded: now}
	r.t, r.err = c.svc.ResolveSession(ctx, sc, app, env, profile, [3]string{"Application", "Environment", "Configuration"})
	var e *appconfig.Error
	if r.err != nil && appconfig.IsNotFound(r.err) && errors.As(r.err, &e) {
		r.err = appconfig.NotFound(e.ResourceType, "%s", e.Message)
	}
	if r.err == nil {
		r.agentBucket = clientBucket(r.t, "")
	}
	if c.afterResolve != nil {
		c.afterResolve()
	}
	c.mu.Lock()
	if c.gen.Current(stamp) && (r.err == nil || !isTransient(r.err)) {
		m := c.names[sc]
		if m == nil || len(m) >= c.maxNames {
			// Bounded: identifiers are the caller's, any number of
			// distinct misses must not grow memory without end.
			m = map[identKey]*resolution{}
			c.names[sc] = m
		}
		m[k] = r
	}
	c.mu.Unlock()
	return r, r.err
}

// clientBucket is the rollout bucket of a sessionless client: from the
// profile and clientKey (GetConfiguration's client_id; "" for the Agent
// route, which that required parameter can never be).
func clientBucket(t service.SessionTarget, clientKey string) float64 {
	sum := sha256.Sum256([]byte(t.Application.ID + "/" + t.Environment.ID + "/" + t.Profile.ID + "/" + clientKey))
	var id [16]byte
	copy(id[:], sum[:])
	return bucket(id)
}

// served picks the content a sessionless caller in bucket b gets, and
// marks the environment and profile as used.
func (s *Server) served(ctx context.Context, sc appconfig.Scope, r *resolution, b float64) (*content, error) {
	return s.servedFor(ctx, sc, r, b, "")
}

// servedFor is served for a caller naming its entity (see LookupEntity).
func (s *Server) servedFor(ctx context.Context, sc appconfig.Scope, r *resolution, b float64, entity string) (*content, error) {
	t := r.t
	key := servedKey{sc: sc, app: t.Application.ID, env: t.Environment.ID, profile: t.Profile.ID}
	e, err := s.cache.get(ctx, key)
	if err != nil {
		return nil, err
	}
	if entity != "" {
		b = e.entityBucket(b, entity)
	}
	c := e.pick(b)
	if c == nil {
		return nil, appconfig.NotFound("Deployment", "No configuration has been deployed to environment %s for configuration profile %s yet.", t.Environment.ID, t.Profile.ID)
	}
	s.touch(e, key, s.clock.Now())
	return c, nil
}

// newView describes a content for Lookup.
func newView(k servedKey, served *service.Served, sc *service.ServedContent, c *content, flags *featureflag.Compiled) *View {
	return &View{
		ApplicationID: k.app, EnvironmentID: k.env, ProfileID: k.profile,
		ProfileName: served.Profile.Name, FeatureFlags: served.Profile.IsFeatureFlags(),
		DeploymentNumber: sc.DeploymentNumber, Version: sc.Version, Label: sc.Label,
		Content: c.body, ContentType: c.contentType,
		ETag:  `"` + strconv.FormatUint(c.fingerprint, 16) + `"`,
		Flags: flags,
	}
}
