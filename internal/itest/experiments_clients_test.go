package itest

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/server"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/store/postgres/pgtest"
)

// expWorld is an application "xapp" with environment "prod" and the
// feature-flag profile "flags", deployed, ready for experiment runs.
type expWorld struct {
	c              *sdk.Client
	app, env, prof string
	now            string            // a 0-minute, no-bake strategy
	settle         func(w *expWorld) // runs due engine work (fake clock: at once)
	svc            *service.Service
	defID          string
	versions       int
	base           string
}

// flagDoc is the deployed document: "checkout" serves variant "eu" (green)
// to $region eu and "off" to everyone else; "banner" is plain.
func flagDoc(euColor string) string {
	return `{"version":"1","flags":{"checkout":{"name":"Checkout","attributes":{"color":{"constraints":{"type":"string"}}}},"banner":{"name":"Banner"}},` +
		`"values":{"checkout":{"_variants":[{"name":"eu","enabled":true,"rule":"(eq $region \"eu\")","attributeValues":{"color":"` + euColor + `"}},` +
		`{"name":"off","enabled":false}]},"banner":{"enabled":true}}}`
}

func newExpWorld(t *testing.T, base string, c *sdk.Client, svc *service.Service, settle func(*expWorld)) *expWorld {
	t.Helper()
	w := &expWorld{c: c, svc: svc, settle: settle, base: base}
	w.app = aws.ToString(mustApp(t, c, "xapp").Id)
	env, err := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(w.app), Name: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	w.env = aws.ToString(env.Id)
	p, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(w.app), Name: aws.String("flags"),
		LocationUri: aws.String("hosted"), Type: aws.String("AWS.AppConfig.FeatureFlags")})
	if err != nil {
		t.Fatal(err)
	}
	w.prof = aws.ToString(p.Id)
	st, err := c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{Name: aws.String("now"), DeploymentDurationInMinutes: aws.Int32(0),
		GrowthFactor: aws.Float32(100), FinalBakeTimeInMinutes: 0})
	if err != nil {
		t.Fatal(err)
	}
	w.now = aws.ToString(st.Id)
	w.deploy(t, flagDoc("green"), w.now)
	return w
}

// deploy deploys a new version of the document and lets it complete.
func (w *expWorld) deploy(t *testing.T, doc, strategy string) {
	t.Helper()
	mustVersion(t, w.c, w.app, w.prof, doc)
	w.versions++
	if _, err := w.c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(w.app), EnvironmentId: aws.String(w.env),
		ConfigurationProfileId: aws.String(w.prof), DeploymentStrategyId: aws.String(strategy), ConfigurationVersion: aws.String(strconv.Itoa(w.versions))}); err != nil {
		t.Fatal(err)
	}
	w.step()
}

func (w *expWorld) step() { w.settle(w) }

// settleReal waits (real clock) until no deployment of the world's
// environment is still rolling out: the newest content reaches every
// client (a deployment that bakes already serves it to all).
func settleReal(t *testing.T) func(*expWorld) {
	return func(w *expWorld) {
		waitFor(t, "deployments to reach every client", 30*time.Second, func() bool {
			out, err := w.c.ListDeployments(ctx, &sdk.ListDeploymentsInput{ApplicationId: aws.String(w.app), EnvironmentId: aws.String(w.env)})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range out.Items {
				if d.State == types.DeploymentStateDeploying || d.State == types.DeploymentStateRollingBack {
					return false
				}
			}
			return len(out.Items) > 0
		})
	}
}

// settleFake runs due engine work on a fake-clock server, then moves past
// any bake (AppConfig.AllAtOnce bakes 10 minutes), so the next user
// deployment never meets one in progress. Assignments do not depend on
// time.
func settleFake(t *testing.T, s *Server, fake *clock.Fake) func(*expWorld) {
	return func(*expWorld) {
		advance(t, s, fake, 0)
		advance(t, s, fake, 11*time.Minute)
	}
}

func strp(s string) *string { return &s }

