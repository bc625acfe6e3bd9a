package seed_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/seed"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

var ctx = context.Background()
var sc = appconfig.Scope{Account: "123456789012", Region: "us-east-1"}

// world is a service on a fake clock whose deployment engine runs only
// when seeding settles it: nothing waits for wall time.
type world struct {
	t      *testing.T
	svc    *service.Service
	runner *deploy.Runner
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fake := clock.NewFake(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	w := &world{t: t, runner: deploy.NewRunner(deploy.Config{Store: st, Clock: fake})}
	w.svc = service.New(service.Config{Store: st, Clock: fake, Lifecycle: w.runner.Lifecycle()})
	return w
}

// apply loads the seed directory and applies it, as --seed-dir does.
func (w *world) apply(dir string) {
	w.t.Helper()
	files, paths, err := seed.Load(dir)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := seed.Apply(ctx, w.svc, sc, files, paths, func(ctx context.Context) error {
		_, err := w.runner.RunDue(ctx)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
}

// state describes the hosted versions of every profile and the
// deployments of every environment of application app.
func (w *world) state(app string) string {
	w.t.Helper()
	a, err := w.svc.GetApplication(ctx, sc, app)
	if err != nil {
		w.t.Fatal(err)
	}
	var b strings.Builder
	profs, err := w.svc.ListConfigurationProfiles(ctx, sc, a.ID, "", appconfig.PageRequest{MaxResults: 50})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, p := range profs.Items {
		fmt.Fprintf(&b, "profile %s:", p.Name)
		vs, err := w.svc.ListHostedConfigurationVersions(ctx, sc, a.ID, p.ID, "", appconfig.PageRequest{MaxResults: 50})
		if err != nil {
			w.t.Fatal(err)
		}
		for i := len(vs.Items) - 1; i >= 0; i-- {
			v, err := w.svc.GetHostedConfigurationVersion(ctx, sc, a.ID, p.ID, vs.Items[i].VersionNumber)
			if err != nil {
				w.t.Fatal(err)
			}
			fmt.Fprintf(&b, " %d=%s[%s]", v.VersionNumber, v.Content, v.VersionLabel)
		}
		b.WriteString("\n")
	}
	envs, err := w.svc.ListEnvironments(ctx, sc, a.ID, appconfig.PageRequest{MaxResults: 50})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, e := range envs.Items {
		fmt.Fprintf(&b, "environment %s:", e.Name)
		ds, err := w.svc.ListDeployments(ctx, sc, a.ID, e.ID, appconfig.PageRequest{MaxResults: 50})
		if err != nil {
			w.t.Fatal(err)
		}
		for i := len(ds.Items) - 1; i >= 0; i-- {
			d := ds.Items[i]
			fmt.Fprintf(&b, " #%d v%s %s", d.DeploymentNumber, d.ConfigurationVersion, d.State)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func writeSeed(t *testing.T, dir, yaml string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
}

const twoVersions = `
applications:
  - name: shop
    environments:
      - name: prod
      - name: dev
    configurationProfiles:
      - name: settings
        versions:
          - content: '{"currency":"EUR"}'
            label: one
          - content: '{"currency":"USD"}'
            label: two
            description: second
          - content: '{"currency":"GBP"}'
        deployTo: [prod, dev]
`

// A profile listing several versions is seeded once: applying the seed
// again (as every restart does) adds no version and starts no deployment.
func TestApplySeveralVersionsIsIdempotent(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	writeSeed(t, dir, twoVersions)
	w.apply(dir)
	first := w.state("shop")
	want := `profile settings: 1={"currency":"EUR"}[one] 2={"currency":"USD"}[two] 3={"currency":"GBP"}[]
environment prod: #1 v3 COMPLETE
environment dev: #1 v3 COMPLETE
`
	if first != want {
		t.Fatalf("first apply:\n%s\nwant:\n%s", first, want)
	}
	for i := 2; i <= 3; i++ {
		w.apply(dir)
		if got := w.state("shop"); got != first {
			t.Fatalf("apply #%d changed the state:\n%s\nwas:\n%s", i, got, first)
		}
	}
}

// When the stored versions differ from the seed (the seed was edited, or
// someone created versions), the rest of the seed is applied on top once;
// applying it again changes nothing.
func TestApplyOnTopOfDivergedVersions(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	writeSeed(t, dir, twoVersions)
	w.apply(dir)
	// The seed's second version changes: it and the ones after it are
	// appended, and the new latest one is deployed.
	writeSeed(t, dir, strings.Replace(twoVersions, `{"currency":"USD"}`, `{"currency":"CHF"}`, 1))
	want := `profile settings: 1={"currency":"EUR"}[one] 2={"currency":"USD"}[two] 3={"currency":"GBP"}[] 4={"currency":"CHF"}[two] 5={"currency":"GBP"}[]
environment prod: #1 v3 COMPLETE #2 v5 COMPLETE
environment dev: #1 v3 COMPLETE #2 v5 COMPLETE
`
	for i := 1; i <= 3; i++ {
		w.apply(dir)
		if got := w.state("shop"); got != want {
			t.Fatalf("apply #%d of the edited seed:\n%s\nwant:\n%s", i, got, want)
		}
	}
	// Going back to the first seed: its versions are 1-3, which stay; the
	// environments are brought back to version 3.
	writeSeed(t, dir, twoVersions)
	want = `profile settings: 1={"currency":"EUR"}[one] 2={"currency":"USD"}[two] 3={"currency":"GBP"}[] 4={"currency":"CHF"}[two] 5={"currency":"GBP"}[]
environment prod: #1 v3 COMPLETE #2 v5 COMPLETE #3 v3 COMPLETE
environment dev: #1 v3 COMPLETE #2 v5 COMPLETE #3 v3 COMPLETE
`
	for i := 1; i <= 2; i++ {
		w.apply(dir)
		if got := w.state("shop"); got != want {
			t.Fatalf("apply #%d of the first seed again:\n%s\nwant:\n%s", i, got, want)
		}
	}
}

// A profile that already holds versions the seed does not list gets the
// seed's versions after them, once.
func TestApplyAfterForeignVersions(t *testing.T) {
	w := newWorld(t)
	app, err := w.svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	prof, err := w.svc.CreateConfigurationProfile(ctx, sc, app.ID, service.CreateProfileInput{Name: "settings", LocationURI: appconfig.LocationHosted})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CreateHostedConfigurationVersion(ctx, sc, app.ID, prof.ID, service.CreateHostedVersionInput{Content: []byte(`{"currency":"JPY"}`), ContentType: "application/json"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeSeed(t, dir, twoVersions)
	want := `profile settings: 1={"currency":"JPY"}[] 2={"currency":"EUR"}[one] 3={"currency":"USD"}[two] 4={"currency":"GBP"}[]
environment prod: #1 v4 COMPLETE
environment dev: #1 v4 COMPLETE
`
	for i := 1; i <= 3; i++ {
		w.apply(dir)
		if got := w.state("shop"); got != want {
			t.Fatalf("apply #%d:\n%s\nwant:\n%s", i, got, want)
		}
	}
}
