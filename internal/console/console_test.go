package console

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func newHandler(t *testing.T) *Handler {
	t.Helper()
	h, err := New(Config{Auth: "sigv4", Account: "111122223333", Region: "eu-west-1", TimeScale: 60,
		Now: func() time.Time { return time.UnixMilli(1700000000123) }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, method, path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var settingsRE = regexp.MustCompile(`<script id="appconfigd-settings" type="application/json">([^<]*)</script>`)

// Every page path gets index.html with the server's settings written in,
// so any console URL loads (and reloads) as is.
func TestIndexForEveryPath(t *testing.T) {
	h := newHandler(t)
	for _, p := range []string{"/console/", "/console/applications/abc1234", "/console/applications/a/environments/b/deployments/3", "/console/no/such"} {
		w := get(h, http.MethodGet, p)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", p, w.Code, w.Header().Get("Content-Type"))
		}
		m := settingsRE.FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("%s: no settings in index.html:\n%s", p, w.Body.String())
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"auth": "sigv4", "account": "", "region": "eu-west-1", "timeScale": 60.0, "serviceTime": 1700000000123.0}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: settings[%s] = %v, want %v", p, k, got[k], v)
			}
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
}

// Open auth names the account the console acts in; sigv4 does not (see
// TestIndexForEveryPath), since index.html needs no signature.
func TestOpenAuthNamesTheAccount(t *testing.T) {
	h, err := New(Config{Auth: "open", Account: "111122223333", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	m := settingsRE.FindStringSubmatch(get(h, http.MethodGet, "/console/").Body.String())
	if m == nil || !strings.Contains(m[1], `"account":"111122223333"`) || !strings.Contains(m[1], `"auth":"open"`) {
		t.Fatalf("settings: %v", m)
	}
}

func TestAssets(t *testing.T) {
	h := newHandler(t)
	for path, ctype := range map[string]string{"/console/assets/app.js": "text/javascript", "/console/assets/app.css": "text/css"} {
		w := get(h, http.MethodGet, path)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), ctype) || w.Body.Len() == 0 {
			t.Fatalf("%s: %d %q %d bytes", path, w.Code, w.Header().Get("Content-Type"), w.Body.Len())
		}
		etag := w.Header().Get("ETag")
		if w2 := get(h, http.MethodGet, path, "If-None-Match", etag); w2.Code != http.StatusNotModified {
			t.Errorf("%s with If-None-Match: %d", path, w2.Code)
		}
	}
	if w := get(h, http.MethodGet, "/console/assets/nope.js"); w.Code != http.StatusNotFound {
		t.Errorf("missing asset: %d", w.Code)
	}
}

func TestRedirectAndMethods(t *testing.T) {
	h := newHandler(t)
	if w := get(h, http.MethodGet, "/console"); w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/console/" {
		t.Errorf("/console: %d %q", w.Code, w.Header().Get("Location"))
	}
	if w := get(h, http.MethodPost, "/console/"); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
	if !Handles("/console") || !Handles("/console/x") || Handles("/consoles") || Handles("/applications") {
		t.Error("Handles")
	}
}

// The built index.html loads only same-origin assets.
func TestIndexLoadsNothingFromOutside(t *testing.T) {
	h := newHandler(t)
	body := get(h, http.MethodGet, "/console/").Body.String()
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		if u := m[1]; !strings.HasPrefix(u, "/console/") && u != "#main" && u != "data:," {
			t.Errorf("index.html refers to %q", u)
		}
	}
}
