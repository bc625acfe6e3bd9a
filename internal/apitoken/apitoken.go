// Package apitoken issues read-only bearer tokens for the flag path (the
// AppConfig Agent route, OFREP and change streams) under --auth sigv4.
//
// A token is scoped to an account and region, and optionally to one
// application. The store keeps only its SHA-256 (the token itself is shown
// once, when it is created), in a meta record every replica and the CLI
// share, so tokens work the same on SQLite and PostgreSQL. Servers cache
// what they verified for a few seconds; creating or revoking a token
// notifies Topic, which drops those caches at once where the store carries
// notifications across processes (PostgreSQL) and otherwise within TTL.
package apitoken

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"github.com/appconfigd/appconfigd/internal/records"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/auth"
)

// Topic is notified when tokens change.
const Topic = "apitoken"

// Prefix starts every token, so they are recognisable in logs and scanners.
const Prefix = "acdt_"

const idPrefix = records.APITokenPrefix

// TTL bounds how long a server trusts a verification it cached.
const TTL = 5 * time.Second

// Token describes an issued token (never the secret); its stored form
// is records.APIToken.
type Token = records.APIToken

func hashOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func key(hash string) appconfig.Key { return records.APITokenKey(hash) }

// Create issues a token and returns it with its secret (shown once).
func Create(ctx context.Context, st appconfig.Store, t Token, now time.Time) (Token, string, error) {
	if !auth.IsAccountID(t.Account) {
		return Token{}, "", fmt.Errorf("account %q is not a 12-digit AWS account id", t.Account)
	}
	if t.Region == "" {
		return Token{}, "", fmt.Errorf("a token needs a region")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Token{}, "", err
	}
	secret := Prefix + base64.RawURLEncoding.EncodeToString(raw[:])
	hash := hashOf(secret)
	t.ID, t.Created = hash[:12], now.UTC().Truncate(time.Second)
	body := records.APITokens.Encode(t)
	err := st.Update(ctx, func(tx appconfig.Tx) error {
		if t.Application != "" {
			_, err := tx.Get(ctx, records.ApplicationKey(appconfig.Scope{Account: t.Account, Region: t.Region}, t.Application), false, false)
			if appconfig.IsNotFound(err) {
				return fmt.Errorf("application %s not found in account %s, region %s (give its id)", t.Application, t.Account, t.Region)
			}
			if err != nil {
				return err
			}
		}
		rec := appconfig.Record{Key: key(hash), Body: body}
		tx.Notify(Topic)
		return tx.Insert(ctx, &rec)
	})
	if err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// List returns every token.
func List(ctx context.Context, st appconfig.Store) ([]Token, error) {
	var out []Token
	err := st.View(ctx, func(tx appconfig.Tx) error {
		recs, err := tx.List(ctx, appconfig.Query{Kind: appconfig.RecordMeta})
		if err != nil {
			return err
		}
		for _, r := range recs {
			if !strings.HasPrefix(r.ID, idPrefix) {
				continue
			}
			if t, err := records.APITokens.Decode(r); err == nil {
				out = append(out, t)
			}
		}
		return nil
	})
	return out, err
}

// Revoke deletes the token with the given id.
func Revoke(ctx context.Context, st appconfig.Store, id string) error {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < 8 {
		return fmt.Errorf("token id %q is too short", id)
	}
	return st.Update(ctx, func(tx appconfig.Tx) error {
		recs, err := tx.List(ctx, appconfig.Query{Kind: appconfig.RecordMeta})
		if err != nil {
			return err
		}
		for _, r := range recs {
			if strings.HasPrefix(r.ID, idPrefix+id) {
				tx.Notify(Topic)
				return tx.Delete(ctx, r.Key)
			}
		}
		return fmt.Errorf("no token with id %s", id)
	})
}

// Authenticator accepts bearer tokens on the read-only flag routes and
// hands every other request to Next.
type Authenticator struct {
	Next interface {
		Authenticate(r *http.Request, body []byte) (appconfig.Scope, error)
	}
	Store appconfig.Store
	Now   func() time.Time
	// AppID resolves the application a flag-route path names (name or id).
	AppID func(ctx context.Context, sc appconfig.Scope, app, env, profile string) (string, error)

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	tok   *Token // nil: no such token
	until time.Time
}

// Flush forgets every cached verification (on Topic).
func (a *Authenticator) Flush() {
	a.mu.Lock()
	a.cache = nil
	a.mu.Unlock()
}

func unauthorized(msg string) *auth.Error {
	return &auth.Error{Code: "UnrecognizedClientException", Status: http.StatusUnauthorized, Message: msg}
}

// Authenticate implements the wire layer's Authenticator.
func (a *Authenticator) Authenticate(r *http.Request, body []byte) (appconfig.Scope, error) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return a.Next.Authenticate(r, body)
	}
	labels, ok := flagRoute(r)
	if !ok {
		return appconfig.Scope{}, &auth.Error{Code: CodeAccessDenied, Status: http.StatusForbidden,
			Message: "bearer tokens are read-only: they may read configurations through the Agent route, OFREP and change streams, nothing else"}
	}
	tok, err := a.verify(r.Context(), strings.TrimSpace(h[7:]))
	if err != nil {
		return appconfig.Scope{}, err
	}
	sc := appconfig.Scope{Account: tok.Account, Region: tok.Region}
	if tok.Application != "" && labels[0] != tok.Application {
		id, err := a.AppID(r.Context(), sc, labels[0], labels[1], labels[2])
		if err != nil || id != tok.Application {
			return sc, &auth.Error{Code: CodeAccessDenied, Status: http.StatusForbidden, Message: "this token is scoped to another application"}
		}
	}
	return sc, nil
}

