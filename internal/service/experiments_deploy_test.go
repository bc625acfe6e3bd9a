package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
)

// wantManaged checks that deployment number of w's environment is an
// experiment's managed deployment of the served version and that arn
// names it.
func wantManaged(t *testing.T, w *world, number int, arn string) appconfig.Deployment {
	t.Helper()
	d := w.get(number)
	if d.TypeOf() != appconfig.DeploymentTypeManaged || d.ConfigurationVersion != "1" || d.ConfigurationProfileID != w.prof ||
		d.DeploymentDurationInMinutes != 0 || d.FinalBakeTimeInMinutes != 0 || d.GrowthFactor != 100 || len(d.Monitors) != 0 ||
		d.EventLog[0].TriggeredBy != appconfig.TriggeredByAppConfig || !strings.HasPrefix(d.Description, "Managed deployment: experiment exp") {
		t.Fatalf("deployment %d is not a managed one: %+v", number, d)
	}
	if want := service.DeploymentARN(sc, w.app, w.env, number); arn != want {
		t.Fatalf("associated deployment %q, want %q", arn, want)
	}
	return d
}

// Start, an Update of exposure or overrides, and Stop each deploy the
// served version as a MANAGED deployment named by the run's event; a
// deployment in progress refuses a run's transition and a managed
// deployment in progress refuses a user's, both ways as two user
// deployments do.
func TestManagedDeploymentsOfARun(t *testing.T) {
	w := expWorld(t, "")
	d := w.mustDefine(defInput("exp"))
	run, err := w.svc.StartExperimentRun(ctx, sc, w.app, d.ID, service.StartExperimentRunInput{ExposurePercentage: 0, Overrides: map[string]string{"alice": "t1"},
		DeploymentParameters: appconfig.RunDeploymentParameters{Tags: map[string]string{"experiment": "exp"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Immediate: it completed within the start, as AWS's does.
	if got := wantManaged(t, w, 2, run.EventLog[0].AssociatedDeployment); got.State != appconfig.DeploymentComplete || got.PreviousVersion != "1" {
		t.Fatalf("managed deployment %s, replacing %q", got.State, got.PreviousVersion)
	}
	if tags, err := w.svc.ListTagsForResource(ctx, sc, run.EventLog[0].AssociatedDeployment); err != nil || tags["experiment"] != "exp" {
		t.Fatalf("managed deployment tags %v %v", tags, err)
	}

	// A user deployment in progress refuses the run's Update and Stop.
	slow := w.strategy(20, "LINEAR", 50, 0)
	w.mustStart(slow, "1")
	_, err = w.svc.UpdateExperimentRun(ctx, sc, w.app, d.ID, 1, service.UpdateExperimentRunInput{ExposurePercentage: ptr(10.0)})
	wantKind(t, err, appconfig.KindConflict, "Deployment number 3 is in progress")
	_, err = w.svc.StopExperimentRun(ctx, sc, w.app, d.ID, 1, service.StopExperimentRunInput{})
	wantKind(t, err, appconfig.KindConflict, "Deployment number 3 is in progress")
	// Changing only the description deploys nothing, so it is allowed.
	if _, err := w.svc.UpdateExperimentRun(ctx, sc, w.app, d.ID, 1, service.UpdateExperimentRunInput{Description: ptr("d")}); err != nil {
		t.Fatal(err)
	}
	if got := w.until(3, time.Hour); got.State != appconfig.DeploymentComplete || got.TypeOf() != appconfig.DeploymentTypeUser {
		t.Fatalf("user deployment %+v", got)
	}

	// With AT_DEPLOYMENT_TICK actions in force, the runner completes a
	// managed deployment after they answer: meanwhile it refuses a user's.
	ext, err := w.svc.CreateExtension(ctx, sc, service.ExtensionInput{Name: "ticker", Actions: map[string][]appconfig.ExtensionAction{
		string(appconfig.AtDeploymentTick): {{Name: "a", URI: "https://ticks.example.com/"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CreateExtensionAssociation(ctx, sc, service.AssociationInput{ExtensionIdentifier: ext.ID,
		ResourceIdentifier: service.EnvironmentARN(sc, w.app, w.env)}); err != nil {
		t.Fatal(err)
	}
	run, err = w.svc.UpdateExperimentRun(ctx, sc, w.app, d.ID, 1, service.UpdateExperimentRunInput{ExposurePercentage: ptr(10.0), Overrides: map[string]string{}})
	if err != nil || len(run.EventLog) != 3 {
		t.Fatalf("update %+v %v", run, err)
	}
	// Both events of one update name its one deployment.
	if got := wantManaged(t, w, 4, run.EventLog[1].AssociatedDeployment); got.State != appconfig.DeploymentDeploying || !got.Ticks {
		t.Fatalf("managed deployment with ticks %s", got.State)
	}
	wantManaged(t, w, 4, run.EventLog[2].AssociatedDeployment)
	_, err = w.start("AppConfig.AllAtOnce", "1")
	wantKind(t, err, appconfig.KindConflict, "Deployment number 4 is in progress")
	w.settle()
	if got := w.get(4); got.State != appconfig.DeploymentComplete {
		t.Fatalf("managed deployment %s after the runner's tick", got.State)
	}
	run, err = w.svc.StopExperimentRun(ctx, sc, w.app, d.ID, 1, service.StopExperimentRunInput{})
	if err != nil {
		t.Fatal(err)
	}
	wantManaged(t, w, 5, run.EventLog[3].AssociatedDeployment)
	w.settle()
	if got := w.get(5); got.State != appconfig.DeploymentComplete || got.PreviousVersion != "1" {
		t.Fatalf("stop's deployment %+v", got)
	}
	page, err := w.svc.ListDeployments(ctx, sc, w.app, w.env, appconfig.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, dep := range page.Items {
		types = append(types, string(dep.TypeOf()))
	}
	if strings.Join(types, ",") != "MANAGED,MANAGED,USER,MANAGED,USER" {
		t.Fatalf("types newest first: %v", types)
	}
	// The events read back with their deployments.
	ev, _ := w.svc.ListExperimentRunEvents(ctx, sc, w.app, d.ID, 1, appconfig.PageRequest{})
	for i, want := range []int{5, 4, 4, 2} {
		if ev.Items[i].AssociatedDeployment != service.DeploymentARN(sc, w.app, w.env, want) {
			t.Fatalf("event %d (%s) names %q", i, ev.Items[i].Type, ev.Items[i].AssociatedDeployment)
		}
	}
}

// A managed deployment after a rollback redeploys what the environment
// serves: the version before the rolled-back one.
func TestManagedDeploymentAfterRollback(t *testing.T) {
	w := expWorld(t, "")
	if _, err := w.svc.CreateHostedConfigurationVersion(ctx, sc, w.app, w.prof, service.CreateHostedVersionInput{Content: []byte(flagsDoc), ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	w.mustStart(w.strategy(20, "LINEAR", 50, 0), "2")
	w.settle()
	if _, err := w.svc.StopDeployment(ctx, sc, w.app, w.env, 2, false); err != nil {
		t.Fatal(err)
	}
	w.until(2, time.Hour)
	d := w.mustDefine(defInput("exp"))
	run, err := w.svc.StartExperimentRun(ctx, sc, w.app, d.ID, service.StartExperimentRunInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := wantManaged(t, w, 3, run.EventLog[0].AssociatedDeployment)
	if got.PreviousVersion != "1" || got.PreviousDeployment != 1 {
		t.Fatalf("managed deployment replaces %s (#%d)", got.PreviousVersion, got.PreviousDeployment)
	}
}

// watchedWorld is an experiment world whose environment has a monitor,
// with a run of definition exp started and its managed deployment done.
func watchedWorld(t *testing.T, path string) (*world, *service.RunWatcher, appconfig.ExperimentDefinition) {
	t.Helper()
	w := expWorld(t, path)
	if _, err := w.svc.UpdateEnvironment(ctx, sc, w.app, w.env, service.UpdateEnvironmentInput{Monitors: []appconfig.Monitor{{AlarmArn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors"}}}); err != nil {
		t.Fatal(err)
	}
	d := w.mustDefine(defInput("exp"))
	if _, err := w.svc.StartExperimentRun(ctx, sc, w.app, d.ID, service.StartExperimentRunInput{ExposurePercentage: 50}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	return w, w.svc.NewRunWatcher(service.RunWatchConfig{Alarms: w.alarms, Interval: 30 * time.Second}), d
}

func (w *world) watch(rw *service.RunWatcher) int {
	w.t.Helper()
	n, err := rw.RunDue(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// wantAlarmStop checks that run 1 of def was stopped once by the alarm,
// with its managed deployment.
func wantAlarmStop(t *testing.T, w *world, defID string, deployment int) {
	t.Helper()
	run, err := w.svc.GetExperimentRun(ctx, sc, w.app, defID, 1)
	if err != nil || run.Status != appconfig.RunDone || run.Result != nil {
		t.Fatalf("run after the alarm %+v %v", run, err)
	}
	stops := 0
	for _, e := range run.EventLog {
		if e.Type == appconfig.RunStopped {
			stops++
		}
	}
	last := run.EventLog[len(run.EventLog)-1]
	if stops != 1 || last.TriggeredBy != appconfig.TriggeredByCloudWatchAlarm || !strings.Contains(last.Description, "alarm:errors in state ALARM") || !last.OccurredAt.Equal(run.EndedAt) {
		t.Fatalf("events %+v", run.EventLog)
	}
	if deployment > 0 {
		wantManaged(t, w, deployment, last.AssociatedDeployment)
	} else if last.AssociatedDeployment != "" {
		t.Fatalf("a managed deployment while another was in progress: %s", last.AssociatedDeployment)
	}
	if def, _ := w.svc.GetExperimentDefinition(ctx, sc, w.app, defID); def.Status != appconfig.ExperimentIdle {
		t.Fatalf("definition %s after the alarm stop", def.Status)
	}
}

// An environment monitor in ALARM stops a RUNNING run (CLOUDWATCH_ALARM),
// with no deployment in progress; the watcher reads monitors every
// interval, and not at all once the run is DONE.
func TestAlarmStopsRun(t *testing.T) {
	w, rw, d := watchedWorld(t, "")
	if n := w.watch(rw); n != 1 {
		t.Fatalf("%d runs watched at the start", n)
	}
	calls := w.alarms.calls
	if w.watch(rw); w.alarms.calls != calls {
		t.Fatal("monitors read again before the interval")
	}
	w.alarms.set("arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors", "ERROR")
	w.clock.Advance(30 * time.Second)
	w.watch(rw)
	if run, _ := w.svc.GetExperimentRun(ctx, sc, w.app, d.ID, 1); run.Status != appconfig.RunRunning {
		t.Fatal("an unreadable monitor stopped the run")
	}
	w.alarms.set("arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors", "ALARM")
	w.clock.Advance(30 * time.Second)
	w.watch(rw)
	wantAlarmStop(t, w, d.ID, 3)
	w.settle()
	calls = w.alarms.calls
	w.clock.Advance(time.Hour)
	if n := w.watch(rw); n != 0 || w.alarms.calls != calls {
		t.Fatalf("a DONE run still watched (%d claimed)", n)
	}
}

// With a deployment in progress (which the same alarm may be rolling
// back), the run stops without a managed deployment.
func TestAlarmStopsRunDuringADeployment(t *testing.T) {
	w, rw, d := watchedWorld(t, "")
	w.mustStart(w.strategy(20, "LINEAR", 50, 0), "1")
	w.alarms.set("arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors", "ALARM")
	w.watch(rw)
	wantAlarmStop(t, w, d.ID, 0)
}

// The watch survives a restart: the run's schedule is in its record.
func TestAlarmStopsRunAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	w, rw, d := watchedWorld(t, path)
	w.watch(rw)
	w.store.Close()
	w2 := newWorld(t, path, w.clock.Now().Add(time.Minute))
	w2.app, w2.env, w2.prof = w.app, w.env, w.prof
	w2.alarms.set("arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors", "ALARM")
	rw2 := w2.svc.NewRunWatcher(service.RunWatchConfig{Alarms: w2.alarms})
	if n := w2.watch(rw2); n != 1 {
		t.Fatalf("%d runs due after the restart", n)
	}
	wantAlarmStop(t, w2, d.ID, 3)
}

// A run change whose managed deployment was prepared before a user
// deployment completed is prepared again (its PRE_START_DEPLOYMENT
// actions run again) rather than refused; a change that keeps losing
// that race is refused with a Conflict after maxPrepares tries.
func TestRunChangePreparedAgain(t *testing.T) {
	w := expWorld(t, "")
	d := w.mustDefine(defInput("exp"))
	quick := w.strategy(0, "LINEAR", 100, 0)
	calls, races := 0, 1
	svc := service.New(service.Config{Store: w.store, Clock: w.clock, Lifecycle: w.runner.Lifecycle(), Hooks: service.Hooks{
		PreStartDeployment: func(_ context.Context, _ appconfig.Scope, p *service.PreStart) error {
			calls++
			if calls <= races { // a user deployment completes while the run's is prepared
				n := w.mustStart(quick, "1").DeploymentNumber
				if got := w.until(n, time.Hour); got.State != appconfig.DeploymentComplete {
					t.Fatalf("user deployment %d: %s", n, got.State)
				}
			}
			return nil
		}}})
	run, err := svc.StartExperimentRun(ctx, sc, w.app, d.ID, service.StartExperimentRunInput{ExposurePercentage: 10})
	if err != nil || calls != 2 {
		t.Fatalf("start after one race: %v (prepared %d times)", err, calls)
	}
	if got := wantManaged(t, w, 3, run.EventLog[0].AssociatedDeployment); got.PreviousDeployment != 2 || got.State != appconfig.DeploymentComplete {
		t.Fatalf("managed deployment replaces %d (want the user's 2), %s", got.PreviousDeployment, got.State)
	}
	calls, races = 0, 99
	_, err = svc.StopExperimentRun(ctx, sc, w.app, d.ID, 1, service.StopExperimentRunInput{})
	wantKind(t, err, appconfig.KindConflict, "changed while the experiment's deployment was prepared")
	if calls != 3 {
		t.Fatalf("a change that always loses the race was prepared %d times, want 3", calls)
	}
	if r, err := svc.GetExperimentRun(ctx, sc, w.app, d.ID, 1); err != nil || r.Status != appconfig.RunRunning {
		t.Fatalf("the refused stop changed the run: %+v %v", r, err)
	}
}
