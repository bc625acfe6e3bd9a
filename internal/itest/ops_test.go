package itest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"

	"github.com/appconfigd/appconfigd/internal/server"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthAndReadiness(t *testing.T) {
	s := Start(t)
	if code, body := get(t, s.URL+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("healthz %d %s", code, body)
	}
	if code, body := get(t, s.URL+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("readyz %d %s", code, body)
	}
	// The healthcheck subcommand agrees.
	out, err := exec.Command(Binary(t), "healthcheck", "--url", s.URL+"/readyz").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "healthy") {
		t.Fatalf("healthcheck: %v %s", err, out)
	}
	// A store that cannot answer makes the server unready, not unhealthy.
	s.Store().Close()
	if code, body := get(t, s.URL+"/readyz"); code != 503 || !strings.Contains(body, "store") {
		t.Fatalf("readyz with a closed store: %d %s", code, body)
	}
	if code, _ := get(t, s.URL+"/healthz"); code != 200 {
		t.Fatalf("healthz with a closed store: %d", code)
	}
	if err := exec.Command(Binary(t), "healthcheck", "--url", s.URL+"/readyz").Run(); err == nil {
		t.Fatal("healthcheck passed on an unready server")
	}
	if err := exec.Command(Binary(t), "healthcheck", "--url", "http://127.0.0.1:1/readyz").Run(); err == nil {
		t.Fatal("healthcheck passed with nothing listening")
	}
}

