// Package ofrep serves OpenFeature's Remote Evaluation Protocol (OFREP)
// for every AWS.AppConfig.FeatureFlags profile, and the change stream
// (server-sent events) for every profile.
//
// The provider's base URL is the profile's Agent-route path
// P = /applications/{app}/environments/{env}/configurations/{profile}
// (names or IDs):
//
//	POST P/ofrep/v1/evaluate/flags/{key}   one flag ("F", or "F.attr")
//	POST P/ofrep/v1/evaluate/flags         every flag and F.attr (ETag, 304)
//	GET  P/ofrep/v1/configuration          capabilities
//	GET  P  with Accept: text/event-stream  change notifications (ADR-0008)
//
// The profile is resolved and its served document read through a Lookup
// (the Agent route's own resolution); flags are evaluated by an Evaluator.
package ofrep

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/apitoken"
	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/featureflag"
	"github.com/appconfigd/appconfigd/internal/push"
)

// Flags is what a profile serves to a caller without a session.
type Flags struct {
	Target  push.Target
	IsFlags bool // the profile is AWS.AppConfig.FeatureFlags
	// Compiled is the served feature-flag document, compiled once per
	// deployed version (IsFlags; nil when the content is not a flag
	// document).
	Compiled *featureflag.Compiled
	Version  string
	// Tag identifies the served configuration and the state of any
	// experiment run on it (push.State.ETag).
	Tag string
	// Treat, when set (an experiment run is served for an entity), gives
	// what a run's flag serves a caller in place of the deployed flag;
	// ok is false when the caller falls through to the deployed flag.
	Treat Treater
}

// Treater serves experiment treatments.
type Treater interface {
	// Treat is the treatment flag gives a caller (targetingKey: entity).
	Treat(flag string, ctx featureflag.EvalContext) (*featureflag.Result, bool)
	// Flags are the flags runs own.
	Flags() []string
}

// Lookup resolves a profile as the Agent route does.
type Lookup interface {
	// entity is the caller's targetingKey ("" none): it places the caller
	// in a gradual deployment and in experiment runs.
	ServedFlags(ctx context.Context, sc appconfig.Scope, app, env, profile, entity string) (Flags, error)
	// Refresh drops what is cached for t (a client saw a newer tag).
	Refresh(t push.Target)
}

// Authenticator decides who a request comes from (wire.Authenticator).
type Authenticator interface {
	Authenticate(r *http.Request, body []byte) (appconfig.Scope, error)
}

// TokenBinder is implemented by an Authenticator that accepts revocable
// bearer tokens (apitoken.Authenticator): a stream URL handed out to a
// request with a token names the token's hash, is signed with it, and
// opens a stream only while the token exists.
type TokenBinder interface {
	// BearerHash is the hash of r's bearer token, "" when r has none.
	BearerHash(r *http.Request) string
	// CheckHash fails when the token with that hash is revoked.
	CheckHash(ctx context.Context, hash string) error
}

// Config wires a Handler.
type Config struct {
	Lookup Lookup
	Auth   Authenticator
	// Broker, when set, serves change streams and is advertised in bulk
	// answers as eventStreams.
	Broker *push.Broker
	// Heartbeat is the longest silence on a stream (default 10s).
	Heartbeat time.Duration
	// StreamKey signs the stream URLs handed out in bulk answers (browsers'
	// EventSource cannot send an Authorization header).
	StreamKey    []byte
	MaxBodyBytes int64
	Logger       *slog.Logger
	// Now is the wall clock for write deadlines on streams.
	Now func() time.Time
	// Allow, when set, spends one request of the account's rate limit
	// (wire.Handler.Allow); a refused request is a 429 with Retry-After.
	Allow func(account string) bool
	// Observe, when set, learns every finished request and stream.
	Observe func(r *http.Request, o Observed)
	// PollIntervalMs is the minimum polling interval advertised by
	// /ofrep/v1/configuration (default 30000).
	PollIntervalMs int
}

// Handler serves OFREP in front of another handler.
type Handler struct {
	cfg Config
}

// New builds a Handler.
func New(cfg Config) *Handler {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 10 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PollIntervalMs <= 0 {
		cfg.PollIntervalMs = 30000
	}
	return &Handler{cfg: cfg}
}

// route is a request this package serves.
type route struct {
	app, env, profile string
	op                string // single, bulk, configuration, stream
	key               string
}

