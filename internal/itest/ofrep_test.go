package itest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"

	"github.com/appconfigd/appconfigd/internal/server"
)

// ofrepDoc has a plain flag with attributes, a multi-variant flag chosen by
// a context key, and one chosen by the targeting key.
const ofrepDoc = `{"version":"1","flags":{
  "banner":{"name":"Banner","attributes":{"text":{"constraints":{"type":"string"}},"size":{"constraints":{"type":"number"}},"tags":{"constraints":{"type":"array","elements":{"type":"string"}}}}},
  "plan":{"name":"Plan","attributes":{"limit":{"constraints":{"type":"number"}},"label":{"constraints":{"type":"string"}}}},
  "mine":{"name":"Mine"},
  "dark":{"name":"Dark"}},
 "values":{
  "banner":{"enabled":true,"text":"hello","size":3,"tags":["a","b"]},
  "plan":{"_variants":[{"name":"pro","enabled":true,"rule":"(eq $tier \"pro\")","attributeValues":{"limit":100,"label":"Pro"}},{"name":"free","enabled":true,"attributeValues":{"limit":5,"label":"Free"}}]},
  "mine":{"_variants":[{"name":"me","enabled":true,"rule":"(eq $targetingKey \"u1\")"},{"name":"others","enabled":false}]},
  "dark":{"enabled":false}}}`

// flagProfile makes app "ofrep-app", env "prod", feature-flag profile
// "flags" with ofrepDoc as version 1, and returns the profile's base URL
// by names and a deploy function (an all-at-once strategy without bake).
func flagProfile(t *testing.T, s *Server, c *sdk.Client) (base string, deploy func(doc string) string) {
	t.Helper()
	f := newFlagTarget(t, c, "ofrep-app")
	deploy = func(doc string) string {
		t.Helper()
		v := f.version(t, doc)
		f.start(t, v)
		if _, err := s.Runner().RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		return itoa(v)
	}
	deploy(ofrepDoc)
	return s.URL + "/applications/ofrep-app/environments/prod/configurations/flags", deploy
}

func itoa(n int32) string {
	b, _ := json.Marshal(n)
	return string(b)
}

type ofrepAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func ofrepPost(t *testing.T, url, body string, hdr ...string) ofrepAnswer {
	t.Helper()
	resp, raw := httpDo(t, http.MethodPost, url, body, append([]string{"Content-Type", "application/json"}, hdr...)...)
	a := ofrepAnswer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func TestOFREPSingleAndErrors(t *testing.T) {
	s, _ := fakeServer(t)
	base, _ := flagProfile(t, s, s.Client())
	one := func(key, body string) ofrepAnswer { return ofrepPost(t, base+"/ofrep/v1/evaluate/flags/"+key, body) }
	cases := []struct {
		key, ctx string
		status   int
		want     string
	}{
		{"banner", `{}`, 200, `{"key":"banner","metadata":{"size":3,"text":"hello"},"reason":"STATIC","value":true,"variant":"enabled"}`},
		{"banner.text", `{}`, 200, `{"key":"banner.text","reason":"STATIC","value":"hello","variant":"enabled"}`},
		{"banner.size", `{}`, 200, `{"key":"banner.size","reason":"STATIC","value":3,"variant":"enabled"}`},
		{"banner.tags", `{}`, 200, `{"key":"banner.tags","reason":"STATIC","value":["a","b"],"variant":"enabled"}`},
		{"dark", `{}`, 200, `{"key":"dark","reason":"STATIC","value":false,"variant":"disabled"}`},
		{"plan", `{"tier":"pro"}`, 200, `{"key":"plan","metadata":{"label":"Pro","limit":100},"reason":"TARGETING_MATCH","value":true,"variant":"pro"}`},
		{"plan.limit", `{"tier":"basic"}`, 200, `{"key":"plan.limit","reason":"DEFAULT","value":5,"variant":"free"}`},
		{"mine", `{"targetingKey":"u1"}`, 200, `{"key":"mine","reason":"TARGETING_MATCH","value":true,"variant":"me"}`},
		{"mine", `{"targetingKey":"u2"}`, 200, `{"key":"mine","reason":"DEFAULT","value":false,"variant":"others"}`},
		{"mine", `{}`, 400, `TARGETING_KEY_MISSING`},
		{"nope", `{}`, 404, `FLAG_NOT_FOUND`},
		{"banner.nope", `{}`, 404, `FLAG_NOT_FOUND`},
		{"dark.x", `{}`, 404, `FLAG_NOT_FOUND`},
		{"banner", `{"context":`, 400, `PARSE_ERROR`},
		{"banner", `{"context":[1]}`, 400, `INVALID_CONTEXT`},
		{"banner", `{"context":{"targetingKey":7}}`, 400, `INVALID_CONTEXT`},
		{"banner", `{"context":{"user":{"id":1}}}`, 400, `INVALID_CONTEXT`},
		{"banner", `{"context":{"targetingKey":"` + strings.Repeat("k", 2049) + `"}}`, 400, `INVALID_CONTEXT`},
		{"mine", `{"targetingKey":"` + strings.Repeat("k", 2048) + `"}`, 200, `{"key":"mine","reason":"DEFAULT","value":false,"variant":"others"}`},
	}
	for _, tc := range cases {
		body := tc.ctx
		if !strings.HasPrefix(body, `{"context"`) {
			body = `{"context":` + tc.ctx + `}`
		}
		a := one(tc.key, body)
		if a.status != tc.status {
			t.Fatalf("%s %s: status %d %s", tc.key, body, a.status, a.raw)
		}
		if tc.status == 200 {
			var want, got any
			_ = json.Unmarshal([]byte(tc.want), &want)
			_ = json.Unmarshal([]byte(a.raw), &got)
			if !jsonEqual(want, got) {
				t.Fatalf("%s %s:\n got %s\nwant %s", tc.key, body, a.raw, tc.want)
			}
			continue
		}
		if a.body["errorCode"] != tc.want || a.body["key"] != tc.key || a.body["errorDetails"] == "" {
			t.Fatalf("%s %s: %s", tc.key, body, a.raw)
		}
	}
	// Names and ids both work; a missing profile is a 404, another type a 400.
	if a := ofrepPost(t, s.URL+"/applications/ofrep-app/environments/prod/configurations/nope/ofrep/v1/evaluate/flags/banner", `{}`); a.status != 404 || a.body["errorCode"] != "FLAG_NOT_FOUND" {
		t.Fatalf("missing profile: %d %s", a.status, a.raw)
	}
	if a := ofrepPost(t, base+"/ofrep/v1/evaluate/flags/banner", `{}`); a.status != 200 || a.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("empty context: %d %v %s", a.status, a.header, a.raw)
	}
	if st, body := doReq(t, "GET", base+"/ofrep/v1/configuration", ""); st != 200 || !strings.Contains(body, `"minPollingIntervalMs":30000`) {
		t.Fatalf("configuration: %d %s", st, body)
	}
	if st, body := doReq(t, "GET", base+"/ofrep/v1/evaluate/flags", ""); st != 405 {
		t.Fatalf("GET on bulk: %d %s", st, body)
	}
	// A browser's preflight from another origin.
	req, _ := http.NewRequest(http.MethodOptions, base+"/ofrep/v1/evaluate/flags", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 204 || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "If-None-Match") {
		t.Fatalf("preflight: %v %v", resp, err)
	}
	resp.Body.Close()
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestOFREPBulkETag(t *testing.T) {
	s, _ := fakeServer(t)
	base, deploy := flagProfile(t, s, s.Client())
	bulk := base + "/ofrep/v1/evaluate/flags"
	a := ofrepPost(t, bulk, `{"context":{"targetingKey":"u1","tier":"pro"}}`)
	if a.status != 200 || a.header.Get("ETag") == "" || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("bulk: %d %v %s", a.status, a.header, a.raw)
	}
	var keys []string
	for _, f := range a.body["flags"].([]any) {
		keys = append(keys, f.(map[string]any)["key"].(string))
	}
	if got := strings.Join(keys, ","); got != "banner,banner.size,banner.tags,banner.text,dark,mine,plan,plan.label,plan.limit" {
		t.Fatalf("keys %s", got)
	}
	streams := a.body["eventStreams"].([]any)
	if ep := streams[0].(map[string]any); ep["type"] != "sse" || !strings.HasPrefix(ep["endpoint"].(map[string]any)["requestUri"].(string), "/applications/") {
		t.Fatalf("eventStreams %v", streams)
	}
	etag := a.header.Get("ETag")
	if b := ofrepPost(t, bulk, `{"context":{"targetingKey":"u1","tier":"pro"}}`, "If-None-Match", etag); b.status != 304 {
		t.Fatalf("same context, If-None-Match: %d", b.status)
	}
	if b := ofrepPost(t, bulk, `{"context":{"targetingKey":"u2","tier":"pro"}}`, "If-None-Match", etag); b.status != 200 || b.header.Get("ETag") == etag {
		t.Fatalf("another context: %d %s", b.status, b.header.Get("ETag"))
	}
	// Without a targeting key, the flag whose rule reads it fails alone.
	b := ofrepPost(t, bulk, `{"context":{}}`)
	for _, f := range b.body["flags"].([]any) {
		m := f.(map[string]any)
		if (m["key"] == "mine") != (m["errorCode"] == "TARGETING_KEY_MISSING") {
			t.Fatalf("flag without targeting key: %v", m)
		}
	}
	if b := ofrepPost(t, bulk, `nope`); b.status != 400 || b.body["errorCode"] != "PARSE_ERROR" {
		t.Fatalf("bad body: %d %s", b.status, b.raw)
	}
	// A new deployment, even of the same flags, is a new ETag.
	deploy(ofrepDoc)
	c := ofrepPost(t, bulk+"?flagConfigEtag=x", `{"context":{"targetingKey":"u1","tier":"pro"}}`, "If-None-Match", etag)
	if c.status != 200 || c.header.Get("ETag") == etag || c.body["metadata"].(map[string]any)["configurationVersion"] != "2" {
		t.Fatalf("after a deployment: %d %s %s", c.status, c.header.Get("ETag"), c.raw)
	}
}