func TestMetrics(t *testing.T) {
	s, fake := fakeServer(t, allowLoopback)
	c := s.Client()
	f := newFixture(t, c)
	rcv := newReceiver(t, nil)
	associate(t, c, "m", map[string][]types.Action{"ON_DEPLOYMENT_START": action("a", rcv.URL)}, "arn:aws:appconfig:us-east-1:123456789012:application/"+f.app, nil, nil)
	c.GetApplication(ctx, &sdk.GetApplicationInput{ApplicationId: aws.String("missing")})
	f.complete(t, s, "1")
	tok, _ := startSession(t, s.URL, f.app, f.env, f.prof, 0)
	if p := getLatest(t, s.URL, tok); p.status != 200 {
		t.Fatalf("poll %d", p.status)
	}
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeLinear, 50, 0), "2"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	s.Outbox().DeliverDue(ctx)
	code, body := get(t, s.URL+"/metrics")
	if code != 200 {
		t.Fatalf("metrics %d", code)
	}
	for _, want := range []string{
		`appconfigd_requests_total{operation="CreateApplication",outcome="OK",service="appconfig"} 1`,
		`appconfigd_requests_total{operation="GetLatestConfiguration",outcome="OK",service="appconfigdata"} 1`,
		`appconfigd_requests_total{operation="GetApplication",outcome="ResourceNotFoundException",service="appconfig"} 1`,
		`appconfigd_request_duration_seconds_bucket{operation="StartDeployment",service="appconfig"`,
		`appconfigd_deployments_active{state="DEPLOYING"} 1`,
		`appconfigd_extension_invocations_total{action_point="ON_DEPLOYMENT_START",outcome="ok"} 2`,
		`appconfigd_dataplane_polls_total{result="changed"} 1`,
		`appconfigd_dataplane_sessions 1`,
		`appconfigd_store_transaction_seconds_count{kind="update"}`,
		`appconfigd_deployment_step_lateness_seconds_count`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("metrics lack %q:\n%s", want, grepLines(body, "appconfigd_"))
		}
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestResetIsGuarded(t *testing.T) {
	off := Start(t)
	resp, err := http.Post(off.URL+"/_appconfigd/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("reset without --allow-reset: %d", resp.StatusCode)
	}
	s := Start(t, func(c *server.Config) { c.AllowReset = true })
	c := s.Client()
	app := aws.ToString(mustApp(t, c, "a").Id)
	prof := aws.ToString(mustProfile(t, c, app, "p").Id)
	mustVersion(t, c, app, prof, "{}")
	if _, err := c.GetHostedConfigurationVersion(ctx, &sdk.GetHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), VersionNumber: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Post(s.URL+"/_appconfigd/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	list, _ := c.ListApplications(ctx, &sdk.ListApplicationsInput{})
	if len(list.Items) != 0 {
		t.Fatalf("%d applications after reset", len(list.Items))
	}
	// Waiting for the cache to hear the reset is waiting on a goroutine of
	// the server, not on the engine: poll briefly.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.GetHostedConfigurationVersion(ctx, &sdk.GetHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), VersionNumber: aws.Int32(1)})
		if ErrorCode(err) == "ResourceNotFoundException" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cached version still served after reset: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The server keeps working after a reset.
	mustApp(t, c, "again")
}

func TestSeedingIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	seedDir := filepath.Join(dir, "seed")
	os.MkdirAll(seedDir, 0o755)
	os.MkdirAll(filepath.Join(seedDir, "content"), 0o755)
	os.WriteFile(filepath.Join(seedDir, "content", "flags.json"), []byte(`{"version":"1","flags":{"beta":{"name":"Beta"}},"values":{"beta":{"enabled":true}}}`), 0o644)
	os.WriteFile(filepath.Join(seedDir, "app.yaml"), []byte(`
applications:
  - name: shop
    description: seeded
    environments:
      - name: prod
      - name: dev
    configurationProfiles:
      - name: settings
        versions:
          - content: '{"currency":"EUR"}'
            label: v1
        deployTo: [prod]
      - name: flags
        type: AWS.AppConfig.FeatureFlags
        versions:
          - contentFile: content/flags.json
        deployTo: [prod, dev]
deploymentStrategies:
  - name: quick
    deploymentDurationInMinutes: 2
    growthFactor: 50
`), 0o644)
	seeded := func(c *server.Config) { c.SeedDir = seedDir }
	s := StartIn(t, dir, seeded)
	c := s.Client()
	snapshot := func() string {
		var b strings.Builder
		apps, _ := c.ListApplications(ctx, &sdk.ListApplicationsInput{})
		for _, a := range apps.Items {
			b.WriteString(aws.ToString(a.Id) + " " + aws.ToString(a.Name) + ";")
			envs, _ := c.ListEnvironments(ctx, &sdk.ListEnvironmentsInput{ApplicationId: a.Id})
			for _, e := range envs.Items {
				b.WriteString(aws.ToString(e.Name) + ";")
				deps, _ := c.ListDeployments(ctx, &sdk.ListDeploymentsInput{ApplicationId: a.Id, EnvironmentId: e.Id})
				b.WriteString(strings.Repeat("d", len(deps.Items)) + ";")
			}
			profs, _ := c.ListConfigurationProfiles(ctx, &sdk.ListConfigurationProfilesInput{ApplicationId: a.Id})
			for _, p := range profs.Items {
				vs, _ := c.ListHostedConfigurationVersions(ctx, &sdk.ListHostedConfigurationVersionsInput{ApplicationId: a.Id, ConfigurationProfileId: p.Id})
				b.WriteString(aws.ToString(p.Name) + strings.Repeat("v", len(vs.Items)) + ";")
			}
		}
		st, _ := c.ListDeploymentStrategies(ctx, &sdk.ListDeploymentStrategiesInput{})
		b.WriteString(strings.Repeat("s", len(st.Items)))
		return b.String()
	}
	first := snapshot()
	if !strings.Contains(first, "shop") || !strings.Contains(first, "settingsv;") || !strings.Contains(first, "flagsv;") {
		t.Fatalf("seeded state %s", first)
	}
	// The seeded configuration is served once its deployment completes.
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		tok, p := startSession(t, s.URL, "shop", "prod", "settings", 0)
		if p.status == 201 {
			if r := getLatest(t, s.URL, tok); r.status == 200 {
				body = string(r.body)
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("seeded configuration never served")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if body != `{"currency":"EUR"}` {
		t.Fatalf("served %q", body)
	}
	s.Stop()
	s2 := StartIn(t, dir, seeded)
	c = s2.Client()
	if second := snapshot(); second != first {
		t.Fatalf("seeding twice changed the state:\n%s\n%s", first, second)
	}
}

func TestLimits(t *testing.T) {
	s := Start(t, func(c *server.Config) {
		c.MaxBodyBytes = 4096
		c.MaxHeaderBytes = 4096
		c.RateLimit, c.RateBurst = 1, 5
	})
	big := bytes.Repeat([]byte("x"), 5000)
	resp, err := http.Post(s.URL+"/applications", "application/json", bytes.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("X-Amzn-ErrorType") == "" {
		t.Fatalf("large body: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	req, _ := http.NewRequest("GET", s.URL+"/applications", nil)
	req.Header.Set("X-Padding", strings.Repeat("p", 8192))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("large header: %d", resp.StatusCode)
	}
	// Per account: a burst of 5, then throttled; another account is not.
	c := s.Client("111111111111")
	throttled := 0
	for i := 0; i < 10; i++ {
		_, err := c.ListApplications(ctx, &sdk.ListApplicationsInput{})
		if ErrorCode(err) == "ThrottlingException" {
			throttled++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if throttled < 3 {
		t.Fatalf("%d of 10 requests throttled", throttled)
	}
	if _, err := s.Client("222222222222").ListApplications(ctx, &sdk.ListApplicationsInput{}); err != nil {
		t.Fatalf("another account throttled: %v", err)
	}
}

func TestAccessLogIsJSONWithoutContent(t *testing.T) {
	var mu sync.Mutex
	var buf bytes.Buffer
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })
	s := Start(t, func(c *server.Config) { c.AccessLog = slog.New(slog.NewJSONHandler(w, nil)) })
	c := s.Client("333333333333")
	app := aws.ToString(mustApp(t, c, "a").Id)
	prof := aws.ToString(mustProfile(t, c, app, "p").Id)
	mustVersion(t, c, app, prof, `{"secret":"hunter2"}`)
	mu.Lock()
	logged := buf.String()
	mu.Unlock()
	if strings.Contains(logged, "hunter2") {
		t.Fatal("configuration content was logged")
	}
	sc := bufio.NewScanner(strings.NewReader(logged))
	seen := map[string]bool{}
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not JSON: %s", sc.Text())
		}
		for _, k := range []string{"requestId", "operation", "account", "status", "durationMs"} {
			if _, ok := line[k]; !ok {
				t.Fatalf("log line lacks %s: %s", k, sc.Text())
			}
		}
		if line["account"] != "333333333333" {
			t.Fatalf("account %v", line["account"])
		}
		seen[line["operation"].(string)] = true
	}
	if !seen["CreateApplication"] || !seen["CreateHostedConfigurationVersion"] {
		t.Fatalf("operations logged: %v", seen)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestGracefulShutdownMidDeployment stops the binary with SIGTERM while a
// request is in flight and a deployment runs: the request completes, and
// the deployment resumes and completes after a restart.
func TestGracefulShutdownMidDeployment(t *testing.T) {
	release := make(chan struct{})
	slow := newReceiver(t, func(ev map[string]any) (int, any) {
		<-release
		return 200, nil
	})
	dir := t.TempDir()
	args := []string{"--data-dir", dir, "--time-scale", "600", "--extension-allow-hosts", "127.0.0.1"}
	p := StartBinary(t, args...)
	c := binaryClient(p.URL)
	f := newFixture(t, c)
	// 60 minutes of steps and 10 of bake: 7 s of wall time at 600x, so the
	// deployment is still running at the SIGTERM even on a loaded machine.
	if _, err := f.start(f.strategy(t, 60, types.GrowthTypeLinear, 10, 10), "2"); err != nil {
		t.Fatal(err)
	}
	profArn := "arn:aws:appconfig:us-east-1:123456789012:application/" + f.app + "/configurationprofile/" + f.prof
	associate(t, c, "slow", map[string][]types.Action{"PRE_CREATE_HOSTED_CONFIGURATION_VERSION": action("wait", slow.URL)}, profArn, nil, nil)
	// A request that the extension holds up.
	done := make(chan error, 1)
	go func() {
		_, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
			Content: []byte(`{"v":3}`), ContentType: aws.String("application/json")})
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for len(slow.types()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow request never reached the extension")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := f.get(t, 1); d.State != types.DeploymentStateDeploying && d.State != types.DeploymentStateBaking {
		t.Fatalf("deployment before the shutdown: %s, want it still running", d.State)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitDraining(t, p)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("in-flight request failed during shutdown: %v", err)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Log.String())
	}
	if !strings.Contains(p.Log.String(), "appconfigd stopped") {
		t.Fatalf("no clean stop:\n%s", p.Log.String())
	}
	p2 := StartBinary(t, args...)
	f2 := binaryFixture(f, p2.URL)
	deadline = time.Now().Add(60 * time.Second)
	for {
		d := f2.get(t, 1)
		if d.State == types.DeploymentStateComplete {
			break
		}
		if d.State != types.DeploymentStateDeploying && d.State != types.DeploymentStateBaking || time.Now().After(deadline) {
			t.Fatalf("deployment after restart: %s", d.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if v, err := f2.c.GetHostedConfigurationVersion(ctx, &sdk.GetHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof), VersionNumber: aws.Int32(3)}); err != nil || string(v.Content) != `{"v":3}` {
		t.Fatalf("the drained request's version: %v", err)
	}
}

// waitDraining waits until p has stopped accepting connections (its
// listener is closed: the graceful shutdown has begun), 30 s at most.
func waitDraining(t *testing.T, p *Proc) {
	t.Helper()
	addr := strings.TrimPrefix(p.URL, "http://")
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		if err == nil {
			conn.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("still accepting connections 30 s after SIGTERM:\n%s", p.Log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Malformed input is the client's error: a bad escape in the query is not
// an absent parameter, and a name with a byte that is not UTF-8 is not
// stored under a replacement character.
func TestMalformedInputRefused(t *testing.T) {
	s := Start(t)
	c := s.Client("123456789012")
	ctx := context.Background()
	for _, target := range []string{"/applications?next_token=%ZZ", "/applications?max_results=5&x=%"} {
		resp, err := http.Get(s.URL + target)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "BadRequestException" {
			t.Fatalf("%s: %d %s %s", target, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b)
		}
	}
	resp, err := http.Post(s.URL+"/applications", "application/json", strings.NewReader("{\"Name\":\"caf\xe9\"}"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "BadRequestException" {
		t.Fatalf("invalid UTF-8 name: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b)
	}
	list, err := c.ListApplications(ctx, &sdk.ListApplicationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Fatalf("stored %d applications, first %q", len(list.Items), aws.ToString(list.Items[0].Name))
	}
	// The same name, valid, is accepted: the refusal was the byte's.
	if _, err := c.CreateApplication(ctx, &sdk.CreateApplicationInput{Name: aws.String("café")}); err != nil {
		t.Fatal(err)
	}
}
