package server

import (
	"context"
	"net/http"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/apitoken"
	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/ofrep"
	"github.com/appconfigd/appconfigd/internal/push"
	"github.com/appconfigd/appconfigd/internal/wire"
)

// The flag path's additions: bearer tokens, OFREP and change streams.

// withTokens wraps the request authenticator so that read-only bearer
// tokens are accepted on the flag routes (under --auth sigv4).
func (s *Server) withTokens(next wire.Authenticator) wire.Authenticator {
	if s.cfg.Auth != auth.ModeSigV4 {
		return next
	}
	now := clock.Real{}.Now
	if s.cfg.WallClock != nil {
		now = s.cfg.WallClock.Now
	}
	s.tokens = &apitoken.Authenticator{Next: next, Store: s.store, Now: now,
		AppID: func(ctx context.Context, sc appconfig.Scope, app, env, prof string) (string, error) {
			t, err := s.svc.ResolveSession(ctx, sc, app, env, prof, [3]string{"Application", "Environment", "Configuration"})
			return t.Application.ID, err
		}}
	return s.tokens
}

// withOFREP puts OFREP and change streams in front of the AWS APIs.
func (s *Server) withOFREP(api *wire.Handler, authn wire.Authenticator, streamKey []byte) http.Handler {
	s.push = push.New(push.Config{Source: s.data.PushSource(), Logger: s.log})
	s.ofrep = ofrep.New(ofrep.Config{Lookup: s.data, Auth: authn, Broker: s.push, StreamKey: streamKey,
		Heartbeat: s.cfg.StreamHeartbeat, MaxBodyBytes: s.cfg.MaxBodyBytes, Logger: s.log,
		Allow: api.Allow,
		Observe: func(r *http.Request, o ofrep.Observed) {
			s.metrics.Observe(r.Context(), wire.RequestInfo{Service: "ofrep", Operation: o.Operation, Scope: o.Scope,
				Status: o.Status, ErrorCode: o.ErrorCode, Duration: o.Duration})
		}})
	s.metrics.Gauge("appconfigd_push_streams", "Open change streams (server-sent events).", func() float64 { return float64(s.push.Streams()) })
	return s.ofrep.Wrap(api)
}

// runPush follows store topics for the broker and the token cache.
func (s *Server) runPush(ctx context.Context) {
	topics := s.store.Subscribe(ctx)
	fwd := make(chan string, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.push.Run(ctx, fwd)
	}()
	defer func() { close(fwd); <-done }()
	for t := range topics {
		if s.tokens != nil && (t == apitoken.Topic || t == appconfig.TopicReset) {
			s.tokens.Flush()
		}
		select {
		case fwd <- t:
		case <-ctx.Done():
			return
		}
	}
}

// Push is the change-stream broker.
func (s *Server) Push() *push.Broker { return s.push }

// OpenStore opens the store a server with cfg would use (for the CLI).
func OpenStore(ctx context.Context, cfg Config) (appconfig.Store, error) { return openStore(ctx, cfg) }
