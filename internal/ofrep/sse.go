package ofrep

import (
	"errors"
	"net/http"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/auth"
)

// stream serves a profile's change notifications as server-sent events
// until the client leaves, the broker ends the stream, or the server shuts
// down: one refetchEvaluation event per new served configuration, with
// stable ids, what was missed after Last-Event-ID first, and a comment
// line at least every Heartbeat. A stream opened with a bearer token (in
// the Authorization header, or named by its stream ticket) ends at the
// first heartbeat after the token is revoked.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, sc appconfig.Scope, rt route) {
	if h.cfg.Broker == nil {
		h.writeError(w, rt, appconfig.BadRequest("change streams are not enabled on this server"))
		return
	}
	ctx := r.Context()
	f, err := h.cfg.Lookup.ServedFlags(ctx, sc, rt.app, rt.env, rt.profile, "")
	if err != nil && appconfig.KindOf(err) == appconfig.KindNotFound && f.Target.Profile != "" {
		err = nil // resolved, but nothing deployed yet: the stream waits for it
	}
	if err != nil {
		h.writeError(w, rt, err)
		return
	}
	s, backlog, err := h.cfg.Broker.Subscribe(ctx, f.Target, r.Header.Get("Last-Event-ID"))
	if err != nil {
		h.writeError(w, rt, err)
		return
	}
	defer h.cfg.Broker.Unsubscribe(s)

	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The server's read and write timeouts are for requests, not streams:
	// each write gets its own deadline instead, so a reader that stops
	// reading is cut off.
	_ = rc.SetReadDeadline(time.Time{})
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(h.cfg.Now().Add(h.cfg.Heartbeat + 10*time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 2000\n: appconfigd change stream\n\n")) {
		return
	}
	for _, ev := range backlog {
		if !write(ev.Frame) {
			return
		}
	}
	tb, hash := h.streamBearer(r)
	beat := time.NewTicker(h.cfg.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.Done():
			return
		case ev := <-s.Events():
			if !write(ev.Frame) {
				return
			}
		case <-beat.C:
			if hash != "" && revoked(tb.CheckHash(ctx, hash)) {
				write([]byte(": the bearer token of this stream was revoked\n\n"))
				return
			}
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		}
	}
}

// streamBearer returns the token binder and the hash of the bearer token
// the stream r opens was authenticated with ("" for none): the one its
// stream ticket names when a ticket let it in, else its Authorization
// header's.
func (h *Handler) streamBearer(r *http.Request) (TokenBinder, string) {
	tb, ok := h.cfg.Auth.(TokenBinder)
	if !ok {
		return nil, ""
	}
	if q := r.URL.Query(); q.Get("ticket") != "" && len(h.cfg.StreamKey) > 0 {
		return tb, q.Get("bearer")
	}
	return tb, tb.BearerHash(r)
}

// revoked reports whether err says a token is unknown or revoked (a
// store failure does not end a stream).
func revoked(err error) bool {
	var ae *auth.Error
	return errors.As(err, &ae) && ae.Status == http.StatusUnauthorized
}

// Streams is the number of open change streams (0 without a broker).
func (h *Handler) Streams() int {
	if h.cfg.Broker == nil {
		return 0
	}
	return h.cfg.Broker.Streams()
}
