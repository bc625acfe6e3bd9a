package itest

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"

	"github.com/appconfigd/appconfigd/internal/store/postgres/pgtest"
)

// agentGet reads the Agent route: status, Configuration-Version, body.
func agentGet(t *testing.T, base, app, env, prof string, header ...string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/applications/"+app+"/environments/"+env+"/configurations/"+prof, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Configuration-Version"), string(b)
}

// wantAgent checks one Agent-route answer (status 404: body ignored).
func wantAgent(t *testing.T, what, base, app, env, prof string, status int, body string) {
	t.Helper()
	st, _, got := agentGet(t, base, app, env, prof)
	if st != status || (status == 200 && got != body) {
		t.Fatalf("%s: %d %s, want %d %s", what, st, got, status, body)
	}
}

// The Agent route answers from memory, and every change is visible to the
// next request: deployment, rollback, renames and deletes of profile,
// environment and application.
func TestAgentRouteNeverServesStaleData(t *testing.T) {
	s, fake := fakeServer(t)
	f := newFixture(t, s.Client())
	c, u := f.c, s.URL
	deploy := func(version string, bake int32) {
		t.Helper()
		if _, err := f.start(f.strategy(t, 0, types.GrowthTypeLinear, 100, bake), version); err != nil {
			t.Fatal(err)
		}
		advance(t, s, fake, 0)
	}
	wantAgent(t, "before any deployment", u, "app", "prod", "cfg", 404, "")
	deploy("1", 0)
	advance(t, s, fake, time.Minute)
	wantAgent(t, "first deployment", u, "app", "prod", "cfg", 200, `{"v":1}`)
	deploy("2", 10)
	wantAgent(t, "second deployment, baking", u, "app", "prod", "cfg", 200, `{"v":2}`)
	if _, err := c.StopDeployment(ctx, &sdk.StopDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	wantAgent(t, "rolled back", u, "app", "prod", "cfg", 200, `{"v":1}`)
	deploy("2", 0)
	advance(t, s, fake, time.Minute)
	wantAgent(t, "deployed again", u, "app", "prod", "cfg", 200, `{"v":2}`)
	gc, err := c.GetConfiguration(ctx, //lint:ignore SA1019 the deprecated API shares the Agent route's lookup
		&sdk.GetConfigurationInput{Application: aws.String("app"), Environment: aws.String("prod"), Configuration: aws.String("cfg"), ClientId: aws.String("c1")})
	if err != nil || string(gc.Content) != `{"v":2}` {
		t.Fatalf("GetConfiguration: %v %s", err, gc.Content)
	}

	if _, err := c.UpdateConfigurationProfile(ctx, &sdk.UpdateConfigurationProfileInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof), Name: aws.String("cfg2")}); err != nil {
		t.Fatal(err)
	}
	wantAgent(t, "old profile name", u, "app", "prod", "cfg", 404, "")
	wantAgent(t, "new profile name", u, "app", "prod", "cfg2", 200, `{"v":2}`)
	_, err = c.GetConfiguration(ctx, //lint:ignore SA1019 the deprecated API shares the Agent route's lookup
		&sdk.GetConfigurationInput{Application: aws.String("app"), Environment: aws.String("prod"), Configuration: aws.String("cfg"), ClientId: aws.String("c1")})
	WantError(t, err, "ResourceNotFoundException", 404)

	if _, err := c.UpdateEnvironment(ctx, &sdk.UpdateEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	wantAgent(t, "old environment name", u, "app", "prod", "cfg2", 404, "")
	wantAgent(t, "new environment name", u, "app", "live", "cfg2", 200, `{"v":2}`)

	if _, err := c.UpdateApplication(ctx, &sdk.UpdateApplicationInput{ApplicationId: aws.String(f.app), Name: aws.String("app2")}); err != nil {
		t.Fatal(err)
	}
	wantAgent(t, "old application name", u, "app", "live", "cfg2", 404, "")
	wantAgent(t, "new application name", u, "app2", "live", "cfg2", 200, `{"v":2}`)
	wantAgent(t, "by IDs", u, f.app, f.env, f.prof, 200, `{"v":2}`)

	for _, n := range []int32{1, 2} {
		if _, err := c.DeleteHostedConfigurationVersion(ctx, &sdk.DeleteHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof), VersionNumber: aws.Int32(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteConfigurationProfile(ctx, &sdk.DeleteConfigurationProfileInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof), DeletionProtectionCheck: types.DeletionProtectionCheckBypass}); err != nil {
		t.Fatal(err)
	}
	wantAgent(t, "deleted profile", u, f.app, f.env, f.prof, 404, "")
	if _, err := c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeletionProtectionCheck: types.DeletionProtectionCheckBypass}); err != nil {
		t.Fatal(err)
	}
	wantAgent(t, "deleted environment", u, "app2", "live", "cfg2", 404, "")
}

