package itest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
)

// rawJSON sends one control-plane request the Go SDK served here does not
// know (the 2026 experiment operations), unsigned (the default account in
// open mode, as binaryClient's key is), and decodes the answer.
func rawJSON(t *testing.T, method, url string, in any, wantStatus int) map[string]any {
	t.Helper()
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	out := map[string]any{}
	_ = json.Unmarshal(b, &out)
	return out
}

// deployment wait follows an experiment run's managed deployment named by
// the run event's AssociatedDeployment, and says it is MANAGED.
func TestBinaryDeploymentWaitManaged(t *testing.T) {
	p := StartBinary(t, "--data-dir", t.TempDir())
	c := binaryClient(p.URL)
	app := aws.ToString(mustApp(t, c, "app").Id)
	env, err := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	prof, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("flags"),
		LocationUri: aws.String("hosted"), Type: aws.String("AWS.AppConfig.FeatureFlags")})
	if err != nil {
		t.Fatal(err)
	}
	mustVersion(t, c, app, aws.ToString(prof.Id), `{"flags":{"checkout":{"name":"checkout"}},"values":{"checkout":{"enabled":false}},"version":"1"}`)
	f := fixture{c: c, app: app, env: aws.ToString(env.Id), prof: aws.ToString(prof.Id)}
	if _, err := f.start(f.strategy(t, 0, "LINEAR", 100, 0), "1"); err != nil {
		t.Fatal(err)
	}
	wait := func(args ...string) (int, string, string) {
		return runBinary(t, nil, append([]string{"deployment", "wait", "--endpoint-url", p.URL, "--region", "us-east-1", "--interval", "50ms", "--timeout", "30s"}, args...)...)
	}
	if code, out, errOut := wait("--application", "app", "--environment", "prod", "--deployment", "1"); code != 0 || !strings.HasPrefix(out, "deployment 1 (USER) of flags, version 1\n") {
		t.Fatalf("user deployment: exit %d\n%s%s", code, out, errOut)
	}

	base := p.URL + "/applications/" + app + "/experimentdefinitions"
	def := rawJSON(t, "POST", base, map[string]any{"Name": "exp", "ConfigurationProfileIdentifier": "flags", "EnvironmentIdentifier": "prod",
		"FlagKey": "checkout", "AudienceRule": "true", "Control": map[string]any{"Weight": 1, "FlagValue": map[string]any{"Enabled": false}},
		"Treatments": []any{map[string]any{"Weight": 1, "FlagValue": map[string]any{"Enabled": true}}}}, 201)
	runs := base + "/" + def["Id"].(string) + "/experimentruns"
	rawJSON(t, "POST", runs, map[string]any{"ExposurePercentage": 0, "TreatmentOverrides": map[string]any{"Inline": map[string]string{"qa": "t1"}}}, 201)
	events := rawJSON(t, "GET", runs+"/1/events", nil, 200)["Items"].([]any)
	arn, _ := events[0].(map[string]any)["AssociatedDeployment"].(string)

	code, out, errOut := wait("--deployment-arn", arn)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || errOut != "" || lines[0] != "deployment 2 (MANAGED) of flags, version 1: started by AppConfig for an experiment run" ||
		!strings.Contains(lines[1], "DEPLOYMENT_STARTED") || !strings.Contains(lines[len(lines)-1], "deployment 2 COMPLETE: version 1 of flags is served to every client; while the experiment run is RUNNING") {
		t.Fatalf("managed deployment %q: exit %d\n%s%s", arn, code, out, errOut)
	}
	if code, _, errOut := wait("--deployment-arn", arn, "--deployment", "2"); code != 2 || !strings.Contains(errOut, "leave out --application") {
		t.Fatalf("both ways of naming it: exit %d %s", code, errOut)
	}
	if code, _, errOut := wait("--deployment-arn", "arn:aws:appconfig:us-east-1:123456789012:application/"+app); code != 2 || !strings.Contains(errOut, "not a deployment ARN") {
		t.Fatalf("a bad ARN: exit %d %s", code, errOut)
	}
}
