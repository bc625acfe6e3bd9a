package itest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"

	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/server"
)

var epoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// fakeServer runs a server on a fake clock that only the test moves.
func fakeServer(t *testing.T, opts ...Option) (*Server, *clock.Fake) {
	fake := clock.NewFake(epoch)
	opts = append([]Option{func(c *server.Config) { c.Clock = fake }}, opts...)
	return Start(t, opts...), fake
}

// fake returns the server's fake clock (servers made by fakeServer).
func (s *Server) fake() *clock.Fake { return s.Clock().(*clock.Fake) }

// advance moves the fake clock and runs the engine synchronously.
func advance(t *testing.T, s *Server, fake *clock.Fake, d time.Duration) {
	t.Helper()
	fake.Advance(d)
	if _, err := s.Runner().RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	c        *sdk.Client
	app, env string
	prof     string
}

func newFixture(t *testing.T, c *sdk.Client, monitors ...types.Monitor) fixture {
	t.Helper()
	app := aws.ToString(mustApp(t, c, "app").Id)
	env, err := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("prod"), Monitors: monitors})
	if err != nil {
		t.Fatal(err)
	}
	prof := aws.ToString(mustProfile(t, c, app, "cfg").Id)
	mustVersion(t, c, app, prof, `{"v":1}`)
	mustVersion(t, c, app, prof, `{"v":2}`)
	return fixture{c: c, app: app, env: aws.ToString(env.Id), prof: prof}
}

func (f fixture) strategy(t *testing.T, minutes int32, growth types.GrowthType, factor float32, bake int32) string {
	t.Helper()
	st, err := f.c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{Name: aws.String("s"), DeploymentDurationInMinutes: aws.Int32(minutes),
		GrowthType: growth, GrowthFactor: aws.Float32(factor), FinalBakeTimeInMinutes: bake})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(st.Id)
}

func (f fixture) start(strategy, version string) (*sdk.StartDeploymentOutput, error) {
	return f.c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env),
		ConfigurationProfileId: aws.String(f.prof), DeploymentStrategyId: aws.String(strategy), ConfigurationVersion: aws.String(version),
		Description: aws.String("rollout"), Tags: map[string]string{"k": "v"}})
}

func (f fixture) get(t *testing.T, n int32) *sdk.GetDeploymentOutput {
	t.Helper()
	d, err := f.c.GetDeployment(ctx, &sdk.GetDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(n)})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeploymentThroughTheSDK(t *testing.T) {
	s, fake := fakeServer(t)
	f := newFixture(t, s.Client())
	st := f.strategy(t, 15, types.GrowthTypeLinear, 25, 0)
	d, err := f.start(st, "2")
	if err != nil {
		t.Fatal(err)
	}
	if d.State != types.DeploymentStateDeploying || aws.ToFloat32(d.PercentageComplete) != 0 || len(d.EventLog) != 1 || d.EventLog[0].EventType != types.DeploymentEventTypeDeploymentStarted ||
		d.EventLog[0].TriggeredBy != types.TriggeredByUser || d.DeploymentNumber != 1 || aws.ToString(d.ConfigurationVersion) != "2" ||
		d.StartedAt == nil || !d.StartedAt.Equal(epoch) || d.CompletedAt != nil || aws.ToString(d.Description) != "rollout" {
		t.Fatalf("StartDeployment returned %+v", d)
	}
	_, err = f.start(st, "1")
	WantError(t, err, "ConflictException", 409)

	advance(t, s, fake, 7*time.Minute)
	got := f.get(t, 1)
	if aws.ToFloat32(got.PercentageComplete) != 50 || len(got.EventLog) != 3 || got.EventLog[0].EventType != types.DeploymentEventTypePercentageUpdated ||
		aws.ToString(got.EventLog[0].Description) != "Configuration available to 50.00% of clients" || got.EventLog[0].TriggeredBy != types.TriggeredByAppconfig {
		t.Fatalf("at 7 minutes (newest first): %+v", got.EventLog)
	}
	env, _ := f.c.GetEnvironment(ctx, &sdk.GetEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env)})
	if env.State != "Deploying" {
		t.Fatalf("environment state %s", env.State)
	}

	// The SDK's waiters, while the clock moves in the background.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				fake.Advance(time.Minute)
				s.Runner().RunDue(context.Background())
			}
		}
	}()
	waiter := sdk.NewDeploymentCompleteWaiter(f.c, func(o *sdk.DeploymentCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
	})
	if err := waiter.Wait(ctx, &sdk.GetDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(1)}, 30*time.Second); err != nil {
		t.Fatalf("DeploymentComplete waiter: %v", err)
	}
	envWaiter := sdk.NewEnvironmentReadyForDeploymentWaiter(f.c, func(o *sdk.EnvironmentReadyForDeploymentWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
	})
	if err := envWaiter.Wait(ctx, &sdk.GetEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env)}, 30*time.Second); err != nil {
		t.Fatalf("EnvironmentReadyForDeployment waiter: %v", err)
	}
	close(stop)
	<-done
	got = f.get(t, 1)
	if got.State != types.DeploymentStateComplete || got.CompletedAt == nil || aws.ToFloat32(got.PercentageComplete) != 100 ||
		got.EventLog[0].EventType != types.DeploymentEventTypeDeploymentCompleted || got.EventLog[1].EventType != types.DeploymentEventTypeBakeTimeStarted {
		t.Fatalf("final %+v", got)
	}
	// ListDeployments is newest first and paginated.
	if _, err := f.start("AppConfig.AllAtOnce", "1"); err != nil {
		t.Fatal(err)
	}
	list, err := f.c.ListDeployments(ctx, &sdk.ListDeploymentsInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), MaxResults: aws.Int32(1)})
	if err != nil || len(list.Items) != 1 || list.Items[0].DeploymentNumber != 2 || list.NextToken == nil {
		t.Fatalf("first page %+v %v", list, err)
	}
	list, err = f.c.ListDeployments(ctx, &sdk.ListDeploymentsInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), NextToken: list.NextToken})
	if err != nil || len(list.Items) != 1 || list.Items[0].DeploymentNumber != 1 || list.Items[0].State != types.DeploymentStateComplete {
		t.Fatalf("second page %+v %v", list, err)
	}
	// KMS fields round-trip.
	_, err = f.c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), ConfigurationProfileId: aws.String(f.prof),
		DeploymentStrategyId: aws.String("AppConfig.AllAtOnce"), ConfigurationVersion: aws.String("2"), KmsKeyIdentifier: aws.String("alias/deploy")})
	WantError(t, err, "ConflictException", 409) // deployment 2 is still baking
	advance(t, s, fake, 11*time.Minute)
	kms, err := f.c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), ConfigurationProfileId: aws.String(f.prof),
		DeploymentStrategyId: aws.String("AppConfig.AllAtOnce"), ConfigurationVersion: aws.String("2"), KmsKeyIdentifier: aws.String("alias/deploy")})
	if err != nil || aws.ToString(kms.KmsKeyIdentifier) != "alias/deploy" || aws.ToString(kms.KmsKeyArn) != "arn:aws:kms:us-east-1:123456789012:alias/deploy" {
		t.Fatalf("KMS fields: %+v %v", kms, err)
	}
	if got := f.get(t, kms.DeploymentNumber); aws.ToString(got.KmsKeyArn) != "arn:aws:kms:us-east-1:123456789012:alias/deploy" {
		t.Fatalf("stored KMS ARN %q", aws.ToString(got.KmsKeyArn))
	}
	// Deployments are taggable.
	arn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/environment/%s/deployment/1", f.app, f.env)
	tags, err := f.c.ListTagsForResource(ctx, &sdk.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || tags.Tags["k"] != "v" {
		t.Fatalf("deployment tags %v %v", tags, err)
	}
	_, err = f.c.GetDeployment(ctx, &sdk.GetDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(9)})
	WantError(t, err, "ResourceNotFoundException", 404)
}

