// Package wire speaks restJson1 for both services on one listener: it
// routes on method and escaped path, reads the body, authenticates,
// dispatches to the generated binders and handlers, encodes responses,
// and maps domain error kinds to AWS exceptions — once, here.
package wire

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
	"github.com/appconfigd/appconfigd/internal/wire/gen/dataapi"
	"github.com/appconfigd/appconfigd/internal/wire/shape"
)

// Authenticator decides who a request comes from.
type Authenticator interface {
	// Authenticate returns the caller's scope, or an *auth.Error.
	Authenticate(r *http.Request, body []byte) (appconfig.Scope, error)
}

// Observer learns about every request (metrics, logs).
type Observer interface {
	Observe(ctx context.Context, info RequestInfo)
}

// RequestInfo describes a finished request.
type RequestInfo struct {
	RequestID string
	Service   string // appconfig, appconfigdata, or "" when unrouted
	Operation string
	Scope     appconfig.Scope
	Status    int
	ErrorCode string
	// ErrorMessage is the message sent with ErrorCode, for logs.
	ErrorMessage string
	Err          error // the internal error behind a 5xx, for logs
	Duration     time.Duration
}

// Config wires a Handler.
type Config struct {
	ControlPlane acapi.Handler
	DataPlane    dataapi.Handler
	Auth         Authenticator
	Observer     Observer
	Logger       *slog.Logger
	// MaxBodyBytes caps request bodies (default 8 MiB).
	MaxBodyBytes int64
	// Now is the wall clock used only to time requests.
	Now func() time.Time
	// RateLimit, when above zero, caps each account's requests per second
	// (burst RateBurst); excess requests get ThrottlingException.
	RateLimit float64
	RateBurst int
	// Agent, when set, answers the AppConfig Agent's local API on the
	// same port: GET /applications/{a}/environments/{e}/configurations/{c}
	// without the client_id that the deprecated GetConfiguration requires.
	Agent AgentHandler
}

// AgentHandler serves the AppConfig Agent's local HTTP API: the
// configuration an environment serves, feature flags evaluated with the
// caller's Context headers and narrowed to the ?flag= keys asked for.
type AgentHandler interface {
	AgentConfiguration(ctx context.Context, app, env, profile string, flags, context []string) (AgentAnswer, error)
}

// AgentAnswer is what the Agent's API returns.
type AgentAnswer struct {
	Content     []byte
	ContentType string
	Version     string
	Label       string
}

// Handler is the http.Handler of both AWS APIs.
type Handler struct {
	cfg     Config
	limiter *limiter
}

// New builds a Handler.
func New(cfg Config) *Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 8 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = clock.Real{}.Now
	}
	h := &Handler{cfg: cfg}
	if cfg.RateLimit > 0 {
		h.limiter = newLimiter(cfg.RateLimit, cfg.RateBurst)
	}
	return h
}

type ctxKey int

const scopeKey ctxKey = 0

// requestMeta is what a request's context carries for the handlers: its
// request id, the authenticated scope (set once authentication passed)
// and the request's headers (for those that are not modeled, such as
// Accept). One context value per request, not one per field.
type requestMeta struct {
	id     string
	sc     appconfig.Scope
	header http.Header
	// The request's other per-request values live here too, so that one
	// allocation holds them: the parsed request, and the value slices of
	// the X-Amzn-Requestid and Content-Length headers.
	req  shape.Request
	vals [2]string
}

// ScopeFrom returns the authenticated scope of a request's context.
func ScopeFrom(ctx context.Context) appconfig.Scope {
	if m, _ := ctx.Value(scopeKey).(*requestMeta); m != nil {
		return m.sc
	}
	return appconfig.Scope{}
}

// HeaderFrom returns the headers of the request a context belongs to (nil
// outside a request).
func HeaderFrom(ctx context.Context) http.Header {
	if m, _ := ctx.Value(scopeKey).(*requestMeta); m != nil {
		return m.header
	}
	return nil
}

// WithScope returns ctx carrying sc (for tests and internal callers).
func WithScope(ctx context.Context, sc appconfig.Scope) context.Context {
	return context.WithValue(ctx, scopeKey, &requestMeta{sc: sc})
}

