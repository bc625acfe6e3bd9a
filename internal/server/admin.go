package server

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
)

// Paths outside the AWS APIs (which never use them).
const (
	HealthPath  = "/healthz"
	ReadyPath   = "/readyz"
	MetricsPath = "/metrics"
	ResetPath   = "/_appconfigd/reset"
)

// routes puts the operational endpoints beside the AWS APIs.
func (s *Server) routes(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET "+ReadyPath, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.store.Ping(ctx); err != nil {
			writeStatus(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "store: " + err.Error()})
			return
		}
		writeStatus(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET "+MetricsPath, s.metrics.Handler())
	mux.HandleFunc("POST "+ResetPath, s.reset)
	mux.Handle("/", api)
	return mux
}

func writeStatus(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// reset wipes every application, environment, profile, version,
// strategy, deployment, extension and setting (keeping the server's own
// keys), when --allow-reset is set.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.AllowReset {
		writeStatus(w, http.StatusForbidden, map[string]string{"status": "refused", "reason": "reset is disabled; start appconfigd with --allow-reset to enable it"})
		return
	}
	ctx := r.Context()
	if err := s.store.Wipe(ctx, appconfig.KindMeta); err != nil {
		writeStatus(w, http.StatusInternalServerError, map[string]string{"status": "failed", "reason": err.Error()})
		return
	}
	// Every process sharing the store drops its caches.
	_ = s.store.Update(ctx, func(tx appconfig.Tx) error {
		tx.Notify(service.ResetTopic)
		return nil
	})
	s.data.Invalidate(service.ResetTopic)
	s.log.Warn("all data was reset", "remote", r.RemoteAddr)
	writeStatus(w, http.StatusOK, map[string]string{"status": "reset"})
}