// sseReader reads events off a change stream.
type sseReader struct {
	resp *http.Response
	sc   *bufio.Scanner
}

type sseEvent struct{ id, data string }

func openStream(t *testing.T, url string, hdr ...string) *sseReader {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseReader{resp: resp, sc: bufio.NewScanner(resp.Body)}
}

// rest reads what is left of the stream until it ends, or until d has
// passed (then the stream is closed and what was read is returned: the
// caller's check of it fails).
func (r *sseReader) rest(t *testing.T, d time.Duration) string {
	t.Helper()
	stop := time.AfterFunc(d, func() { r.resp.Body.Close() })
	defer stop.Stop()
	var b strings.Builder
	for r.sc.Scan() {
		b.WriteString(r.sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}

// next returns the next event (comments and heartbeats skipped); ok is
// false when the stream ended.
func (r *sseReader) next() (ev sseEvent, comments int, ok bool) {
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case line == "" && ev.data != "":
			return ev, comments, true
		case strings.HasPrefix(line, ":"):
			comments++
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
	return ev, comments, false
}

func TestPushStream(t *testing.T) {
	// The server's request timeouts are far shorter than the stream's life.
	s, _ := fakeServer(t, func(c *server.Config) {
		c.StreamHeartbeat, c.ReadTimeout, c.WriteTimeout = 50*time.Millisecond, 200*time.Millisecond, 200*time.Millisecond
	})
	base, deploy := flagProfile(t, s, s.Client())
	st := openStream(t, base)
	// A new stream starts with the current state.
	if ev, _, ok := st.next(); !ok || !strings.Contains(ev.data, `"version":"1"`) {
		t.Fatalf("first event %+v", ev)
	}
	v2 := deploy(`{"version":"1","flags":{"x":{"name":"X"}},"values":{"x":{"enabled":true}}}`)
	ev, _, ok := st.next()
	if !ok || !strings.Contains(ev.data, `"type":"refetchEvaluation"`) || !strings.Contains(ev.data, `"version":"`+v2+`"`) || ev.id == "" {
		t.Fatalf("event %+v ok=%v", ev, ok)
	}
	var data struct{ ETag string }
	_ = json.Unmarshal([]byte(ev.data), &data)
	if data.ETag == "" {
		t.Fatalf("no etag in %s", ev.data)
	}
	first := ev.id
	v3 := deploy(ofrepDoc)
	ev, _, _ = st.next()
	if !strings.Contains(ev.data, `"version":"`+v3+`"`) || ev.id == first {
		t.Fatalf("second event %+v", ev)
	}
	// Heartbeats keep an idle stream alive, past the server's timeouts.
	began, beats := time.Now(), 0
	for beats < 12 && st.sc.Scan() {
		if st.sc.Text() == ": heartbeat" {
			beats++
		}
	}
	if beats < 12 || time.Since(began) < 500*time.Millisecond {
		t.Fatalf("%d heartbeats in %v", beats, time.Since(began))
	}
	// Resuming after the first event replays the second, on a new stream.
	again := openStream(t, base, "Last-Event-ID", first)
	if ev2, _, _ := again.next(); ev2.id != ev.id {
		t.Fatalf("replay gave %+v, want %s", ev2, ev.id)
	}
	// Shutdown ends open streams.
	done := make(chan struct{})
	go func() { s.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown waited on open streams")
	}
}

// OFREP shares the account's rate limit with the AWS APIs: past it, 429
// with Retry-After (the JS providers pause until then); requests appear in
// the metrics.
func TestOFREPRateLimitAndMetrics(t *testing.T) {
	s, _ := fakeServer(t)
	base, _ := flagProfile(t, s, s.Client())
	limited, _ := fakeServer(t, func(c *server.Config) { c.RateLimit, c.RateBurst = 0.001, 30 })
	lbase, _ := flagProfile(t, limited, limited.Client())
	var a ofrepAnswer
	for i := 0; i < 31; i++ {
		if a = ofrepPost(t, lbase+"/ofrep/v1/evaluate/flags/banner", `{}`); a.status != 200 {
			break
		}
	}
	if a.status != 429 || a.header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %v %s", a.status, a.header, a.raw)
	}
	ofrepPost(t, base+"/ofrep/v1/evaluate/flags/nope", `{}`)
	st, body := doReq(t, "GET", s.URL+"/metrics", "")
	if st != 200 || !strings.Contains(body, `operation="OFREPEvaluateFlag",outcome="FLAG_NOT_FOUND"`) {
		t.Fatalf("metrics lack OFREP:\n%s", body)
	}
}
