package itest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"

	"github.com/appconfigd/appconfigd/internal/featureflag"
)

// The Go SDK's appconfigdata client is not available here, so the data
// plane is driven over plain HTTP in Go tests (and with boto3 in
// test/compat/dataplane_test.py).

type poll struct {
	status   int
	body     []byte
	token    string
	interval string
	ctype    string
	label    string
	errType  string
	errBody  map[string]any
}

func startSession(t *testing.T, base, app, env, prof string, minInterval int) (string, poll) {
	t.Helper()
	body := map[string]any{"ApplicationIdentifier": app, "EnvironmentIdentifier": env, "ConfigurationProfileIdentifier": prof}
	if minInterval > 0 {
		body["RequiredMinimumPollIntervalInSeconds"] = minInterval
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/configurationsessions", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	p := readPoll(t, resp)
	if p.status != 201 {
		return "", p
	}
	var out struct{ InitialConfigurationToken string }
	json.Unmarshal(p.body, &out)
	return out.InitialConfigurationToken, p
}

func getLatest(t *testing.T, base, token string) poll {
	t.Helper()
	return getLatestAccepting(t, base, token, "")
}

// getLatestAccepting polls with an Accept header (none when empty).
func getLatestAccepting(t *testing.T, base, token, accept string) poll {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/configuration?configuration_token="+url.QueryEscape(token), nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readPoll(t, resp)
}

func readPoll(t *testing.T, resp *http.Response) poll {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := poll{status: resp.StatusCode, body: b, token: resp.Header.Get("Next-Poll-Configuration-Token"),
		interval: resp.Header.Get("Next-Poll-Interval-In-Seconds"), ctype: resp.Header.Get("Content-Type"),
		label: resp.Header.Get("Version-Label"), errType: resp.Header.Get("X-Amzn-ErrorType")}
	if resp.StatusCode >= 400 {
		json.Unmarshal(b, &p.errBody)
	}
	return p
}

func problemOf(p poll) string {
	d, _ := p.errBody["Details"].(map[string]any)
	ip, _ := d["InvalidParameters"].(map[string]any)
	tok, _ := ip["ConfigurationToken"].(map[string]any)
	s, _ := tok["Problem"].(string)
	return s
}

func (f fixture) complete(t *testing.T, s *Server, version string) {
	t.Helper()
	d, err := f.start("AppConfig.AllAtOnce", version)
	if err != nil {
		t.Fatal(err)
	}
	advance(t, s, s.fake(), 0)
	advance(t, s, s.fake(), 10*time.Minute)
	if got := f.get(t, d.DeploymentNumber); got.State != types.DeploymentStateComplete {
		t.Fatalf("deployment %d is %s", d.DeploymentNumber, got.State)
	}
}

func TestSessionPollingAndTokens(t *testing.T) {
	s, fake := fakeServer(t)
	f := newFixture(t, s.Client())
	// Nothing deployed yet: the session starts, the poll says so.
	tok, p := startSession(t, s.URL, "app", "prod", "cfg", 0)
	if p.status != 201 || tok == "" {
		t.Fatalf("start: %d %s", p.status, p.body)
	}
	p = getLatest(t, s.URL, tok)
	if p.status != 404 || p.errType != "ResourceNotFoundException" || p.errBody["ResourceType"] != "Deployment" {
		t.Fatalf("poll before any deployment: %d %s", p.status, p.body)
	}
	f.complete(t, s, "1")
	// The failed poll did not use the token up.
	p = getLatest(t, s.URL, tok)
	if p.status != 200 || string(p.body) != `{"v":1}` || p.ctype != "application/json" || p.interval != "60" || p.token == "" {
		t.Fatalf("first poll: %d %q type %q interval %q", p.status, p.body, p.ctype, p.interval)
	}
	// Reuse of a token.
	again := getLatest(t, s.URL, tok)
	if again.status != 400 || again.errType != "BadRequestException" || again.errBody["Message"] != "Token not valid" {
		t.Fatalf("reused token: %d %s", again.status, again.body)
	}
	// Too early, then an unchanged answer with an empty body.
	early := getLatest(t, s.URL, p.token)
	if early.status != 400 || early.errBody["Message"] != "Request too early" || problemOf(early) != "PollIntervalNotSatisfied" || early.errBody["Reason"] != "InvalidParameters" {
		t.Fatalf("early poll: %d %s", early.status, early.body)
	}
	fake.Advance(15 * time.Second)
	p2 := getLatest(t, s.URL, p.token)
	if p2.status != 200 || len(p2.body) != 0 || p2.token == "" || p2.token == p.token {
		t.Fatalf("unchanged poll: %d %q", p2.status, p2.body)
	}
	// A new version reaches the session, with its label.
	if _, err := f.c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
		Content: []byte("key=3"), ContentType: aws.String("text/plain"), VersionLabel: aws.String("v3.0")}); err != nil {
		t.Fatal(err)
	}
	f.complete(t, s, "v3.0")
	fake.Advance(time.Minute)
	p3 := getLatest(t, s.URL, p2.token)
	if p3.status != 200 || string(p3.body) != "key=3" || p3.ctype != "text/plain" || p3.label != "v3.0" {
		t.Fatalf("poll after the new deployment: %d %q %q %q", p3.status, p3.body, p3.ctype, p3.label)
	}
	// Tampered, foreign-account and expired tokens.
	bad := getLatest(t, s.URL, p3.token[:len(p3.token)-2]+"AA")
	if bad.status != 400 || problemOf(bad) != "Corrupted" {
		t.Fatalf("tampered token: %d %s", bad.status, bad.body)
	}
	req, _ := http.NewRequest("GET", s.URL+"/configuration?configuration_token="+url.QueryEscape(p3.token), nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=999999999999/20260301/us-east-1/appconfig/aws4_request, SignedHeaders=host, Signature=00")
	resp, _ := http.DefaultClient.Do(req)
	if foreign := readPoll(t, resp); foreign.status != 400 || problemOf(foreign) != "Corrupted" {
		t.Fatalf("another account's token: %d %s", foreign.status, foreign.body)
	}
	fake.Advance(24*time.Hour + time.Second)
	expired := getLatest(t, s.URL, p3.token)
	if expired.status != 400 || problemOf(expired) != "Expired" {
		t.Fatalf("expired token: %d %s", expired.status, expired.body)
	}
}