func (a *Authenticator) verify(ctx context.Context, secret string) (*Token, error) {
	if !strings.HasPrefix(secret, Prefix) {
		return nil, unauthorized("the bearer token is not an appconfigd token")
	}
	return a.verifyHash(ctx, hashOf(secret))
}

// BearerHash returns the stored hash of the appconfigd bearer token r
// carries, or "" when it carries none. OFREP binds the stream URLs it
// hands out to it, so that revoking the token also ends its tickets.
func (a *Authenticator) BearerHash(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	secret := strings.TrimSpace(h[7:])
	if !strings.HasPrefix(secret, Prefix) {
		return ""
	}
	return hashOf(secret)
}

// CheckHash reports whether the token with this stored hash still
// exists (an error when it was revoked), with Authenticate's cache.
func (a *Authenticator) CheckHash(ctx context.Context, hash string) error {
	_, err := a.verifyHash(ctx, hash)
	return err
}

func (a *Authenticator) verifyHash(ctx context.Context, hash string) (*Token, error) {
	now := a.Now()
	a.mu.Lock()
	c, ok := a.cache[hash]
	a.mu.Unlock()
	if !ok || !now.Before(c.until) {
		c = cached{until: now.Add(TTL)}
		err := a.Store.View(ctx, func(tx appconfig.Tx) error {
			rec, err := tx.Get(ctx, key(hash), false, false)
			if err != nil {
				return err
			}
			t, err := records.APITokens.Decode(rec)
			if err != nil {
				return err
			}
			c.tok = &t
			return nil
		})
		if err != nil && !appconfig.IsNotFound(err) {
			return nil, &auth.Error{Code: auth.CodeInternalFailure, Status: http.StatusInternalServerError, Message: "cannot read tokens"}
		}
		a.mu.Lock()
		if a.cache == nil || len(a.cache) > 10000 {
			a.cache = map[string]cached{}
		}
		a.cache[hash] = c
		a.mu.Unlock()
	}
	if c.tok == nil {
		return nil, unauthorized("the bearer token is unknown or revoked")
	}
	return c.tok, nil
}

// flagRoute reports whether r reads the flag path (GET of the Agent route
// without client_id, OFREP, a change stream) and returns its labels.
func flagRoute(r *http.Request) ([3]string, bool) {
	var labels [3]string
	p := strings.Split(r.URL.EscapedPath(), "/")
	if len(p) < 7 || p[1] != "applications" || p[3] != "environments" || p[5] != "configurations" {
		return labels, false
	}
	for i := range labels {
		s, err := url.PathUnescape(p[2+2*i])
		if err != nil {
			return labels, false
		}
		labels[i] = s
	}
	rest := strings.Join(p[7:], "/")
	switch {
	case rest == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return labels, !r.URL.Query().Has("client_id")
	case r.Method == http.MethodPost && (rest == "ofrep/v1/evaluate/flags" || strings.HasPrefix(rest, "ofrep/v1/evaluate/flags/")):
		return labels, true
	case r.Method == http.MethodGet && rest == "ofrep/v1/configuration":
		return labels, true
	}
	return labels, false
}

// CodeAccessDenied is the error code of a token used beyond its scope.
const CodeAccessDenied = "AccessDeniedException"
