package ofrep

import (
	"net/http"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// stream serves a profile's change notifications as server-sent events
// until the client leaves, the broker ends the stream, or the server shuts
// down: one refetchEvaluation event per new served configuration, with
// stable ids, what was missed after Last-Event-ID first, and a comment
// line at least every Heartbeat.
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
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		}
	}
}

// Streams is the number of open change streams (0 without a broker).
func (h *Handler) Streams() int {
	if h.cfg.Broker == nil {
		return 0
	}
	return h.cfg.Broker.Streams()
}