func TestSessionParameters(t *testing.T) {
	s, fake := fakeServer(t)
	f := newFixture(t, s.Client())
	f.complete(t, s, "1")
	tok, _ := startSession(t, s.URL, f.app, f.env, f.prof, 30)
	p := getLatest(t, s.URL, tok)
	if p.status != 200 || p.interval != "30" {
		t.Fatalf("interval %q (%d)", p.interval, p.status)
	}
	fake.Advance(20 * time.Second)
	if e := getLatest(t, s.URL, p.token); e.status != 400 || problemOf(e) != "PollIntervalNotSatisfied" {
		t.Fatalf("poll at 20s of 30: %d %s", e.status, e.body)
	}
	fake.Advance(10 * time.Second)
	if ok := getLatest(t, s.URL, p.token); ok.status != 200 {
		t.Fatalf("poll at 30s: %d %s", ok.status, ok.body)
	}
	for _, bad := range []int{14, 86401} {
		if _, p := startSession(t, s.URL, f.app, f.env, f.prof, bad); p.status != 400 || p.errType != "BadRequestException" {
			t.Fatalf("interval %d: %d %s", bad, p.status, p.body)
		}
	}
	for _, tc := range []struct{ app, env, prof, typ, param string }{
		{"nope", "prod", "cfg", "Application", "ApplicationIdentifier"},
		{"app", "nope", "cfg", "Environment", "EnvironmentIdentifier"},
		{"app", "prod", "nope", "ConfigurationProfile", "ConfigurationProfileIdentifier"},
	} {
		_, p := startSession(t, s.URL, tc.app, tc.env, tc.prof, 0)
		ref, _ := p.errBody["ReferencedBy"].(map[string]any)
		if p.status != 404 || p.errBody["ResourceType"] != tc.typ || ref[tc.param] != "nope" {
			t.Fatalf("%+v: %d %s", tc, p.status, p.body)
		}
	}
	if p := getLatest(t, s.URL, ""); p.status != 400 {
		t.Fatalf("missing token: %d", p.status)
	}
}