// match tells whether r is OFREP or a change stream.
func match(r *http.Request) (route, bool) {
	path := r.URL.EscapedPath()
	// Every request of the server passes here: refuse the others (the
	// Agent route above all) before splitting the path. OFREP paths hold
	// "/ofrep/"; a stream is a GET asking for text/event-stream.
	if !strings.HasPrefix(path, "/applications/") ||
		!strings.Contains(path, "/ofrep/") && (r.Method != http.MethodGet || !acceptsEventStream(r)) {
		return route{}, false
	}
	p := strings.Split(path, "/")
	if len(p) < 7 || p[0] != "" || p[1] != "applications" || p[3] != "environments" || p[5] != "configurations" {
		return route{}, false
	}
	var rt route
	for i, dst := range []*string{&rt.app, &rt.env, &rt.profile} {
		s, err := url.PathUnescape(p[2+2*i])
		if err != nil || s == "" {
			return route{}, false
		}
		*dst = s
	}
	rest := p[7:]
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet && acceptsEventStream(r):
		rt.op = "stream"
	case len(rest) == 4 && rest[0] == "ofrep" && rest[1] == "v1" && rest[2] == "evaluate" && rest[3] == "flags":
		rt.op = "bulk"
	case len(rest) == 5 && rest[0] == "ofrep" && rest[1] == "v1" && rest[2] == "evaluate" && rest[3] == "flags":
		k, err := url.PathUnescape(rest[4])
		if err != nil {
			return route{}, false
		}
		rt.op, rt.key = "single", k
	case len(rest) == 3 && rest[0] == "ofrep" && rest[1] == "v1" && rest[2] == "configuration":
		rt.op = "configuration"
	default:
		return route{}, false
	}
	return rt, true
}

func acceptsEventStream(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(v, "text/event-stream") {
			return true
		}
	}
	return false
}

// Wrap serves OFREP and change streams, and passes anything else to next.
func (h *Handler) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := match(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if h.cfg.Observe == nil {
			h.serve(w, r, rt)
			return
		}
		start := h.cfg.Now()
		rec := &recorder{ResponseWriter: w}
		h.serve(rec, r, rt)
		h.cfg.Observe(r, Observed{Operation: operations[rt.op], Scope: rec.sc, Status: rec.status, ErrorCode: rec.code, Duration: h.cfg.Now().Sub(start)})
	})
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rt route) {
	// Browsers call from other origins. Credentials travel in headers
	// (SigV4, bearer tokens) or the stream ticket, never in cookies, so
	// any origin may read the answers.
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Origin", "*")
	hdr.Set("Access-Control-Expose-Headers", "ETag")
	if r.Method == http.MethodOptions {
		hdr.Set("Access-Control-Allow-Methods", "GET, POST")
		hdr.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match, X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token")
		hdr.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	want := map[string]string{"single": http.MethodPost, "bulk": http.MethodPost, "configuration": http.MethodGet, "stream": http.MethodGet}[rt.op]
	if r.Method != want && !(r.Method == http.MethodHead && want == http.MethodGet) {
		w.Header().Set("Allow", want)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"errorCode": codeGeneral, "errorDetails": "use " + want})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.cfg.MaxBodyBytes+1))
	if err != nil || int64(len(body)) > h.cfg.MaxBodyBytes {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"errorCode": codeGeneral, "errorDetails": "request body too large or unreadable"})
		return
	}
	sc, err := h.authenticate(r, rt, body)
	if err != nil {
		h.writeError(w, rt, err)
		return
	}
	note(w, &sc, "")
	if h.cfg.Allow != nil && !h.cfg.Allow(sc.Account) {
		h.writeError(w, rt, &appconfig.Error{Kind: appconfig.KindThrottled, Message: "Rate exceeded"})
		return
	}
	ctx := r.Context()
	if rt.op == "stream" {
		h.stream(w, r, sc, rt)
		return
	}
	if rt.op == "configuration" {
		h.configuration(w)
		return
	}
	evalCtx, err := parseRequest(body)
	if err != nil {
		h.writeError(w, rt, err)
		return
	}
	entity := evalCtx[featureflag.TargetingKey]
	f, err := h.cfg.Lookup.ServedFlags(ctx, sc, rt.app, rt.env, rt.profile, entity)
	if err == nil && !f.IsFlags {
		err = appconfig.BadRequest("configuration profile %s is not of type AWS.AppConfig.FeatureFlags; OFREP evaluates feature flags only", rt.profile)
	}
	if err != nil {
		h.writeError(w, rt, err)
		return
	}
	if tag := r.URL.Query().Get("flagConfigEtag"); rt.op == "bulk" && tag != "" && tag != f.Tag && !h.streamTagIs(ctx, sc, rt, entity, tag) {
		// A change stream announced a configuration this replica may not
		// have loaded yet: drop its cache and read again.
		h.cfg.Lookup.Refresh(f.Target)
		if again, err := h.cfg.Lookup.ServedFlags(ctx, sc, rt.app, rt.env, rt.profile, entity); err == nil && again.IsFlags {
			f = again
		}
	}
	if f.Compiled == nil {
		h.writeError(w, rt, appconfig.Internal(nil, "the served feature flags could not be read"))
		return
	}
	if rt.op == "single" {
		evs := evaluateOne(f, rt.key, evalCtx)
		res, fail := single(evs, rt.key, evalCtx)
		if fail != nil {
			h.writeError(w, rt, fail)
			return
		}
		writeJSON(w, http.StatusOK, res)
		return
	}
	h.bulk(w, r, sc, f, evaluateAll(f, evalCtx), evalCtx)
}

