// Package deploy is the deployment engine: a pure step function that moves
// a deployment through its strategy (Plan, Advance, NextWake), and a
// Runner that persists each step and wakes on time.
package deploy

import (
	"fmt"
	"math"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// Plan is the schedule of a strategy, as offsets from the start.
//
// Growth steps follow the only real AWS trace (15 min, LINEAR 25 %, bake
// 0; docs/aws-behavior.md §4): with N steps over a duration D, step k
// happens at k·D/(N+1); the bake starts at D and the deployment completes
// at D + bake. EXPONENTIAL uses the same spacing over its own N steps.
type Plan struct {
	Percents   []float64       // percentage after step k (1-based index k-1)
	StepAt     []time.Duration // offset of step k
	BakeAt     time.Duration   // BAKE_TIME_STARTED
	CompleteAt time.Duration   // DEPLOYMENT_COMPLETED
}

// PlanFor computes the plan of a strategy.
func PlanFor(durationMinutes int, growthType string, growthFactor float64, bakeMinutes int) Plan {
	g := growthFactor
	if g <= 0 || math.IsNaN(g) {
		g = 100
	}
	var percents []float64
	switch growthType {
	case appconfig.GrowthExponential:
		for p := g; ; p *= 2 {
			if p >= 100 || len(percents) >= 100 {
				percents = append(percents, 100)
				break
			}
			percents = append(percents, round2(p))
		}
	default:
		n := int(math.Ceil(100/g - 1e-9))
		for k := 1; k <= n; k++ {
			percents = append(percents, round2(math.Min(100, float64(k)*g)))
		}
		percents[len(percents)-1] = 100
	}
	d := time.Duration(durationMinutes) * time.Minute
	n := len(percents)
	p := Plan{Percents: percents, BakeAt: d, CompleteAt: d + time.Duration(bakeMinutes)*time.Minute}
	for k := 1; k <= n; k++ {
		p.StepAt = append(p.StepAt, time.Duration(int64(d)*int64(k)/int64(n+1)))
	}
	return p
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func planOf(d *appconfig.Deployment) Plan {
	return PlanFor(d.DeploymentDurationInMinutes, d.GrowthType, d.GrowthFactor, d.FinalBakeTimeInMinutes)
}

// AlarmReport is the outcome of evaluating a deployment's monitors.
type AlarmReport struct {
	InAlarm     bool
	AlarmArn    string // the monitor that fired
	State       string // ALARM, INSUFFICIENT_DATA, or the error's summary
	Err         error  // the monitor could not be read
	Description string
}

// TickResult is the answer of the AT_DEPLOYMENT_TICK actions.
type TickResult struct {
	RollBack    bool
	Description string
	Invocations []appconfig.ActionInvocation
}

// Observation is what the runner learned outside the transaction.
type Observation struct {
	Alarm *AlarmReport
	Tick  *TickResult
}

// Advance moves d to time now: it applies a pending rollback, reacts to
// observations, and takes every growth, bake and completion step that is
// due, in order. It returns the new deployment and how many events it
// appended to the event log.
func Advance(d appconfig.Deployment, now time.Time, obs Observation) (appconfig.Deployment, int) {
	before := len(d.EventLog)
	d.EventLog = append([]appconfig.DeploymentEvent(nil), d.EventLog...)
	emit := func(typ, by, desc string) {
		d.EventLog = append(d.EventLog, appconfig.DeploymentEvent{EventType: typ, TriggeredBy: by, Description: desc, OccurredAt: now})
	}
	if !d.State.Active() {
		return d, 0
	}
	if d.State == appconfig.DeploymentRollingBack {
		d.State = appconfig.DeploymentRolledBack
		by := d.RollbackBy
		if by == "" {
			by = appconfig.TriggeredByAppConfig
		}
		emit(appconfig.EventRollbackCompleted, by, "Deployment rolled back")
		d.RollbackBy, d.RollbackNote = "", ""
		return d, len(d.EventLog) - before
	}
	if a := obs.Alarm; a != nil && a.InAlarm {
		by := appconfig.TriggeredByCloudWatchAlarm
		if a.Err != nil {
			by = appconfig.TriggeredByInternalError
		}
		StartRollback(&d, now, by, a.Description)
		return d, len(d.EventLog) - before
	}
	if t := obs.Tick; t != nil && t.RollBack {
		desc := t.Description
		if desc == "" {
			desc = "Rollback requested by an AT_DEPLOYMENT_TICK extension action"
		}
		StartRollback(&d, now, appconfig.TriggeredByAppConfig, desc)
		ev := &d.EventLog[len(d.EventLog)-1]
		ev.ActionInvocations = append(ev.ActionInvocations, t.Invocations...)
		return d, len(d.EventLog) - before
	}
	p := planOf(&d)
	for d.State == appconfig.DeploymentDeploying && d.Step < len(p.Percents) && !now.Before(d.StartedAt.Add(p.StepAt[d.Step])) {
		d.Step++
		d.PercentageComplete = p.Percents[d.Step-1]
		emit(appconfig.EventPercentageUpdated, appconfig.TriggeredByAppConfig, fmt.Sprintf("Configuration available to %.2f%% of clients", d.PercentageComplete))
		pct := d.PercentageComplete
		d.EventLog[len(d.EventLog)-1].Percentage = &pct
	}
	if d.State == appconfig.DeploymentDeploying && d.Step == len(p.Percents) && !now.Before(d.StartedAt.Add(p.BakeAt)) {
		d.State = appconfig.DeploymentBaking
		emit(appconfig.EventBakeTimeStarted, appconfig.TriggeredByAppConfig, "Deployment bake time started")
	}
	if d.State == appconfig.DeploymentBaking && !now.Before(d.StartedAt.Add(p.CompleteAt)) {
		d.State = appconfig.DeploymentComplete
		d.CompletedAt = now
		d.NextMonitor, d.NextTick = time.Time{}, time.Time{}
		emit(appconfig.EventDeploymentCompleted, appconfig.TriggeredByAppConfig, "Deployment completed")
	}
	return d, len(d.EventLog) - before
}

// StartRollback moves an active deployment to ROLLING_BACK with a
// ROLLBACK_STARTED event; the next Advance completes the rollback.
func StartRollback(d *appconfig.Deployment, now time.Time, by, description string) {
	if description == "" {
		description = "Deployment rollback started"
	}
	d.State = appconfig.DeploymentRollingBack
	d.RollbackBy, d.RollbackNote = by, description
	d.NextMonitor, d.NextTick = time.Time{}, time.Time{}
	d.EventLog = append(d.EventLog, appconfig.DeploymentEvent{EventType: appconfig.EventRollbackStarted, TriggeredBy: by, Description: description, OccurredAt: now})
}

// Revert moves a completed deployment to REVERTED with a REVERT_COMPLETED
// event: clients get the previous version again. Like a rollback, it
// fires ON_DEPLOYMENT_ROLLED_BACK.
func Revert(d *appconfig.Deployment, now time.Time, by, description string) {
	d.State = appconfig.DeploymentReverted
	d.EventLog = append(d.EventLog, appconfig.DeploymentEvent{EventType: appconfig.EventRevertCompleted, TriggeredBy: by, Description: description, OccurredAt: now})
}

// NextWake is when the deployment next needs the engine (zero: never).
func NextWake(d *appconfig.Deployment, now time.Time) time.Time {
	if !d.State.Active() {
		return time.Time{}
	}
	if d.State == appconfig.DeploymentRollingBack {
		return now
	}
	p := planOf(d)
	var next time.Time
	switch {
	case d.State == appconfig.DeploymentDeploying && d.Step < len(p.Percents):
		next = d.StartedAt.Add(p.StepAt[d.Step])
	case d.State == appconfig.DeploymentDeploying:
		next = d.StartedAt.Add(p.BakeAt)
	default:
		next = d.StartedAt.Add(p.CompleteAt)
	}
	for _, t := range []time.Time{d.NextMonitor, d.NextTick} {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	return next
}

// NeedsIO reports whether monitors or ticks are due at now.
func NeedsIO(d *appconfig.Deployment, now time.Time) (monitors, ticks bool) {
	if d.State != appconfig.DeploymentDeploying && d.State != appconfig.DeploymentBaking {
		return false, false
	}
	monitors = len(d.Monitors) > 0 && !d.NextMonitor.IsZero() && !now.Before(d.NextMonitor)
	ticks = d.Ticks && !d.NextTick.IsZero() && !now.Before(d.NextTick)
	return monitors, ticks
}