// TestRolloutSplit checks, with many sessions, that the share served the
// new version follows the deployment's percentage, that no session ever
// moves back while the deployment proceeds, and that a rollback returns
// everyone to the previous version.
func TestRolloutSplit(t *testing.T) {
	s, fake := fakeServer(t)
	f := newFixture(t, s.Client())
	f.complete(t, s, "1")
	const n = 2000
	tokens := make([]string, n)
	onNew := make([]bool, n)
	for i := range tokens {
		tokens[i], _ = startSession(t, s.URL, f.app, f.env, f.prof, 15)
		p := getLatest(t, s.URL, tokens[i])
		if p.status != 200 || string(p.body) != `{"v":1}` {
			t.Fatalf("session %d before the rollout: %d %q", i, p.status, p.body)
		}
		tokens[i] = p.token
	}
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeLinear, 10, 0), "2"); err != nil {
		t.Fatal(err)
	}
	started := fake.Now()
	pollAll := func() int {
		count := 0
		for i := range tokens {
			p := getLatest(t, s.URL, tokens[i])
			if p.status != 200 {
				t.Fatalf("session %d: %d %s", i, p.status, p.body)
			}
			tokens[i] = p.token
			switch string(p.body) {
			case `{"v":2}`:
				onNew[i] = true
			case `{"v":1}`:
				if !onNew[i] {
					t.Fatalf("session %d was sent v1 again without a change", i)
				}
				onNew[i] = false
			case "":
			default:
				t.Fatalf("session %d got %q", i, p.body)
			}
			if onNew[i] {
				count++
			}
		}
		return count
	}
	prev := 0
	for _, minute := range []int{2, 3, 4, 6} {
		// Steps of 10 % at k·10/11 minutes.
		fake.Set(started.Add(time.Duration(minute) * time.Minute))
		s.Runner().RunDue(ctx)
		pct := aws.ToFloat32(f.get(t, 2).PercentageComplete)
		count := pollAll()
		share := float64(count) / n * 100
		// Binomial spread at n=2000 is at most 1.1 points; allow 4.5.
		if share < float64(pct)-4.5 || share > float64(pct)+4.5 {
			t.Fatalf("at %v%% the new version reached %.1f%% of sessions", pct, share)
		}
		if count < prev {
			t.Fatalf("sessions on the new version went from %d to %d", prev, count)
		}
		prev = count
	}
	if _, err := f.c.StopDeployment(ctx, &sdk.StopDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	s.Runner().RunDue(ctx)
	fake.Advance(15 * time.Second)
	moved := 0
	for i := range tokens {
		was := onNew[i]
		p := getLatest(t, s.URL, tokens[i])
		tokens[i] = p.token
		if was && string(p.body) != `{"v":1}` {
			t.Fatalf("session %d on v2 got %q after the rollback", i, p.body)
		}
		if !was && len(p.body) != 0 {
			t.Fatalf("session %d on v1 was sent %q after the rollback", i, p.body)
		}
		if was {
			moved++
		}
	}
	if moved != prev {
		t.Fatalf("%d sessions moved back, %d were on v2", moved, prev)
	}
}

