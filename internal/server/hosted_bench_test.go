package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// discardWriter is an http.ResponseWriter that keeps the status and the
// headers and counts the body bytes (no copy, as a socket write would).
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (d *discardWriter) Header() http.Header { return d.h }
func (d *discardWriter) WriteHeader(s int)   { d.status = s }
func (d *discardWriter) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	d.n += len(p)
	return len(p), nil
}

// BenchmarkGetHostedConfigurationVersion64KiB is issue 16's read row in
// process: GET of a 64 KiB hosted configuration version through the HTTP
// handler (routing, open-mode authentication, the service's in-memory
// version cache, the generated encoder, the response headers), with the
// body handed to a writer that only counts it. What the kernel does with
// the 64 KiB is not in this figure (see bench/controlplane for that).
//
//	go test ./internal/server -run '^$' -bench Hosted -benchmem -cpu 1
func BenchmarkGetHostedConfigurationVersion64KiB(b *testing.B) {
	h := startBenchServer(b, func(cfg *Config) { cfg.DataDir = b.TempDir() }).h
	sign := func(r *http.Request) *http.Request {
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/appconfig/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000")
		r.Header.Set("X-Amz-Date", "20260101T000000Z")
		return r
	}
	call := func(method, path, ctype string, body []byte, want int) []byte {
		req := sign(httptest.NewRequest(method, path, bytes.NewReader(body)))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
		}
		return rec.Body.Bytes()
	}
	var app, prof struct{ Id string }
	_ = json.Unmarshal(call("POST", "/applications", "application/json", []byte(`{"Name":"bench"}`), 201), &app)
	_ = json.Unmarshal(call("POST", "/applications/"+app.Id+"/configurationprofiles", "application/json", []byte(`{"Name":"p","LocationUri":"hosted"}`), 201), &prof)
	payload := []byte(strings.Repeat("abcdefghijklmnopqrstuvwxyz012345", 65536/32))
	path := "/applications/" + app.Id + "/configurationprofiles/" + prof.Id + "/hostedconfigurationversions"
	call("POST", path, "application/octet-stream", payload, 201)
	path += "/1"
	if got := call("GET", path, "", nil, 200); !bytes.Equal(got, payload) {
		b.Fatalf("read back %d bytes, want the %d written", len(got), len(payload))
	}
	req := sign(httptest.NewRequest("GET", path, nil))
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu, n := selfCPU(), 0
	for b.Loop() {
		clear(w.h)
		w.status, w.n = 0, 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK || w.n != len(payload) {
			b.Fatalf("GET: status %d, %d bytes", w.status, w.n)
		}
		n++
	}
	b.ReportMetric(float64(selfCPU()-cpu)/float64(n), "cpu-ns/op")
}