// startRun defines the experiment on "checkout" (control grey 50, t1
// blue 30, t2 red 20; audience $plan pro) and starts a run.
func (w *expWorld) startRun(t *testing.T, exposure float64, overrides map[string]string) appconfig.ExperimentRun {
	t.Helper()
	tv := func(weight float64, color string) service.TreatmentInput {
		return service.TreatmentInput{Weight: weight, FlagValue: appconfig.FlagValue{Enabled: true,
			Attributes: map[string]appconfig.AttributeValue{"color": {String: strp(color)}}}}
	}
	if w.defID == "" {
		def, err := w.svc.CreateExperimentDefinition(ctx, scope(), w.app, service.CreateExperimentDefinitionInput{
			Name: "checkout-colors", ProfileIdent: w.prof, EnvIdent: w.env, FlagKey: "checkout", AudienceRule: `(eq $plan "pro")`,
			Control: tv(50, "grey"), Treatments: []service.TreatmentInput{tv(30, "blue"), tv(20, "red")}})
		if err != nil {
			t.Fatal(err)
		}
		w.defID = def.ID
	}
	run, err := w.svc.StartExperimentRun(ctx, scope(), w.app, w.defID, service.StartExperimentRunInput{ExposurePercentage: exposure, Overrides: overrides})
	if err != nil {
		t.Fatal(err)
	}
	w.step()
	return run
}

func (w *expWorld) stopRun(t *testing.T, run int) {
	t.Helper()
	if _, err := w.svc.StopExperimentRun(ctx, scope(), w.app, w.defID, run, service.StopExperimentRunInput{}); err != nil {
		t.Fatal(err)
	}
	w.step()
}

// flagAnswer is the Agent route's answer for one flag.
type flagAnswer struct {
	Variant string `json:"_variant"`
	Enabled bool   `json:"enabled"`
	Color   string `json:"color"`
}

// agentFlag asks base's Agent route for ?flag=KEY as entity with context.
func agentFlag(t *testing.T, base, key, entity string, context ...string) flagAnswer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/applications/xapp/environments/prod/configurations/flags?flag="+key, nil)
	if entity != "" {
		req.Header.Set("Entity-Id", entity)
	}
	for _, c := range context {
		req.Header.Add("Context", c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("Agent route %s for %s: %d %s", key, entity, resp.StatusCode, b)
	}
	var a flagAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return a
}

const entities = 2000

// maxDeviation is how far (in percentage points) a share of n entities
// may stray from the p % an assignment by hash gives them. The hash's
// salt is the run's (or deployment's) random IDs, so each test run draws
// a new sample: 5 standard deviations plus half a point keep a check
// from failing by chance (about 1 in 1.7 million), and an exact 0 or
// 100 % is still checked exactly up to that half point.
func maxDeviation(p float64, n int) float64 {
	return 5*math.Sqrt(p*(100-p)/float64(n)) + 0.5
}

// assignments asks for "checkout" for entities user-0 … user-1999 (plan pro
// for even numbers, free for odd ones) plus the overridden vip-1, vip-2.
func assignments(t *testing.T, base string) map[string]flagAnswer {
	t.Helper()
	out := map[string]flagAnswer{}
	for i := 0; i < entities; i++ {
		id := fmt.Sprintf("user-%d", i)
		plan := "plan=pro"
		if i%2 == 1 {
			plan = "plan=free"
		}
		out[id] = agentFlag(t, base, "checkout", id, plan)
	}
	for _, id := range []string{"vip-1", "vip-2"} {
		out[id] = agentFlag(t, base, "checkout", id, "plan=free")
	}
	return out
}

var deployedOff = flagAnswer{Variant: "off"}