// RequestIDFrom returns the request id of a request's context.
func RequestIDFrom(ctx context.Context) string {
	if m, _ := ctx.Value(scopeKey).(*requestMeta); m != nil {
		return m.id
	}
	return ""
}

// Request ids are unique without reading the system's randomness per
// request: the first half is random per process, the second a counter
// through a bijection (splitmix64's finalizer), so two requests of one
// process never share an id and the ids of two processes differ with
// overwhelming probability.
var (
	reqIDPrefix, reqIDSalt = func() (uint64, uint64) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	}()
	reqIDSeq atomic.Uint64
)

func newRequestID() string {
	x := reqIDSeq.Add(1) + reqIDSalt
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return formatRequestID(reqIDPrefix, x)
}

// formatRequestID spells 16 bytes as a UUID (8-4-4-4-12 hex digits).
func formatRequestID(hi, lo uint64) string {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], hi)
	binary.BigEndian.PutUint64(raw[8:], lo)
	var b [36]byte
	j := 0
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&15]
		j += 2
	}
	return string(b[:])
}

const hexDigits = "0123456789abcdef"

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.cfg.Now()
	reqID := newRequestID()
	meta := &requestMeta{id: reqID, header: r.Header}
	meta.vals[0] = reqID
	w.Header()["X-Amzn-Requestid"] = meta.vals[0:1:1] // canonical key
	info := RequestInfo{RequestID: reqID}
	ctx := context.WithValue(r.Context(), scopeKey, meta)
	defer func() {
		if p := recover(); p != nil {
			// A panic is a bug; the client still gets a well-formed 500.
			h.cfg.Logger.Error("panic serving request", "requestId", reqID, "operation", info.Operation, "panic", p)
			info.Status, info.ErrorCode, info.ErrorMessage = h.writeError(w, info.Service, appconfig.Internal(nil, "internal error"))
		}
		info.Duration = h.cfg.Now().Sub(start)
		if h.cfg.Observer != nil {
			h.cfg.Observer.Observe(ctx, info)
		}
	}()

	escaped := r.URL.EscapedPath()
	// The data plane's two routes are tried first: polls are the bulk of
	// the traffic, and no control-plane path matches them.
	service := "appconfigdata"
	idx, labels, pathExists := shape.Match(dataapi.Operations, r.Method, escaped)
	var op shape.Operation
	if idx >= 0 {
		op = dataapi.Operations[idx]
	} else {
		ci, cl, cExists := shape.Match(acapi.Operations, r.Method, escaped)
		if ci >= 0 {
			service, idx, labels, op = "appconfig", ci, cl, acapi.Operations[ci]
		}
		pathExists = pathExists || cExists
	}
	if idx < 0 {
		status, code, msg := http.StatusNotFound, "UnknownOperationException", "No operation matches "+r.Method+" "+escaped
		if pathExists {
			status, code, msg = http.StatusMethodNotAllowed, "MethodNotAllowedException", "Method "+r.Method+" is not allowed on "+escaped
		}
		info.Status, info.ErrorCode, info.ErrorMessage = writeJSONError(w, status, code, msg, nil)
		return
	}
	info.Service, info.Operation = service, op.Name

	body, err := readBody(r, h.cfg.MaxBodyBytes)
	if err != nil {
		info.Status, info.ErrorCode, info.ErrorMessage = h.writeError(w, service, err)
		return
	}
	sc, err := h.cfg.Auth.Authenticate(r, body)
	if err != nil {
		info.Status, info.ErrorCode, info.ErrorMessage = h.writeError(w, service, err)
		return
	}
	info.Scope = sc
	if h.limiter != nil && !h.limiter.allow(sc.Account) {
		info.Status, info.ErrorCode, info.ErrorMessage = h.writeError(w, service, &appconfig.Error{Kind: appconfig.KindThrottled, Message: "Rate exceeded"})
		return
	}
	meta.sc = sc

	// url.URL.Query drops a pair it cannot unescape; a bad escape such as
	// next_token=%ZZ is the client's error, not an absent parameter.
	req := &meta.req
	req.Labels, req.Header, req.Body = labels, r.Header, body
	if err := req.ParseQuery(r.URL.RawQuery); err != nil {
		info.Status, info.ErrorCode, info.ErrorMessage = h.writeError(w, service, &shape.BindError{Message: "Invalid query string: " + err.Error()})
		return
	}
	if h.cfg.Agent != nil && service == "appconfig" && op.Name == "GetConfiguration" {
		if _, hasClient := req.QueryValues("client_id"); !hasClient {
			h.serveAgent(ctx, w, r, meta, labels, &info)
			return
		}
	}
	hdr := w.Header()
	var resp shape.Response
	if service == "appconfig" {
		resp, err = acapi.Dispatch(ctx, h.cfg.ControlPlane, idx, req, hdr)
	} else {
		resp, err = dataapi.Dispatch(ctx, h.cfg.DataPlane, idx, req, hdr)
	}
	if err != nil {
		h.fail(w, r, service, err, &info)
		return
	}
	info.Status = writeResponse(w, r, resp, meta.vals[1:2:2])
}

