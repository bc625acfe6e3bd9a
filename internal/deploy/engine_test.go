package deploy

import (
	"fmt"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

func TestPlanFor(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name       string
		d          int
		growth     string
		factor     float64
		bake       int
		percents   string
		stepAt     []time.Duration
		bakeAt     time.Duration
		completeAt time.Duration
	}{
		// The real AWS trace: 15 min, LINEAR 25 %, bake 0.
		{"trace", 15, "LINEAR", 25, 0, "[25 50 75 100]", []time.Duration{3 * m, 6 * m, 9 * m, 12 * m}, 15 * m, 15 * m},
		{"linear 20", 30, "LINEAR", 20, 30, "[20 40 60 80 100]", []time.Duration{5 * m, 10 * m, 15 * m, 20 * m, 25 * m}, 30 * m, 60 * m},
		{"linear 30 caps at 100", 8, "LINEAR", 30, 0, "[30 60 90 100]", []time.Duration{96 * time.Second, 192 * time.Second, 288 * time.Second, 384 * time.Second}, 8 * m, 8 * m},
		{"linear thirds", 4, "LINEAR", 33.33, 0, "[33.33 66.66 99.99 100]", nil, 4 * m, 4 * m},
		{"exponential 10", 20, "EXPONENTIAL", 10, 10, "[10 20 40 80 100]", []time.Duration{200 * time.Second, 400 * time.Second, 600 * time.Second, 800 * time.Second, 1000 * time.Second}, 20 * m, 30 * m},
		{"exponential 1", 90, "EXPONENTIAL", 1, 0, "[1 2 4 8 16 32 64 100]", nil, 90 * m, 90 * m},
		{"exponential 100", 0, "EXPONENTIAL", 100, 0, "[100]", []time.Duration{0}, 0, 0},
		{"all at once", 0, "LINEAR", 100, 10, "[100]", []time.Duration{0}, 0, 10 * m},
		{"half every 30s", 1, "LINEAR", 50, 1, "[50 100]", []time.Duration{20 * time.Second, 40 * time.Second}, m, 2 * m},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanFor(tc.d, tc.growth, tc.factor, tc.bake)
			if got := fmt.Sprint(p.Percents); got != tc.percents {
				t.Fatalf("percents %s, want %s", got, tc.percents)
			}
			if tc.stepAt != nil && fmt.Sprint(p.StepAt) != fmt.Sprint(tc.stepAt) {
				t.Fatalf("step times %v, want %v", p.StepAt, tc.stepAt)
			}
			for i := 1; i < len(p.StepAt); i++ {
				if p.StepAt[i] < p.StepAt[i-1] || p.StepAt[i] > p.BakeAt {
					t.Fatalf("step times not ordered within the duration: %v", p.StepAt)
				}
			}
			if p.BakeAt != tc.bakeAt || p.CompleteAt != tc.completeAt {
				t.Fatalf("bake at %v, complete at %v", p.BakeAt, p.CompleteAt)
			}
		})
	}
}

func newDeployment(start time.Time, d int, growth string, factor float64, bake int) appconfig.Deployment {
	return appconfig.Deployment{
		ApplicationID: "app", EnvironmentID: "env", DeploymentNumber: 1, ConfigurationVersion: "2", PreviousVersion: "1",
		DeploymentDurationInMinutes: d, GrowthType: growth, GrowthFactor: factor, FinalBakeTimeInMinutes: bake,
		State: appconfig.DeploymentDeploying, StartedAt: start,
		EventLog: []appconfig.DeploymentEvent{{EventType: appconfig.EventDeploymentStarted, TriggeredBy: appconfig.TriggeredByUser, OccurredAt: start}},
	}
}

// run drives a deployment through Advance/NextWake alone, as the runner
// would, and returns the event types with their offsets.
func run(t *testing.T, d appconfig.Deployment) (appconfig.Deployment, []string) {
	t.Helper()
	now := d.StartedAt
	for i := 0; d.State.Active(); i++ {
		if i > 1000 {
			t.Fatal("deployment never finished")
		}
		next := NextWake(&d, now)
		if next.Before(now) {
			t.Fatalf("next wake %v is before now %v", next, now)
		}
		now = next
		d, _ = Advance(d, now, Observation{})
	}
	var out []string
	for _, e := range d.EventLog {
		out = append(out, fmt.Sprintf("%s@%s", e.EventType, e.OccurredAt.Sub(d.StartedAt)))
	}
	return d, out
}

func TestAdvanceFollowsTheTrace(t *testing.T) {
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	d, events := run(t, newDeployment(start, 15, "LINEAR", 25, 0))
	want := "[DEPLOYMENT_STARTED@0s PERCENTAGE_UPDATED@3m0s PERCENTAGE_UPDATED@6m0s PERCENTAGE_UPDATED@9m0s PERCENTAGE_UPDATED@12m0s BAKE_TIME_STARTED@15m0s DEPLOYMENT_COMPLETED@15m0s]"
	if fmt.Sprint(events) != want {
		t.Fatalf("events %v\nwant   %s", events, want)
	}
	if d.State != appconfig.DeploymentComplete || d.PercentageComplete != 100 || !d.CompletedAt.Equal(start.Add(15*time.Minute)) {
		t.Fatalf("final %s %v %v", d.State, d.PercentageComplete, d.CompletedAt)
	}
	if d.EventLog[1].Description != "Configuration available to 25.00% of clients" || d.EventLog[1].TriggeredBy != "APPCONFIG" {
		t.Fatalf("step event %+v", d.EventLog[1])
	}
}

