// Package dataplane implements the appconfigdata (2021-11-11) operations —
// configuration sessions and polling — and the control plane's deprecated
// GetConfiguration. Polls are answered from the token and memory: no
// store query or write per request.
package dataplane

import (
	"context"
	"crypto/rand"
	"log/slog"
	"strings"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/experiment"
	"github.com/appconfigd/appconfigd/internal/featureflag"
	"github.com/appconfigd/appconfigd/internal/records"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire"
	"github.com/appconfigd/appconfigd/internal/wire/gen/dataapi"
)

const (
	// tokenLifetime is how long a configuration token stays valid.
	tokenLifetime = 24 * time.Hour
	// defaultPollInterval is the Next-Poll-Interval-In-Seconds of a
	// session that did not set RequiredMinimumPollIntervalInSeconds.
	defaultPollInterval = 60
	// defaultMinPoll is the shortest gap between polls enforced on such a
	// session ("Request too early"). AWS's threshold is unpublished
	// (a poll 5 s after the last one was refused); we use the smallest
	// interval a session may ask for.
	defaultMinPoll = 15
)

// Config wires a Server.
type Config struct {
	Service *service.Service
	Clock   clock.Clock
	Logger  *slog.Logger
	// TokenKey authenticates tokens; every replica must share it.
	TokenKey []byte
	// CacheMaxAge bounds how stale a cached answer may be when a change
	// notification was missed (default 30s of service time).
	CacheMaxAge time.Duration
	// OnPoll, when set, learns each successful poll (changed: content sent).
	OnPoll func(changed bool)
	// Experiments wires experiment traffic data (counter, assignment log).
	Experiments ExperimentsConfig
}

// Server answers the data plane.
type Server struct {
	svc      *service.Service
	clock    clock.Clock
	log      *slog.Logger
	codec    tokenCodec
	sessions *sessions
	cache    *cache
	onPoll   func(bool)
	// assignLog, when set, records treatment assignments.
	assignLog *experiment.AssignmentLog
}

var _ dataapi.Handler = (*Server)(nil)

// New builds the data-plane server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CacheMaxAge <= 0 {
		cfg.CacheMaxAge = 30 * time.Second
	}
	s := &Server{
		svc: cfg.Service, clock: cfg.Clock, log: cfg.Logger,
		codec:     newTokenCodec(cfg.TokenKey),
		sessions:  newSessions(cfg.Clock.Now()),
		cache:     newCache(cfg.Service, cfg.CacheMaxAge, cfg.Clock.Now),
		onPoll:    cfg.OnPoll,
		assignLog: cfg.Experiments.Log,
	}
	s.cache.counter = cfg.Experiments.Counter
	return s
}

// Run drops cached answers when the store announces changes, until ctx
// ends. A store that can call a listener synchronously (sqlstore.DB.Listen,
// through wrappers that forward it) is listened to, so an acknowledged
// write is never followed by an answer from before it; other stores are
// subscribed to.
func (s *Server) Run(ctx context.Context, st appconfig.Store) {
	if l, ok := st.(interface{ Listen(func(string)) func() }); ok {
		if stop := l.Listen(s.cache.invalidate); stop != nil {
			// What was loaded before listening may have missed a topic.
			s.cache.invalidate(appconfig.TopicReset)
			<-ctx.Done()
			stop()
			return
		}
	}
	topics := st.Subscribe(ctx)
	s.cache.invalidate(appconfig.TopicReset)
	for topic := range topics {
		s.cache.invalidate(topic)
	}
}

// Invalidate drops cached answers for a topic (tests, other notifiers).
func (s *Server) Invalidate(topic string) { s.cache.invalidate(topic) }

// Sessions counts the sessions remembered for single-use checks.
func (s *Server) Sessions() int { return s.sessions.len() }

func badToken(problem, msg string) error {
	e := &appconfig.Error{Kind: appconfig.KindBadRequest, Message: msg}
	if problem != "" {
		e.InvalidParameters = map[string]string{"ConfigurationToken": problem}
	}
	return e
}

// StartConfigurationSession implements dataapi.Handler.
func (s *Server) StartConfigurationSession(ctx context.Context, in *dataapi.StartConfigurationSessionRequest) (*dataapi.StartConfigurationSessionResponse, error) {
	sc := wire.ScopeFrom(ctx)
	t, err := s.svc.ResolveSession(ctx, sc, *in.ApplicationIdentifier, *in.EnvironmentIdentifier, *in.ConfigurationProfileIdentifier,
		[3]string{"ApplicationIdentifier", "EnvironmentIdentifier", "ConfigurationProfileIdentifier"})
	if err != nil {
		return nil, err
	}
	tok := &token{IssuedAt: s.clock.Now(), Account: sc.Account, Region: sc.Region, App: t.Application.ID, Env: t.Environment.ID, Profile: t.Profile.ID}
	tok.NotBefore = tok.IssuedAt
	if in.RequiredMinimumPollIntervalInSeconds != nil {
		tok.MinInterval = uint32(*in.RequiredMinimumPollIntervalInSeconds)
	}
	if _, err := rand.Read(tok.Session[:]); err != nil {
		return nil, appconfig.Internal(err, "no randomness for a session id")
	}
	s.sessions.start(tok.Session)
	sealed := s.codec.seal(tok)
	return &dataapi.StartConfigurationSessionResponse{InitialConfigurationToken: &sealed}, nil
}

