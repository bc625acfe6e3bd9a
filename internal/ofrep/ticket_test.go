package ofrep

import (
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

// A stream ticket lives between one and two StreamTicketPeriods, the same
// URL is handed out during a period, and neither the ticket nor its
// expiry can be changed.
func TestStreamTicketExpires(t *testing.T) {
	now := time.Date(2026, 1, 1, 10, 20, 0, 0, time.UTC)
	h := New(Config{StreamKey: []byte("0123456789abcdef0123456789abcdef"), Auth: refuseAll{}, Now: func() time.Time { return now }})
	sc := appconfig.Scope{Account: "123456789012", Region: "eu-west-1"}
	uri := h.streamURI(sc, push.Target{App: "app1", Env: "env1", Profile: "prof1"})
	open := func(u string) error {
		r := httptest.NewRequest("GET", u, nil)
		r.Header.Set("Accept", "text/event-stream")
		rt, ok := match(r)
		if !ok || rt.op != "stream" {
			t.Fatalf("%s is not a stream route", u)
		}
		got, err := h.authenticate(r, rt, nil)
		if err == nil && got != sc {
			t.Fatalf("scope %+v", got)
		}
		return err
	}
	code := func(err error) string {
		var ae *auth.Error
		if errors.As(err, &ae) {
			return ae.Code
		}
		return ""
	}
	if err := open(uri); err != nil {
		t.Fatalf("fresh ticket: %v", err)
	}
	now = now.Add(39 * time.Minute) // 10:59: the same period, the same URL
	if again := h.streamURI(sc, push.Target{App: "app1", Env: "env1", Profile: "prof1"}); again != uri {
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