func TestFeatureFlagsEndToEnd(t *testing.T) {
	s, fake := fakeServer(t)
	c := s.Client()
	app := aws.ToString(mustApp(t, c, "flags-app").Id)
	env, _ := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("prod")})
	prof, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("flags"),
		LocationUri: aws.String("hosted"), Type: aws.String("AWS.AppConfig.FeatureFlags")})
	if err != nil {
		t.Fatal(err)
	}
	create := func(doc string) (*sdk.CreateHostedConfigurationVersionOutput, error) {
		return c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: prof.Id,
			Content: []byte(doc), ContentType: aws.String("application/json")})
	}
	for _, bad := range []struct{ doc, location string }{
		{`{"version":"1","flags":`, ""},
		{`{"version":"2","flags":{},"values":{}}`, "/version"},
		{`{"version":"1","flags":{"Bad":{"name":"x"}},"values":{}}`, "/flags/Bad"},
		{`{"version":"1","flags":{"beta":{"name":"Beta","attributes":{"color":{"constraints":{"type":"string","enum":["red","blue"]}}}}},"values":{"beta":{"enabled":true,"color":"green"}}}`, "/values/beta/color"},
	} {
		_, err := create(bad.doc)
		WantError(t, err, "BadRequestException", 400)
		var br *types.BadRequestException
		if !errors.As(err, &br) || br.Reason != types.BadRequestReasonInvalidConfiguration {
			t.Fatalf("%s: %v", bad.doc, err)
		}
		details, _ := br.Details.(*types.BadRequestDetailsMemberInvalidConfiguration)
		if details == nil || len(details.Value) == 0 || (bad.location != "" && aws.ToString(details.Value[0].Location) != bad.location) {
			t.Fatalf("%s: details %#v", bad.doc, br.Details)
		}
	}
	doc := `{"version":"1","flags":{"beta":{"name":"Beta","attributes":{"color":{"constraints":{"type":"string","enum":["red","blue"]}}}},"dark":{"name":"Dark mode"}},` +
		`"values":{"beta":{"enabled":true,"color":"red"},"dark":{"enabled":false}}}`
	v, err := create(doc)
	if err != nil {
		t.Fatal(err)
	}
	var stored map[string]any
	if err := json.Unmarshal(v.Content, &stored); err != nil {
		t.Fatal(err)
	}
	flags := stored["flags"].(map[string]any)
	if _, ok := flags["beta"].(map[string]any)["_createdAt"]; !ok {
		t.Fatalf("stored document lacks _createdAt: %s", v.Content)
	}
	if _, err := c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, ConfigurationProfileId: prof.Id,
		DeploymentStrategyId: aws.String("AppConfig.AllAtOnce"), ConfigurationVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	tok, _ := startSession(t, s.URL, "flags-app", "prod", "flags", 0)
	p := getLatest(t, s.URL, tok)
	if p.status != 200 || p.ctype != "application/json" {
		t.Fatalf("poll: %d %s", p.status, p.body)
	}
	if string(p.body) != `{"beta":{"color":"red","enabled":true},"dark":{"enabled":false}}` {
		t.Fatalf("client view %s", p.body)
	}
	// The deprecated API refuses feature flags, with AWS's words.
	//lint:ignore SA1019 the deprecated API is tested on purpose
	_, err = c.GetConfiguration(ctx, &sdk.GetConfigurationInput{Application: aws.String(app), Environment: env.Id, Configuration: prof.Id, ClientId: aws.String("c1")})
	WantError(t, err, "BadRequestException", 400)
	if !strings.Contains(err.Error(), "Feature flag configurations must be accessed via AWS AppConfig Data's GetLatestConfiguration API.") {
		t.Fatalf("message: %v", err)
	}
}

