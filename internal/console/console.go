// Package console serves the web console: a single-page application built
// from console/ (esbuild) into dist/, embedded in the binary. It talks to
// the server only through the public AppConfig HTTP API, signing requests
// in the browser; this package adds no API of its own. It serves the
// built assets under /console/assets/ and index.html, with the server's
// auth mode, default account and region and its service clock written in,
// for every other path under /console/, so each page loads by URL.
package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is where the console lives; the AWS APIs never use it.
const Prefix = "/console/"

//go:embed dist
var dist embed.FS

// configMarker is replaced in index.html by the server's settings.
const configMarker = `{"console":"config"}`

// Config is what the console needs to know about the server.
type Config struct {
	// Auth is "open" (requests go unsigned and act in Account) or "sigv4"
	// (the console asks for an access key and signs every request).
	Auth    string
	Account string
	Region  string
	// TimeScale and Now describe the service clock, so the console can show
	// bake countdowns in service time (which --time-scale speeds up).
	TimeScale float64
	Now       func() time.Time
}

type asset struct {
	body  []byte
	ctype string
	etag  string
}

// Handler serves the console for every path under Prefix (and redirects
// the bare /console to it).
type Handler struct {
	cfg    Config
	index  []byte
	assets map[string]asset
}

// New loads the embedded assets.
func New(cfg Config) (*Handler, error) {
	h := &Handler{cfg: cfg, assets: map[string]asset{}}
	if h.cfg.Now == nil {
		h.cfg.Now = time.Now
	}
	if h.cfg.TimeScale <= 0 {
		h.cfg.TimeScale = 1
	}
	index, err := dist.ReadFile("dist/index.html")
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(index, []byte(configMarker)) {
		return nil, fs.ErrInvalid
	}
	h.index = index
	err = fs.WalkDir(dist, "dist/assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := dist.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.assets[strings.TrimPrefix(p, "dist/assets/")] = asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	return h, err
}

// Handles reports whether a request path belongs to the console.
func Handles(p string) bool { return p == "/console" || strings.HasPrefix(p, Prefix) }

// csp allows nothing from outside the origin: no CDN, no inline script.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/console" {
		http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if name, ok := strings.CutPrefix(r.URL.Path, Prefix+"assets/"); ok {
		a, found := h.assets[name]
		if !found {
			http.NotFound(w, r)
			return
		}
		hd.Set("Content-Type", a.ctype)
		hd.Set("Cache-Control", "no-cache")
		hd.Set("ETag", a.etag)
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write(a.body)
		return
	}
	body := bytes.Replace(h.index, []byte(configMarker), h.settings(), 1)
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// settings is the JSON written into index.html (json.Marshal escapes <, >
// and &, so it cannot close the script element holding it).
func (h *Handler) settings() []byte {
	// index.html is served to anyone: under sigv4 it does not name the
	// default account (the console shows the signed-in key instead).
	account := h.cfg.Account
	if h.cfg.Auth != "open" {
		account = ""
	}
	b, _ := json.Marshal(map[string]any{
		"auth":        h.cfg.Auth,
		"account":     account,
		"region":      h.cfg.Region,
		"timeScale":   h.cfg.TimeScale,
		"serviceTime": h.cfg.Now().UnixMilli(),
	})
	return b
}