// checkRunning checks what 2,000 entities see during a run at 100 %
// exposure: overrides win, the audience (even numbers) splits 50/30/20
// within maxDeviation (n = 1,000: 5.0–8.4 points), and the rest get the
// deployed flag.
func checkRunning(t *testing.T, got map[string]flagAnswer) {
	t.Helper()
	if got["vip-1"] != (flagAnswer{"__t2__", true, "red"}) || got["vip-2"] != (flagAnswer{"__c__", true, "grey"}) {
		t.Fatalf("overrides: vip-1 %+v, vip-2 %+v", got["vip-1"], got["vip-2"])
	}
	colors := map[string]string{"__c__": "grey", "__t1__": "blue", "__t2__": "red"}
	counts := map[string]int{}
	for i := 0; i < entities; i++ {
		a := got[fmt.Sprintf("user-%d", i)]
		if i%2 == 1 {
			if a != deployedOff {
				t.Fatalf("user-%d is outside the audience and got %+v, want the deployed flag", i, a)
			}
			continue
		}
		if colors[a.Variant] == "" || a.Color != colors[a.Variant] || !a.Enabled {
			t.Fatalf("user-%d: %+v is no treatment", i, a)
		}
		counts[a.Variant]++
	}
	for v, want := range map[string]float64{"__c__": 50, "__t1__": 30, "__t2__": 20} {
		share := float64(counts[v]) * 100 / (entities / 2)
		if tol := maxDeviation(want, entities/2); math.Abs(share-want) > tol {
			t.Errorf("%s: %.1f %% of the audience, want %.0f ± %.1f (%v)", v, share, want, tol, counts)
		}
	}
	t.Logf("treatments over %d entities in the audience: %v", entities/2, counts)
}

// The Agent route with Entity-Id and Context during an experiment run:
// overrides, weights, stability, fall-through, the run owning the flag
// against a user deployment, Stop, and the vended counter.
func TestExperimentAgentRoute(t *testing.T) {
	s, fake := fakeServer(t)
	w := newExpWorld(t, s.URL, s.Client(), s.Service(), settleFake(t, s, fake))
	before := assignments(t, s.URL)
	for id, a := range before {
		if a != deployedOff {
			t.Fatalf("before the run %s got %+v", id, a)
		}
	}
	if a := agentFlag(t, s.URL, "checkout", "user-0", "plan=pro", "region=eu"); a != (flagAnswer{"eu", true, "green"}) {
		t.Fatalf("deployed rule before the run: %+v", a)
	}
	run := w.startRun(t, 100, map[string]string{"vip-1": "t2", "vip-2": "c"})
	first := assignments(t, s.URL)
	checkRunning(t, first)
	if again := assignments(t, s.URL); !sameAnswers(again, first) {
		t.Fatal("assignments changed between two rounds of requests")
	}
	// Without Entity-Id nothing is assigned; the whole document carries
	// the treatment too.
	if a := agentFlag(t, s.URL, "checkout", "", "plan=pro"); a != deployedOff {
		t.Fatalf("no Entity-Id: %+v", a)
	}
	st, _, body := agentGet(t, s.URL, "xapp", "prod", "flags", "Entity-Id", "vip-1")
	if st != 200 || body != `{"banner":{"enabled":true},"checkout":{"_variant":"__t2__","color":"red","enabled":true}}` {
		t.Fatalf("whole document for vip-1: %d %s", st, body)
	}

	// The run owns the flag: a user deployment changing it changes what
	// the fall-through entities see, not what exposed ones see.
	w.deploy(t, flagDoc("yellow"), w.now)
	if a := agentFlag(t, s.URL, "checkout", "user-1", "plan=free", "region=eu"); a != (flagAnswer{"eu", true, "yellow"}) {
		t.Fatalf("fall-through after a user deployment: %+v", a)
	}
	if during := assignments(t, s.URL); !sameAnswers(during, first) {
		t.Fatal("a user deployment during the run changed what entities see")
	}

	w.stopRun(t, run.Run)
	for id, a := range assignments(t, s.URL) {
		if a != deployedOff {
			t.Fatalf("after Stop %s got %+v, want the deployed flag", id, a)
		}
	}
}

