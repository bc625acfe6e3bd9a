package dataplane

import (
	"context"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

// countingStore counts read transactions.
type countingStore struct {
	appconfig.Store
	views atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(appconfig.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

type viewWorld struct {
	st  *countingStore
	svc *service.Service
	srv *Server
	app string
}

// newViewWorld: application "app" with environment "prod" and profile
// "p"; the data plane listens to the store as the server makes it.
func newViewWorld(t *testing.T) *viewWorld {
	t.Helper()
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st := &countingStore{Store: raw}
	svc := service.New(service.Config{Store: st, Clock: clk})
	w := &viewWorld{st: st, svc: svc, srv: New(Config{Service: svc, Clock: clk, TokenKey: make([]byte, 32), CacheMaxAge: time.Hour})}
	t.Cleanup(raw.Listen(w.srv.Invalidate))
	app, err := svc.CreateApplication(ctx, testScope, service.CreateApplicationInput{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	w.app = app.ID
	if _, err := svc.CreateEnvironment(ctx, testScope, app.ID, service.CreateEnvironmentInput{Name: "prod"}); err != nil {
		t.Fatal(err)
	}
	w.createProfile(t, "p")
	return w
}

func (w *viewWorld) createProfile(t *testing.T, name string) string {
	t.Helper()
	p, err := w.svc.CreateConfigurationProfile(context.Background(), testScope, w.app, service.CreateProfileInput{Name: name, LocationURI: "hosted"})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// missing returns the ResourceName Lookup reports as not found ("" when
// it resolves and has a deployment, which these tests never make).
func (w *viewWorld) missing(t *testing.T, app, env, prof string) string {
	t.Helper()
	_, err := w.srv.Lookup(context.Background(), testScope, app, env, prof)
	e, ok := err.(*appconfig.Error)
	if !ok || e.Kind != appconfig.KindNotFound {
		t.Fatalf("Lookup(%s, %s, %s) = %v, want a NotFound", app, env, prof, err)
	}
	return e.ResourceName
}

func TestLookupResolvesFromMemory(t *testing.T) {
	w := newViewWorld(t)
	if got := w.missing(t, "app", "prod", "p"); got != "Deployment" {
		t.Fatalf("resolved names: not found %q, want Deployment", got)
	}
	before := w.st.views.Load()
	for range 100 {
		w.missing(t, "app", "prod", "p")
		w.missing(t, "app", "prod", "nope")
	}
	// One load for the new name; none for anything asked before.
	if n := w.st.views.Load() - before; n != 1 {
		t.Fatalf("%d store reads for 200 lookups of two triples, want 1 (the first miss)", n)
	}
}

func TestLookupFollowsRenamesAndDeletes(t *testing.T) {
	w := newViewWorld(t)
	ctx := context.Background()
	name := func(s string) *string { return &s }
	w.missing(t, "app", "prod", "p")
	w.missing(t, "app", "prod", "p2")

	// Profile renamed: the old name is gone, the new one resolves.
	if _, err := w.svc.UpdateConfigurationProfile(ctx, testScope, w.app, "p", service.UpdateProfileInput{Name: name("p2")}); err != nil {
		t.Fatal(err)
	}
	if got := w.missing(t, "app", "prod", "p"); got != "ConfigurationProfile" {
		t.Fatalf("old profile name after rename: %q", got)
	}
	if got := w.missing(t, "app", "prod", "p2"); got != "Deployment" {
		t.Fatalf("new profile name after rename: %q", got)
	}
	// A profile created under a name that was missing resolves at once.
	q := w.createProfile(t, "p")
	if got := w.missing(t, "app", "prod", "p"); got != "Deployment" {
		t.Fatalf("created profile: %q", got)
	}
	if err := w.svc.DeleteConfigurationProfile(ctx, testScope, w.app, q, appconfig.ProtectionBypass); err != nil {
		t.Fatal(err)
	}
	if got := w.missing(t, "app", "prod", q); got != "ConfigurationProfile" {
		t.Fatalf("deleted profile by ID: %q", got)
	}
	if got := w.missing(t, "app", "prod", "p"); got != "ConfigurationProfile" {
		t.Fatalf("deleted profile by name: %q", got)
	}

	// Environment renamed, then deleted.
	if _, err := w.svc.UpdateEnvironment(ctx, testScope, w.app, "prod", service.UpdateEnvironmentInput{Name: name("live")}); err != nil {
		t.Fatal(err)
	}
	if got := w.missing(t, "app", "prod", "p2"); got != "Environment" {
		t.Fatalf("old environment name: %q", got)
	}
	if got := w.missing(t, "app", "live", "p2"); got != "Deployment" {
		t.Fatalf("new environment name: %q", got)
	}
	if err := w.svc.DeleteEnvironment(ctx, testScope, w.app, "live", appconfig.ProtectionBypass); err != nil {
		t.Fatal(err)
	}
	if got := w.missing(t, "app", "live", "p2"); got != "Environment" {
		t.Fatalf("deleted environment: %q", got)
	}

	// Application renamed; a new application takes the old name.
	if _, err := w.svc.UpdateApplication(ctx, testScope, w.app, service.UpdateApplicationInput{Name: name("app2")}); err != nil {
		t.Fatal(err)
	}
	if got := w.missing(t, "app", "live", "p2"); got != "Application" {
		t.Fatalf("old application name: %q", got)
	}
	if got := w.missing(t, "app2", "live", "p2"); got != "Environment" {
		t.Fatalf("new application name: %q", got)
	}
	other, err := w.svc.CreateApplication(ctx, testScope, service.CreateApplicationInput{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.missing(t, "app", "live", "p2"); got != "Environment" {
		t.Fatalf("application created under a missing name: %q", got)
	}
	if err := w.svc.DeleteApplication(ctx, testScope, other.ID); err != nil {
		t.Fatal(err)
	}
	if got := w.missing(t, "app", "live", "p2"); got != "Application" {
		t.Fatalf("deleted application: %q", got)
	}
}

// A change announced while names are being resolved may not be in what
// the resolution read: it is not kept.
func TestResolutionRacedByAnInvalidationIsNotKept(t *testing.T) {
	w := newViewWorld(t)
	ctx := context.Background()
	w.srv.cache.afterResolve = func() { w.srv.Invalidate(appconfig.NamesTopic(testScope, w.app)) }
	w.missing(t, "app", "prod", "p")
	w.srv.cache.afterResolve = nil
	before := w.st.views.Load()
	w.missing(t, "app", "prod", "p")
	if w.st.views.Load() == before {
		t.Fatal("a resolution raced by an invalidation was kept")
	}
	before = w.st.views.Load()
	w.missing(t, "app", "prod", "p")
	if w.st.views.Load() != before {
		t.Fatal("a resolution without a race was not kept")
	}
	_ = ctx
}

// Misses are remembered, but not without bound.
func TestResolutionsAreBounded(t *testing.T) {
	w := newViewWorld(t)
	w.srv.cache.maxNames = 50
	for i := range 120 {
		w.missing(t, "nope-"+strconv.Itoa(i), "prod", "p")
	}
	if n := len(w.srv.cache.names[testScope]); n > 50 || n == 0 {
		t.Fatalf("%d resolutions remembered", n)
	}
}