// streamTagIs reports whether tag is what this replica's change stream
// announces for the profile: with an entity in the middle of a gradual
// deployment, the caller's own content may differ from it, and that is
// no reason to reload.
func (h *Handler) streamTagIs(ctx context.Context, sc appconfig.Scope, rt route, entity, tag string) bool {
	if entity == "" {
		return false
	}
	f, err := h.cfg.Lookup.ServedFlags(ctx, sc, rt.app, rt.env, rt.profile, "")
	return err == nil && f.Tag == tag
}

// bulk answers every flag, with an ETag over the evaluated answer and the
// served configuration.
func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, sc appconfig.Scope, f Flags, evs []featureflag.Evaluation, evalCtx map[string]string) {
	flags := make([]result, 0, 2*len(evs))
	for _, ev := range evs {
		flags = append(flags, flagResults(ev, evalCtx, true)...)
	}
	answer, _ := json.Marshal(flags)
	sum := sha256.New()
	sum.Write([]byte(f.Tag))
	sum.Write([]byte{0})
	sum.Write(answer)
	etag := `"` + hex.EncodeToString(sum.Sum(nil)[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if matchesETag(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	type endpoint struct {
		RequestURI string `json:"requestUri"`
	}
	type stream struct {
		Type     string   `json:"type"`
		Endpoint endpoint `json:"endpoint"`
	}
	out := struct {
		Flags        json.RawMessage   `json:"flags"`
		Metadata     map[string]string `json:"metadata,omitempty"`
		EventStreams []stream          `json:"eventStreams,omitempty"`
	}{Flags: answer, Metadata: map[string]string{"configurationVersion": f.Version}}
	if h.cfg.Broker != nil {
		bearer := ""
		if tb, ok := h.cfg.Auth.(TokenBinder); ok {
			bearer = tb.BearerHash(r)
		}
		out.EventStreams = []stream{{Type: "sse", Endpoint: endpoint{RequestURI: h.streamURI(sc, f.Target, bearer)}}}
	}
	writeJSON(w, http.StatusOK, out)
}

func matchesETag(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == etag || v == "*" {
			return true
		}
	}
	return false
}

func (h *Handler) configuration(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{
		"name": "appconfigd",
		"capabilities": map[string]any{
			"cacheInvalidation": map[string]any{"polling": map[string]any{"enabled": true, "minPollingIntervalMs": h.cfg.PollIntervalMs}},
			"flagEvaluation":    map[string]any{"supportedTypes": []string{"boolean", "string", "int", "float", "object"}},
		},
	})
}

// writeError maps an error to OFREP's status and body.
func (h *Handler) writeError(w http.ResponseWriter, rt route, err error) {
	var f *failure
	var ae *auth.Error
	var de *appconfig.Error
	switch {
	case errors.As(err, &f):
	case errors.Is(err, push.ErrClosed):
		f = &failure{http.StatusServiceUnavailable, codeGeneral, "the server is shutting down"}
	case errors.As(err, &ae):
		// Not authenticated is 401 (SigV4 says 403 for it); authenticated
		// but not allowed stays 403.
		f = &failure{http.StatusUnauthorized, codeGeneral, ae.Message}
		if ae.Status == http.StatusInternalServerError || ae.Code == apitoken.CodeAccessDenied {
			f.status = ae.Status
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="appconfigd"`)
	case errors.As(err, &de) && de.Kind == appconfig.KindNotFound:
		f = &failure{http.StatusNotFound, codeNotFound, de.Message}
		if rt.op != "single" {
			f.code = codeGeneral
		}
	case errors.As(err, &de) && de.Kind == appconfig.KindBadRequest:
		f = &failure{http.StatusBadRequest, codeGeneral, de.Message}
	case errors.As(err, &de) && de.Kind == appconfig.KindThrottled:
		w.Header().Set("Retry-After", "1")
		f = &failure{http.StatusTooManyRequests, codeGeneral, de.Message}
	default:
		h.cfg.Logger.Error("ofrep: internal error", "err", err)
		note(w, nil, "InternalServerException")
		writeJSON(w, http.StatusInternalServerError, map[string]string{"errorDetails": "internal error; the server log has the details"})
		return
	}
	note(w, nil, f.code)
	body := map[string]string{"errorCode": f.code, "errorDetails": f.details}
	if rt.op == "single" {
		body["key"] = rt.key
	}
	writeJSON(w, f.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// StreamTicketPeriod bounds a stream ticket's life: a ticket issued in
// one period of this length expires at the end of the next, so it lives
// between one and two periods, and every bulk answer of a period hands
// out the same stream URL (the web provider reconnects when the URL
// changes). The ticket is checked when a stream opens; an open stream is
// not cut when its ticket expires.
const StreamTicketPeriod = time.Hour

// streamTicket signs a stream URL for one scope, target, expiry (Unix
// seconds) and, when the URL was handed out to a bearer token, that
// token's hash.
func (h *Handler) streamTicket(sc appconfig.Scope, t push.Target, expires, bearer string) string {
	m := hmac.New(sha256.New, h.cfg.StreamKey)
	parts := []string{"ofrep-stream", sc.Account, sc.Region, t.App, t.Env, t.Profile, expires}
	if bearer != "" {
		parts = append(parts, "bearer", bearer)
	}
	for _, s := range parts {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// streamURI is the path (and ticket) of a target's change stream; bearer
// is the hash of the token the URL is handed to ("" for none).
func (h *Handler) streamURI(sc appconfig.Scope, t push.Target, bearer string) string {
	period := int64(StreamTicketPeriod / time.Second)
	expires := strconv.FormatInt((h.cfg.Now().Unix()/period+2)*period, 10)
	q := url.Values{"region": {sc.Region}, "account": {sc.Account}, "expires": {expires}, "ticket": {h.streamTicket(sc, t, expires, bearer)}}
	if bearer != "" {
		q.Set("bearer", bearer)
	}
	return "/applications/" + url.PathEscape(t.App) + "/environments/" + url.PathEscape(t.Env) +
		"/configurations/" + url.PathEscape(t.Profile) + "?" + q.Encode()
}

// authenticate accepts a valid, unexpired stream ticket for streams, and
// otherwise asks the Authenticator.
func (h *Handler) authenticate(r *http.Request, rt route, body []byte) (appconfig.Scope, error) {
	q := r.URL.Query()
	if rt.op == "stream" && q.Get("ticket") != "" && len(h.cfg.StreamKey) > 0 {
		sc := appconfig.Scope{Account: q.Get("account"), Region: q.Get("region")}
		expires := q.Get("expires")
		bearer := q.Get("bearer")
		want := h.streamTicket(sc, push.Target{App: rt.app, Env: rt.env, Profile: rt.profile}, expires, bearer)
		if !hmac.Equal([]byte(want), []byte(q.Get("ticket"))) {
			return sc, &auth.Error{Code: "InvalidTicket", Status: http.StatusUnauthorized, Message: "the stream ticket is not valid for this URL"}
		}
		if exp, err := strconv.ParseInt(expires, 10, 64); err != nil || h.cfg.Now().Unix() >= exp {
			return sc, &auth.Error{Code: "ExpiredTicket", Status: http.StatusUnauthorized, Message: "the stream ticket has expired; a new bulk evaluation hands out a new stream URL"}
		}
		if bearer != "" {
			tb, ok := h.cfg.Auth.(TokenBinder)
			if !ok {
				return sc, &auth.Error{Code: "InvalidTicket", Status: http.StatusUnauthorized, Message: "the stream ticket names a bearer token, and this server takes none"}
			}
			if err := tb.CheckHash(r.Context(), bearer); err != nil {
				if revoked(err) {
					return sc, &auth.Error{Code: "RevokedTicket", Status: http.StatusUnauthorized, Message: "the bearer token this stream URL was handed out to is revoked"}
				}
				return sc, err
			}
		}
		return sc, nil
	}
	return h.cfg.Auth.Authenticate(r, body)
}