// serveAgent answers the AppConfig Agent's local API.
func (h *Handler) serveAgent(ctx context.Context, w http.ResponseWriter, r *http.Request, meta *requestMeta, labels []string, info *RequestInfo) {
	info.Operation = "AgentGetConfiguration"
	flags, _ := meta.req.QueryValues("flag")
	a, err := h.cfg.Agent.AgentConfiguration(ctx, labels[0], labels[1], labels[2], flags, r.Header.Values("Context"))
	if err != nil {
		h.fail(w, r, "appconfig", err, info)
		return
	}
	hdr := w.Header() // canonical keys, set directly: the route is hot
	hdr["Configuration-Version"] = []string{a.Version}
	if a.ContentType != "" {
		hdr["Content-Type"] = []string{a.ContentType}
	}
	if a.Label != "" {
		hdr["Version-Label"] = []string{a.Label}
	}
	info.Status = writeResponse(w, r, shape.Response{Status: http.StatusOK, Body: a.Content}, meta.vals[1:2:2])
}

// StatusClientClosedRequest is the status recorded (and written, to no
// one) when the client went away before its answer was ready: the
// request's context was canceled and the operation ended with
// context.Canceled. Such a request is no server error: it is neither
// logged as one nor counted as a 500.
const StatusClientClosedRequest = 499

// fail answers an operation's error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, service string, err error, info *RequestInfo) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		w.WriteHeader(StatusClientClosedRequest)
		info.Status, info.ErrorCode, info.ErrorMessage = StatusClientClosedRequest, "ClientClosedRequest", "the client closed the connection"
		return
	}
	info.Err = err
	info.Status, info.ErrorCode, info.ErrorMessage = h.writeError(w, service, err)
}

type tooLarge struct{ limit int64 }

func (e tooLarge) Error() string { return "request body too large" }

func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	}
	if r.ContentLength > limit {
		return nil, tooLarge{limit}
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, &shape.BindError{Message: "Could not read the request body: " + err.Error()}
	}
	if int64(len(b)) > limit {
		return nil, tooLarge{limit}
	}
	return b, nil
}

// writeResponse writes an encoded answer whose headers are already in
// w.Header(). Keys are canonical and set by map assignment (no
// canonicalisation per request); clen (one element of the request's
// requestMeta) holds the Content-Length value, so its slice costs no
// allocation.
func writeResponse(w http.ResponseWriter, r *http.Request, resp shape.Response, clen []string) int {
	hdr := w.Header()
	status := resp.Status
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return status
	}
	if ct := hdr["Content-Type"]; (len(ct) == 0 || ct[0] == "") && len(resp.Body) > 0 {
		hdr["Content-Type"] = []string{"application/octet-stream"}
	}
	clen[0] = strconv.Itoa(len(resp.Body))
	hdr["Content-Length"] = clen
	w.WriteHeader(status)
	WriteBody(w, r, resp.Body)
	return status
}

