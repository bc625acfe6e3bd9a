package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/console"
)

// Paths outside the AWS APIs (which never use them).
const (
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
	MetricsPath = "/metrics"
	ResetPath   = "/_appconfigd/reset"
	// ServiceTimeHeader carries the service clock's time on API answers
	// when --time-scale is not 1.
	ServiceTimeHeader = "X-Appconfigd-Service-Time"
)

// routes puts the operational endpoints beside the AWS APIs. It matches
// exact paths itself rather than through http.ServeMux, which would
// clean and redirect AWS paths (names may hold "//" or "..").
func (s *Server) routes(api http.Handler) http.Handler {
	// The web console (embedded assets; it calls the API above like any
	// other client). Its assets are built into the binary, so this fails
	// only for a binary built from a broken tree.
	web, err := console.New(console.Config{Auth: string(s.cfg.Auth), Account: s.cfg.Account, Region: s.cfg.Region,
		TimeScale: s.cfg.TimeScale, Now: s.clock.Now})
	if err != nil {
		panic("console assets: " + err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case console.Handles(r.URL.Path):
			web.ServeHTTP(w, r)
		case r.URL.Path == HealthPath && r.Method == http.MethodGet:
			writeStatus(w, http.StatusOK, map[string]string{"status": "ok"})
		case r.URL.Path == ReadyPath && r.Method == http.MethodGet:
			s.ready(w, r)
		case r.URL.Path == MetricsPath && r.Method == http.MethodGet:
			s.metrics.Handler().ServeHTTP(w, r)
		case r.URL.Path == ResetPath && r.Method == http.MethodPost:
			s.reset(w, r)
		default:
			if s.cfg.TimeScale > 0 && s.cfg.TimeScale != 1 {
				// The service clock runs faster than the wall clock: tell
				// clients that show countdowns (deployment wait) its time.
				// ServiceTimeHeader is canonical: assigned without Set's
				// canonicalisation, one allocation for value and slice.
				v := [1]string{s.clock.Now().UTC().Format(time.RFC3339Nano)}
				w.Header()[ServiceTimeHeader] = v[:]
			}
			api.ServeHTTP(w, r)
		}
	})
}

// fastRoute tells which simple requests the fast path answers
// (fasthttp.go): the AWS APIs (control plane, data plane, the Agent
// route), OFREP's evaluations and health. The console (files,
// conditional and range requests), the metrics and change streams
// (which flush as they go and must see their client leave) stay on
// net/http.
func fastRoute(r *http.Request) bool {
	if p := r.URL.Path; console.Handles(p) || p == MetricsPath {
		return false
	}
	for _, v := range r.Header["Accept"] {
		if strings.Contains(v, "event-stream") {
			return false
		}
	}
	return true
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeStatus(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "store: " + err.Error()})
		return
	}
	writeStatus(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeStatus(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// reset wipes every application, environment, profile, version,
// strategy, deployment, extension and setting (keeping the server's own
// keys), when --allow-reset is set, and applies --seed-dir again.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.AllowReset {
		writeStatus(w, http.StatusForbidden, map[string]string{"status": "refused", "reason": "reset is disabled; start appconfigd with --allow-reset to enable it"})
		return
	}
	ctx := r.Context()
	if err := s.store.Wipe(ctx, appconfig.RecordMeta); err != nil {
		writeStatus(w, http.StatusInternalServerError, map[string]string{"status": "failed", "reason": err.Error()})
		return
	}
	// Every process sharing the store drops its caches.
	_ = s.store.Update(ctx, func(tx appconfig.Tx) error {
		tx.Notify(appconfig.TopicReset)
		return nil
	})
	// Notices reach this process's subscribers asynchronously; drop the
	// data plane's cache now so the answer follows the reset.
	s.data.Invalidate(appconfig.TopicReset)
	s.log.Warn("all data was reset", "remote", r.RemoteAddr)
	// A CI job gets a known state in one call: the seed is applied again.
	n, err := s.applySeed(ctx)
	if err != nil {
		s.log.Error("reseeding after the reset failed", "dir", s.cfg.SeedDir, "err", err)
		writeStatus(w, http.StatusInternalServerError, map[string]any{"status": "failed", "reason": "data was reset, but the seed could not be applied: " + err.Error()})
		return
	}
	body := map[string]any{"status": "reset"}
	if s.cfg.SeedDir != "" {
		body["seededFiles"] = n
	}
	writeStatus(w, http.StatusOK, body)
}
