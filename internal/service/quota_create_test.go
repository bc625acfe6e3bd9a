package service_test

import (
	"errors"
	"path/filepath"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/store/postgres"
	"github.com/appconfigd/appconfigd/internal/store/postgres/pgtest"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

// The quotas checked by the capped inserts (Tx.InsertCapped and, for
// applications, with or without tags, Store.CreateCapped) refuse with AWS's words
// on both stores, and what fits under them is created (with its tags).
func TestCreateQuotasOnBothStores(t *testing.T) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			var st appconfig.Store
			var err error
			if name == "sqlite" {
				st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
			} else {
				st, err = postgres.Open(ctx, pgtest.FreshDatabase(t))
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			svc := service.New(service.Config{Store: st, Clock: clock.NewFake(t0),
				Quotas: service.Quotas{Applications: 2, EnvironmentsPerApp: 1, ProfilesPerApp: 1, DeploymentStrategies: 1}})
			checkCreateQuotas(t, svc)
		})
	}
}

func wantQuota(t *testing.T, err error, msg string) {
	t.Helper()
	var e *appconfig.Error
	if !errors.As(err, &e) || e.Kind != appconfig.KindQuotaExceeded || e.Message != msg {
		t.Fatalf("got %v, want QuotaExceeded %q", err, msg)
	}
}

func checkCreateQuotas(t *testing.T, svc *service.Service) {
	a, err := svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: "a"})
	if err != nil || a.ID == "" {
		t.Fatalf("%+v %v", a, err)
	}
	b, err := svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: "b", Tags: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if tags, err := svc.ListTagsForResource(ctx, sc, service.ApplicationARN(sc, b.ID)); err != nil || tags["k"] != "v" {
		t.Fatalf("tags %v %v", tags, err)
	}
	if got, err := svc.GetApplication(ctx, sc, a.ID); err != nil || got.Name != "a" {
		t.Fatalf("%+v %v", got, err)
	}
	for _, tags := range []map[string]string{nil, {"k": "v"}} {
		_, err = svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: "c", Tags: tags})
		wantQuota(t, err, "You have reached the limit of 2 applications in this account and region.")
	}
	if _, err := svc.CreateApplication(ctx, appconfig.Scope{Account: sc.Account, Region: "eu-west-1"}, service.CreateApplicationInput{Name: "c"}); err != nil {
		t.Fatalf("another region has its own quota: %v", err)
	}

	if _, err := svc.CreateEnvironment(ctx, sc, a.ID, service.CreateEnvironmentInput{Name: "e"}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateEnvironment(ctx, sc, a.ID, service.CreateEnvironmentInput{Name: "f"})
	wantQuota(t, err, "You have reached the limit of 1 environments for application "+a.ID+".")
	if _, err := svc.CreateConfigurationProfile(ctx, sc, a.ID, service.CreateProfileInput{Name: "p", LocationURI: "hosted"}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateConfigurationProfile(ctx, sc, a.ID, service.CreateProfileInput{Name: "q", LocationURI: "hosted"})
	wantQuota(t, err, "You have reached the limit of 1 configuration profiles for application "+a.ID+".")
	if _, err := svc.CreateEnvironment(ctx, sc, b.ID, service.CreateEnvironmentInput{Name: "e"}); err != nil {
		t.Fatalf("another application has its own quota: %v", err)
	}
	if _, err := svc.CreateDeploymentStrategy(ctx, sc, service.CreateStrategyInput{Name: "s", GrowthFactor: 100}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateDeploymentStrategy(ctx, sc, service.CreateStrategyInput{Name: "t", GrowthFactor: 100})
	wantQuota(t, err, "You have reached the limit of 1 deployment strategies in this account and region.")
}