func writeJSONError(w http.ResponseWriter, status int, code, message string, members map[string]any) (int, string, string) {
	body := map[string]any{"__type": code, "Message": message}
	for k, v := range members {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	hdr := w.Header()
	hdr.Set("X-Amzn-Errortype", code)
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status, code, message
}

// writeError maps any error to the AWS exception of its kind for the
// given service.
func (h *Handler) writeError(w http.ResponseWriter, service string, err error) (int, string, string) {
	var bind *shape.BindError
	var val *shape.ValidationError
	var ae *auth.Error
	var tl tooLarge
	var de *appconfig.Error
	switch {
	case errors.As(err, &ae):
		return writeJSONError(w, ae.Status, ae.Code, ae.Message, nil)
	case errors.As(err, &tl):
		return writeJSONError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException",
			"The request body exceeds the server's limit of "+strconv.FormatInt(tl.limit, 10)+" bytes.",
			map[string]any{"Measure": "BYTES", "Limit": float64(tl.limit)})
	case errors.As(err, &bind):
		return h.badRequest(w, service, bind.Message)
	case errors.As(err, &val):
		return h.badRequest(w, service, val.Error())
	case errors.As(err, &de):
		return h.domainError(w, service, de)
	}
	return h.domainError(w, service, appconfig.Internal(err, "internal error"))
}

func (h *Handler) badRequest(w http.ResponseWriter, service, msg string) (int, string, string) {
	return writeJSONError(w, http.StatusBadRequest, "BadRequestException", msg, nil)
}

func (h *Handler) domainError(w http.ResponseWriter, service string, e *appconfig.Error) (int, string, string) {
	data := service == "appconfigdata"
	switch e.Kind {
	case appconfig.KindNotFound:
		m := map[string]any{}
		if data {
			if e.ResourceType != "" {
				m["ResourceType"] = e.ResourceType
			}
			if len(e.ReferencedBy) > 0 {
				m["ReferencedBy"] = e.ReferencedBy
			}
		} else if e.ResourceName != "" {
			m["ResourceName"] = e.ResourceName
		}
		return writeJSONError(w, http.StatusNotFound, "ResourceNotFoundException", e.Message, m)
	case appconfig.KindThrottled:
		// The data plane models ThrottlingException as 429; the control
		// plane's (unmodeled) throttling answers 400.
		status := http.StatusBadRequest
		if data {
			status = http.StatusTooManyRequests
		}
		return writeJSONError(w, status, "ThrottlingException", e.Message, nil)
	case appconfig.KindInternal:
		return writeJSONError(w, http.StatusInternalServerError, "InternalServerException", "An internal error occurred; the request ID identifies it in the server log.", nil)
	}
	if !data {
		switch e.Kind {
		case appconfig.KindConflict:
			return writeJSONError(w, http.StatusConflict, "ConflictException", e.Message, nil)
		case appconfig.KindQuotaExceeded:
			return writeJSONError(w, http.StatusPaymentRequired, "ServiceQuotaExceededException", e.Message, nil)
		case appconfig.KindPayloadTooLarge:
			return writeJSONError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", e.Message,
				map[string]any{"Measure": e.Measure, "Limit": e.Limit, "Size": e.Size})
		}
	}
	// The data plane models only BadRequest for client faults.
	return writeJSONError(w, http.StatusBadRequest, "BadRequestException", e.Message, badRequestMembers(e, data))
}

func badRequestMembers(e *appconfig.Error, data bool) map[string]any {
	m := map[string]any{}
	if data {
		if len(e.InvalidParameters) > 0 {
			params := map[string]any{}
			for k, p := range e.InvalidParameters {
				params[k] = map[string]string{"Problem": p}
			}
			m["Reason"] = "InvalidParameters"
			m["Details"] = map[string]any{"InvalidParameters": params}
		}
		return m
	}
	if e.Reason != "" {
		m["Reason"] = e.Reason
	}
	if len(e.InvalidConfiguration) > 0 {
		items := make([]map[string]string, 0, len(e.InvalidConfiguration))
		for _, d := range e.InvalidConfiguration {
			item := map[string]string{}
			for k, v := range map[string]string{"Constraint": d.Constraint, "Location": d.Location, "Reason": d.Reason, "Type": d.Type, "Value": d.Value} {
				if v != "" {
					item[k] = v
				}
			}
			items = append(items, item)
		}
		m["Details"] = map[string]any{"InvalidConfiguration": items}
	}
	return m
}
