package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

var ctx = context.Background()
var sc = appconfig.Scope{Account: "123456789012", Region: "us-east-1"}

// fakeAlarms reports the state set for each alarm ARN.
type fakeAlarms struct {
	mu     sync.Mutex
	states map[string]string
	calls  int
}

func (f *fakeAlarms) Check(_ context.Context, _ appconfig.Scope, m appconfig.Monitor) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if s, ok := f.states[m.AlarmArn]; ok {
		if s == "ERROR" {
			return "", fmt.Errorf("cannot reach %s", m.AlarmArn)
		}
		return s, nil
	}
	return "OK", nil
}

func (f *fakeAlarms) set(arn, state string) {
	f.mu.Lock()
	f.states[arn] = state
	f.mu.Unlock()
}

type world struct {
	t      *testing.T
	store  appconfig.Store
	clock  *clock.Fake
	svc    *service.Service
	runner *deploy.Runner
	alarms *fakeAlarms
	app    string
	env    string
	prof   string
}

func newWorld(t *testing.T, path string, start time.Time) *world {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "db")
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{t: t, store: st, clock: clock.NewFake(start), alarms: &fakeAlarms{states: map[string]string{}}}
	w.runner = deploy.NewRunner(deploy.Config{Store: st, Clock: w.clock, Alarms: w.alarms})
	w.svc = service.New(service.Config{Store: st, Clock: w.clock, Lifecycle: w.runner.Lifecycle()})
	return w
}