// GetLatestConfiguration implements dataapi.Handler.
func (s *Server) GetLatestConfiguration(ctx context.Context, in *dataapi.GetLatestConfigurationRequest) (*dataapi.GetLatestConfigurationResponse, error) {
	sc := wire.ScopeFrom(ctx)
	now := s.clock.Now()
	var opened token // on the stack: a poll allocates no token
	tok := &opened
	err := s.codec.openInto(*in.ConfigurationToken, tok)
	if err != nil || tok.Account != sc.Account || tok.Region != sc.Region {
		return nil, badToken("Corrupted", "Token not valid")
	}
	if now.Sub(tok.IssuedAt) > tokenLifetime {
		return nil, badToken("Expired", "Token expired")
	}
	if now.Before(tok.NotBefore) {
		return nil, badToken("PollIntervalNotSatisfied", "Request too early")
	}
	if !s.sessions.use(tok.Session, tok.Seq, now) {
		return nil, badToken("", "Token not valid")
	}
	key := servedKey{sc: sc, app: tok.App, env: tok.Env, profile: tok.Profile}
	e, err := s.cache.get(ctx, key)
	if err != nil {
		s.sessions.release(tok.Session, tok.Seq)
		if appconfig.IsNotFound(err) {
			return nil, sessionGone(err)
		}
		return nil, err
	}
	c := e.pick(bucket(tok.Session))
	if c == nil {
		s.sessions.release(tok.Session, tok.Seq)
		return nil, &appconfig.Error{Kind: appconfig.KindNotFound, ResourceType: "Deployment",
			Message:      "No configuration has been deployed to environment " + tok.Env + " for configuration profile " + tok.Profile + " (for this session) yet.",
			ReferencedBy: map[string]string{"ConfigurationToken": "EnvironmentIdentifier=" + tok.Env + ",ConfigurationProfileIdentifier=" + tok.Profile}}
	}
	s.touch(e, key, now)
	if c.ion != nil && featureflag.AcceptsIon(strings.Join(wire.HeaderFrom(ctx).Values("Accept"), ",")) {
		c = c.ion // the Agent evaluates variants itself
	}

	// One allocation for the answer and the values its fields point to.
	a := &pollAnswer{interval: defaultPollInterval}
	minPoll := int64(defaultMinPoll)
	if tok.MinInterval > 0 {
		a.interval, minPoll = int64(tok.MinInterval), int64(tok.MinInterval)
	}
	next := *tok
	next.Seq, next.IssuedAt, next.NotBefore = tok.Seq+1, now, now.Add(time.Duration(minPoll)*time.Second)
	out := &a.out
	out.NextPollIntervalInSeconds = &a.interval
	if c.fingerprint != tok.Has {
		next.Has = c.fingerprint
		out.Configuration, out.ContentType = c.body, &c.contentType
		if c.label != "" {
			out.VersionLabel = &c.label
		}
	} else {
		out.Configuration = []byte{}
	}
	a.sealed = s.codec.seal(&next)
	out.NextPollConfigurationToken = &a.sealed
	if s.onPoll != nil {
		s.onPoll(len(out.Configuration) > 0)
	}
	return out, nil
}

// pollAnswer is a poll's answer with the values its pointers name.
type pollAnswer struct {
	out      dataapi.GetLatestConfigurationResponse
	interval int64
	sealed   string
}

// sessionGone maps a resource deleted under a live session.
func sessionGone(err error) error {
	e, ok := err.(*appconfig.Error)
	if !ok {
		return err
	}
	out := *e
	if out.ResourceType == "" {
		switch e.ResourceName {
		case "ConfigurationProfile":
			out.ResourceType = "ConfigurationProfile"
		default:
			out.ResourceType = "Configuration"
		}
	}
	return &out
}

// touch marks the environment and profile as used, at most once a second.
func (s *Server) touch(e *entry, k servedKey, now time.Time) {
	sec := now.Unix()
	old := e.lastUsed.Load()
	if sec > old && e.lastUsed.CompareAndSwap(old, sec) {
		s.svc.RecordUsage(k.sc, k.app, k.env, k.profile)
	}
}

// Configuration is the answer of the deprecated GetConfiguration.
type Configuration struct {
	Content     []byte
	ContentType string
	Version     string
}

// GetConfiguration serves the deprecated control-plane GetConfiguration:
// the client_id picks the rollout bucket, and a client that already has
// the served version gets an empty answer.
func (s *Server) GetConfiguration(ctx context.Context, sc appconfig.Scope, appIdent, envIdent, profIdent, clientID, clientVersion string) (Configuration, error) {
	r, err := s.cache.resolve(ctx, sc, appIdent, envIdent, profIdent)
	if err != nil {
		return Configuration{}, err
	}
	if r.t.Profile.IsFeatureFlags() {
		return Configuration{}, appconfig.BadRequest("Feature flag configurations must be accessed via AWS AppConfig Data's GetLatestConfiguration API.")
	}
	c, err := s.served(ctx, sc, r, clientBucket(r.t, clientID))
	if err != nil {
		return Configuration{}, err
	}
	out := Configuration{Version: c.version, ContentType: c.contentType}
	if clientVersion != c.version {
		out.Content = c.body
	}
	return out, nil
}

// TokenKey loads (or creates, once for all replicas) the token key.
func TokenKey(ctx context.Context, st appconfig.Store) ([]byte, error) {
	k := records.MetaKey("token-key")
	var key []byte
	err := st.Update(ctx, func(tx appconfig.Tx) error {
		rec, err := tx.Get(ctx, k, false, true)
		if err == nil {
			key = rec.Data
			return nil
		}
		if !appconfig.IsNotFound(err) {
			return err
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		rec = appconfig.Record{Key: k, Body: []byte("{}"), Data: key}
		return tx.Insert(ctx, &rec)
	})
	if appconfig.IsConflict(err) {
		return TokenKey(ctx, st) // another replica created it first
	}
	return key, err
}
