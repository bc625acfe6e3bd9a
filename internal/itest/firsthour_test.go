package itest

// The first hour of a new user, through the real binary: help, deployment
// wait against a running server with a bake, the server's log of a
// deployment and of failed requests, a seed's YAML error, and the reseed
// on reset.

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"

	"github.com/appconfigd/appconfigd/internal/testutil"
)

// runBinary runs the built appconfigd with args and returns its exit
// status, stdout and stderr.
func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=x", "AWS_EC2_METADATA_DISABLED=true")
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errOut.String()
	}
	t.Fatal(err)
	return 0, "", ""
}

func TestBinaryHelpAndUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"help", "serve"}, {"help", "deployment", "wait"}, {"help", "healthcheck"}, {"help", "version"}} {
		code, out, errOut := runBinary(t, nil, args...)
		if code != 0 || errOut != "" || !strings.Contains(out, "Usage:") || !strings.Contains(out, "appconfigd ") {
			t.Fatalf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
		}
		if len(args) == 1 {
			for _, line := range []string{"\n  serve ", "\n  deployment wait ", "\n  healthcheck ", "\n  version ", "\n  help "} {
				if !strings.Contains(out, line) {
					t.Fatalf("%v: %q not listed:\n%s", args, line, out)
				}
			}
		}
	}
	for _, args := range [][]string{{"bogus"}, {"serve", "--bogus"}, {"--bogus"}, {"deployment", "wait", "--deployment", "x"}} {
		code, out, errOut := runBinary(t, nil, args...)
		first, _, _ := strings.Cut(errOut, "\n")
		if code != 2 || out != "" || first == "" || len(first) > 100 || !strings.Contains(errOut, "Usage:") {
			t.Fatalf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, out, errOut)
		}
	}
}

