package service_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/store/postgres"
	"github.com/appconfigd/appconfigd/internal/store/postgres/pgtest"
)

// replicaOn is a second process on the same PostgreSQL database.
func replicaOn(t *testing.T, dsn string, clk *clock.Fake, quotas service.Quotas) *world {
	t.Helper()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{t: t, store: st, clock: clk, alarms: &fakeAlarms{states: map[string]string{}}}
	w.runner = deploy.NewRunner(deploy.Config{Store: st, Clock: clk, Alarms: w.alarms})
	w.svc = service.New(service.Config{Store: st, Clock: clk, Quotas: quotas, Lifecycle: w.runner.Lifecycle()})
	return w
}

// Two replicas on PostgreSQL: concurrent starts of one definition start
// exactly one run, concurrent creations stop at the quota, and what one
// replica starts the other reads and stops.
func TestExperimentsAcrossPostgresReplicas(t *testing.T) {
	dsn := pgtest.FreshDatabase(t)
	clk := clock.NewFake(t0)
	q := service.Quotas{ExperimentsPerApp: 5}
	a, b := replicaOn(t, dsn, clk, q), replicaOn(t, dsn, clk, q)
	setupFlags(t, a)
	b.app, b.env, b.prof = a.app, a.env, a.prof

	var wg sync.WaitGroup
	var mu sync.Mutex
	created, refused := 0, 0
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := []*world{a, b}[i%2]
			_, err := w.svc.CreateExperimentDefinition(ctx, sc, w.app, defInput(fmt.Sprint("d", i)))
			mu.Lock()
			defer mu.Unlock()
			switch appconfig.KindOf(err) {
			case appconfig.KindQuotaExceeded:
				refused++
			default:
				if err != nil {
					t.Errorf("create %d: %v", i, err)
				}
				created++
			}
		}(i)
	}
	wg.Wait()
	if created != 5 || refused != 7 {
		t.Fatalf("%d created, %d refused with a quota of 5", created, refused)
	}

	// Every definition names the same flag: of 10 concurrent starts over
	// all of them, exactly one wins.
	defs, err := a.svc.ListExperimentDefinitions(ctx, sc, service.ExperimentFilter{}, appconfig.PageRequest{})
	if err != nil || len(defs.Items) != 5 {
		t.Fatalf("%d definitions, %v", len(defs.Items), err)
	}
	results := make([]error, 10)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := []*world{a, b}[i%2]
			_, results[i] = w.svc.StartExperimentRun(ctx, sc, w.app, defs.Items[i%5].ID, service.StartExperimentRunInput{ExposurePercentage: 10})
		}(i)
	}
	wg.Wait()
	started := 0
	for _, err := range results {
		switch {
		case err == nil:
			started++
		case !appconfig.IsConflict(err):
			t.Fatalf("start: %v", err)
		}
	}
	if started != 1 {
		t.Fatalf("%d runs started on one flag", started)
	}
	var running appconfig.ExperimentDefinition
	all, _ := b.svc.ListExperimentDefinitions(ctx, sc, service.ExperimentFilter{Status: "ACTIVE"}, appconfig.PageRequest{})
	if len(all.Items) != 1 {
		t.Fatalf("%d ACTIVE definitions", len(all.Items))
	}
	running = all.Items[0]
	a.settle()
	if _, err := b.svc.UpdateExperimentRun(ctx, sc, b.app, running.ID, 1, service.UpdateExperimentRunInput{ExposurePercentage: ptr(20.0)}); err != nil {
		t.Fatal(err)
	}
	b.settle()
	run, err := a.svc.StopExperimentRun(ctx, sc, a.app, running.ID, 1, service.StopExperimentRunInput{})
	if err != nil || run.Status != "DONE" || len(run.EventLog) != 3 {
		t.Fatalf("stop on the other replica: %+v %v", run, err)
	}
}

// setupFlags gives w an application with feature flags deployed to prod.
func setupFlags(t *testing.T, w *world) {
	t.Helper()
	app, err := w.svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := w.svc.CreateEnvironment(ctx, sc, app.ID, service.CreateEnvironmentInput{Name: "prod"})
	prof, _ := w.svc.CreateConfigurationProfile(ctx, sc, app.ID, service.CreateProfileInput{Name: "flags", LocationURI: "hosted", Type: appconfig.ProfileTypeFeatureFlags})
	w.app, w.env, w.prof = app.ID, env.ID, prof.ID
	if _, err := w.svc.CreateHostedConfigurationVersion(ctx, sc, w.app, w.prof, service.CreateHostedVersionInput{Content: []byte(flagsDoc), ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	w.mustStart("AppConfig.AllAtOnce", "1")
	if d := w.until(1, time.Hour); d.State != appconfig.DeploymentComplete {
		t.Fatalf("deployment %s", d.State)
	}
}

// An alarm during a run, watched by two replicas on PostgreSQL at once:
// the run is stopped once, with one managed deployment, whichever replica
// claims it.
func TestExperimentAlarmStopAcrossPostgresReplicas(t *testing.T) {
	dsn := pgtest.FreshDatabase(t)
	clk := clock.NewFake(t0)
	a, b := replicaOn(t, dsn, clk, service.Quotas{}), replicaOn(t, dsn, clk, service.Quotas{})
	setupFlags(t, a)
	b.app, b.env, b.prof = a.app, a.env, a.prof
	const alarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors"
	if _, err := a.svc.UpdateEnvironment(ctx, sc, a.app, a.env, service.UpdateEnvironmentInput{Monitors: []appconfig.Monitor{{AlarmArn: alarm}}}); err != nil {
		t.Fatal(err)
	}
	d := a.mustDefine(defInput("exp"))
	if _, err := b.svc.StartExperimentRun(ctx, sc, b.app, d.ID, service.StartExperimentRunInput{ExposurePercentage: 50}); err != nil {
		t.Fatal(err)
	}
	b.settle()
	watchers := []*service.RunWatcher{a.svc.NewRunWatcher(service.RunWatchConfig{Alarms: a.alarms}), b.svc.NewRunWatcher(service.RunWatchConfig{Alarms: b.alarms})}
	for round := 0; round < 3; round++ {
		a.alarms.set(alarm, "ALARM")
		b.alarms.set(alarm, "ALARM")
		var wg sync.WaitGroup
		for i, w := range []*world{a, b} {
			wg.Add(1)
			go func(w *world, rw *service.RunWatcher) {
				defer wg.Done()
				if _, err := rw.RunDue(ctx); err != nil {
					t.Error(err)
				}
			}(w, watchers[i])
		}
		wg.Wait()
		clk.Advance(time.Minute)
	}
	wantAlarmStop(t, a, d.ID, 3)
	a.settle()
	page, err := b.svc.ListDeployments(ctx, sc, b.app, b.env, appconfig.PageRequest{})
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("%d deployments (want the user's and two managed), %v", len(page.Items), err)
	}
}
