package itest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"
)

func binaryClient(url string) *sdk.Client { return binaryClientAs(url, "AKIDEXAMPLE") }

// binaryClientAs signs with the given access key (a 12-digit key is the
// account in open mode).
func binaryClientAs(url, key string) *sdk.Client {
	return sdk.New(sdk.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, "x", ""), HTTPClient: &http.Client{Timeout: 30 * time.Second}})
}

// TestCrashMidDeployment kills the binary with SIGKILL in the middle of a
// deployment, restarts it on the same data dir, and checks the deployment
// completes with an unbroken event log. The binary runs its clock 600×
// faster (--time-scale), so a 10-minute strategy takes about a second.
func TestCrashMidDeployment(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--data-dir", dir, "--time-scale", "600"}
	p := StartBinary(t, args...)
	c := binaryClient(p.URL)
	f := newFixture(t, c)
	st := f.strategy(t, 10, types.GrowthTypeLinear, 10, 10)
	if _, err := f.start(st, "2"); err != nil {
		t.Fatal(err)
	}
	// Wait (by polling the process) until the rollout is under way.
	deadline := time.Now().Add(60 * time.Second)
	for {
		d := f.get(t, 1)
		if pct := aws.ToFloat32(d.PercentageComplete); pct >= 20 && pct < 100 {
			break
		}
		if d.State != types.DeploymentStateDeploying || time.Now().After(deadline) {
			t.Fatalf("never caught the deployment mid-way: %s %v", d.State, aws.ToFloat32(d.PercentageComplete))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Cmd.Wait()

	p2 := StartBinary(t, args...)
	// `appconfigd deployment wait` follows it to the end through the API.
	var out, errOut bytes.Buffer
	wait := exec.Command(Binary(t), "deployment", "wait", "--endpoint-url", p2.URL, "--region", "us-east-1",
		"--application", f.app, "--environment", f.env, "--deployment", "1", "--interval", "50ms", "--timeout", "60s")
	wait.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=x", "AWS_EC2_METADATA_DISABLED=true")
	wait.Stdout, wait.Stderr = &out, &errOut
	if err := wait.Run(); err != nil {
		t.Fatalf("deployment wait: %v\n%s%s\nserver log:\n%s", err, out.String(), errOut.String(), p2.Log.String())
	}
	if !strings.Contains(out.String(), "COMPLETE") || !strings.Contains(out.String(), "100.00%") {
		t.Fatalf("wait output:\n%s", out.String())
	}

	d := binaryFixture(f, p2.URL).get(t, 1)
	var types []string
	last := float32(0)
	for i := len(d.EventLog) - 1; i >= 0; i-- {
		e := d.EventLog[i]
		types = append(types, string(e.EventType))
		if e.EventType == "PERCENTAGE_UPDATED" {
			var pct float32
			fmt.Sscanf(aws.ToString(e.Description), "Configuration available to %f%%", &pct)
			if pct <= last {
				t.Fatalf("percentage went from %v to %v: %v", last, pct, types)
			}
			last = pct
		}
	}
	want := "[DEPLOYMENT_STARTED" + strings.Repeat(" PERCENTAGE_UPDATED", 10) + " BAKE_TIME_STARTED DEPLOYMENT_COMPLETED]"
	if fmt.Sprint(types) != want || d.State != "COMPLETE" {
		t.Fatalf("event log after the crash:\n%v\nwant %s", types, want)
	}
	// The data dir really was reused.
	if _, err := os.Stat(filepath.Join(dir, "appconfigd.db")); err != nil {
		t.Fatal(err)
	}
}

func binaryFixture(f fixture, url string) fixture {
	f.c = binaryClient(url)
	return f
}

func TestDeploymentWaitReportsRollback(t *testing.T) {
	p := StartBinary(t, "--data-dir", t.TempDir(), "--time-scale", "600")
	f := newFixture(t, binaryClient(p.URL))
	if _, err := f.start(f.strategy(t, 60, types.GrowthTypeLinear, 10, 0), "2"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.StopDeployment(ctx, &sdk.StopDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	wait := exec.Command(Binary(t), "deployment", "wait", "--endpoint-url", p.URL, "--region", "us-east-1",
		"--application", "app", "--environment", "prod", "--deployment", "1", "--interval", "20ms", "--timeout", "30s")
	wait.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=x", "AWS_EC2_METADATA_DISABLED=true")
	wait.Stdout, wait.Stderr = &out, &errOut
	err := wait.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "ROLLED_BACK") {
		t.Fatalf("output:\n%s", out.String())
	}
}
