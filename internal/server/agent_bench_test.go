package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/internal/clock"
)

// benchServer is an in-process appconfigd (SQLite in memory, a fake
// service clock) driven through its HTTP handler, the entry point that
// stays when the code behind it moves.
type benchServer struct {
	b testing.TB
	h http.Handler
}

func newBenchServer(b testing.TB) *benchServer {
	return startBenchServer(b, func(cfg *Config) { cfg.Store = "sqlite://:memory:" })
}

// startBenchServer starts an appconfigd with the defaults, a fake service
// clock, a silent logger and what set changes; it stops with the
// benchmark.
func startBenchServer(b testing.TB, set func(*Config)) *benchServer {
	cfg := Defaults()
	cfg.Clock = clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	set(&cfg)
	s, err := New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	// Serve runs the background work (the deployment runner, caches' change
	// feed); requests go to the handler directly, without a socket.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	b.Cleanup(func() {
		cancel()
		<-done
		s.Close()
	})
	return &benchServer{b: b, h: s.Handler()}
}

// do sends one request and returns the recorder; status must match.
func (s *benchServer) do(method, path, ctype string, body []byte, status int, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Code != status {
		s.b.Fatalf("%s %s: %d %s, want %d", method, path, rec.Code, rec.Body.String(), status)
	}
	return rec
}

// create POSTs a JSON body and returns the Id of what it created.
func (s *benchServer) create(path string, v any) string {
	body, _ := json.Marshal(v)
	rec := s.do("POST", path, "application/json", body, http.StatusCreated)
	var out struct{ Id string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		s.b.Fatal(err)
	}
	return out.Id
}

// deployed creates an application, environment and hosted profile of
// type ptype, deploys content at once with no bake and waits until the
// deployment is complete (so that an experiment run may start) and the
// Agent route serves it; it returns the route's path.
func (s *benchServer) deployed(ptype, ctype string, content []byte) string {
	app := s.create("/applications", map[string]any{"Name": "bench"})
	env := s.create("/applications/"+app+"/environments", map[string]any{"Name": "prod"})
	prof := s.create("/applications/"+app+"/configurationprofiles", map[string]any{"Name": "cfg", "LocationUri": "hosted", "Type": ptype})
	strategy := s.create("/deploymentstrategies", map[string]any{"Name": "at-once-no-bake", "DeploymentDurationInMinutes": 0,
		"FinalBakeTimeInMinutes": 0, "GrowthFactor": 100, "ReplicateTo": "NONE"})
	s.do("POST", "/applications/"+app+"/configurationprofiles/"+prof+"/hostedconfigurationversions", ctype, content, http.StatusCreated)
	s.create("/applications/"+app+"/environments/"+env+"/deployments", map[string]any{
		"DeploymentStrategyId": strategy, "ConfigurationProfileId": prof, "ConfigurationVersion": "1"})
	path := "/applications/" + app + "/environments/" + env + "/configurations/" + prof
	for deadline := time.Now().Add(30 * time.Second); ; {
		req := httptest.NewRequest("GET", path, nil)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		dep := httptest.NewRecorder()
		s.h.ServeHTTP(dep, httptest.NewRequest("GET", "/applications/"+app+"/environments/"+env+"/deployments/1", nil))
		if rec.Code == http.StatusOK && rec.Header().Get("Configuration-Version") == "1" &&
			bytes.Contains(dep.Body.Bytes(), []byte(`"State":"COMPLETE"`)) {
			return path
		}
		if time.Now().After(deadline) {
			s.b.Fatalf("the deployment is not served after 30 s: %d %s", rec.Code, rec.Body.String())
		}
		// The step is due at once (the fake clock does not move): this waits
		// for the runner's goroutine to take it, not for engine time.
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkAgentRoute is GET /applications/{a}/environments/{e}/
// configurations/{p} without client_id (the AppConfig Agent's API)
// through the whole HTTP handler: a freeform JSON configuration, and a
// feature-flag configuration with a multi-variant flag evaluated for the
// caller's Context header.
func BenchmarkAgentRoute(b *testing.B) {
	b.Run("freeform", func(b *testing.B) {
		s := newBenchServer(b)
		body := bytes.Repeat([]byte(`{"k":"0123456789abcdef0123456789abcdef0123456789abcdef"},`), 64)
		body = append(append([]byte(`[`), body[:len(body)-1]...), ']')
		path := s.deployed("AWS.Freeform", "application/json", body)
		benchGet(b, s, path, len(body))
	})
	b.Run("feature flags with context", func(b *testing.B) {
		s := newBenchServer(b)
		flags := []byte(`{"version":"1","flags":{"new_nav":{"name":"New navigation"},"promo":{"name":"Promo"}},
			"values":{"new_nav":{"_variants":[
				{"name":"Testers","enabled":true,"rule":"(ends_with $email \"@qa.example.net\")"},
				{"name":"Pro","enabled":true,"rule":"(and (eq $plan \"pro\") (split pct::25 by::$userId))"},
				{"name":"Baseline","enabled":false}]},
			"promo":{"enabled":true}}}`)
		path := s.deployed("AWS.AppConfig.FeatureFlags", "application/json", flags)
		benchGet(b, s, path, -1, "Context", "email=kim@example.com,plan=pro,userId=user-4711")
	})
}

func benchGet(b *testing.B, s *benchServer, path string, size int, header ...string) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := s.do("GET", path, "", nil, http.StatusOK, header...)
		if size >= 0 && rec.Body.Len() != size {
			b.Fatalf("served %d bytes, want %d", rec.Body.Len(), size)
		}
	}
}
