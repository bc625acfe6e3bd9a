package dataplane

import (
	"context"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/cachegen"
	"github.com/appconfigd/appconfigd/internal/experiment"
	"github.com/appconfigd/appconfigd/internal/featureflag"
	"github.com/appconfigd/appconfigd/internal/service"
)

// servedKey names one environment + profile of one scope.
type servedKey struct {
	sc                appconfig.Scope
	app, env, profile string
}

// content is a deployed configuration ready to send.
type content struct {
	body        []byte
	contentType string
	label       string
	version     string
	fingerprint uint64
	// ion is the Ion form of a feature-flag configuration with a
	// multi-variant flag, for callers that accept it (the AppConfig
	// Agent); nil otherwise.
	ion *content
	// view describes this content for Lookup (with the compiled flags of
	// a feature-flag configuration, evaluated per caller).
	view *View
}

// entry is the cached answer for one servedKey.
type entry struct {
	served *service.Served
	new    *content
	prev   *content
	// lastUsed (unix seconds of the service clock) throttles usage marks
	// for deletion protection to one per entry per second.
	lastUsed atomic.Int64
	loaded   time.Time
	err      error
	// rolloutSalt places entities in the deployment's rollout
	// (entity-based gradual deployments).
	rolloutSalt string
}

func (e *entry) pick(b float64) *content {
	if e.served.Deployment == nil {
		return nil
	}
	if _, isNew := e.served.Deployment.Serves(b); isNew {
		return e.new
	}
	return e.prev
}

// cache keeps what each environment serves in memory. It is filled on
// first use, dropped per environment when the store announces a change
// (Subscribe), and refreshed after maxAge as a backstop.
type cache struct {
	svc    *service.Service
	maxAge time.Duration
	now    func() time.Time

	mu      sync.RWMutex
	entries map[envKey]map[string]*entry // by environment, then profile
	// served mirrors entries by servedKey for polls, which read it
	// without taking mu (a sync.Map's loads take no lock and write no
	// shared memory, so polls on many cores do not contend on mu's reader
	// count). It is changed only with mu held, through putEntry,
	// dropEntry, dropEnv and clearEntries, so it equals entries whenever
	// mu is free.
	served sync.Map
	names  map[appconfig.Scope]map[identKey]*resolution
	// maxNames bounds names per scope (maxNamesPerScope; tests lower it).
	maxNames int
	loading  map[servedKey]*sync.WaitGroup
	// gen counts invalidations: a load that saw another generation start
	// may have read what the invalidation replaced, so it is not kept.
	gen cachegen.Generation
	// afterLoad, when set (tests), runs between a load and its keeping.
	afterLoad func(servedKey)
	// afterResolve, when set (tests), runs between resolving names and
	// keeping them.
	afterResolve func()
	// counter, when set, gives the counter of treatments returned for
	// (application, environment, profile, flag, variant).
	counter func(app, env, profile, flag, variant string) experiment.Counter
}

// envKey names one environment of one scope.
type envKey struct {
	sc       appconfig.Scope
	app, env string
}

func newCache(svc *service.Service, maxAge time.Duration, now func() time.Time) *cache {
	return &cache{svc: svc, maxAge: maxAge, now: now, entries: map[envKey]map[string]*entry{}, names: map[appconfig.Scope]map[identKey]*resolution{}, maxNames: maxNamesPerScope, loading: map[servedKey]*sync.WaitGroup{}}
}

func (c *cache) lookup(k servedKey) (*entry, bool) {
	e, ok := c.entries[envKey{k.sc, k.app, k.env}][k.profile]
	return e, ok
}

// putEntry keeps e for k; mu must be held.
func (c *cache) putEntry(k servedKey, e *entry) {
	ek := envKey{k.sc, k.app, k.env}
	m := c.entries[ek]
	if m == nil {
		m = map[string]*entry{}
		c.entries[ek] = m
	}
	m[k.profile] = e
	c.served.Store(k, e)
}

// dropEntry forgets one profile's entry of an environment; mu must be held.
func (c *cache) dropEntry(ek envKey, profile string) {
	delete(c.entries[ek], profile)
	c.served.Delete(servedKey{sc: ek.sc, app: ek.app, env: ek.env, profile: profile})
}

// dropEnv forgets an environment's entries; mu must be held.
func (c *cache) dropEnv(ek envKey) {
	for profile := range c.entries[ek] {
		c.served.Delete(servedKey{sc: ek.sc, app: ek.app, env: ek.env, profile: profile})
	}
	delete(c.entries, ek)
}

// clearEntries forgets every entry; mu must be held.
func (c *cache) clearEntries() {
	clear(c.entries)
	c.served.Clear()
}

