package deploy

import (
	"context"
	"log/slog"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Lifecycle is the only writer of deployment records and the only code
// that moves an environment's deployment state. Each method runs inside
// the caller's transaction: the service keeps the rules (name resolution,
// optimistic locks, validators, PRE_START_DEPLOYMENT actions) and hands
// the lifecycle a decision; the runner hands it the engine's steps.
//
// Every transition is persisted by one function, persist: it runs the
// extension hooks of the events the transition added, stores the record
// with its next wake-up, moves the environment's state, and announces the
// environment's change topic.
type Lifecycle struct {
	hooks Hooks
	kick  func()
	log   *slog.Logger
	// bodies remembers what this process wrote, for the runner's claims.
	bodies *bodyCache
	// starts holds new starts back while the runner is behind (nil: a
	// lifecycle without a runner never waits).
	starts *gate
}

// NewLifecycle builds a lifecycle whose events run hooks (nil: none),
// which wakes the engine with kick after a start or stop (nil: nothing to
// wake, as in tests that drive RunDue themselves) and logs each
// deployment's life to log (nil: not logged).
func NewLifecycle(hooks Hooks, kick func(), log *slog.Logger) *Lifecycle {
	if kick == nil {
		kick = func() {}
	}
	return &Lifecycle{hooks: hooks, kick: kick, log: log, bodies: newBodyCache()}
}

// Kick asks the engine to look at the store now; callers kick after the
// transaction that started or stopped a deployment commits.
func (l *Lifecycle) Kick() { l.kick() }

// Admit waits, before a StartDeployment does any work, while this
// process's runner is behind schedule (see gate): steps that are due go
// before new starts. It returns at once when the runner keeps up, and
// ctx's error if ctx ends first.
func (l *Lifecycle) Admit(ctx context.Context) error { return l.starts.wait(ctx) }

// StartPlan is a deployment the service has resolved and checked: which
// configuration goes where, with which strategy, under which number,
// replacing what. The lifecycle records it as is.
type StartPlan struct {
	Scope appconfig.Scope
	// Type says who asks: a user's StartDeployment (DeploymentTypeUser,
	// also for "") or the system on its own behalf
	// (DeploymentTypeManaged: an experiment's managed deployment, recorded
	// as triggered by AppConfig). Both take this one path.
	Type appconfig.DeploymentType
	// Deployment carries the resolved fields: application, environment,
	// profile, version, strategy copy, description, KMS key, monitors,
	// number, the previous version served, and the extensions in force.
	// State, StartedAt, EventLog and the engine's schedule are set by Start.
	Deployment appconfig.Deployment
	// Content is the configuration deployed (after PRE_START_DEPLOYMENT
	// actions); the record keeps it.
	Content []byte
	// PreInvocations are the PRE_START_DEPLOYMENT actions that ran; they
	// are recorded on the DEPLOYMENT_STARTED event.
	PreInvocations []appconfig.ActionInvocation
}

// Start records a new deployment in DEPLOYING with its DEPLOYMENT_STARTED
// event and returns it as stored. A deployment of the same number that
// already exists is a Conflict.
func (l *Lifecycle) Start(ctx context.Context, tx appconfig.Tx, now time.Time, p StartPlan) (appconfig.Deployment, error) {
	d := p.Deployment
	d.State, d.StartedAt, d.PercentageComplete, d.Step = appconfig.DeploymentDeploying, now, 0, 0
	d.NextMonitor, d.NextTick = time.Time{}, time.Time{}
	if len(d.Monitors) > 0 {
		d.NextMonitor = now
	}
	if d.Ticks {
		d.NextTick = now
	}
	by := appconfig.TriggeredByUser
	d.Type = ""
	if p.Type == appconfig.DeploymentTypeManaged {
		by, d.Type = appconfig.TriggeredByAppConfig, appconfig.DeploymentTypeManaged
	}
	d.EventLog = []appconfig.DeploymentEvent{{EventType: appconfig.EventDeploymentStarted, TriggeredBy: by,
		Description: "Deployment started", OccurredAt: now, ActionInvocations: p.PreInvocations}}
	rec := appconfig.Record{Key: RecordKey(p.Scope, d), Body: encodeRecord(d, Lease{}), Data: nonNil(p.Content)}
	if err := tx.Insert(lifecycleCtx(ctx), &rec); err != nil {
		if appconfig.IsConflict(err) {
			return d, appconfig.Conflict("Deployment number %d already exists", d.DeploymentNumber)
		}
		return d, err
	}
	// persist adds the event's invocations to d, as stored.
	err := l.persist(ctx, tx, p.Scope, "", &d, Lease{}, 1, now)
	return d, err
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Stop is a user's StopDeployment of a deployment in progress: it starts
// the rollback, which the engine completes at its next step.
func (l *Lifecycle) Stop(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d appconfig.Deployment, now time.Time) (appconfig.Deployment, error) {
	return l.Rollback(ctx, tx, sc, d, now, appconfig.TriggeredByUser, "Deployment rollback started by user of account "+sc.Account)
}

// Rollback starts rolling back an active deployment on behalf of by (a
// TriggeredBy value), dropping any lease on its monitors and ticks.
func (l *Lifecycle) Rollback(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d appconfig.Deployment, now time.Time, by, description string) (appconfig.Deployment, error) {
	prev := d.State
	StartRollback(&d, now, by, description)
	err := l.persist(ctx, tx, sc, prev, &d, Lease{}, 1, now)
	return d, err
}

// Revert moves a completed deployment to REVERTED: clients get the
// previous version again.
func (l *Lifecycle) Revert(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d appconfig.Deployment, now time.Time) (appconfig.Deployment, error) {
	prev := d.State
	Revert(&d, now, appconfig.TriggeredByUser, "Deployment reverted by user of account "+sc.Account)
	err := l.persist(ctx, tx, sc, prev, &d, Lease{}, 1, now)
	return d, err
}

// Advance applies the engine's step at now (with what the runner observed
// outside the transaction) to a deployment it holds in tx.
func (l *Lifecycle) Advance(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d appconfig.Deployment, lease Lease, now time.Time, obs Observation) (appconfig.Deployment, error) {
	next, added := Advance(d, now, obs)
	err := l.persist(ctx, tx, sc, d.State, &next, lease, added, now)
	return next, err
}

// takeLease records that owner evaluates d's monitors and ticks until
// lease.Until; the record is not due again before then.
func (l *Lifecycle) takeLease(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d appconfig.Deployment, lease Lease) error {
	return l.writeRecord(ctx, tx, RecordKey(sc, d), d, lease, lease.Until)
}

// park takes a record the engine cannot read off the schedule, so that it
// does not wedge the runner.
func (l *Lifecycle) park(ctx context.Context, tx appconfig.Tx, rec appconfig.Record) error {
	rec.DueAt = time.Time{}
	return tx.Put(lifecycleCtx(ctx), rec)
}

// NoteDelivery writes the latest outcome of an extension delivery (an
// error, or its absence) onto its invocation in the deployment's event
// log. A deployment or invocation that no longer exists is ignored. It is
// not a transition: no hook runs and no state moves.
func (l *Lifecycle) NoteDelivery(ctx context.Context, tx appconfig.Tx, k appconfig.Key, event int, invocationID, code, msg string) error {
	rec, err := tx.Get(ctx, k, true, false)
	if appconfig.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	d, lease, err := decodeRecord(rec)
	if err != nil || event < 0 || event >= len(d.EventLog) {
		return err
	}
	ev := &d.EventLog[event]
	for i := range ev.ActionInvocations {
		inv := &ev.ActionInvocations[i]
		if inv.InvocationID != invocationID {
			continue
		}
		if inv.ErrorCode == code && inv.ErrorMessage == msg {
			return nil
		}
		inv.ErrorCode, inv.ErrorMessage = code, msg
		return l.writeRecord(ctx, tx, k, d, lease, rec.DueAt)
	}
	return nil
}

// Forget deletes every deployment record of an environment (the
// environment is being deleted; none is active).
func (l *Lifecycle) Forget(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string) error {
	_, err := tx.DeleteAll(lifecycleCtx(ctx), Query(sc, appID, envID))
	return err
}

// persist writes a deployment after a transition: it runs the hooks of the
// added events, stores the record with its next wake-up, moves the
// environment's state along, and notifies the data plane. The hooks may
// add to d (the invocations of its events): on return d is what was
// stored. It is the one place a transition becomes durable.
func (l *Lifecycle) persist(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, prevState appconfig.DeploymentState, d *appconfig.Deployment, lease Lease, added int, now time.Time) error {
	if l.hooks != nil {
		for i := len(d.EventLog) - added; i < len(d.EventLog); i++ {
			ev := &d.EventLog[i]
			if p := appconfig.PointForEvent(ev.EventType); p != "" {
				if err := l.hooks.OnEvent(ctx, tx, sc, d, ev, p); err != nil {
					return err
				}
			}
		}
	}
	due := NextWake(d, now)
	if !lease.Until.IsZero() && lease.Until.After(due) && d.State.Active() {
		due = lease.Until
	}
	if err := l.writeRecord(ctx, tx, RecordKey(sc, *d), *d, lease, due); err != nil {
		return err
	}
	// The environment's state moves only with the deployment's; what
	// clients are served moves with every event (a new percentage).
	if d.State != prevState {
		if err := setEnvironmentState(ctx, tx, sc, *d); err != nil {
			return err
		}
	}
	if d.State != prevState || added > 0 {
		tx.Notify(appconfig.EnvironmentTopic(sc, d.ApplicationID, d.EnvironmentID))
	}
	// Logged here, the one place every transition passes; should the
	// transaction fail after this, a line tells of a step not stored.
	LogTransition(l.log, sc, d, added)
	return nil
}

// writeRecord stores a deployment record's body and due time, and
// remembers the body's decoded form for the runner's next claim of it.
func (l *Lifecycle) writeRecord(ctx context.Context, tx appconfig.Tx, k appconfig.Key, d appconfig.Deployment, lease Lease, due time.Time) error {
	body := encodeRecord(d, lease)
	if err := tx.Put(lifecycleCtx(ctx), appconfig.Record{Key: k, Body: body, DueAt: due}); err != nil {
		return err
	}
	l.bodies.put(k, body, d, lease)
	return nil
}

type lifecycleKey struct{}

// lifecycleCtx marks the context of the lifecycle's own record writes.
func lifecycleCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, lifecycleKey{}, true)
}

// InLifecycle reports whether a store write with this context comes from
// the lifecycle. A test store that refuses deployment writes without the
// mark proves nothing else writes deployment records.
func InLifecycle(ctx context.Context) bool {
	v, _ := ctx.Value(lifecycleKey{}).(bool)
	return v
}

func setEnvironmentState(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d appconfig.Deployment) error {
	env, rec, err := records.Environments.Get(ctx, tx, records.EnvironmentKey(sc, d.ApplicationID, d.EnvironmentID), true)
	if appconfig.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	state := appconfig.EnvironmentStateFor(d.State)
	if env.State == state {
		return nil
	}
	env.State = state
	return records.Environments.Put(ctx, tx, rec, env)
}
