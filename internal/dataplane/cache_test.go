package dataplane

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

var testScope = appconfig.Scope{Account: "123456789012", Region: "us-east-1"}

type cacheWorld struct {
	store        appconfig.Store
	svc          *service.Service
	cache        *cache
	app          string
	prod, beta   string
	profP, profQ string
	prodP, prodQ servedKey
	betaP        servedKey
}

func newCacheWorld(t *testing.T) *cacheWorld {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	svc := service.New(service.Config{Store: st, Clock: clk})
	w := &cacheWorld{store: st, svc: svc, cache: newCache(svc, time.Hour, clk.Now)}
	app, err := svc.CreateApplication(ctx, testScope, service.CreateApplicationInput{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	w.app = app.ID
	for _, e := range []struct {
		name string
		id   *string
	}{{"prod", &w.prod}, {"beta", &w.beta}} {
		env, err := svc.CreateEnvironment(ctx, testScope, app.ID, service.CreateEnvironmentInput{Name: e.name})
		if err != nil {
			t.Fatal(err)
		}
		*e.id = env.ID
	}
	for _, p := range []struct {
		name string
		id   *string
	}{{"p", &w.profP}, {"q", &w.profQ}} {
		prof, err := svc.CreateConfigurationProfile(ctx, testScope, app.ID, service.CreateProfileInput{Name: p.name, LocationURI: "hosted"})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = prof.ID
	}
	w.prodP = servedKey{testScope, w.app, w.prod, w.profP}
	w.prodQ = servedKey{testScope, w.app, w.prod, w.profQ}
	w.betaP = servedKey{testScope, w.app, w.beta, w.profP}
	return w
}

func (w *cacheWorld) get(t *testing.T, k servedKey) *entry {
	t.Helper()
	e, err := w.cache.get(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// kept reports, for each key, whether the cache still answers with the
// entry it gave before.
func (w *cacheWorld) kept(t *testing.T, before map[servedKey]*entry) map[servedKey]bool {
	t.Helper()
	out := map[servedKey]bool{}
	for k, e := range before {
		out[k] = w.get(t, k) == e
	}
	return out
}

func (w *cacheWorld) fill(t *testing.T) map[servedKey]*entry {
	t.Helper()
	m := map[servedKey]*entry{}
	for _, k := range []servedKey{w.prodP, w.prodQ, w.betaP} {
		m[k] = w.get(t, k)
	}
	return m
}

func TestCacheDropsOnlyWhatATopicConcerns(t *testing.T) {
	w := newCacheWorld(t)
	before := w.fill(t)
	for _, topic := range []string{"assoc|123456789012|us-east-1", "extension-outbox", "hv|123456789012|us-east-1|" + w.app + "|" + w.profP + "|1",
		appconfig.EnvironmentTopic(appconfig.Scope{Account: "210987654321", Region: "us-east-1"}, w.app, w.prod)} {
		w.cache.invalidate(topic)
		for k, ok := range w.kept(t, before) {
			if !ok {
				t.Fatalf("topic %q dropped %v", topic, k)
			}
		}
	}

	w.cache.invalidate(appconfig.EnvironmentTopic(testScope, w.app, w.prod))
	got := w.kept(t, before)
	if got[w.prodP] || got[w.prodQ] || !got[w.betaP] {
		t.Fatalf("after prod's topic, kept = %v; want only beta's entry kept", got)
	}

	before = w.fill(t)
	w.cache.invalidate(appconfig.ProfileTopic(testScope, w.app, w.profQ))
	got = w.kept(t, before)
	if !got[w.prodP] || got[w.prodQ] || !got[w.betaP] {
		t.Fatalf("after q's topic, kept = %v; want all but prod/q kept", got)
	}

	before = w.fill(t)
	w.cache.invalidate(appconfig.TopicReset)
	for k, ok := range w.kept(t, before) {
		if ok {
			t.Fatalf("reset kept %v", k)
		}
	}
}

// A change announced while an entry is being loaded may not be in what
// the load read; the load's answer is used once but not kept.
func TestCacheDoesNotKeepALoadRacedByAnInvalidation(t *testing.T) {
	w := newCacheWorld(t)
	raced := false
	w.cache.afterLoad = func(k servedKey) {
		if !raced {
			raced = true
			w.cache.invalidate(appconfig.EnvironmentTopic(testScope, w.app, w.prod))
		}
	}
	first := w.get(t, w.prodP)
	if !raced {
		t.Fatal("the hook did not run")
	}
	if again := w.get(t, w.prodP); again == first {
		t.Fatal("the load that raced an invalidation was kept")
	}
	settled := w.get(t, w.prodP)
	if again := w.get(t, w.prodP); again != settled {
		t.Fatal("an entry loaded without a race was not kept")
	}
}

// Deleting a profile announces it, and the data plane stops serving it.
func TestDeletingAProfileAnnouncesIt(t *testing.T) {
	w := newCacheWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topics := w.store.Subscribe(ctx)
	w.get(t, w.prodQ)
	if err := w.svc.DeleteConfigurationProfile(ctx, testScope, w.app, w.profQ, appconfig.ProtectionBypass); err != nil {
		t.Fatal(err)
	}
	want := appconfig.ProfileTopic(testScope, w.app, w.profQ)
	for topic := range topics {
		if topic != want {
			continue
		}
		w.cache.invalidate(topic)
		if _, err := w.cache.get(ctx, w.prodQ); !appconfig.IsNotFound(err) {
			t.Fatalf("after deleting the profile, get = %v; want NotFound", err)
		}
		return
	}
	t.Fatalf("no %q announced: %v", want, ctx.Err())
}
