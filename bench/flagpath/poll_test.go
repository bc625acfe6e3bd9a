package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
	"github.com/appconfigd/appconfigd/internal/server"
)

// GetLatestConfiguration's server-side cost per request, in process: 1,000
// sessions each polling with its own next token, the 4 KB configuration
// unchanged since each session's first poll (issue 16's data-plane row).
// The service clock runs 10,000 times faster than the wall clock, so the
// sessions' 15 s minimum interval is 1.5 ms of wall time and a session
// polled round robin is never "too early".
//
//	go test ./bench/flagpath -run '^$' -bench Poll -benchmem -cpuprofile cpu.pprof

const pollSessions = 1000

func BenchmarkPollSteady4KB(b *testing.B) {
	cfg := server.Defaults()
	cfg.DataDir = filepath.Join(b.TempDir(), "data")
	cfg.TimeScale = 10000
	h := fixtureHandler(b, cfg)
	tokens := make([]string, pollSessions)
	for i := range tokens {
		tokens[i] = startSession(b, h)
		if n, next := poll(b, h, tokens[i]); n != 4096 {
			b.Fatalf("first poll: %d bytes", n)
		} else {
			tokens[i] = next
		}
	}
	w := &discard{h: http.Header{}}
	req := httptest.NewRequest("GET", "/configuration", nil)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchutil.SelfCPU()
	n := 0
	for b.Loop() {
		i := n % pollSessions
		req.URL.RawQuery = "configuration_token=" + tokens[i]
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("poll %d: status %d", n, w.status)
		}
		tokens[i] = w.h.Get("Next-Poll-Configuration-Token")
		n++
	}
	b.ReportMetric(float64((benchutil.SelfCPU()-cpu).Nanoseconds())/float64(n), "cpu-ns/op")
}

// The OFREP endpoints of the flags profile, single and bulk evaluation,
// with the same context as flagd's rows of the wrk harness.
func BenchmarkOFREPSingleMultiVariant(b *testing.B) {
	benchPost(b, agentFlagsPath+"/ofrep/v1/evaluate/flags/button")
}

func BenchmarkOFREPBulk(b *testing.B) {
	benchPost(b, agentFlagsPath+"/ofrep/v1/evaluate/flags")
}

func benchPost(b *testing.B, path string) {
	cfg := server.Defaults()
	cfg.DataDir = filepath.Join(b.TempDir(), "data")
	h := fixtureHandler(b, cfg)
	body := `{"context":{"country":"` + callerCountry + `"}}`
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchutil.SelfCPU()
	n := 0
	for b.Loop() {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header["Content-Type"] = []string{"application/json"}
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("%s: %d", path, w.status)
		}
		n++
	}
	b.ReportMetric(float64((benchutil.SelfCPU()-cpu).Nanoseconds())/float64(n), "cpu-ns/op")
}

// fixtureHandler starts appconfigd in process with cfg, sets the
// fixture up and returns its handler.
func fixtureHandler(b *testing.B, cfg server.Config) http.Handler {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	base, stop, err := serveInProcess(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	c, _ := benchutil.NewClient(2)
	api := &benchutil.API{Base: base.url, Client: c, Signer: benchutil.NewSigner(time.Now()), Account: "123456789012", Region: "us-east-1"}
	if err := setupAppconfigd(ctx, api); err != nil {
		b.Fatal(err)
	}
	return base.srv.Handler()
}

func startSession(b *testing.B, h http.Handler) string {
	body := `{"ApplicationIdentifier":"bench","EnvironmentIdentifier":"prod","ConfigurationProfileIdentifier":"cfg","RequiredMinimumPollIntervalInSeconds":15}`
	req := httptest.NewRequest("POST", "/configurationsessions", strings.NewReader(body))
	req.Header["Content-Type"] = []string{"application/json"}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out struct{ InitialConfigurationToken string }
	if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		b.Fatalf("StartConfigurationSession: %d %s", rec.Code, rec.Body)
	}
	return out.InitialConfigurationToken
}

func poll(b *testing.B, h http.Handler, token string) (int, string) {
	req := httptest.NewRequest("GET", "/configuration?configuration_token="+token, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("poll: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.Len(), rec.Header().Get("Next-Poll-Configuration-Token")
}