func (c *cache) get(ctx context.Context, k servedKey) (*entry, error) {
	now := c.now()
	if v, ok := c.served.Load(k); ok {
		if e := v.(*entry); now.Sub(e.loaded) < c.maxAge {
			return e, e.err
		}
	}
	c.mu.RLock()
	e, ok := c.lookup(k)
	c.mu.RUnlock()
	if ok && now.Sub(e.loaded) < c.maxAge {
		return e, e.err
	}
	// One load per key at a time; others wait for it.
	c.mu.Lock()
	if wg, busy := c.loading[k]; busy {
		c.mu.Unlock()
		wg.Wait()
		c.mu.RLock()
		e, ok = c.lookup(k)
		c.mu.RUnlock()
		if ok {
			return e, e.err
		}
		return c.get(ctx, k)
	}
	wg := &sync.WaitGroup{}
	wg.Add(1)
	c.loading[k] = wg
	stamp := c.gen.Stamp()
	c.mu.Unlock()

	fresh := c.load(ctx, k, now)
	if c.afterLoad != nil {
		c.afterLoad(k)
	}
	if old := e; old != nil {
		fresh.lastUsed.Store(old.lastUsed.Load())
	}
	c.mu.Lock()
	if c.gen.Current(stamp) && (fresh.err == nil || !isTransient(fresh.err)) {
		c.putEntry(k, fresh)
	}
	delete(c.loading, k)
	c.mu.Unlock()
	wg.Done()
	return fresh, fresh.err
}

func isTransient(err error) bool { return appconfig.KindOf(err) == appconfig.KindInternal }

func (c *cache) load(ctx context.Context, k servedKey, now time.Time) *entry {
	e := &entry{loaded: now}
	served, err := c.svc.LoadServed(ctx, k.sc, k.app, k.env, k.profile)
	if err != nil {
		e.err = err
		return e
	}
	e.served = served
	flags := served.Profile.IsFeatureFlags()
	var ex *experiment.Served
	var exTag string
	if flags && served.Deployment != nil {
		if ex, exTag, e.err = c.loadExperiments(ctx, k); e.err != nil {
			return e
		}
	}
	if served.Deployment != nil {
		e.rolloutSalt = rolloutSalt(k, served.Deployment)
	}
	conv := func(sc *service.ServedContent) *content {
		if sc == nil {
			return nil
		}
		body, ctype := sc.Data, sc.ContentType
		var ion []byte
		var compiled *featureflag.Compiled
		if flags {
			compiled, _ = featureflag.Compile(sc.Data)
			// Feature flags are served in their client form: JSON, and
			// Ion with the variants for callers that ask for it.
			if view, err := featureflag.ClientView(sc.Data); err == nil {
				body, ctype = view, "application/json"
			}
			if view, ok, err := featureflag.IonView(sc.Data); err == nil && ok {
				ion = view
			}
		}
		c := &content{body: body, contentType: ctype, label: sc.Label, version: sc.Version, fingerprint: fingerprint(sc.Version, ctype, body)}
		c.view = newView(k, served, sc, c, compiled)
		c.view.Experiments, c.view.ExperimentTag = ex, exTag
		if ion != nil {
			c.ion = &content{body: ion, contentType: featureflag.IonContentType, label: sc.Label, version: sc.Version,
				fingerprint: fingerprint(sc.Version, featureflag.IonContentType, ion)}
		}
		return c
	}
	e.new, e.prev = conv(served.New), conv(served.Previous)
	return e
}

// fingerprint identifies what a client holds: the version and the exact
// representation (never 0, which means nothing).
func fingerprint(version, ctype string, body []byte) uint64 {
	h := fnv.New64a()
	h.Write([]byte(version))
	h.Write([]byte{0})
	h.Write([]byte(ctype))
	h.Write([]byte{0})
	h.Write(body)
	if fp := h.Sum64(); fp != 0 {
		return fp
	}
	return 1
}

// invalidate drops what is cached for an environment
// (appconfig.EnvironmentTopic) or a profile (appconfig.ProfileTopic), the
// names resolved under an application (appconfig.NamesTopic), or
// everything on a reset. Other topics do not concern what clients are
// served.
func (c *cache) invalidate(topic string) {
	t, err := appconfig.ParseTopic(topic)
	if err != nil {
		return
	}
	switch t.Kind {
	case appconfig.TopicKindReset:
		c.mu.Lock()
		c.clearEntries()
		clear(c.names)
		c.gen.Invalidate()
		c.mu.Unlock()
	case appconfig.TopicKindNames:
		c.dropNames(t.Scope, t.App)
	case appconfig.TopicKindEnvironment:
		c.mu.Lock()
		c.gen.Invalidate()
		c.dropEnv(envKey{t.Scope, t.App, t.Env})
		c.mu.Unlock()
	case appconfig.TopicKindSettings:
		c.dropExperiments(t.Scope)
	case appconfig.TopicKindProfile:
		c.mu.Lock()
		c.gen.Invalidate()
		for ek := range c.entries {
			if ek.sc == t.Scope && ek.app == t.App {
				c.dropEntry(ek, t.Profile)
			}
		}
		c.mu.Unlock()
	}
}

// dropNames forgets resolved names after appconfig.NamesTopic(sc, app):
// every name of the scope when app is "" (applications changed), else
// those under app and what its environments serve (which carries the
// profile's name).
func (c *cache) dropNames(sc appconfig.Scope, app string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Invalidate()
	if app == "" {
		delete(c.names, sc)
		return
	}
	for k, r := range c.names[sc] {
		if r.t.Application.ID == app {
			delete(c.names[sc], k)
		}
	}
	for ek := range c.entries {
		if ek.sc == sc && ek.app == app {
			c.dropEnv(ek)
		}
	}
}