// deployment wait follows a deployment with growth and a bake (seconds at
// --time-scale 60), prints each event once, and ends with exit 0; the
// server's log tells the deployment's life and each failed request.
func TestBinaryDeploymentWaitAndLogs(t *testing.T) {
	p := StartBinary(t, "--data-dir", t.TempDir(), "--time-scale", "60")
	f := newFixture(t, binaryClient(p.URL))
	// Linear 50 % over 2 minutes, then a 2-minute bake: 4 s of wall time.
	st := f.strategy(t, 2, types.GrowthTypeLinear, 50, 2)
	if _, err := f.start(st, "1"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runBinary(t, nil, "deployment", "wait", "--endpoint-url", p.URL, "--region", "us-east-1",
		"--application", "app", "--environment", "prod", "--deployment", "1", "--interval", "100ms", "--timeout", "60s")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var kinds []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); len(f) > 1 && regexp.MustCompile(`^\d\d:\d\d:\d\d$`).MatchString(f[0]) {
			kinds = append(kinds, f[1])
		}
	}
	want := "DEPLOYMENT_STARTED PERCENTAGE_UPDATED PERCENTAGE_UPDATED BAKE_TIME_STARTED DEPLOYMENT_COMPLETED"
	if strings.Join(kinds, " ") != want || !strings.Contains(out, "Configuration available to 50.00% of clients") ||
		!strings.Contains(out, "(bakes 2m0s)") || !strings.HasSuffix(out, "deployment 1 COMPLETE: version 1 of cfg is served to every client\n") {
		t.Fatalf("events %v, want %s; output:\n%s", kinds, want, out)
	}

	// Not found: exit 3, one line in the user's terms.
	code, out, errOut = runBinary(t, nil, "deployment", "wait", "--endpoint-url", p.URL, "--region", "us-east-1",
		"--application", "app", "--environment", "prod", "--deployment", "7")
	if code != 3 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `deployment 7 of application "app", environment "prod" not found`) ||
		strings.Contains(errOut, "operation error") || strings.Contains(errOut, "https response error") {
		t.Fatalf("not found: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Timeout (exit 4), then a stop: rolled back (exit 1) with the reason.
	if _, err := f.start(f.strategy(t, 600, types.GrowthTypeLinear, 10, 0), "2"); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runBinary(t, nil, "deployment", "wait", "--endpoint-url", p.URL, "--region", "us-east-1",
		"--application", "app", "--environment", "prod", "--deployment", "2", "--interval", "100ms", "--timeout", "500ms")
	if code != 4 || !strings.Contains(errOut, "timed out after 500ms; deployment 2 is still DEPLOYING") {
		t.Fatalf("timeout: exit %d, stderr %q", code, errOut)
	}
	if _, err := f.c.StopDeployment(ctx, &sdk.StopDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runBinary(t, nil, "deployment", "wait", "--endpoint-url", p.URL, "--region", "us-east-1",
		"--application", "app", "--environment", "prod", "--deployment", "2", "--interval", "100ms", "--timeout", "60s")
	if code != 1 || !regexp.MustCompile(`deployment 2 ROLLED_BACK: .+ \(triggered by USER\)\n$`).MatchString(out) {
		t.Fatalf("rollback: exit %d\n%s", code, out)
	}

	// A server that is not there: exit 5, one line.
	code, _, errOut = runBinary(t, []string{"AWS_MAX_ATTEMPTS=1"}, "deployment", "wait", "--endpoint-url", "http://127.0.0.1:1", "--region", "us-east-1",
		"--application", "app", "--environment", "prod", "--deployment", "1")
	if code != 5 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "cannot reach http://127.0.0.1:1: connection refused") {
		t.Fatalf("unreachable: exit %d, stderr %q", code, errOut)
	}

	logs := p.Logs()
	for _, re := range []string{
		`msg="deployment started" .*application=` + f.app + ` environment=` + f.env + ` deployment=1 profile=cfg profileId=` + f.prof + ` version=1 strategy=` + st + ` plan="LINEAR 50% over 2m0s, bake 2m0s"`,
		`msg="deployment step" .*deployment=1 percentage=50.00`,
		`msg="deployment step" .*deployment=1 percentage=100.00`,
		`msg="deployment baking" .*deployment=1 bake=2m0s`,
		`msg="deployment complete" .*deployment=1 version=1`,
		`level=WARN msg="deployment rolling back" .*deployment=2 triggeredBy=USER reason=`,
		`level=WARN msg="deployment rolled back" .*deployment=2 triggeredBy=USER reason=.* servedVersion=1`,
		`msg="request failed" requestId=[0-9a-f-]{36} operation=GetDeployment .* status=404 .*errorCode=ResourceNotFoundException errorMessage=".*7.*"`,
	} {
		if !regexp.MustCompile(re).MatchString(logs) {
			t.Errorf("no log line matches %s", re)
		}
	}
	if t.Failed() {
		t.Logf("server log:\n%s", logs)
	}
}

// On a terminal deployment wait redraws a bar in place that fits the
// width, with the bake countdown. script(1) gives the binary a terminal;
// its size is unset there, so COLUMNS says the width.
func TestBinaryDeploymentWaitOnTerminal(t *testing.T) {
	testutil.Need(t, "script")
	p := StartBinary(t, "--data-dir", t.TempDir(), "--time-scale", "60")
	f := newFixture(t, binaryClient(p.URL))
	if _, err := f.start(f.strategy(t, 1, types.GrowthTypeLinear, 100, 3), "1"); err != nil {
		t.Fatal(err)
	}
	cmdline := strings.Join([]string{Binary(t), "deployment", "wait", "--endpoint-url", p.URL, "--region", "us-east-1",
		"--application", "app", "--environment", "prod", "--deployment", "1", "--interval", "200ms", "--timeout", "60s"}, " ")
	cmd := exec.Command("script", "-qec", cmdline, "/dev/null")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=x", "AWS_EC2_METADATA_DISABLED=true", "COLUMNS=60")
	raw, err := cmd.CombinedOutput()
	out := strings.ReplaceAll(string(raw), "\r\n", "\n")
	if err != nil {
		t.Fatalf("%v\n%q", err, out)
	}
	if !strings.Contains(out, "\r\x1b[K") || !regexp.MustCompile(`\[#+\] 100\.00% BAKING, \d+s of bake left`).MatchString(out) ||
		!strings.Contains(out, "deployment 1 COMPLETE") {
		t.Fatalf("no bar with a countdown:\n%q", out)
	}
	for _, seg := range regexp.MustCompile(`[\r\n]`).Split(out, -1) {
		if seg = strings.TrimPrefix(seg, "\x1b[K"); len(seg) > 59 && strings.HasPrefix(seg, "[") {
			t.Fatalf("bar wider than the terminal: %q", seg)
		}
	}
}

// A seed file with a mistake stops the start with the file, YAML, and
// the line and column; reset applies the seed directory again.
func TestBinarySeedErrorsAndReseed(t *testing.T) {
	bad := t.TempDir()
	path := filepath.Join(bad, "shop.yaml")
	if err := os.WriteFile(path, []byte("applications:\n  - name: shop\n    enviroments: [{name: prod}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runBinary(t, nil, "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--seed-dir", bad)
	if code != 1 || !strings.Contains(errOut, path+`: YAML error at line 3, column 5: unknown field "enviroments"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}

	good := t.TempDir()
	seed := "applications:\n  - name: shop\n    environments: [{name: prod}]\n    configurationProfiles:\n" +
		"      - name: settings\n        versions: [{content: '{\"currency\":\"EUR\"}'}]\n        deployTo: [prod]\n"
	if err := os.WriteFile(filepath.Join(good, "shop.yaml"), []byte(seed), 0o644); err != nil {
		t.Fatal(err)
	}
	p := StartBinary(t, "--data-dir", t.TempDir(), "--seed-dir", good, "--allow-reset")
	c := binaryClient(p.URL)
	if _, err := c.CreateApplication(ctx, &sdk.CreateApplicationInput{Name: aws.String("scratch")}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(p.URL+"/_appconfigd/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body["status"] != "reset" || body["seededFiles"] != float64(1) {
		t.Fatalf("reset: %d %v", resp.StatusCode, body)
	}
	apps, err := c.ListApplications(ctx, &sdk.ListApplicationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(apps.Items) != 1 || aws.ToString(apps.Items[0].Name) != "shop" {
		t.Fatalf("after reset: %+v", apps.Items)
	}
	d, err := c.GetDeployment(ctx, &sdk.GetDeploymentInput{ApplicationId: apps.Items[0].Id, EnvironmentId: aws.String("prod"), DeploymentNumber: aws.Int32(1)})
	if err != nil || d.State != types.DeploymentStateComplete || aws.ToString(d.DeploymentStrategyId) == "" {
		t.Fatalf("seeded deployment after reset: %v %+v", err, d)
	}
	st, err := c.GetDeploymentStrategy(ctx, &sdk.GetDeploymentStrategyInput{DeploymentStrategyId: d.DeploymentStrategyId})
	if err != nil || aws.ToString(st.Name) != "appconfigd-seed-immediate" || st.FinalBakeTimeInMinutes != 0 {
		t.Fatalf("seed strategy: %v %+v", err, st)
	}
}