func sameAnswers(a, b map[string]flagAnswer) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// metricsText reads /metrics.
func metricsText(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// metricValue reads one sample of /metrics ("" when absent).
func metricValue(t *testing.T, base, sample string) string {
	t.Helper()
	for _, line := range strings.Split(metricsText(t, base), "\n") {
		if strings.HasPrefix(line, sample+" ") {
			return strings.TrimPrefix(line, sample+" ")
		}
	}
	return ""
}

// With VendedMetrics on, every treatment returned is counted by
// application, environment, profile, flag and variant; off, nothing is.
// The assignment log (file form) has one line per treatment served.
func TestExperimentVendedMetricsAndAssignmentLog(t *testing.T) {
	logDir := t.TempDir()
	s, fake := fakeServer(t, func(c *server.Config) { c.AssignmentLog = "file:" + logDir })
	w := newExpWorld(t, s.URL, s.Client(), s.Service(), settleFake(t, s, fake))
	run := w.startRun(t, 100, map[string]string{"vip-1": "t2"})
	round := func() map[string]int {
		counts := map[string]int{}
		for i := 0; i < 100; i++ {
			counts[agentFlag(t, s.URL, "checkout", fmt.Sprintf("user-%d", i), "plan=pro").Variant]++
		}
		counts[agentFlag(t, s.URL, "checkout", "vip-1", "plan=free").Variant]++
		agentFlag(t, s.URL, "checkout", "user-x", "plan=free") // not exposed: not counted
		return counts
	}
	sample := func(variant string) string {
		return fmt.Sprintf(`appconfigd_experiment_treatments_returned_total{application="%s",configuration_profile="%s",environment="%s",flag="checkout",variant="%s"}`, w.app, w.prof, w.env, variant)
	}
	round()
	if v := metricValue(t, s.URL, sample("__t2__")); v != "" {
		t.Fatalf("VendedMetrics off, yet the counter is %s", v)
	}
	on := true
	if _, err := s.Service().UpdateAccountSettings(ctx, scope(), service.UpdateAccountSettingsInput{VendedMetricsEnabled: &on}); err != nil {
		t.Fatal(err)
	}
	counts := round()
	for _, v := range []string{"__c__", "__t1__", "__t2__"} {
		if got := metricValue(t, s.URL, sample(v)); got != strconv.Itoa(counts[v]) {
			t.Errorf("%s: counter %q, served %d", v, got, counts[v])
		}
	}
	// The log: 2 rounds × 101 treatments, in the run's file.
	dir := filepath.Join(logDir, "us-east-1", "123456789012", w.app, w.defID)
	files, _ := filepath.Glob(filepath.Join(dir, strconv.Itoa(run.Run)+"_*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("assignment log files in %s: %v", dir, files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 202 {
		t.Fatalf("%d assignment lines, want 202", len(lines))
	}
	var rec struct{ Timestamp, TreatmentKey, EntityID string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil || rec.EntityID != "vip-1" || rec.TreatmentKey != "t2" || !strings.HasPrefix(rec.Timestamp, "20") {
		t.Fatalf("last line %s: %+v %v", lines[len(lines)-1], rec, err)
	}
}

// Entity-based gradual deployment: during a linear rollout the share of
// entities (Entity-Id) on the new version follows the deployment's
// percentage at each step, and no entity ever goes back. Time is the
// fake clock; each step is one advance.
func TestEntityBasedGradualDeployment(t *testing.T) {
	s, fake := fakeServer(t)
	f := newFixture(t, s.Client())
	if _, err := f.start(f.strategy(t, 0, types.GrowthTypeLinear, 100, 0), "1"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeLinear, 10, 0), "2"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	onNew := map[string]bool{}
	steps, anon := 0, ""
	for {
		d := f.get(t, 2)
		pct := float64(aws.ToFloat32(d.PercentageComplete))
		n := 0
		for i := 0; i < entities; i++ {
			id := fmt.Sprintf("entity-%d", i)
			st, version, body := agentGet(t, s.URL, "app", "prod", "cfg", "Entity-Id", id)
			if st != 200 {
				t.Fatalf("%s: %d %s", id, st, body)
			}
			isNew := version == "2"
			if onNew[id] && !isNew {
				t.Fatalf("%s went back to version 1 at %.0f %%", id, pct)
			}
			onNew[id] = isNew
			if isNew {
				n++
			}
		}
		// Without Entity-Id the caller is one Agent, as before: one bucket,
		// the same answer on every request.
		_, v1, _ := agentGet(t, s.URL, "app", "prod", "cfg")
		_, v2, _ := agentGet(t, s.URL, "app", "prod", "cfg")
		if v1 != v2 || (anon == "2" && v1 != "2") {
			t.Fatalf("without Entity-Id: versions %s then %s (before: %s)", v1, v2, anon)
		}
		anon = v1
		share := float64(n) * 100 / entities
		t.Logf("%s at %.0f %%: %.1f %% of entities on version 2", d.State, pct, share)
		if math.Abs(share-pct) > maxDeviation(pct, entities) {
			t.Errorf("%.1f %% of entities on version 2 at %.0f %%", share, pct)
		}
		if d.State == types.DeploymentStateComplete {
			break
		}
		steps++
		if steps > 20 {
			t.Fatal("the deployment did not complete")
		}
		advance(t, s, fake, time.Minute)
	}
	if steps < 9 {
		t.Fatalf("only %d steps were observed", steps)
	}
}

// OFREP during a run: targetingKey is the entity, the other context keys
// the Context; an assignment is reason SPLIT, an override
// TARGETING_MATCH; the bulk ETag changes with each start, update and stop
// and stays per context.
func TestOFREPExperiment(t *testing.T) {
	s, fake := fakeServer(t)
	w := newExpWorld(t, s.URL, s.Client(), s.Service(), settleFake(t, s, fake))
	base := s.URL + "/applications/xapp/environments/prod/configurations/flags/ofrep/v1/evaluate/flags"
	const user0 = `{"context":{"targetingKey":"user-0","plan":"pro"}}`
	etags := map[string]bool{}
	bulkTag := func(what, body string) string {
		t.Helper()
		a := ofrepPost(t, base, body)
		tag := a.header.Get("ETag")
		if a.status != 200 || tag == "" {
			t.Fatalf("%s: %d %s", what, a.status, a.raw)
		}
		if b := ofrepPost(t, base, body, "If-None-Match", tag); b.status != 304 {
			t.Fatalf("%s: the same context with its ETag: %d", what, b.status)
		}
		return tag
	}
	newTag := func(what string) string {
		t.Helper()
		tag := bulkTag(what, user0)
		if etags[tag] {
			t.Fatalf("%s: the bulk ETag %s was seen before", what, tag)
		}
		etags[tag] = true
		return tag
	}
	single := func(body string) map[string]any {
		t.Helper()
		a := ofrepPost(t, base+"/checkout", body)
		if a.status != 200 {
			t.Fatalf("single: %d %s", a.status, a.raw)
		}
		return a.body
	}
	newTag("before the run")
	stream := openStream(t, s.URL+"/applications/xapp/environments/prod/configurations/flags")
	ids := map[string]bool{}
	pushed := func(what string) {
		t.Helper()
		ev, _, ok := stream.next()
		if !ok || ids[ev.id] || !strings.Contains(ev.data, `"type":"refetchEvaluation"`) {
			t.Fatalf("%s: change stream event %+v (ok %v), seen %v", what, ev, ok, ids)
		}
		ids[ev.id] = true
	}
	pushed("the current state")
	if b := single(user0); b["variant"] != "off" || b["reason"] != "DEFAULT" || b["value"] != false {
		t.Fatalf("before the run: %v", b)
	}
	run := w.startRun(t, 0, map[string]string{"vip-1": "t1"})
	newTag("run started at 0 %")
	pushed("run started")
	if b := single(user0); b["variant"] != "off" {
		t.Fatalf("at 0 %% exposure: %v", b)
	}
	vip := single(`{"context":{"targetingKey":"vip-1"}}`)
	if vip["variant"] != "__t1__" || vip["reason"] != "TARGETING_MATCH" || vip["value"] != true || vip["metadata"].(map[string]any)["color"] != "blue" {
		t.Fatalf("override: %v", vip)
	}
	exposure := 100.0
	if _, err := s.Service().UpdateExperimentRun(ctx, scope(), w.app, w.defID, run.Run, service.UpdateExperimentRunInput{ExposurePercentage: &exposure}); err != nil {
		t.Fatal(err)
	}
	w.step()
	tag := newTag("exposure raised")
	b := single(user0)
	variant, _ := b["variant"].(string)
	if !strings.HasPrefix(variant, "__") || b["reason"] != "SPLIT" || b["value"] != true {
		t.Fatalf("assigned: %v", b)
	}
	attr := ofrepPost(t, base+"/checkout.color", user0)
	if want := map[string]string{"__c__": "grey", "__t1__": "blue", "__t2__": "red"}[variant]; attr.body["value"] != want {
		t.Fatalf("checkout.color for %s: %s", variant, attr.raw)
	}
	if other := bulkTag("another context (outside the audience)", `{"context":{"targetingKey":"user-1","plan":"free"}}`); other == tag {
		t.Fatal("two contexts share one bulk ETag")
	}
	if _, err := s.Service().UpdateExperimentRun(ctx, scope(), w.app, w.defID, run.Run, service.UpdateExperimentRunInput{Overrides: map[string]string{"vip-1": "t2"}}); err != nil {
		t.Fatal(err)
	}
	w.step()
	newTag("overrides updated")
	w.stopRun(t, run.Run)
	newTag("run stopped")
	pushed("exposure raised")
	pushed("overrides updated")
	pushed("run stopped")
	if b := single(user0); b["variant"] != "off" || b["reason"] != "DEFAULT" {
		t.Fatalf("after Stop: %v", b)
	}
}

// Two replicas on one PostgreSQL: a run started, updated and stopped on A
// changes what B serves (the environment topic over LISTEN/NOTIFY), and
// both give every one of 2,000 entities the same treatment.
func TestReplicasServeTheSameTreatments(t *testing.T) {
	dsn := pgtest.FreshDatabase(t)
	onPG := func(c *server.Config) { c.Store = dsn }
	a, b := Start(t, onPG), Start(t, onPG)
	w := newExpWorld(t, a.URL, a.Client(), a.Service(), settleReal(t))
	waitFor(t, "B to serve the deployed flag", 10*time.Second, func() bool {
		return agentFlag(t, b.URL, "checkout", "vip-1", "plan=free") == deployedOff
	})
	run := w.startRun(t, 100, map[string]string{"vip-1": "t2", "vip-2": "c"})
	waitFor(t, "B to serve the run", 10*time.Second, func() bool {
		return agentFlag(t, b.URL, "checkout", "vip-1", "plan=free").Variant == "__t2__"
	})
	onA, onB := assignments(t, a.URL), assignments(t, b.URL)
	checkRunning(t, onA)
	if !sameAnswers(onA, onB) {
		t.Fatal("replicas A and B assign entities differently")
	}
	w.stopRun(t, run.Run)
	waitFor(t, "B to stop serving the run", 10*time.Second, func() bool {
		return agentFlag(t, b.URL, "checkout", "vip-1", "plan=free") == deployedOff
	})
	for id, ans := range assignments(t, b.URL) {
		if ans != deployedOff {
			t.Fatalf("after Stop, B gives %s %+v", id, ans)
		}
	}
}

// restJSON sends an unsigned REST-JSON request (open mode: the default
// account) and decodes the answer into out.
func restJSON(t *testing.T, method, url, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
}

// kill -9 during a run: after the restart every entity sees what it saw.
func TestExperimentAssignmentsSurviveKill(t *testing.T) {
	dir := t.TempDir()
	p := StartBinary(t, "--data-dir", dir)
	w := newExpWorld(t, p.URL, binaryClientAs(p.URL, "123456789012"), nil, settleReal(t))
	var def struct{ Id string }
	restJSON(t, http.MethodPost, p.URL+"/applications/"+w.app+"/experimentdefinitions", `{"Name":"colors","ConfigurationProfileIdentifier":"flags",
		"EnvironmentIdentifier":"prod","FlagKey":"checkout","AudienceRule":"(eq $plan \"pro\")",
		"Control":{"Weight":50,"FlagValue":{"Enabled":true,"AttributeValues":{"color":{"StringValue":"grey"}}}},
		"Treatments":[{"Weight":30,"FlagValue":{"Enabled":true,"AttributeValues":{"color":{"StringValue":"blue"}}}},
		{"Weight":20,"FlagValue":{"Enabled":true,"AttributeValues":{"color":{"StringValue":"red"}}}}]}`, &def)
	restJSON(t, http.MethodPost, p.URL+"/applications/"+w.app+"/experimentdefinitions/"+def.Id+"/experimentruns",
		`{"ExposurePercentage":100,"TreatmentOverrides":{"Inline":{"vip-1":"t2","vip-2":"c"}}}`, nil)
	before := assignments(t, p.URL)
	checkRunning(t, before)
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Cmd.Wait()
	// The restarted binary also logs each assignment to stderr.
	p2 := StartBinary(t, "--data-dir", dir, "--experiment-assignment-log", "stderr")
	if after := assignments(t, p2.URL); !sameAnswers(after, before) {
		t.Fatal("what entities see changed across kill -9")
	}
	waitFor(t, "the assignment log line of vip-1", 10*time.Second, func() bool {
		return strings.Contains(p2.Logs(), `"type":"AWS.AppConfig.TreatmentAssignment"`) &&
			strings.Contains(p2.Logs(), `"experimentRunNumber":"1","treatmentKey":"t2","entityId":"vip-1"}`)
	})
}

// OFREP's targetingKey places the caller in a gradual deployment exactly
// as the Agent route's Entity-Id does.
func TestEntityRolloutOnOFREP(t *testing.T) {
	s, fake := fakeServer(t)
	w := newExpWorld(t, s.URL, s.Client(), s.Service(), settleFake(t, s, fake))
	mustVersion(t, w.c, w.app, w.prof, flagDoc("yellow"))
	st, err := w.c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{Name: aws.String("half"), DeploymentDurationInMinutes: aws.Int32(10),
		GrowthType: types.GrowthTypeLinear, GrowthFactor: aws.Float32(50), FinalBakeTimeInMinutes: 0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(w.app), EnvironmentId: aws.String(w.env),
		ConfigurationProfileId: aws.String(w.prof), DeploymentStrategyId: st.Id, ConfigurationVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	for i := 0; ; i++ {
		if i == 10 {
			t.Fatal("the deployment never stood at 50 %")
		}
		d, err := w.c.GetDeployment(ctx, &sdk.GetDeploymentInput{ApplicationId: aws.String(w.app), EnvironmentId: aws.String(w.env), DeploymentNumber: aws.Int32(2)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToFloat32(d.PercentageComplete) == 50 && d.State == types.DeploymentStateDeploying {
			break
		}
		advance(t, s, fake, time.Minute)
	}
	base := s.URL + "/applications/xapp/environments/prod/configurations/flags/ofrep/v1/evaluate/flags/checkout.color"
	const n = 1000
	yellow := 0
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("entity-%d", i)
		a := ofrepPost(t, base, `{"context":{"targetingKey":"`+id+`","region":"eu"}}`)
		color, _ := a.body["value"].(string)
		if agent := agentFlag(t, s.URL, "checkout", id, "region=eu"); a.status != 200 || agent.Color != color {
			t.Fatalf("%s: OFREP %d %s, Agent route %+v", id, a.status, a.raw, agent)
		}
		if color == "yellow" {
			yellow++
		}
	}
	if share := float64(yellow) * 100 / n; math.Abs(share-50) > maxDeviation(50, n) {
		t.Fatalf("%.1f %% of entities on the new version at 50 %%", share)
	}
	t.Logf("%d of %d entities on the new version at 50 %%", yellow, n)
}
