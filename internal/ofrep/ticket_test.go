package ofrep

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/push"
)

type refuseAll struct{}

func (refuseAll) Authenticate(*http.Request, []byte) (appconfig.Scope, error) {
	return appconfig.Scope{}, &auth.Error{Code: "MissingAuthenticationToken", Status: http.StatusUnauthorized}
}

// openStreamURL authenticates a GET of the stream URL u as h does.
func openStreamURL(t *testing.T, h *Handler, u string) (appconfig.Scope, error) {
	t.Helper()
	r := httptest.NewRequest("GET", u, nil)
	r.Header.Set("Accept", "text/event-stream")
	rt, ok := match(r)
	if !ok || rt.op != "stream" {
		t.Fatalf("%s is not a stream route", u)
	}
	return h.authenticate(r, rt, nil)
}

// errCode is an auth.Error's code, "" for any other error or none.
func errCode(err error) string {
	var ae *auth.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// A stream ticket lives between one and two StreamTicketPeriods, the same
// URL is handed out during a period, and neither the ticket nor its
// expiry can be changed.
func TestStreamTicketExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 20, 0, 0, time.UTC)
	h := New(Config{StreamKey: []byte("0123456789abcdef0123456789abcdef"), Auth: refuseAll{}, Now: func() time.Time { return now }})
	sc := appconfig.Scope{Account: "123456789012", Region: "eu-west-1"}
	uri := h.streamURI(sc, push.Target{App: "app1", Env: "env1", Profile: "prof1"}, "")
	open := func(u string) error {
		got, err := openStreamURL(t, h, u)
		if err == nil && got != sc {
			t.Fatalf("scope %+v", got)
		}
		return err
	}
	code := errCode
	if err := open(uri); err != nil {
		t.Fatalf("fresh ticket: %v", err)
	}
	now = now.Add(39 * time.Minute) // 10:59: the same period, the same URL
	if again := h.streamURI(sc, push.Target{App: "app1", Env: "env1", Profile: "prof1"}, ""); again != uri {
		t.Fatalf("the URL changed within a period:\n%s\n%s", uri, again)
	}
	now = time.Date(2026, 1, 1, 11, 59, 59, 0, time.UTC) // the last second of its life
	if err := open(uri); err != nil {
		t.Fatalf("ticket before its expiry: %v", err)
	}
	now = now.Add(time.Second) // 12:00, two periods after 10:00
	if err := open(uri); code(err) != "ExpiredTicket" {
		t.Fatalf("expired ticket: %v", err)
	}
	// A later expiry, with the old ticket: refused as forged.
	u, _ := url.Parse(uri)
	q := u.Query()
	q.Set("expires", "9999999999")
	u.RawQuery = q.Encode()
	if err := open(u.String()); code(err) != "InvalidTicket" {
		t.Fatalf("moved expiry: %v", err)
	}
	// Another profile's URL with this ticket: refused.
	if err := open(strings.Replace(uri, "prof1", "prof2", 1)); code(err) != "InvalidTicket" {
		t.Fatalf("other profile: %v", err)
	}
	// Without a ticket the Authenticator decides.
	if err := open("/applications/app1/environments/env1/configurations/prof1"); code(err) != "MissingAuthenticationToken" {
		t.Fatalf("no ticket: %v", err)
	}
}

// binder is an Authenticator with revocable bearer tokens.
type binder struct {
	refuseAll
	revoked map[string]bool
}

func (b binder) BearerHash(r *http.Request) string {
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

func (b binder) CheckHash(_ context.Context, hash string) error {
	if b.revoked[hash] {
		return &auth.Error{Code: "UnrecognizedClientException", Status: http.StatusUnauthorized}
	}
	return nil
}

// A stream URL handed out to a bearer token is bound to it: it names the
// token's hash under the ticket's signature, and opens no stream once
// the token is revoked; another token's hash cannot be put in its place.
func TestStreamTicketBoundToBearer(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 20, 0, 0, time.UTC)
	b := binder{revoked: map[string]bool{}}
	h := New(Config{StreamKey: []byte("0123456789abcdef0123456789abcdef"), Auth: b, Now: func() time.Time { return now }})
	sc := appconfig.Scope{Account: "123456789012", Region: "eu-west-1"}
	target := push.Target{App: "app1", Env: "env1", Profile: "prof1"}
	open := func(u string) string {
		_, err := openStreamURL(t, h, u)
		if err != nil && errCode(err) == "" {
			t.Fatalf("open: %v", err)
		}
		return errCode(err)
	}
	uri := h.streamURI(sc, target, "hashA")
	if !strings.Contains(uri, "bearer=hashA") {
		t.Fatalf("the URL does not name its token: %s", uri)
	}
	if code := open(uri); code != "" {
		t.Fatalf("live token: %s", code)
	}
	if code := open(strings.Replace(uri, "bearer=hashA", "bearer=hashB", 1)); code != "InvalidTicket" {
		t.Fatalf("another token's hash: %q", code)
	}
	if code := open(strings.Replace(uri, "&bearer=hashA", "", 1)); code != "InvalidTicket" {
		t.Fatalf("token dropped from the URL: %q", code)
	}
	b.revoked["hashA"] = true
	if code := open(uri); code != "RevokedTicket" {
		t.Fatalf("revoked token: %q", code)
	}
	// A URL handed out without a token stays unbound.
	if code := open(h.streamURI(sc, target, "")); code != "" {
		t.Fatalf("unbound URL: %s", code)
	}
}