func (w *world) setup(monitors ...appconfig.Monitor) {
	w.t.Helper()
	app, err := w.svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: "app"})
	if err != nil {
		w.t.Fatal(err)
	}
	env, err := w.svc.CreateEnvironment(ctx, sc, app.ID, service.CreateEnvironmentInput{Name: "prod", Monitors: monitors})
	if err != nil {
		w.t.Fatal(err)
	}
	prof, err := w.svc.CreateConfigurationProfile(ctx, sc, app.ID, service.CreateProfileInput{Name: "cfg", LocationURI: "hosted",
		Validators: []appconfig.Validator{{Type: "JSON_SCHEMA", Content: `{"type":"object","required":["v"]}`}}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.app, w.env, w.prof = app.ID, env.ID, prof.ID
	w.version(`{"v":1}`, "")
	w.version(`{"v":2}`, "second")
}

func (w *world) version(content, label string) int {
	w.t.Helper()
	v, err := w.svc.CreateHostedConfigurationVersion(ctx, sc, w.app, w.prof, service.CreateHostedVersionInput{Content: []byte(content), ContentType: "application/json", VersionLabel: label})
	if err != nil {
		w.t.Fatal(err)
	}
	return v.VersionNumber
}

func (w *world) strategy(d int, growth string, factor float64, bake int) string {
	w.t.Helper()
	st, err := w.svc.CreateDeploymentStrategy(ctx, sc, service.CreateStrategyInput{Name: "s", DeploymentDurationInMinutes: d, GrowthType: growth, GrowthFactor: factor, FinalBakeTimeInMinutes: bake})
	if err != nil {
		w.t.Fatal(err)
	}
	return st.ID
}

func (w *world) start(strategy, version string) (appconfig.Deployment, error) {
	return w.svc.StartDeployment(ctx, sc, w.app, w.env, service.StartDeploymentInput{DeploymentStrategyID: strategy, ConfigurationProfileID: w.prof, ConfigurationVersion: version})
}

func (w *world) mustStart(strategy, version string) appconfig.Deployment {
	w.t.Helper()
	d, err := w.start(strategy, version)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// step runs the engine at the current fake time.
func (w *world) step() {
	w.t.Helper()
	if _, err := w.runner.RunDue(ctx); err != nil {
		w.t.Fatal(err)
	}
}

// until advances the fake clock from wake-up to wake-up (never sleeping)
// until the deployment leaves the active states or time runs past limit.
func (w *world) until(number int, limit time.Duration) appconfig.Deployment {
	w.t.Helper()
	end := w.clock.Now().Add(limit)
	for {
		w.step()
		d := w.get(number)
		if !d.State.Active() {
			return d
		}
		next, ok, err := w.store.NextDue(ctx, appconfig.RecordDeployment)
		if err != nil || !ok {
			w.t.Fatalf("active deployment with no wake-up: %v %v", ok, err)
		}
		if next.After(end) {
			return d
		}
		if next.After(w.clock.Now()) {
			w.clock.Set(next)
		}
	}
}

func (w *world) get(number int) appconfig.Deployment {
	w.t.Helper()
	d, err := w.svc.GetDeployment(ctx, sc, w.app, w.env, number)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

func (w *world) envState() appconfig.EnvironmentState {
	w.t.Helper()
	e, err := w.svc.GetEnvironment(ctx, sc, w.app, w.env)
	if err != nil {
		w.t.Fatal(err)
	}
	return e.State
}

func eventTypes(d appconfig.Deployment) string {
	var out []string
	for _, e := range d.EventLog {
		out = append(out, e.EventType)
	}
	return fmt.Sprint(out)
}

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestStartDeploymentAndComplete(t *testing.T) {
	w := newWorld(t, "", t0)
	w.setup()
	st := w.strategy(15, "LINEAR", 25, 5)
	d := w.mustStart(st, "second") // by label
	if d.State != "DEPLOYING" || d.PercentageComplete != 0 || len(d.EventLog) != 1 || d.EventLog[0].EventType != "DEPLOYMENT_STARTED" ||
		d.EventLog[0].TriggeredBy != "USER" || d.DeploymentNumber != 1 || d.ConfigurationVersion != "2" || d.VersionLabel != "second" {
		t.Fatalf("start returned %+v", d)
	}
	if w.envState() != appconfig.EnvDeploying {
		t.Fatalf("environment state %s while deploying", w.envState())
	}
	// The strategy's later edits do not affect the running deployment.
	if _, err := w.svc.UpdateDeploymentStrategy(ctx, sc, st, service.UpdateStrategyInput{DeploymentDurationInMinutes: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(7 * time.Minute)
	w.step()
	if d := w.get(1); d.PercentageComplete != 50 || d.State != "DEPLOYING" {
		t.Fatalf("at 7 min: %v%% %s", d.PercentageComplete, d.State)
	}
	d = w.until(1, time.Hour)
	if d.State != "COMPLETE" || d.CompletedAt.Sub(t0) != 20*time.Minute || d.DeploymentDurationInMinutes != 15 {
		t.Fatalf("final %s at %v", d.State, d.CompletedAt.Sub(t0))
	}
	if eventTypes(d) != "[DEPLOYMENT_STARTED PERCENTAGE_UPDATED PERCENTAGE_UPDATED PERCENTAGE_UPDATED PERCENTAGE_UPDATED BAKE_TIME_STARTED DEPLOYMENT_COMPLETED]" {
		t.Fatalf("events %s", eventTypes(d))
	}
	if w.envState() != appconfig.EnvReadyForDeployment {
		t.Fatalf("environment state %s after completion", w.envState())
	}
	if next, ok, _ := w.store.NextDue(ctx, appconfig.RecordDeployment); ok {
		t.Fatalf("completed deployment still scheduled at %v", next)
	}
}

func ptr[T any](v T) *T { return &v }

func TestTwentyFourHourDeploymentOnFakeClock(t *testing.T) {
	w := newWorld(t, "", t0)
	w.setup()
	start := time.Now()
	w.mustStart(w.strategy(1440, "LINEAR", 10, 1440), "2")
	d := w.until(1, 72*time.Hour)
	if d.State != "COMPLETE" || d.CompletedAt.Sub(t0) != 48*time.Hour {
		t.Fatalf("final %s after %v", d.State, d.CompletedAt.Sub(t0))
	}
	if real := time.Since(start); real > 30*time.Second {
		t.Fatalf("a 48-hour deployment took %v of real time", real)
	}
}

func TestOneActiveDeploymentPerEnvironment(t *testing.T) {
	w := newWorld(t, "", t0)
	w.setup()
	st := w.strategy(10, "LINEAR", 50, 10)
	w.mustStart(st, "1")
	if _, err := w.start(st, "2"); appconfig.KindOf(err) != appconfig.KindConflict {
		t.Fatalf("second start while deploying: %v", err)
	}
	w.clock.Advance(11 * time.Minute)
	w.step()
	if d := w.get(1); d.State != "BAKING" {
		t.Fatalf("state %s", d.State)
	}
	if _, err := w.start(st, "2"); appconfig.KindOf(err) != appconfig.KindConflict {
		t.Fatalf("second start while baking: %v", err)
	}
	// Another environment of the same application is independent.
	other, _ := w.svc.CreateEnvironment(ctx, sc, w.app, service.CreateEnvironmentInput{Name: "beta"})
	if _, err := w.svc.StartDeployment(ctx, sc, w.app, other.ID, service.StartDeploymentInput{DeploymentStrategyID: st, ConfigurationProfileID: w.prof, ConfigurationVersion: "1"}); err != nil {
		t.Fatalf("start in another environment: %v", err)
	}
	w.until(1, time.Hour)
	// LatestDeploymentNumber is an optimistic lock.
	_, err := w.svc.StartDeployment(ctx, sc, w.app, w.env, service.StartDeploymentInput{DeploymentStrategyID: "AppConfig.AllAtOnce", ConfigurationProfileID: w.prof, ConfigurationVersion: "2", LatestDeploymentNumber: ptr(0)})
	if appconfig.KindOf(err) != appconfig.KindConflict {
		t.Fatalf("stale LatestDeploymentNumber: %v", err)
	}
	d, err := w.svc.StartDeployment(ctx, sc, w.app, w.env, service.StartDeploymentInput{DeploymentStrategyID: "AppConfig.AllAtOnce", ConfigurationProfileID: w.prof, ConfigurationVersion: "2", LatestDeploymentNumber: ptr(1)})
	if err != nil || d.DeploymentNumber != 2 {
		t.Fatalf("second deployment %d %v", d.DeploymentNumber, err)
	}
}

func TestValidatorsRunAtStart(t *testing.T) {
	w := newWorld(t, "", t0)
	w.setup()
	bad := w.version(`{"other":1}`, "")
	_, err := w.start("AppConfig.AllAtOnce", fmt.Sprint(bad))
	var e *appconfig.Error
	if appconfig.KindOf(err) != appconfig.KindBadRequest || !asError(err, &e) || e.Reason != "InvalidConfiguration" || len(e.InvalidConfiguration) == 0 {
		t.Fatalf("invalid configuration deployed: %v", err)
	}
	page, _ := w.svc.ListDeployments(ctx, sc, w.app, w.env, appconfig.PageRequest{})
	if len(page.Items) != 0 || w.envState() != appconfig.EnvReadyForDeployment {
		t.Fatalf("a refused deployment left %d records, env %s", len(page.Items), w.envState())
	}
	for _, missing := range []struct{ strategy, version string }{{"AppConfig.Nope12345", "1"}, {"AppConfig.AllAtOnce", "99"}, {"AppConfig.AllAtOnce", "nolabel"}} {
		if _, err := w.start(missing.strategy, missing.version); appconfig.KindOf(err) != appconfig.KindNotFound {
			t.Fatalf("%+v: %v", missing, err)
		}
	}
}

func asError(err error, target **appconfig.Error) bool {
	e, ok := err.(*appconfig.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestStopDeploymentMatrix(t *testing.T) {
	w := newWorld(t, "", t0)
	w.setup()
	st := w.strategy(20, "LINEAR", 20, 10)
	w.mustStart(st, "1")
	w.clock.Advance(5 * time.Minute)
	w.step()
	// In progress: rolled back.
	d, err := w.svc.StopDeployment(ctx, sc, w.app, w.env, 1, false)
	if err != nil || d.State != "ROLLING_BACK" {
		t.Fatalf("stop in progress: %s %v", d.State, err)
	}
	if w.envState() != appconfig.EnvRollingBack {
		t.Fatalf("env %s while rolling back", w.envState())
	}
	if _, err := w.svc.StopDeployment(ctx, sc, w.app, w.env, 1, false); appconfig.KindOf(err) != appconfig.KindBadRequest {
		t.Fatalf("second stop: %v", err)
	}
	w.step()
	d = w.get(1)
	if d.State != "ROLLED_BACK" || eventTypes(d) != "[DEPLOYMENT_STARTED PERCENTAGE_UPDATED ROLLBACK_STARTED ROLLBACK_COMPLETED]" || d.EventLog[2].TriggeredBy != "USER" {
		t.Fatalf("after stop: %s %s", d.State, eventTypes(d))
	}
	if w.envState() != appconfig.EnvRolledBack {
		t.Fatalf("env %s after rollback", w.envState())
	}
	if _, err := w.svc.StopDeployment(ctx, sc, w.app, w.env, 1, true); appconfig.KindOf(err) != appconfig.KindBadRequest {
		t.Fatalf("stop of a rolled back deployment: %v", err)
	}
	// Complete: only with Allow-Revert, within 72 hours.
	w.mustStart("AppConfig.AllAtOnce", "1")
	w.until(2, time.Hour)
	if _, err := w.svc.StopDeployment(ctx, sc, w.app, w.env, 2, false); appconfig.KindOf(err) != appconfig.KindBadRequest {
		t.Fatalf("stop complete without revert: %v", err)
	}
	d, err = w.svc.StopDeployment(ctx, sc, w.app, w.env, 2, true)
	if err != nil || d.State != "REVERTED" || d.EventLog[len(d.EventLog)-1].EventType != "REVERT_COMPLETED" {
		t.Fatalf("revert: %+v %v", d.State, err)
	}
	if w.envState() != appconfig.EnvReverted {
		t.Fatalf("env %s after revert", w.envState())
	}
	w.mustStart("AppConfig.AllAtOnce", "2")
	w.until(3, time.Hour)
	w.clock.Advance(73 * time.Hour)
	if _, err := w.svc.StopDeployment(ctx, sc, w.app, w.env, 3, true); appconfig.KindOf(err) != appconfig.KindBadRequest {
		t.Fatalf("revert after 73 hours: %v", err)
	}
	if _, err := w.svc.StopDeployment(ctx, sc, w.app, w.env, 99, true); appconfig.KindOf(err) != appconfig.KindNotFound {
		t.Fatalf("stop of a missing deployment: %v", err)
	}
}

func TestAlarmRollsBack(t *testing.T) {
	for _, tc := range []struct{ state, by string }{{"ALARM", "CLOUDWATCH_ALARM"}, {"INSUFFICIENT_DATA", "CLOUDWATCH_ALARM"}, {"ERROR", "INTERNAL_ERROR"}} {
		t.Run(tc.state, func(t *testing.T) {
			w := newWorld(t, "", t0)
			arn := "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors"
			w.setup(appconfig.Monitor{AlarmArn: arn})
			w.mustStart(w.strategy(10, "LINEAR", 25, 10), "1")
			w.clock.Advance(3 * time.Minute)
			w.step()
			if d := w.get(1); d.State != "DEPLOYING" || w.alarms.calls == 0 {
				t.Fatalf("before the alarm: %s, %d checks", d.State, w.alarms.calls)
			}
			w.alarms.set(arn, tc.state)
			d := w.until(1, time.Hour)
			if d.State != "ROLLED_BACK" {
				t.Fatalf("state %s, events %s", d.State, eventTypes(d))
			}
			var started appconfig.DeploymentEvent
			for _, e := range d.EventLog {
				if e.EventType == "ROLLBACK_STARTED" {
					started = e
				}
			}
			if started.TriggeredBy != tc.by {
				t.Fatalf("rollback triggered by %q: %+v", started.TriggeredBy, started)
			}
			if w.envState() != appconfig.EnvRolledBack {
				t.Fatalf("env %s", w.envState())
			}
		})
	}
	// Alarms no longer matter once the deployment is complete.
	w := newWorld(t, "", t0)
	arn := "arn:aws:cloudwatch:us-east-1:123456789012:alarm:late"
	w.setup(appconfig.Monitor{AlarmArn: arn})
	w.mustStart("AppConfig.AllAtOnce", "1")
	if d := w.until(1, time.Hour); d.State != "COMPLETE" {
		t.Fatalf("state %s", d.State)
	}
	w.alarms.set(arn, "ALARM")
	w.clock.Advance(time.Hour)
	w.step()
	if d := w.get(1); d.State != "COMPLETE" {
		t.Fatalf("alarm after completion changed the state to %s", d.State)
	}
}

func TestDeploymentResumesAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	w := newWorld(t, path, t0)
	w.setup()
	w.mustStart(w.strategy(30, "LINEAR", 20, 0), "2")
	w.clock.Advance(12 * time.Minute)
	w.step()
	w.store.Close()
	// A new process on the same data, 40 minutes later.
	w2 := newWorld(t, path, t0.Add(52*time.Minute))
	w2.app, w2.env, w2.prof = w.app, w.env, w.prof
	w2.step()
	d := w2.get(1)
	if d.State != "COMPLETE" {
		t.Fatalf("state after restart %s", d.State)
	}
	// No step lost or repeated.
	if eventTypes(d) != "[DEPLOYMENT_STARTED PERCENTAGE_UPDATED PERCENTAGE_UPDATED PERCENTAGE_UPDATED PERCENTAGE_UPDATED PERCENTAGE_UPDATED BAKE_TIME_STARTED DEPLOYMENT_COMPLETED]" {
		t.Fatalf("events %s", eventTypes(d))
	}
	var last float64
	for _, e := range d.EventLog {
		if e.EventType == "PERCENTAGE_UPDATED" {
			var p float64
			fmt.Sscanf(e.Description, "Configuration available to %f%%", &p)
			if p <= last {
				t.Fatalf("percentages not increasing: %s", e.Description)
			}
			last = p
		}
	}
}

func TestTwoRunnersAdvanceEachDeploymentOnce(t *testing.T) {
	w := newWorld(t, "", t0)
	w.setup()
	other := deploy.NewRunner(deploy.Config{Store: w.store, Clock: w.clock, Alarms: w.alarms})
	w.mustStart(w.strategy(10, "LINEAR", 10, 0), "1")
	for i := 0; i < 20; i++ {
		w.clock.Advance(time.Minute)
		var wg sync.WaitGroup
		for _, r := range []*deploy.Runner{w.runner, other} {
			wg.Add(1)
			go func(r *deploy.Runner) {
				defer wg.Done()
				if _, err := r.RunDue(ctx); err != nil {
					t.Error(err)
				}
			}(r)
		}
		wg.Wait()
	}
	d := w.get(1)
	if d.State != "COMPLETE" || len(d.EventLog) != 1+10+2 {
		t.Fatalf("state %s with %d events: %s", d.State, len(d.EventLog), eventTypes(d))
	}
}
