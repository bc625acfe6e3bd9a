package service

import (
	"context"
	"errors"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Managed deployments: each transition of a run that changes what clients
// see (Start, an Update of exposure or overrides, Stop) deploys the
// profile to the environment on the system's behalf. The deployment is an
// ordinary one, recorded by deploy.Lifecycle with Type MANAGED: it is
// listed with the user's, runs the environment's extensions at every
// action point (PRE_START_DEPLOYMENT with the run's dynamic parameters),
// carries the run's deployment tags, and conflicts with a deployment in
// progress exactly as two user deployments do. It redeploys the version
// the environment serves, at once (no growth, no bake, no monitors: the
// run's alarm watcher watches the environment's monitors instead), so it
// completes within the run's own transaction unless AT_DEPLOYMENT_TICK
// actions apply, and the run's event names it in AssociatedDeployment.

// managedDraft is a managed deployment prepared outside the run's write
// transaction: the plan with its PRE_START_DEPLOYMENT actions already run.
type managedDraft struct {
	plan deploy.StartPlan
	tags map[string]string
	// source is the deployment whose content is redeployed: the write
	// transaction refuses the plan if the environment's served version
	// moved meanwhile.
	source int
}

// runTarget is what a run deploys to: its environment and profile.
type runTarget struct {
	app  appconfig.Application
	env  appconfig.Environment
	prof appconfig.ConfigurationProfile
}

// prepareManaged builds the managed deployment of a run transition and
// runs its PRE_START_DEPLOYMENT actions (which may refuse it, or replace
// its content, as for a user's deployment). It returns nil when the
// environment serves nothing of the profile: there is nothing to deploy.
func (s *Service) prepareManaged(ctx context.Context, sc appconfig.Scope, t runTarget, desc string, params appconfig.RunDeploymentParameters) (*managedDraft, error) {
	var served *appconfig.Deployment
	var content []byte
	var number int
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		// Refuse early, before any extension runs (the write transaction
		// checks again), and predict the number extensions see.
		var err error
		if number, err = nextDeploymentNumber(ctx, tx, sc, t.app.ID, t.env.ID); err != nil {
			return err
		}
		served, content, err = servedContent(ctx, tx, sc, t.app.ID, t.env.ID, t.prof.ID)
		return err
	})
	if err != nil || served == nil {
		return nil, err
	}
	d := appconfig.Deployment{
		ApplicationID: t.app.ID, EnvironmentID: t.env.ID, DeploymentNumber: number,
		ConfigurationProfileID: t.prof.ID, ConfigurationName: t.prof.Name, ConfigurationLocationURI: t.prof.LocationURI,
		ConfigurationVersion: served.ConfigurationVersion, VersionLabel: served.VersionLabel, ContentType: served.ContentType,
		GrowthType: appconfig.GrowthLinear, GrowthFactor: 100,
		Description: desc, State: appconfig.DeploymentDeploying, StartedAt: s.clock.Now(),
		KmsKeyIdentifier: served.KmsKeyIdentifier, KmsKeyArn: served.KmsKeyArn,
	}
	draft := &managedDraft{plan: deploy.StartPlan{Scope: sc, Type: appconfig.DeploymentTypeManaged, Deployment: d, Content: content},
		tags: params.Tags, source: served.DeploymentNumber}
	if s.hooks.PreStartDeployment != nil {
		pre := &PreStart{Application: t.app, Environment: t.env, Profile: t.prof, Deployment: &draft.plan.Deployment, Content: content, Dynamic: params.DynamicExtensionParameters}
		if err := s.hooks.PreStartDeployment(ctx, sc, pre); err != nil {
			return nil, err
		}
		draft.plan.Content, draft.plan.PreInvocations = pre.Content, pre.Invocations
		if err := s.checkSize(len(draft.plan.Content)); err != nil {
			return nil, err
		}
	}
	return draft, nil
}

