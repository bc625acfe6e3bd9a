package service_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
)

const flagsDoc = `{"flags":{"checkout":{"name":"checkout"},"banner":{"name":"banner"}},"values":{"checkout":{"enabled":false},"banner":{"enabled":true}},"version":"1"}`

// expWorld is a world whose profile holds feature flags deployed to its
// environment.
func expWorld(t *testing.T, path string) *world {
	t.Helper()
	w := newWorld(t, path, t0)
	app, err := w.svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := w.svc.CreateEnvironment(ctx, sc, app.ID, service.CreateEnvironmentInput{Name: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	prof, err := w.svc.CreateConfigurationProfile(ctx, sc, app.ID, service.CreateProfileInput{Name: "flags", LocationURI: "hosted", Type: appconfig.ProfileTypeFeatureFlags})
	if err != nil {
		t.Fatal(err)
	}
	w.app, w.env, w.prof = app.ID, env.ID, prof.ID
	if _, err := w.svc.CreateHostedConfigurationVersion(ctx, sc, w.app, w.prof, service.CreateHostedVersionInput{Content: []byte(flagsDoc), ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	w.mustStart("AppConfig.AllAtOnce", "1")
	if d := w.until(1, time.Hour); d.State != appconfig.DeploymentComplete {
		t.Fatalf("deployment %s", d.State)
	}
	return w
}

func defInput(name string) service.CreateExperimentDefinitionInput {
	return service.CreateExperimentDefinitionInput{
		Name: name, ProfileIdent: "flags", EnvIdent: "prod", FlagKey: "checkout",
		AudienceRule: `(eq $plan "pro")`, Hypothesis: "h",
		Control: service.TreatmentInput{Weight: 50, FlagValue: appconfig.FlagValue{Enabled: false}},
		Treatments: []service.TreatmentInput{
			{Weight: 25, FlagValue: appconfig.FlagValue{Enabled: true}},
			{Weight: 25, FlagValue: appconfig.FlagValue{Enabled: true, Attributes: map[string]appconfig.AttributeValue{"color": {String: ptr("red")}}}},
		},
	}
}

// settle lets the runner finish the managed deployments due now (they
// are immediate) and the alarm watcher read what is due.
func (w *world) settle() {
	w.t.Helper()
	for i := 0; i < 10; i++ {
		n, err := w.runner.RunDue(ctx)
		if err != nil {
			w.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	w.t.Fatal("the runner never settled")
}

func (w *world) mustDefine(in service.CreateExperimentDefinitionInput) appconfig.ExperimentDefinition {
	w.t.Helper()
	d, err := w.svc.CreateExperimentDefinition(ctx, sc, w.app, in)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

func wantKind(t *testing.T, err error, kind appconfig.ErrorKind, contains string) {
	t.Helper()
	var e *appconfig.Error
	if !errors.As(err, &e) || e.Kind != kind || !strings.Contains(e.Message, contains) {
		t.Fatalf("got %v, want %s containing %q", err, kind, contains)
	}
}

func TestExperimentDefinitionRules(t *testing.T) {
	w := expWorld(t, "")
	d := w.mustDefine(defInput("exp"))
	if d.Status != "IDLE" || d.Control.Key != "c" || len(d.Treatments) != 2 || d.Treatments[0].Key != "t1" || d.Treatments[1].Key != "t2" ||
		d.ApplicationID != w.app || d.EnvironmentID != w.env || d.ConfigurationProfileID != w.prof || len(d.ID) != 7 || !d.CreatedAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("created %+v", d)
	}
	got, err := w.svc.GetExperimentDefinition(ctx, sc, "app", "exp")
	if err != nil || got.ID != d.ID || got.Treatments[1].FlagValue.Attributes["color"].String == nil {
		t.Fatalf("get by name: %+v %v", got, err)
	}
	_, err = w.svc.GetExperimentDefinition(ctx, sc, w.app, "nope")
	wantKind(t, err, appconfig.KindNotFound, "nope")

	bad := defInput("bad")
	bad.AudienceRule = `(eq $plan "pro"`
	_, err = w.svc.CreateExperimentDefinition(ctx, sc, w.app, bad)
	wantKind(t, err, appconfig.KindBadRequest, "line 1, column 16")
	bad = defInput("bad")
	bad.FlagKey = "missing"
	_, err = w.svc.CreateExperimentDefinition(ctx, sc, w.app, bad)
	wantKind(t, err, appconfig.KindBadRequest, "Flag missing is not in the configuration")
	bad = defInput("bad")
	bad.Control.Weight, bad.Treatments[0].Weight, bad.Treatments[1].Weight = 0, 0, 0
	_, err = w.svc.CreateExperimentDefinition(ctx, sc, w.app, bad)
	wantKind(t, err, appconfig.KindBadRequest, "weight greater than 0")
	bad = defInput("bad")
	bad.Control.Weight, bad.Treatments[0].Weight = 1e308, 1e308
	_, err = w.svc.CreateExperimentDefinition(ctx, sc, w.app, bad)
	wantKind(t, err, appconfig.KindBadRequest, "finite")
	_, err = w.svc.CreateExperimentDefinition(ctx, sc, w.app, defInput("exp"))
	wantKind(t, err, appconfig.KindConflict, "already exists")

	// An environment the profile was never deployed to.
	if _, err := w.svc.CreateEnvironment(ctx, sc, w.app, service.CreateEnvironmentInput{Name: "beta"}); err != nil {
		t.Fatal(err)
	}
	bad = defInput("bad")
	bad.EnvIdent = "beta"
	_, err = w.svc.CreateExperimentDefinition(ctx, sc, w.app, bad)
	wantKind(t, err, appconfig.KindBadRequest, "never deployed")

	// A profile that is not feature flags.
	if _, err := w.svc.CreateConfigurationProfile(ctx, sc, w.app, service.CreateProfileInput{Name: "free", LocationURI: "hosted"}); err != nil {
		t.Fatal(err)
	}
	bad = defInput("bad")
	bad.ProfileIdent = "free"
	_, err = w.svc.CreateExperimentDefinition(ctx, sc, w.app, bad)
	wantKind(t, err, appconfig.KindBadRequest, "not a feature flag profile")

	// Update replaces the treatments and assigns keys again.
	w.clock.Advance(time.Minute)
	up, err := w.svc.UpdateExperimentDefinition(ctx, sc, w.app, d.ID, service.UpdateExperimentDefinitionInput{
		Hypothesis: ptr("h2"), Treatments: []service.TreatmentInput{{Weight: 1, FlagValue: appconfig.FlagValue{Enabled: true}}},
	})
	if err != nil || up.Hypothesis != "h2" || len(up.Treatments) != 1 || up.Treatments[0].Key != "t1" || up.Control.Weight != 50 || !up.UpdatedAt.After(up.CreatedAt) {
		t.Fatalf("update: %+v %v", up, err)
	}
	_, err = w.svc.UpdateExperimentDefinition(ctx, sc, w.app, d.ID, service.UpdateExperimentDefinitionInput{AudienceRule: ptr("(bogus 1)")})
	wantKind(t, err, appconfig.KindBadRequest, "AudienceRule is not valid")

	// The environment and profile a definition names cannot be deleted.
	err = w.svc.DeleteEnvironment(ctx, sc, w.app, w.env, appconfig.ProtectionBypass)
	wantKind(t, err, appconfig.KindBadRequest, "experiment definition "+d.ID)
}

func TestExperimentQuotaArchiveDestroy(t *testing.T) {
	w := expWorld(t, "")
	w.svc = service.New(service.Config{Store: w.store, Clock: w.clock, Quotas: service.Quotas{ExperimentsPerApp: 2}})
	a := w.mustDefine(defInput("a"))
	in := defInput("b")
	in.Tags = map[string]string{"team": "x"}
	b := w.mustDefine(in)
	_, err := w.svc.CreateExperimentDefinition(ctx, sc, w.app, defInput("c"))
	wantKind(t, err, appconfig.KindQuotaExceeded, "limit of 2")

	if err := w.svc.DeleteExperimentDefinition(ctx, sc, w.app, "a", "ARCHIVE"); err != nil {
		t.Fatal(err)
	}
	got, _ := w.svc.GetExperimentDefinition(ctx, sc, w.app, a.ID)
	if got.Status != "ARCHIVED" {
		t.Fatalf("archived status %s", got.Status)
	}
	c := w.mustDefine(defInput("c")) // archived ones do not count
	// The default listing hides archived definitions; status=ARCHIVED shows them.
	list := func(f service.ExperimentFilter) string {
		p, err := w.svc.ListExperimentDefinitions(ctx, sc, f, appconfig.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range p.Items {
			ids = append(ids, d.Name)
		}
		return strings.Join(ids, ",")
	}
	if got := list(service.ExperimentFilter{}); got != "b,c" {
		t.Fatalf("active list %s", got)
	}
	if got := list(service.ExperimentFilter{Application: "app", Status: "ARCHIVED", Environment: "prod", Profile: "flags"}); got != "a" {
		t.Fatalf("archived list %s", got)
	}
	_, err = w.svc.UpdateExperimentDefinition(ctx, sc, w.app, a.ID, service.UpdateExperimentDefinitionInput{Hypothesis: ptr("x")})
	wantKind(t, err, appconfig.KindConflict, "archived")
	_, err = w.svc.StartExperimentRun(ctx, sc, w.app, a.ID, service.StartExperimentRunInput{})
	wantKind(t, err, appconfig.KindConflict, "archived")

	// DESTROY removes the definition, its runs and its tags.
	if _, err := w.svc.StartExperimentRun(ctx, sc, w.app, b.ID, service.StartExperimentRunInput{Tags: map[string]string{"r": "1"}}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	if _, err := w.svc.StopExperimentRun(ctx, sc, w.app, b.ID, 1, service.StopExperimentRunInput{}); err != nil {
		t.Fatal(err)
	}
	if tags, err := w.svc.ListTagsForResource(ctx, sc, service.ExperimentRunARN(sc, w.app, b.ID, 1)); err != nil || tags["r"] != "1" {
		t.Fatalf("run tags %v %v", tags, err)
	}
	if tags, err := w.svc.ListTagsForResource(ctx, sc, service.ExperimentDefinitionARN(sc, w.app, b.ID)); err != nil || tags["team"] != "x" {
		t.Fatalf("definition tags %v %v", tags, err)
	}
	if err := w.svc.DeleteExperimentDefinition(ctx, sc, w.app, b.ID, "DESTROY"); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.GetExperimentDefinition(ctx, sc, w.app, b.ID)
	wantKind(t, err, appconfig.KindNotFound, b.ID)
	_, err = w.svc.ListTagsForResource(ctx, sc, service.ExperimentDefinitionARN(sc, w.app, b.ID))
	wantKind(t, err, appconfig.KindNotFound, "")
	n := 0
	w.store.View(ctx, func(tx appconfig.Tx) error {
		for _, kind := range []string{appconfig.RecordExperimentRun, appconfig.RecordTags} {
			k, _ := tx.Count(ctx, appconfig.Query{Account: sc.Account, Region: sc.Region, Kind: kind, Parent: w.app + "/" + b.ID})
			n += k
		}
		return nil
	})
	if n != 0 {
		t.Fatalf("%d run or tag records left after DESTROY", n)
	}
	_ = c
}

func TestExperimentRunStateMachine(t *testing.T) {
	w := expWorld(t, "")
	d := w.mustDefine(defInput("exp"))
	run, err := w.svc.StartExperimentRun(ctx, sc, w.app, "exp", service.StartExperimentRunInput{
		Description: "first", ExposurePercentage: 10, Overrides: map[string]string{"alice": "t1"},
	})
	if err != nil || run.Run != 1 || run.Status != "RUNNING" || run.ExposurePercentage != 10 || run.Snapshot.ID != d.ID ||
		len(run.Snapshot.Treatments) != 2 || len(run.EventLog) != 1 || run.EventLog[0].Type != "RUN_STARTED" {
		t.Fatalf("start %+v %v", run, err)
	}
	w.settle()
	if got, _ := w.svc.GetExperimentDefinition(ctx, sc, w.app, d.ID); got.Status != "ACTIVE" {
		t.Fatalf("definition %s while running", got.Status)
	}
	_, err = w.svc.StartExperimentRun(ctx, sc, w.app, d.ID, service.StartExperimentRunInput{})
	wantKind(t, err, appconfig.KindConflict, "already has a RUNNING")
	other := w.mustDefine(defInput("other")) // same environment, profile and flag
	_, err = w.svc.StartExperimentRun(ctx, sc, w.app, other.ID, service.StartExperimentRunInput{})
	wantKind(t, err, appconfig.KindConflict, "flag checkout")
	in := defInput("banner")
	in.FlagKey = "banner" // another flag may run at the same time
	banner := w.mustDefine(in)
	if _, err := w.svc.StartExperimentRun(ctx, sc, w.app, banner.ID, service.StartExperimentRunInput{}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	_, err = w.svc.UpdateExperimentDefinition(ctx, sc, w.app, d.ID, service.UpdateExperimentDefinitionInput{Hypothesis: ptr("x")})
	wantKind(t, err, appconfig.KindConflict, "RUNNING")
	for _, typ := range []string{"ARCHIVE", "DESTROY"} {
		wantKind(t, w.svc.DeleteExperimentDefinition(ctx, sc, w.app, d.ID, typ), appconfig.KindConflict, "RUNNING")
	}

	// Exposure only grows; overrides change; ≤ 32 overrides of known keys.
	w.clock.Advance(time.Minute)
	_, err = w.svc.UpdateExperimentRun(ctx, sc, w.app, d.ID, 1, service.UpdateExperimentRunInput{ExposurePercentage: ptr(5.0)})
	wantKind(t, err, appconfig.KindBadRequest, "only be increased")
	_, err = w.svc.UpdateExperimentRun(ctx, sc, w.app, d.ID, 1, service.UpdateExperimentRunInput{Overrides: map[string]string{"bob": "t9"}})
	wantKind(t, err, appconfig.KindBadRequest, `treatment "t9"`)
	many := map[string]string{}
	for i := 0; i < 33; i++ {
		many[fmt.Sprint("e", i)] = "c"
	}
	_, err = w.svc.UpdateExperimentRun(ctx, sc, w.app, d.ID, 1, service.UpdateExperimentRunInput{Overrides: many})
	wantKind(t, err, appconfig.KindBadRequest, "at most 32")
	run, err = w.svc.UpdateExperimentRun(ctx, sc, w.app, d.ID, 1, service.UpdateExperimentRunInput{
		ExposurePercentage: ptr(40.0), Overrides: map[string]string{"alice": "c", "bob": "t2"},
	})
	if err != nil || run.ExposurePercentage != 40 || run.Overrides["bob"] != "t2" || len(run.EventLog) != 3 {
		t.Fatalf("update %+v %v", run, err)
	}
	w.settle()
	// An update that changes nothing adds no event.
	run, _ = w.svc.UpdateExperimentRun(ctx, sc, w.app, d.ID, 1, service.UpdateExperimentRunInput{ExposurePercentage: ptr(40.0), Description: ptr("renamed")})
	if len(run.EventLog) != 3 || run.Description != "renamed" {
		t.Fatalf("no-op update added events: %+v", run.EventLog)
	}

	w.clock.Advance(time.Minute)
	run, err = w.svc.StopExperimentRun(ctx, sc, w.app, d.ID, 1, service.StopExperimentRunInput{Result: &appconfig.ExperimentRunResult{ExecutiveSummary: "t2 wins"}})
	if err != nil || run.Status != "DONE" || !run.EndedAt.Equal(w.clock.Now()) || run.Result.ExecutiveSummary != "t2 wins" {
		t.Fatalf("stop %+v %v", run, err)
	}
	w.settle()
	if got, _ := w.svc.GetExperimentDefinition(ctx, sc, w.app, d.ID); got.Status != "IDLE" {
		t.Fatalf("definition %s after stop", got.Status)
	}
	_, err = w.svc.StopExperimentRun(ctx, sc, w.app, d.ID, 1, service.StopExperimentRunInput{})
	wantKind(t, err, appconfig.KindConflict, "already DONE")
	_, err = w.svc.UpdateExperimentRun(ctx, sc, w.app, d.ID, 1, service.UpdateExperimentRunInput{ExposurePercentage: ptr(90.0)})
	wantKind(t, err, appconfig.KindConflict, "DONE")
	_, err = w.svc.GetExperimentRun(ctx, sc, w.app, d.ID, 7)
	wantKind(t, err, appconfig.KindNotFound, "run 7")

	// The run keeps its snapshot when the definition changes; run 2 follows.
	if _, err := w.svc.UpdateExperimentDefinition(ctx, sc, w.app, d.ID, service.UpdateExperimentDefinitionInput{AudienceRule: ptr("true")}); err != nil {
		t.Fatal(err)
	}
	if r1, _ := w.svc.GetExperimentRun(ctx, sc, w.app, d.ID, 1); r1.Snapshot.AudienceRule != `(eq $plan "pro")` {
		t.Fatalf("snapshot changed: %q", r1.Snapshot.AudienceRule)
	}
	if err := w.svc.DeleteExperimentDefinition(ctx, sc, w.app, banner.ID, "ARCHIVE"); err == nil {
		t.Fatal("archived a definition with a RUNNING run")
	}
	if _, err := w.svc.StopExperimentRun(ctx, sc, w.app, banner.ID, 1, service.StopExperimentRunInput{}); err != nil {
		t.Fatal(err)
	}
	w.settle()
	r2, err := w.svc.StartExperimentRun(ctx, sc, w.app, d.ID, service.StartExperimentRunInput{})
	if err != nil || r2.Run != 2 || r2.Snapshot.AudienceRule != "true" {
		t.Fatalf("second run %+v %v", r2, err)
	}
	runs, err := w.svc.ListExperimentRuns(ctx, sc, w.app, d.ID, "DONE", appconfig.PageRequest{})
	if err != nil || len(runs.Items) != 1 || runs.Items[0].Run != 1 {
		t.Fatalf("DONE runs %+v %v", runs, err)
	}
	runs, _ = w.svc.ListExperimentRuns(ctx, sc, w.app, d.ID, "", appconfig.PageRequest{})
	if len(runs.Items) != 2 || runs.Items[0].Run != 2 {
		t.Fatalf("all runs newest first: %+v", runs.Items)
	}

	checkRunEvents(t, w, d.ID)
}

// checkRunEvents reads run 1's events in pages of two: newest first, with
// the exposure and overrides at each event.
func checkRunEvents(t *testing.T, w *world, defID string) {
	// Events, newest first, with the state at each event, in pages.
	var types []string
	var exposures []float64
	token := ""
	for {
		p, err := w.svc.ListExperimentRunEvents(ctx, sc, w.app, defID, 1, appconfig.PageRequest{MaxResults: 2, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Items {
			types = append(types, e.Type)
			exposures = append(exposures, e.ExposurePercentage)
			if e.TriggeredBy != "USER" {
				t.Fatalf("triggered by %s", e.TriggeredBy)
			}
		}
		if token = p.NextToken; token == "" {
			break
		}
	}
	if fmt.Sprint(types) != "[RUN_STOPPED OVERRIDES_UPDATED EXPOSURE_UPDATED RUN_STARTED]" || fmt.Sprint(exposures) != "[40 40 40 10]" {
		t.Fatalf("events %v %v", types, exposures)
	}
	ev, _ := w.svc.ListExperimentRunEvents(ctx, sc, w.app, defID, 1, appconfig.PageRequest{})
	if ev.Items[3].Overrides["alice"] != "t1" || ev.Items[1].Overrides["alice"] != "c" || ev.Items[2].Overrides["bob"] != "" {
		t.Fatalf("overrides at events: %+v", ev.Items)
	}
	_, err := w.svc.ListExperimentRunEvents(ctx, sc, w.app, defID, 1, appconfig.PageRequest{NextToken: "garbage"})
	wantKind(t, err, appconfig.KindBadRequest, "NextToken")
}

func TestExperimentRunSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	w := expWorld(t, path)
	d := w.mustDefine(defInput("exp"))
	started, err := w.svc.StartExperimentRun(ctx, sc, w.app, d.ID, service.StartExperimentRunInput{ExposurePercentage: 25, Overrides: map[string]string{"a": "c"}})
	if err != nil {
		t.Fatal(err)
	}
	w.settle()
	w.store.Close()
	w2 := newWorld(t, path, t0.Add(time.Hour))
	run, err := w2.svc.GetExperimentRun(ctx, sc, w.app, "exp", 1)
	if err != nil || run.Status != "RUNNING" || run.ExposurePercentage != 25 || run.Overrides["a"] != "c" || !run.StartedAt.Equal(started.StartedAt) || len(run.EventLog) != 1 {
		t.Fatalf("after restart %+v %v", run, err)
	}
	if _, err := w2.svc.StartExperimentRun(ctx, sc, w.app, d.ID, service.StartExperimentRunInput{}); !appconfig.IsConflict(err) {
		t.Fatalf("second run after restart: %v", err)
	}
	if run, err = w2.svc.StopExperimentRun(ctx, sc, w.app, d.ID, 1, service.StopExperimentRunInput{}); err != nil || !run.EndedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("stop after restart %+v %v", run, err)
	}
}

func TestListExperimentDefinitionsAcrossApplications(t *testing.T) {
	w := expWorld(t, "")
	first := w.app
	var want []string
	for i := 0; i < 3; i++ {
		want = append(want, w.mustDefine(defInput(fmt.Sprint("a", i))).ID)
	}
	// A second application with its own environment, profile and flags.
	w2 := expWorldIn(t, w, "app2")
	for i := 0; i < 3; i++ {
		want = append(want, w2.mustDefine(defInput(fmt.Sprint("b", i))).ID)
	}
	for size := 1; size <= 7; size++ {
		var got []string
		token, pages := "", 0
		for {
			p, err := w.svc.ListExperimentDefinitions(ctx, sc, service.ExperimentFilter{}, appconfig.PageRequest{MaxResults: size, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, d := range p.Items {
				got = append(got, d.ID)
			}
			if token = p.NextToken; token == "" {
				break
			}
			if len(p.Items) == 0 {
				t.Fatalf("size %d: empty page with a token", size)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("size %d: %v, want %v", size, got, want)
		}
	}
	p, err := w.svc.ListExperimentDefinitions(ctx, sc, service.ExperimentFilter{Application: first, Environment: "prod"}, appconfig.PageRequest{})
	if err != nil || len(p.Items) != 3 {
		t.Fatalf("by application %d %v", len(p.Items), err)
	}
	_, err = w.svc.ListExperimentDefinitions(ctx, sc, service.ExperimentFilter{Application: first, Environment: "nope"}, appconfig.PageRequest{})
	wantKind(t, err, appconfig.KindNotFound, "nope")
	p, _ = w.svc.ListExperimentDefinitions(ctx, sc, service.ExperimentFilter{Profile: w2.prof}, appconfig.PageRequest{})
	if len(p.Items) != 3 || p.Items[0].ApplicationID != w2.app {
		t.Fatalf("by profile id across applications: %+v", p.Items)
	}
}

// expWorldIn adds an application named name, with flags deployed, to w's
// store and returns a world pointing at it.
func expWorldIn(t *testing.T, w *world, name string) *world {
	t.Helper()
	w2 := *w
	app, err := w.svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	env, _ := w.svc.CreateEnvironment(ctx, sc, app.ID, service.CreateEnvironmentInput{Name: "prod"})
	prof, _ := w.svc.CreateConfigurationProfile(ctx, sc, app.ID, service.CreateProfileInput{Name: "flags", LocationURI: "hosted", Type: appconfig.ProfileTypeFeatureFlags})
	w2.app, w2.env, w2.prof = app.ID, env.ID, prof.ID
	if _, err := w.svc.CreateHostedConfigurationVersion(ctx, sc, w2.app, w2.prof, service.CreateHostedVersionInput{Content: []byte(flagsDoc), ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	d := w2.mustStart("AppConfig.AllAtOnce", "1")
	w2.until(d.DeploymentNumber, time.Hour)
	return &w2
}

// The flag must be in what the environment serves: during a rollout both
// the new configuration (once it reaches clients) and the one it replaces
// count; after a rollback only the one served again does.
func TestExperimentFlagMustBeServed(t *testing.T) {
	w := expWorld(t, "")
	v2 := `{"flags":{"checkout":{"name":"checkout"},"fresh":{"name":"fresh"}},"values":{"checkout":{"enabled":true},"fresh":{"enabled":true}},"version":"1"}`
	if _, err := w.svc.CreateHostedConfigurationVersion(ctx, sc, w.app, w.prof, service.CreateHostedVersionInput{Content: []byte(v2), ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	try := func(name, flag string) error {
		in := defInput(name)
		in.FlagKey = flag
		_, err := w.svc.CreateExperimentDefinition(ctx, sc, w.app, in)
		return err
	}
	d := w.mustStart(w.strategy(20, "LINEAR", 50, 0), "2")
	wantKind(t, try("fresh-at-0", "fresh"), appconfig.KindBadRequest, "Flag fresh is not in the configuration")
	if err := try("banner-old", "banner"); err != nil {
		t.Fatalf("a flag of the configuration being replaced: %v", err)
	}
	w.clock.Advance(10 * time.Minute)
	w.step()
	if got := w.get(d.DeploymentNumber); got.PercentageComplete <= 0 || got.PercentageComplete >= 100 {
		t.Fatalf("deployment at %v %%", got.PercentageComplete)
	}
	if err := try("fresh-rolling", "fresh"); err != nil {
		t.Fatalf("a flag that reaches some clients: %v", err)
	}
	if _, err := w.svc.StopDeployment(ctx, sc, w.app, w.env, d.DeploymentNumber, false); err != nil {
		t.Fatal(err)
	}
	w.until(d.DeploymentNumber, time.Hour)
	wantKind(t, try("fresh-rolled-back", "fresh"), appconfig.KindBadRequest, "Flag fresh is not in the configuration")
	if err := try("banner-back", "banner"); err != nil {
		t.Fatalf("a flag served again after the rollback: %v", err)
	}
	// A run cannot start once its flag is no longer served.
	_, err := w.svc.StartExperimentRun(ctx, sc, w.app, "fresh-rolling", service.StartExperimentRunInput{})
	wantKind(t, err, appconfig.KindBadRequest, "Flag fresh is not in the configuration")
}

func TestParseExperimentQuota(t *testing.T) {
	q, err := service.ParseQuotas("experiment-definitions-per-application=7")
	if err != nil || q.ExperimentsPerApp != 7 || q.WithDefaults().ExperimentsPerApp != 7 {
		t.Fatalf("%+v %v", q, err)
	}
	if d := (service.Quotas{}).WithDefaults(); d.ExperimentsPerApp != 50 {
		t.Fatalf("default %d", d.ExperimentsPerApp)
	}
}