func TestStopAndRevertThroughTheSDK(t *testing.T) {
	s, fake := fakeServer(t)
	f := newFixture(t, s.Client())
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeExponential, 10, 5), "1"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 3*time.Minute)
	stopped, err := f.c.StopDeployment(ctx, &sdk.StopDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if stopped.State != types.DeploymentStateRollingBack {
		t.Fatalf("stop answered %s", stopped.State)
	}
	advance(t, s, fake, 0)
	if d := f.get(t, 1); d.State != types.DeploymentStateRolledBack {
		t.Fatalf("after stop %s", d.State)
	}
	// The waiter reports the failure.
	waiter := sdk.NewDeploymentCompleteWaiter(f.c, func(o *sdk.DeploymentCompleteWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := waiter.Wait(ctx, &sdk.GetDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(1)}, 5*time.Second); err == nil {
		t.Fatal("DeploymentComplete waiter succeeded on a rolled back deployment")
	}
	env, _ := f.c.GetEnvironment(ctx, &sdk.GetEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env)})
	if env.State != "RolledBack" {
		t.Fatalf("env %s", env.State)
	}
	if _, err := f.start("AppConfig.AllAtOnce", "2"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 11*time.Minute)
	_, err = f.c.StopDeployment(ctx, &sdk.StopDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(2)})
	WantError(t, err, "BadRequestException", 400)
	rev, err := f.c.StopDeployment(ctx, &sdk.StopDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), DeploymentNumber: aws.Int32(2), AllowRevert: aws.Bool(true)})
	if err != nil || rev.State != types.DeploymentStateReverted || rev.EventLog[0].EventType != types.DeploymentEventTypeRevertCompleted {
		t.Fatalf("revert %+v %v", rev, err)
	}
	env, _ = f.c.GetEnvironment(ctx, &sdk.GetEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env)})
	if env.State != "Reverted" {
		t.Fatalf("env %s", env.State)
	}
}

