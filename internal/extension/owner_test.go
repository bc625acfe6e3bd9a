package extension_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/extension"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

// guardStore refuses (panics on) any write of a deployment record whose
// context does not come from deploy.Lifecycle, and counts the writes it
// let through by operation.
type guardStore struct {
	appconfig.Store
	t      *testing.T
	mu     sync.Mutex
	writes map[string]int
}

type guardTx struct {
	appconfig.Tx
	s *guardStore
}

func (s *guardStore) check(ctx context.Context, op, kind string) {
	if kind != appconfig.RecordDeployment {
		return
	}
	if !deploy.InLifecycle(ctx) {
		panic(fmt.Sprintf("%s of a deployment record outside deploy.Lifecycle", op))
	}
	s.mu.Lock()
	s.writes[op]++
	s.mu.Unlock()
}

func (s *guardStore) Update(ctx context.Context, fn func(appconfig.Tx) error) error {
	return s.Store.Update(ctx, func(tx appconfig.Tx) error { return fn(guardTx{tx, s}) })
}

func (s *guardStore) ClaimDue(ctx context.Context, kind string, now time.Time, limit int, fn func(appconfig.Tx, appconfig.Record) error) (int, error) {
	return s.Store.ClaimDue(ctx, kind, now, limit, func(tx appconfig.Tx, r appconfig.Record) error { return fn(guardTx{tx, s}, r) })
}

func (t guardTx) Insert(ctx context.Context, r *appconfig.Record) error {
	t.s.check(ctx, "Insert", r.Kind)
	return t.Tx.Insert(ctx, r)
}

func (t guardTx) Put(ctx context.Context, r appconfig.Record) error {
	t.s.check(ctx, "Put", r.Kind)
	return t.Tx.Put(ctx, r)
}

func (t guardTx) Delete(ctx context.Context, k appconfig.Key) error {
	t.s.check(ctx, "Delete", k.Kind)
	return t.Tx.Delete(ctx, k)
}

func (t guardTx) DeleteAll(ctx context.Context, q appconfig.Query) (int, error) {
	t.s.check(ctx, "DeleteAll", q.Kind)
	return t.Tx.DeleteAll(ctx, q)
}

type alarmsInAlarm struct{}

func (alarmsInAlarm) Check(context.Context, appconfig.Scope, appconfig.Monitor) (string, error) {
	return "ALARM", nil
}

// TestLifecycleIsTheOnlyDeploymentWriter runs every path that writes a
// deployment record — start, engine steps, a monitor lease and an alarm
// rollback, a user's stop, a revert, an extension delivery's outcome, and
// an environment's deletion — on a store that refuses deployment writes
// not made by deploy.Lifecycle. (Its static twin is
// TestOnlyTheLifecycleWritesDeployments in internal/deploy.)
func TestLifecycleIsTheOnlyDeploymentWriter(t *testing.T) {
	ctx := context.Background()
	raw, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	st := &guardStore{Store: raw, t: t, writes: map[string]int{}}
	clk := clock.NewFake(time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC))
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable) // every delivery fails: its outcome is written back
	}))
	defer hook.Close()
	allow, err := extension.ParseAllowList("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	catalog := service.NewCatalog(st)
	ext := extension.New(extension.Config{Catalog: catalog, Store: st, Clock: clk, Invoker: &extension.Invoker{Allow: allow}})
	runner := deploy.NewRunner(deploy.Config{Store: st, Clock: clk, Hooks: ext, Alarms: alarmsInAlarm{}})
	outbox := extension.NewOutbox(ext, runner.Lifecycle())
	svc := service.New(service.Config{Store: st, Clock: clk, Catalog: catalog, Lifecycle: runner.Lifecycle(), Hooks: ext.ServiceHooks(), Lambda: ext})

	sc := appconfig.Scope{Account: "123456789012", Region: "us-east-1"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	app, err := svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: "app"})
	must(err)
	prof, err := svc.CreateConfigurationProfile(ctx, sc, app.ID, service.CreateProfileInput{Name: "cfg", LocationURI: "hosted"})
	must(err)
	_, err = svc.CreateHostedConfigurationVersion(ctx, sc, app.ID, prof.ID, service.CreateHostedVersionInput{Content: []byte(`{}`), ContentType: "application/json"})
	must(err)
	strat, err := svc.CreateDeploymentStrategy(ctx, sc, service.CreateStrategyInput{Name: "s", DeploymentDurationInMinutes: 10, GrowthType: "LINEAR", GrowthFactor: 50})
	must(err)
	e, err := svc.CreateExtension(ctx, sc, service.ExtensionInput{Name: "audit",
		Actions: map[string][]appconfig.ExtensionAction{"ON_DEPLOYMENT_START": {{Name: "a", URI: hook.URL + "/hook"}}}})
	must(err)
	_, err = svc.CreateExtensionAssociation(ctx, sc, service.AssociationInput{ExtensionIdentifier: e.ID, ResourceIdentifier: service.ApplicationARN(sc, app.ID)})
	must(err)
	watched, err := svc.CreateEnvironment(ctx, sc, app.ID, service.CreateEnvironmentInput{Name: "watched",
		Monitors: []appconfig.Monitor{{AlarmArn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a"}}})
	must(err)
	plain, err := svc.CreateEnvironment(ctx, sc, app.ID, service.CreateEnvironmentInput{Name: "plain"})
	must(err)
	start := func(env string) appconfig.Deployment {
		t.Helper()
		d, err := svc.StartDeployment(ctx, sc, app.ID, env, service.StartDeploymentInput{DeploymentStrategyID: strat.ID, ConfigurationProfileID: prof.ID, ConfigurationVersion: "1"})
		must(err)
		return d
	}
	settle := func() {
		t.Helper()
		_, err := runner.RunDue(ctx)
		must(err)
		_, err = outbox.DeliverDue(ctx)
		must(err)
	}

	// A monitored deployment: lease, alarm, rollback.
	start(watched.ID)
	settle()
	settle()
	// A plain one completes through the engine's steps, then is reverted.
	d := start(plain.ID)
	for range 12 {
		clk.Advance(time.Minute)
		settle()
	}
	_, err = svc.StopDeployment(ctx, sc, app.ID, plain.ID, d.DeploymentNumber, true)
	must(err)
	// A third is stopped by its user.
	d = start(plain.ID)
	_, err = svc.StopDeployment(ctx, sc, app.ID, plain.ID, d.DeploymentNumber, false)
	must(err)
	settle()
	must(svc.DeleteEnvironment(ctx, sc, app.ID, plain.ID, appconfig.ProtectionBypass))

	for _, id := range []string{watched.ID} {
		got, err := svc.ListDeployments(ctx, sc, app.ID, id, appconfig.PageRequest{})
		must(err)
		if len(got.Items) != 1 || got.Items[0].State != appconfig.DeploymentRolledBack {
			t.Fatalf("watched environment: %+v", got.Items)
		}
		inv := got.Items[0].EventLog[0].ActionInvocations
		if len(inv) != 1 || inv[0].ErrorMessage == "" {
			t.Fatalf("the failed delivery's outcome was not written back: %+v", inv)
		}
	}
	// Not vacuous: each kind of write went through the guard.
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.writes["Insert"] != 3 || st.writes["Put"] < 10 || st.writes["DeleteAll"] != 1 {
		t.Fatalf("deployment writes seen by the guard: %v", st.writes)
	}
}