// servedContent is the deployment whose configuration an environment
// serves for a profile when none of it is in progress, and that content
// (nil deployment: nothing served).
func servedContent(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID, profID string) (*appconfig.Deployment, []byte, error) {
	d, err := servedBefore(ctx, tx, sc, appID, envID, profID)
	if err != nil || d == nil {
		return nil, nil, err
	}
	number := d.DeploymentNumber
	if d.State != appconfig.DeploymentComplete && !d.State.Active() {
		number = d.PreviousDeployment // rolled back or reverted
	}
	if number == 0 {
		return nil, nil, nil
	}
	src := d
	if number != d.DeploymentNumber {
		got, err := deploy.Get(ctx, tx, sc, appID, envID, number, false)
		if appconfig.IsNotFound(err) {
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		src = &got
	}
	rec, err := tx.Get(ctx, deploy.Key(sc, appID, envID, number), false, true)
	if appconfig.IsNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return src, rec.Data, nil
}

// startManaged records a prepared managed deployment inside the run's
// transaction and returns its ARN. A deployment in progress in the
// environment refuses it with a Conflict (as it refuses a user's), and so
// does a change of the served version since it was prepared.
func (s *Service) startManaged(ctx context.Context, tx appconfig.Tx, draft *managedDraft) (string, error) {
	plan := draft.plan
	if err := s.completePlan(ctx, tx, &plan, nil); err != nil {
		return "", err
	}
	d := &plan.Deployment
	if d.PreviousDeployment != draft.source {
		return "", staleDraft{appconfig.Conflict("The configuration deployed to environment %s changed while the experiment's deployment was prepared; try again.", d.EnvironmentID)}
	}
	now, sc := s.clock.Now(), plan.Scope
	started, err := s.life.Start(ctx, tx, now, plan)
	if err != nil {
		return "", err
	}
	// Nothing to wait for (no growth, no bake, no monitors): the engine's
	// steps at now complete it in this transaction, so the run's call
	// returns with its deployment COMPLETE, as AWS's does about half a
	// second after it starts. AT_DEPLOYMENT_TICK actions run outside any
	// transaction: with those, the runner completes it after they answer.
	for i := 0; i < 8 && started.State.Active(); i++ {
		if _, tick := deploy.NeedsIO(&started, now); tick {
			break
		}
		if started, err = s.life.Advance(ctx, tx, sc, started, deploy.Lease{}, now, deploy.Observation{}); err != nil {
			return "", err
		}
	}
	arn := DeploymentARN(sc, started.ApplicationID, started.EnvironmentID, started.DeploymentNumber)
	return arn, s.putTags(ctx, tx, sc, records.DeploymentParent(started.ApplicationID, started.EnvironmentID), arn, draft.tags)
}

// loadRunTarget reads the application, environment and profile a run (or
// a definition about to run) deploys to.
func (s *Service) loadRunTarget(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, def appconfig.ExperimentDefinition) (runTarget, error) {
	var t runTarget
	var err error
	if t.app, _, err = s.resolveApp(ctx, tx, sc, def.ApplicationID, false); err != nil {
		return t, err
	}
	if t.env, _, err = s.resolveEnv(ctx, tx, sc, def.ApplicationID, def.EnvironmentID, false); err != nil {
		return t, err
	}
	t.prof, _, err = s.resolveProfile(ctx, tx, sc, def.ApplicationID, def.ConfigurationProfileID, false)
	return t, err
}

// runChanged is where a run's transition reaches what clients see, inside
// the transaction that records it: the prepared managed deployment (nil:
// none) starts, the run's events from index first on name it, and the
// environment's topic tells the data plane to reload the run.
func (s *Service) runChanged(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, run *appconfig.ExperimentRun, draft *managedDraft, first int) error {
	tx.Notify(appconfig.EnvironmentTopic(sc, run.ApplicationID, run.Snapshot.EnvironmentID))
	if draft == nil {
		return nil
	}
	arn, err := s.startManaged(ctx, tx, draft)
	if err != nil {
		return err
	}
	for i := first; i < len(run.EventLog); i++ {
		run.EventLog[i].AssociatedDeployment = arn
	}
	return nil
}

// managedDescription describes the managed deployment of a run's
// transition ("started", "updated", "stopped").
func managedDescription(def appconfig.ExperimentDefinition, run int, what string) string {
	return "Managed deployment: experiment " + def.Name + " (" + def.ID + ") run " + itoa(run) + " " + what
}

// staleDraft is the Conflict of a run change whose managed deployment was
// prepared (PRE_START_DEPLOYMENT actions run outside any transaction)
// against a state that changed before the change's transaction: a
// deployment completed meanwhile, or the run itself changed. The public
// run operations prepare such a change again, up to maxPrepares times.
type staleDraft struct{ err *appconfig.Error }

func (e staleDraft) Error() string { return e.err.Error() }
func (e staleDraft) Unwrap() error { return e.err }

// maxPrepares bounds how often a run change is prepared.
const maxPrepares = 3

// againIfStale runs a run change (prepare, then commit) and runs it again
// while it fails with a staleDraft, at most maxPrepares times in all; the
// last one's Conflict is returned as it is.
func againIfStale[T any](change func() (T, error)) (T, error) {
	for i := 1; ; i++ {
		v, err := change()
		var sd staleDraft
		if !errors.As(err, &sd) {
			return v, err
		}
		if i == maxPrepares {
			return v, sd.err
		}
	}
}