func TestDeploymentValidationAndLocks(t *testing.T) {
	s, _ := fakeServer(t)
	c := s.Client()
	f := newFixture(t, c)
	schema := `{"type":"object","properties":{"v":{"type":"integer","maximum":1}}}`
	if _, err := c.UpdateConfigurationProfile(ctx, &sdk.UpdateConfigurationProfileInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
		Validators: []types.Validator{{Type: types.ValidatorTypeJsonSchema, Content: aws.String(schema)}}}); err != nil {
		t.Fatal(err)
	}
	_, err := f.start("AppConfig.AllAtOnce", "2")
	WantError(t, err, "BadRequestException", 400)
	var br *types.BadRequestException
	if !errors.As(err, &br) || br.Reason != types.BadRequestReasonInvalidConfiguration {
		t.Fatalf("reason: %v", err)
	}
	list, _ := c.ListDeployments(ctx, &sdk.ListDeploymentsInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env)})
	if len(list.Items) != 0 {
		t.Fatalf("refused deployment was recorded: %+v", list.Items)
	}
	// LatestDeploymentNumber (2026 model; newer than this Go SDK) over raw HTTP.
	body := fmt.Sprintf(`{"DeploymentStrategyId":"AppConfig.AllAtOnce","ConfigurationProfileId":%q,"ConfigurationVersion":"1","LatestDeploymentNumber":3}`, f.prof)
	resp, err := http.Post(s.URL+"/applications/"+f.app+"/environments/"+f.env+"/deployments", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 409 || resp.Header.Get("X-Amzn-ErrorType") != "ConflictException" {
		t.Fatalf("stale LatestDeploymentNumber: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	_, err = c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), ConfigurationProfileId: aws.String(f.prof),
		DeploymentStrategyId: aws.String("not a strategy"), ConfigurationVersion: aws.String("1")})
	WantError(t, err, "BadRequestException", 400)
	// An environment cannot be deleted while it deploys.
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeLinear, 50, 0), "1"); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env)})
	WantError(t, err, "ConflictException", 409)
}

// monitorFixture runs a deployment with one monitor until it ends.
func runWithMonitor(t *testing.T, alarmArn string, raise func()) *sdk.GetDeploymentOutput {
	t.Helper()
	return runWithMonitorOpts(t, alarmArn, nil, raise)
}

func runWithMonitorOpts(t *testing.T, alarmArn string, opts []Option, raise func()) *sdk.GetDeploymentOutput {
	t.Helper()
	s, fake := fakeServer(t, append([]Option{func(c *server.Config) {
		c.MonitorInterval = 30 * time.Second
		c.ExtensionAllowHosts = "127.0.0.1"
	}}, opts...)...)
	f := newFixture(t, s.Client(), types.Monitor{AlarmArn: aws.String(alarmArn)})
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeLinear, 20, 10), "2"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	advance(t, s, fake, 2*time.Minute)
	if d := f.get(t, 1); d.State != types.DeploymentStateDeploying {
		t.Fatalf("before the alarm: %s %+v", d.State, d.EventLog)
	}
	raise()
	for i := 0; i < 60; i++ {
		advance(t, s, fake, 30*time.Second)
		if d := f.get(t, 1); d.State != types.DeploymentStateDeploying && d.State != types.DeploymentStateBaking {
			break
		}
	}
	return f.get(t, 1)
}

func wantAlarmRollback(t *testing.T, d *sdk.GetDeploymentOutput) {
	t.Helper()
	if d.State != types.DeploymentStateRolledBack {
		t.Fatalf("state %s, events %+v", d.State, d.EventLog)
	}
	for _, e := range d.EventLog {
		if e.EventType == types.DeploymentEventTypeRollbackStarted {
			if e.TriggeredBy != types.TriggeredByCloudwatchAlarm {
				t.Fatalf("rollback triggered by %s: %s", e.TriggeredBy, aws.ToString(e.Description))
			}
			return
		}
	}
	t.Fatal("no ROLLBACK_STARTED event")
}

func TestRollbackByHTTPProbe(t *testing.T) {
	var failing atomic.Bool
	probe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"state":"ALARM"}`)
			return
		}
		fmt.Fprint(w, `{"state":"OK"}`)
	}))
	defer probe.Close()
	wantAlarmRollback(t, runWithMonitor(t, probe.URL+"/health", func() { failing.Store(true) }))

	var down atomic.Bool
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer status.Close()
	wantAlarmRollback(t, runWithMonitor(t, status.URL, func() { down.Store(true) }))
}

func TestRollbackByPrometheusQuery(t *testing.T) {
	var firing atomic.Bool
	var lastQuery atomic.Value
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		lastQuery.Store(r.URL.Query().Get("query"))
		result := []any{}
		if firing.Load() {
			result = append(result, map[string]any{"metric": map[string]string{"job": "api"}, "value": []any{1.0, "1"}})
		}
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}})
	}))
	defer prom.Close()
	monitor := "prometheus+" + prom.URL + "/rate(http_errors_total%5B5m%5D) > 0.1"
	wantAlarmRollback(t, runWithMonitor(t, monitor, func() { firing.Store(true) }))
	if q, _ := lastQuery.Load().(string); q != "rate(http_errors_total[5m]) > 0.1" {
		t.Fatalf("query sent %q", q)
	}
}

func fakeClockAt(t time.Time) *clock.Fake { return clock.NewFake(t) }