func TestTwentyFourHourStrategyInstantly(t *testing.T) {
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	d, events := run(t, newDeployment(start, 1440, "EXPONENTIAL", 2, 1440))
	// 2,4,8,16,32,64,100: 7 steps, bake at 24 h, completion at 48 h.
	if len(events) != 1+7+2 || d.CompletedAt.Sub(start) != 48*time.Hour {
		t.Fatalf("events %v completed after %v", events, d.CompletedAt.Sub(start))
	}
}

func TestAdvanceCatchesUpAfterDowntime(t *testing.T) {
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	d := newDeployment(start, 10, "LINEAR", 20, 5)
	// The process was down for 12 minutes: one Advance takes every missed
	// step once, in order, and starts the bake.
	d, added := Advance(d, start.Add(12*time.Minute), Observation{})
	if added != 6 || d.State != appconfig.DeploymentBaking || d.PercentageComplete != 100 {
		t.Fatalf("added %d, state %s, %v%%", added, d.State, d.PercentageComplete)
	}
	d, added = Advance(d, start.Add(12*time.Minute), Observation{})
	if added != 0 {
		t.Fatalf("repeated Advance added %d events", added)
	}
}

func TestBakeZeroStillLogsBake(t *testing.T) {
	_, events := run(t, newDeployment(time.Unix(0, 0).UTC(), 0, "LINEAR", 100, 0))
	if fmt.Sprint(events) != "[DEPLOYMENT_STARTED@0s PERCENTAGE_UPDATED@0s BAKE_TIME_STARTED@0s DEPLOYMENT_COMPLETED@0s]" {
		t.Fatalf("events %v", events)
	}
}

func TestRollbackOnAlarmAndTick(t *testing.T) {
	start := time.Unix(1000, 0).UTC()
	for _, tc := range []struct {
		obs Observation
		by  string
	}{
		{Observation{Alarm: &AlarmReport{InAlarm: true, AlarmArn: "arn:a", Description: "alarm"}}, "CLOUDWATCH_ALARM"},
		{Observation{Alarm: &AlarmReport{InAlarm: true, Err: fmt.Errorf("unreachable")}}, "INTERNAL_ERROR"},
		{Observation{Tick: &TickResult{RollBack: true, Invocations: []appconfig.ActionInvocation{{InvocationID: "abc1234"}}}}, "APPCONFIG"},
	} {
		d := newDeployment(start, 10, "LINEAR", 50, 0)
		d, _ = Advance(d, start.Add(4*time.Minute), Observation{})
		if d.PercentageComplete != 50 {
			t.Fatalf("not at 50%%: %v", d.PercentageComplete)
		}
		d, added := Advance(d, start.Add(5*time.Minute), tc.obs)
		last := d.EventLog[len(d.EventLog)-1]
		if added != 1 || d.State != appconfig.DeploymentRollingBack || last.EventType != "ROLLBACK_STARTED" || last.TriggeredBy != tc.by {
			t.Fatalf("%s: added %d state %s last %+v", tc.by, added, d.State, last)
		}
		if tc.obs.Tick != nil && len(last.ActionInvocations) != 1 {
			t.Fatalf("tick invocations not on the rollback event: %+v", last)
		}
		if !NextWake(&d, start.Add(5*time.Minute)).Equal(start.Add(5 * time.Minute)) {
			t.Fatal("rollback completion not due immediately")
		}
		d, _ = Advance(d, start.Add(5*time.Minute), Observation{})
		if d.State != appconfig.DeploymentRolledBack || d.EventLog[len(d.EventLog)-1].EventType != "ROLLBACK_COMPLETED" {
			t.Fatalf("%s: not rolled back: %s", tc.by, d.State)
		}
		if v, isNew := d.Serves(10); v != "1" || isNew {
			t.Fatalf("after rollback bucket 10 gets %s", v)
		}
		if !NextWake(&d, start).IsZero() {
			t.Fatal("finished deployment still has a wake-up")
		}
	}
}

func TestServesNeverMovesBackwards(t *testing.T) {
	start := time.Unix(0, 0).UTC()
	d := newDeployment(start, 100, "LINEAR", 7, 5)
	const buckets = 1000
	onNew := make([]bool, buckets)
	now := start
	for d.State.Active() {
		now = NextWake(&d, now)
		d, _ = Advance(d, now, Observation{})
		count := 0
		for b := 0; b < buckets; b++ {
			v, isNew := d.Serves(float64(b) * 100 / buckets)
			if onNew[b] && !isNew {
				t.Fatalf("bucket %d fell back to %s at %v%%", b, v, d.PercentageComplete)
			}
			onNew[b] = isNew
			if isNew {
				count++
			}
		}
		if d.State == appconfig.DeploymentDeploying && count != int(d.PercentageComplete*buckets/100+0.999999) {
			t.Fatalf("%d of %d buckets at %v%%", count, buckets, d.PercentageComplete)
		}
	}
}

func TestNeedsIO(t *testing.T) {
	start := time.Unix(0, 0).UTC()
	d := newDeployment(start, 10, "LINEAR", 50, 0)
	d.Monitors = []appconfig.Monitor{{AlarmArn: "arn:x"}}
	d.NextMonitor = start.Add(30 * time.Second)
	if m, _ := NeedsIO(&d, start); m {
		t.Fatal("monitor due early")
	}
	if m, _ := NeedsIO(&d, start.Add(30*time.Second)); !m {
		t.Fatal("monitor not due")
	}
	if !NextWake(&d, start).Equal(start.Add(30 * time.Second)) {
		t.Fatalf("next wake %v ignores the monitor", NextWake(&d, start))
	}
}
