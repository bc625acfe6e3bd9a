package deploy_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/records"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

// admitProbe is a hook that asks, at each step the runner takes, whether
// a new start would be let in now.
type admitProbe struct {
	life     *deploy.Lifecycle
	admitted []bool
}

func (p *admitProbe) OnEvent(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d *appconfig.Deployment, ev *appconfig.DeploymentEvent, point appconfig.ActionPoint) error {
	if point == appconfig.OnDeploymentStep {
		done, cancel := context.WithCancel(ctx)
		cancel() // a closed gate answers with the context's error at once
		p.admitted = append(p.admitted, p.life.Admit(done) == nil)
	}
	return nil
}

func (p *admitProbe) Tick(context.Context, appconfig.Scope, appconfig.Deployment) deploy.TickResult {
	return deploy.TickResult{}
}

// A runner round that takes a step later than its lag holds new starts
// until the round ends; a step on time does not, and between rounds
// starts always go in.
func TestLateStepsHoldStartsForTheRound(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	probe := &admitProbe{}
	r := deploy.NewRunner(deploy.Config{Store: st, Clock: clk, Hooks: probe, Poll: time.Second, Lag: 100 * time.Millisecond})
	probe.life = r.Lifecycle()
	sc := appconfig.Scope{Account: "123456789012", Region: "us-east-1"}
	err = st.Update(ctx, func(tx appconfig.Tx) error {
		env := appconfig.Environment{ApplicationID: "app", ID: "env", Name: "e", State: appconfig.EnvReadyForDeployment}
		rec := appconfig.Record{Key: records.EnvironmentKey(sc, "app", "env"), Body: records.Environments.Encode(env)}
		if err := tx.Insert(ctx, &rec); err != nil {
			return err
		}
		// Three steps, at 2.5, 5 and 7.5 minutes.
		_, err := probe.life.Start(ctx, tx, start, deploy.StartPlan{Scope: sc, Content: []byte(`{}`), Deployment: appconfig.Deployment{
			ApplicationID: "app", EnvironmentID: "env", DeploymentNumber: 1, ConfigurationProfileID: "prof",
			DeploymentDurationInMinutes: 10, GrowthType: appconfig.GrowthLinear, GrowthFactor: 34}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(start.Add(150*time.Second + 50*time.Millisecond)) // step 1, 50 ms late
	if _, err := r.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Set(start.Add(5*time.Minute + time.Second)) // step 2, a second late
	if _, err := r.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := probe.life.Admit(ctx); err != nil {
		t.Fatalf("between rounds: %v", err)
	}
	if len(probe.admitted) != 2 || !probe.admitted[0] || probe.admitted[1] {
		t.Fatalf("starts admitted during the steps: %v, want [true false]", probe.admitted)
	}
}

// alarmProbe is a monitor that asks, while the runner reads it, whether a
// new start would be let in.
type alarmProbe struct {
	life     *deploy.Lifecycle
	admitted []bool
}

func (p *alarmProbe) Check(ctx context.Context, sc appconfig.Scope, m appconfig.Monitor) (string, error) {
	done, cancel := context.WithCancel(ctx)
	cancel()
	p.admitted = append(p.admitted, p.life.Admit(done) == nil)
	return "OK", nil
}

// The monitor reads of a round wait on alarms, not on the core: starts
// are let in while they run, even after a late step closed the gate in
// the same round.
func TestMonitorReadsDoNotHoldStarts(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	alarms := &alarmProbe{}
	steps := &admitProbe{}
	r := deploy.NewRunner(deploy.Config{Store: st, Clock: clk, Hooks: steps, Alarms: alarms, Poll: time.Second, Lag: 100 * time.Millisecond,
		MonitorInterval: time.Hour})
	alarms.life, steps.life = r.Lifecycle(), r.Lifecycle()
	sc := appconfig.Scope{Account: "123456789012", Region: "us-east-1"}
	err = st.Update(ctx, func(tx appconfig.Tx) error {
		for i, monitors := range [][]appconfig.Monitor{nil, {{AlarmArn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a"}}} {
			_, err := steps.life.Start(ctx, tx, start.Add(time.Duration(i)*time.Minute), deploy.StartPlan{Scope: sc, Content: []byte(`{}`), Deployment: appconfig.Deployment{
				ApplicationID: "app", EnvironmentID: []string{"plain", "monitored"}[i], DeploymentNumber: 1, ConfigurationProfileID: "prof",
				DeploymentDurationInMinutes: 10, GrowthType: appconfig.GrowthLinear, GrowthFactor: 34, Monitors: monitors}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The plain deployment's first step (2.5 min) is 30 s late; the
	// monitored one is due for its first read (started a minute later).
	clk.Set(start.Add(3 * time.Minute))
	if _, err := r.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(steps.admitted) != 1 || steps.admitted[0] {
		t.Fatalf("starts admitted during the late step: %v, want [false]", steps.admitted)
	}
	if len(alarms.admitted) != 1 || !alarms.admitted[0] {
		t.Fatalf("starts admitted during the monitor read: %v, want [true]", alarms.admitted)
	}
}