// Flags are evaluated on the compiled form of the deployed version:
// a new deployment changes the answer at once; Entity-Id is $targetingKey.
func TestAgentRouteEvaluatesTheDeployedFlags(t *testing.T) {
	s, fake := fakeServer(t)
	c := s.Client()
	app := aws.ToString(mustApp(t, c, "fapp").Id)
	env, _ := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("prod")})
	p, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("flags"),
		LocationUri: aws.String("hosted"), Type: aws.String("AWS.AppConfig.FeatureFlags")})
	if err != nil {
		t.Fatal(err)
	}
	deploy := func(color string) {
		t.Helper()
		doc := `{"version":"1","flags":{"b":{"name":"B","attributes":{"color":{"constraints":{"type":"string"}}}}},"values":{"b":{"_variants":[` +
			`{"name":"pinned","enabled":true,"rule":"(eq $targetingKey \"user-7\")","attributeValues":{"color":"` + color + `"}},` +
			`{"name":"rest","enabled":false}]}}}`
		v, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: p.Id,
			Content: []byte(doc), ContentType: aws.String("application/json")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, ConfigurationProfileId: p.Id,
			DeploymentStrategyId: aws.String("AppConfig.AllAtOnce"), ConfigurationVersion: aws.String(string(rune('0' + v.VersionNumber)))}); err != nil {
			t.Fatal(err)
		}
		advance(t, s, fake, 0)
		advance(t, s, fake, 11*time.Minute)
	}
	check := func(what string, want string, header ...string) {
		t.Helper()
		st, _, body := agentGet(t, s.URL, "fapp", "prod", "flags?flag=b", header...)
		if st != 200 || body != want {
			t.Fatalf("%s: %d %s, want %s", what, st, body, want)
		}
	}
	deploy("red")
	check("no entity", `{"_variant":"rest","enabled":false}`)
	check("entity", `{"_variant":"pinned","color":"red","enabled":true}`, "Entity-Id", "user-7")
	check("context targetingKey", `{"_variant":"pinned","color":"red","enabled":true}`, "Context", "targetingKey=user-7")
	check("other entity", `{"_variant":"rest","enabled":false}`, "Entity-Id", "user-8")
	// AppConfig's entity IDs have 1–2048 characters.
	check("longest entity", `{"_variant":"rest","enabled":false}`, "Entity-Id", strings.Repeat("e", 2048))
	if st, _, body := agentGet(t, s.URL, "fapp", "prod", "flags?flag=b", "Entity-Id", strings.Repeat("e", 2049)); st != 400 || !strings.Contains(body, "2049 characters") {
		t.Fatalf("Entity-Id of 2049 characters: %d %s", st, body)
	}
	deploy("blue")
	check("after the second deployment", `{"_variant":"pinned","color":"blue","enabled":true}`, "Entity-Id", "user-7")
}

// Two replicas on one PostgreSQL: B's Agent route follows what A does,
// through LISTEN/NOTIFY. Real time (scale 1), so B's 30 s refresh
// backstop cannot be what makes a change visible within the 10 s waits.
func TestReplicasAgentRouteFollowsChanges(t *testing.T) {
	dsn := pgtest.FreshDatabase(t)
	a, b := replica(t, dsn), replica(t, dsn)
	f := newFixture(t, binaryClient(a.URL))
	strategy := func(bake int32) *string {
		s, err := f.c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{Name: aws.String("now"), DeploymentDurationInMinutes: aws.Int32(0),
			GrowthFactor: aws.Float32(100), FinalBakeTimeInMinutes: bake})
		if err != nil {
			t.Fatal(err)
		}
		return s.Id
	}
	now, baking := strategy(0), strategy(60)
	serves := func(what, app, env, prof string, status int, body string) {
		t.Helper()
		waitFor(t, what+" on replica B", 10*time.Second, func() bool {
			st, _, got := agentGet(t, b.URL, app, env, prof)
			return st == status && (status != 200 || got == body)
		})
	}
	wantAgent(t, "nothing deployed, on B", b.URL, "app", "prod", "cfg", 404, "")
	if _, err := f.start(aws.ToString(now), "1"); err != nil {
		t.Fatal(err)
	}
	serves("the first deployment", "app", "prod", "cfg", 200, `{"v":1}`)
	waitFor(t, "deployment 1 to complete", 30*time.Second, func() bool { return f.get(t, 1).State == types.DeploymentStateComplete })
	if _, err := f.start(aws.ToString(baking), "2"); err != nil {
		t.Fatal(err)
	}
	serves("the second deployment", "app", "prod", "cfg", 200, `{"v":2}`)
	if _, err := f.c.StopDeployment(ctx, &sdk.StopDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	serves("the rollback", "app", "prod", "cfg", 200, `{"v":1}`)
	if _, err := f.c.UpdateConfigurationProfile(ctx, &sdk.UpdateConfigurationProfileInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof), Name: aws.String("cfg2")}); err != nil {
		t.Fatal(err)
	}
	serves("the profile's old name gone", "app", "prod", "cfg", 404, "")
	serves("the profile's new name", "app", "prod", "cfg2", 200, `{"v":1}`)
	if _, err := f.c.UpdateEnvironment(ctx, &sdk.UpdateEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	serves("the environment's old name gone", "app", "prod", "cfg2", 404, "")
	if _, err := f.c.UpdateApplication(ctx, &sdk.UpdateApplicationInput{ApplicationId: aws.String(f.app), Name: aws.String("app2")}); err != nil {
		t.Fatal(err)
	}
	serves("the application's old name gone", "app", "live", "cfg2", 404, "")
	serves("all new names", "app2", "live", "cfg2", 200, `{"v":1}`)
	if _, err := f.c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeletionProtectionCheck: types.DeletionProtectionCheckBypass}); err != nil {
		t.Fatal(err)
	}
	serves("the deleted environment", f.app, f.env, f.prof, 404, "")
}