// A configuration with a multi-variant flag: SDK callers get JSON with the
// default variants; a caller that accepts the Agent's Ion type gets the
// variants and their rules to evaluate itself.
func TestMultiVariantFlagsAsIonForTheAgent(t *testing.T) {
	s, fake := fakeServer(t)
	c := s.Client()
	app := aws.ToString(mustApp(t, c, "mv-app").Id)
	env, _ := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("prod")})
	prof, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("flags"),
		LocationUri: aws.String("hosted"), Type: aws.String("AWS.AppConfig.FeatureFlags")})
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"version":"1","flags":{"button":{"name":"Button","attributes":{"color":{"constraints":{"type":"string"}}}},"simple":{"name":"Simple"}},` +
		`"values":{"simple":{"enabled":true},"button":{"enabled":true,"_variants":[` +
		`{"name":"Beta","enabled":true,"rule":"(contains $userId \"beta\")","attributeValues":{"color":"blue"}},` +
		`{"name":"default","enabled":true,"attributeValues":{"color":"green"}}]}}}`
	if _, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: prof.Id,
		Content: []byte(doc), ContentType: aws.String("application/json"), VersionLabel: aws.String("mv1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, ConfigurationProfileId: prof.Id,
		DeploymentStrategyId: aws.String("AppConfig.AllAtOnce"), ConfigurationVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)

	wantJSON := `{"button":{"color":"green","enabled":true},"simple":{"enabled":true}}`
	wantIon := `'button'::[
  [(contains $userId "beta"), '''{"_variant":"Beta","color":"blue","enabled":true}'''],
  '''{"_variant":"default","color":"green","enabled":true}'''
]
'simple'::'''{"enabled":true}'''
`
	tok, _ := startSession(t, s.URL, "mv-app", "prod", "flags", 0)
	p := getLatest(t, s.URL, tok)
	if p.status != 200 || p.ctype != "application/json" || string(p.body) != wantJSON {
		t.Fatalf("SDK poll: %d %s %s", p.status, p.ctype, p.body)
	}
	tok, _ = startSession(t, s.URL, "mv-app", "prod", "flags", 0)
	p = getLatestAccepting(t, s.URL, tok, "application/ion;type=AWS.AppConfig.FeatureFlags;q=1.0,*/*;q=0.1")
	if p.status != 200 || p.ctype != featureflag.IonContentType || string(p.body) != wantIon || p.label != "mv1" {
		t.Fatalf("Agent poll: %d %q %q\n%s", p.status, p.ctype, p.label, p.body)
	}
	// Nothing new for the same representation; the other one is new.
	fake.Advance(15 * time.Second)
	p = getLatestAccepting(t, s.URL, p.token, featureflag.IonContentType)
	if p.status != 200 || len(p.body) != 0 {
		t.Fatalf("second Agent poll: %d %s", p.status, p.body)
	}
	fake.Advance(15 * time.Second)
	p = getLatest(t, s.URL, p.token)
	if p.status != 200 || string(p.body) != wantJSON {
		t.Fatalf("poll without Accept after Ion: %d %s", p.status, p.body)
	}
}

func TestGetConfigurationDeprecated(t *testing.T) {
	s, _ := fakeServer(t)
	f := newFixture(t, s.Client())
	_, err := f.c.GetConfiguration(ctx, //lint:ignore SA1019 the deprecated API is tested on purpose
		&sdk.GetConfigurationInput{Application: aws.String("app"), Environment: aws.String("prod"), Configuration: aws.String("cfg"), ClientId: aws.String("c1")})
	WantError(t, err, "ResourceNotFoundException", 404)
	f.complete(t, s, "2")
	out, err := f.c.GetConfiguration(ctx, //lint:ignore SA1019 the deprecated API is tested on purpose
		&sdk.GetConfigurationInput{Application: aws.String("app"), Environment: aws.String("prod"), Configuration: aws.String("cfg"), ClientId: aws.String("c1")})
	if err != nil || string(out.Content) != `{"v":2}` || aws.ToString(out.ConfigurationVersion) != "2" || aws.ToString(out.ContentType) != "application/json" {
		t.Fatalf("GetConfiguration %+v %v", out, err)
	}
	out, err = f.c.GetConfiguration(ctx, //lint:ignore SA1019 the deprecated API is tested on purpose
		&sdk.GetConfigurationInput{Application: aws.String(f.app), Environment: aws.String(f.env), Configuration: aws.String(f.prof),
			ClientId: aws.String("c1"), ClientConfigurationVersion: aws.String("2")})
	if err != nil || len(out.Content) != 0 || aws.ToString(out.ConfigurationVersion) != "2" {
		t.Fatalf("client already current: %+v %v", out, err)
	}
	_, err = f.c.GetConfiguration(ctx, //lint:ignore SA1019 the deprecated API is tested on purpose
		&sdk.GetConfigurationInput{Application: aws.String("app"), Environment: aws.String("nope"), Configuration: aws.String("cfg"), ClientId: aws.String("c1")})
	WantError(t, err, "ResourceNotFoundException", 404)
}

func TestReadsFeedDeletionProtection(t *testing.T) {
	s, _ := fakeServer(t)
	f := newFixture(t, s.Client())
	f.complete(t, s, "1")
	if _, err := f.c.UpdateAccountSettings(ctx, &sdk.UpdateAccountSettingsInput{DeletionProtection: &types.DeletionProtectionSettings{Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	tok, _ := startSession(t, s.URL, f.app, f.env, f.prof, 0)
	if p := getLatest(t, s.URL, tok); p.status != 200 {
		t.Fatalf("poll %d", p.status)
	}
	if err := s.Service().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := f.c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeletionProtectionCheck: types.DeletionProtectionCheckApply})
	WantError(t, err, "BadRequestException", 400)
	if !strings.Contains(err.Error(), "is actively being used") {
		t.Fatalf("message %v", err)
	}
	// ACCOUNT_DEFAULT spares resources younger than an hour (tested in
	// TestAccountSettingsAndDeletionProtection); once older, it refuses
	// too while they are in use.
	s.fake().Advance(2 * time.Hour)
	tok2, _ := startSession(t, s.URL, f.app, f.env, f.prof, 0)
	if p := getLatest(t, s.URL, tok2); p.status != 200 {
		t.Fatalf("poll %d", p.status)
	}
	_, err = f.c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env)})
	WantError(t, err, "BadRequestException", 400)
	if !strings.Contains(err.Error(), "is actively being used") {
		t.Fatalf("ACCOUNT_DEFAULT on an old, used environment: %v", err)
	}
	// After the protection period, it can go.
	s.fake().Advance(61 * time.Minute)
	if _, err := f.c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeletionProtectionCheck: types.DeletionProtectionCheckApply}); err != nil {
		t.Fatal(err)
	}
}

// The AppConfig Agent's local API on the same port: plain GETs without
// client_id, flags evaluated with the Context headers, ?flag= narrowing.
func TestAgentLocalAPI(t *testing.T) {
	s, fake := fakeServer(t)
	c := s.Client()
	app := aws.ToString(mustApp(t, c, "agent-app").Id)
	env, _ := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("prod")})
	profile := func(name, typ string) *string {
		in := &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String(name), LocationUri: aws.String("hosted")}
		if typ != "" {
			in.Type = aws.String(typ)
		}
		p, err := c.CreateConfigurationProfile(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return p.Id
	}
	deploy := func(prof *string, body, label string) {
		if _, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: prof,
			Content: []byte(body), ContentType: aws.String("application/json"), VersionLabel: aws.String(label)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, ConfigurationProfileId: prof,
			DeploymentStrategyId: aws.String("AppConfig.AllAtOnce"), ConfigurationVersion: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
		advance(t, s, fake, 0)
		advance(t, s, fake, 10*time.Minute)
	}
	deploy(profile("cfg", ""), `{"retries":3}`, "cfg-v1")
	deploy(profile("flags", "AWS.AppConfig.FeatureFlags"), `{"version":"1","flags":{"button":{"name":"Button","attributes":{"color":{"constraints":{"type":"string"}}}},"simple":{"name":"Simple"}},`+
		`"values":{"simple":{"enabled":true},"button":{"enabled":true,"_variants":[`+
		`{"name":"Beta","enabled":true,"rule":"(and (contains $userId \"beta\") (eq $country \"FR\"))","attributeValues":{"color":"blue"}},`+
		`{"name":"default","enabled":true,"attributeValues":{"color":"green"}}]}}}`, "flags-v1")

	get := func(path string, context ...string) (int, http.Header, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
		if err != nil {
			t.Fatal(err)
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
		return resp.StatusCode, resp.Header, string(b)
	}
	base := "/applications/agent-app/environments/prod/configurations/"

	st, h, body := get(base + "cfg")
	if st != 200 || body != `{"retries":3}` || h.Get("Content-Type") != "application/json" || h.Get("Configuration-Version") != "1" || h.Get("Version-Label") != "cfg-v1" {
		t.Fatalf("plain configuration: %d %v %s", st, h, body)
	}
	if st, _, body := get(base + "cfg?flag=x"); st != 400 {
		t.Fatalf("?flag on a freeform profile: %d %s", st, body)
	}

	const def = `{"button":{"_variant":"default","color":"green","enabled":true},"simple":{"enabled":true}}`
	const beta = `{"button":{"_variant":"Beta","color":"blue","enabled":true},"simple":{"enabled":true}}`
	for _, tc := range []struct {
		context []string
		want    string
	}{
		{nil, def},
		{[]string{"userId=beta-7"}, def},
		{[]string{"userId=beta-7,country=FR"}, beta},
		{[]string{"userId=beta-7", "country=FR"}, beta},
		{[]string{"userId=alpha", "country=FR"}, def},
	} {
		st, h, body := get(base+"flags", tc.context...)
		if st != 200 || body != tc.want || h.Get("Content-Type") != "application/json" || h.Get("Version-Label") != "flags-v1" {
			t.Errorf("flags with context %q: %d %s, want %s", tc.context, st, body, tc.want)
		}
	}
	if st, _, body := get(base+"flags?flag=button", "userId=beta-1,country=FR"); st != 200 || body != `{"_variant":"Beta","color":"blue","enabled":true}` {
		t.Errorf("one flag: %d %s", st, body)
	}
	if st, _, body := get(base + "flags?flag=simple&flag=button"); st != 200 || body != def {
		t.Errorf("two flags: %d %s", st, body)
	}
	if st, _, body := get(base + "flags?flag=nope"); st != 404 || !strings.Contains(body, "nope") {
		t.Errorf("unknown flag: %d %s", st, body)
	}
	if st, _, body := get(base+"flags", "no-equals-sign"); st != 400 {
		t.Errorf("bad context: %d %s", st, body)
	}
	if st, _, body := get("/applications/nope/environments/prod/configurations/cfg"); st != 404 || !strings.Contains(body, "ResourceNotFoundException") {
		t.Errorf("unknown application: %d %s", st, body)
	}
	// With client_id it is still the deprecated GetConfiguration.
	if st, _, body := get(base + "flags?client_id=c1"); st != 400 || !strings.Contains(body, "GetLatestConfiguration") {
		t.Errorf("deprecated GetConfiguration on flags: %d %s", st, body)
	}
}

// A poll token has exactly one spelling: every one-character change of a
// real token, unused or already used, is refused through the data plane
// (before the change, the last character's unused bits could be flipped
// to spend a single-use token again).
func TestTokenVariantsRefused(t *testing.T) {
	s, _ := fakeServer(t)
	f := newFixture(t, s.Client())
	f.complete(t, s, "1")
	tok, p := startSession(t, s.URL, "app", "prod", "cfg", 0)
	if p.status != 201 {
		t.Fatalf("start: %d %s", p.status, p.body)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	variants := func(s string) []string {
		var out []string
		for i := range s {
			j := strings.IndexByte(alphabet, s[i])
			out = append(out, s[:i]+string(alphabet[j^1])+s[i+1:])
		}
		return out
	}
	check := func(what string, vs []string) {
		t.Helper()
		for i, v := range vs {
			if r := getLatest(t, s.URL, v); r.status != 400 || r.errType != "BadRequestException" {
				t.Fatalf("%s token with character %d changed: %d %s", what, i, r.status, r.body)
			}
		}
	}
	check("unused", variants(tok))
	// The refusals did not spend the token.
	first := getLatest(t, s.URL, tok)
	if first.status != 200 || string(first.body) != `{"v":1}` {
		t.Fatalf("first poll: %d %s", first.status, first.body)
	}
	check("used", variants(tok))
}
