package service

import (
	"context"
	"strconv"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/records"
)

// revertWindow is how long after completion a deployment may be reverted.
const revertWindow = 72 * time.Hour

// StartDeploymentInput starts a deployment.
type StartDeploymentInput struct {
	DeploymentStrategyID   string
	ConfigurationProfileID string
	ConfigurationVersion   string
	Description            string
	Tags                   map[string]string
	KmsKeyIdentifier       string
	DynamicParameters      map[string]string
	LatestDeploymentNumber *int
}

// PreStart is what extensions see and may change before a deployment
// starts (PRE_START_DEPLOYMENT).
type PreStart struct {
	Application appconfig.Application
	Environment appconfig.Environment
	Profile     appconfig.ConfigurationProfile
	Deployment  *appconfig.Deployment // number predicted; Content may be replaced
	Content     []byte
	Dynamic     map[string]string
	// Invocations are the PRE_START_DEPLOYMENT actions that ran; they are
	// recorded on the DEPLOYMENT_STARTED event.
	Invocations []appconfig.ActionInvocation
}

func itoa(n int) string { return strconv.Itoa(n) }

// activeDeployment returns the environment's deployment in progress, if any.
func activeDeployment(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string) (*appconfig.Deployment, error) {
	d, err := newestDeployment(ctx, tx, sc, appID, envID)
	if err != nil || d == nil || !d.State.Active() {
		return nil, err
	}
	return d, nil
}

// newestDeployment returns the environment's newest deployment (nil when
// there is none).
func newestDeployment(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string) (*appconfig.Deployment, error) {
	return deploy.Newest(ctx, tx, sc, appID, envID)
}

// servedBeforeGiven is servedBefore when the environment's newest
// deployment is already known: it answers without a read when that one is
// of the profile.
func servedBeforeGiven(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, newest *appconfig.Deployment, appID, envID, profID string) (*appconfig.Deployment, error) {
	if newest == nil {
		return nil, nil
	}
	if newest.ConfigurationProfileID == profID {
		return newest, nil
	}
	return servedBefore(ctx, tx, sc, appID, envID, profID)
}

// activeDeploymentProfile returns the profile of the environment's
// deployment in progress ("" when none).
func (s *Service) activeDeploymentProfile(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string) (string, error) {
	d, err := activeDeployment(ctx, tx, sc, appID, envID)
	if err != nil || d == nil {
		return "", err
	}
	return d.ConfigurationProfileID, nil
}

// servedBefore finds what the environment serves for a profile when no
// deployment of it is in progress: the newest deployment of the profile
// decides (its version once complete, its predecessor's after a rollback
// or revert).
func servedBefore(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID, profID string) (*appconfig.Deployment, error) {
	q := deploy.Query(sc, appID, envID)
	q.Desc, q.Limit = true, 50
	for {
		recs, err := tx.List(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			d, err := deploy.Decode(r)
			if err != nil {
				return nil, err
			}
			if d.ConfigurationProfileID == profID {
				return &d, nil
			}
			q.AfterSeq = r.Seq
		}
		if len(recs) < q.Limit {
			return nil, nil
		}
	}
}

// startSources is what StartDeployment resolved outside any write
// transaction: the resources named, and the content to deploy.
type startSources struct {
	app      appconfig.Application
	env      appconfig.Environment
	prof     appconfig.ConfigurationProfile
	strategy appconfig.DeploymentStrategy
	version  appconfig.HostedConfigurationVersion
	// versionRef is the ConfigurationVersion recorded: the hosted version
	// number, or the source's version of a configuration kept elsewhere.
	versionRef string
	// number is the deployment's predicted number.
	number int
}

// nextDeploymentNumber is the number the environment's next deployment
// will get; a deployment in progress there is a Conflict.
func nextDeploymentNumber(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string) (int, error) {
	newest, err := newestDeployment(ctx, tx, sc, appID, envID)
	if err != nil || newest == nil {
		return 1, err
	}
	if newest.State.Active() {
		return 0, appconfig.Conflict("Deployment number %d is in progress in environment %s. Wait for it to finish or stop it before starting another.", newest.DeploymentNumber, envID)
	}
	return newest.DeploymentNumber + 1, nil
}

// StartDeployment validates the configuration, runs PRE_START_DEPLOYMENT
// extensions, and has the lifecycle record a new deployment that the
// engine then advances.
func (s *Service) StartDeployment(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string, in StartDeploymentInput) (appconfig.Deployment, error) {
	// Steps already due go first when the engine is behind.
	if err := s.life.Admit(ctx); err != nil {
		return appconfig.Deployment{}, err
	}
	src, err := s.resolveStart(ctx, sc, appIdent, envIdent, in)
	if err != nil {
		return appconfig.Deployment{}, err
	}
	if err := s.checkSize(len(src.version.Content)); err != nil {
		return appconfig.Deployment{}, err
	}
	if err := s.RunValidators(ctx, sc, src.prof, src.versionRef, src.version.Content); err != nil {
		return appconfig.Deployment{}, err
	}
	plan := deploy.StartPlan{Scope: sc, Type: appconfig.DeploymentTypeUser, Deployment: s.draftDeployment(sc, src, in), Content: src.version.Content}
	if s.hooks.PreStartDeployment != nil {
		pre := &PreStart{Application: src.app, Environment: src.env, Profile: src.prof, Deployment: &plan.Deployment, Content: plan.Content, Dynamic: in.DynamicParameters}
		if err := s.hooks.PreStartDeployment(ctx, sc, pre); err != nil {
			return appconfig.Deployment{}, err
		}
		plan.Content, plan.PreInvocations = pre.Content, pre.Invocations
		if err := s.checkSize(len(plan.Content)); err != nil {
			return appconfig.Deployment{}, err
		}
	}
	var d appconfig.Deployment
	err = s.store.Update(ctx, func(tx appconfig.Tx) error {
		if err := s.completePlan(ctx, tx, &plan, in.LatestDeploymentNumber); err != nil {
			return err
		}
		var err error
		if d, err = s.life.Start(ctx, tx, s.clock.Now(), plan); err != nil {
			return err
		}
		return s.putTags(ctx, tx, sc, records.DeploymentParent(d.ApplicationID, d.EnvironmentID), DeploymentARN(sc, d.ApplicationID, d.EnvironmentID, d.DeploymentNumber), in.Tags)
	})
	if err != nil {
		return appconfig.Deployment{}, err
	}
	s.life.Kick()
	return d, nil
}

// resolveStart resolves the names of a StartDeployment and reads the
// content to deploy: a hosted version, or a snapshot of a configuration
// kept elsewhere at the version named (the deployment record keeps it, as
// a hosted version's content).
func (s *Service) resolveStart(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string, in StartDeploymentInput) (startSources, error) {
	var src startSources
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		if src.app, src.env, _, err = s.ResolveEnvironment(ctx, tx, sc, appIdent, envIdent, false); err != nil {
			return err
		}
		if src.prof, _, err = s.resolveProfile(ctx, tx, sc, src.app.ID, in.ConfigurationProfileID, false); err != nil {
			return err
		}
		if src.strategy, _, err = s.getStrategy(ctx, tx, sc, in.DeploymentStrategyID, false); err != nil {
			return err
		}
		// A deployment in progress refuses this one before any
		// PRE_START_DEPLOYMENT action runs (completePlan checks again);
		// the actions see the number it will most likely get.
		if src.number, err = nextDeploymentNumber(ctx, tx, sc, src.app.ID, src.env.ID); err != nil {
			return err
		}
		if src.prof.LocationURI != appconfig.LocationHosted {
			return nil // read from its source below, outside the transaction
		}
		src.version, err = s.findVersion(ctx, tx, sc, src.app.ID, src.prof.ID, in.ConfigurationVersion)
		return err
	})
	if err != nil {
		return src, err
	}
	src.versionRef = itoa(src.version.VersionNumber)
	if src.prof.LocationURI != appconfig.LocationHosted {
		f, err := s.fetchSource(ctx, sc, src.prof, in.ConfigurationVersion)
		if err != nil {
			return src, err
		}
		src.version = appconfig.HostedConfigurationVersion{Content: f.Content, ContentType: f.ContentType}
		src.versionRef = f.Version
	}
	return src, nil
}

// draftDeployment is the deployment a start describes before its number
// and predecessor are known (PRE_START_DEPLOYMENT actions see it).
func (s *Service) draftDeployment(sc appconfig.Scope, src startSources, in StartDeploymentInput) appconfig.Deployment {
	d := appconfig.Deployment{
		ApplicationID: src.app.ID, EnvironmentID: src.env.ID, DeploymentNumber: src.number,
		ConfigurationProfileID: src.prof.ID, ConfigurationName: src.prof.Name, ConfigurationLocationURI: src.prof.LocationURI,
		ConfigurationVersion: src.versionRef, VersionLabel: src.version.VersionLabel, ContentType: src.version.ContentType,
		DeploymentStrategyID: src.strategy.ID, DeploymentDurationInMinutes: src.strategy.DeploymentDurationInMinutes,
		GrowthType: src.strategy.GrowthType, GrowthFactor: src.strategy.GrowthFactor, FinalBakeTimeInMinutes: src.strategy.FinalBakeTimeInMinutes,
		Description: in.Description, State: appconfig.DeploymentDeploying, StartedAt: s.clock.Now(),
		KmsKeyIdentifier: in.KmsKeyIdentifier, KmsKeyArn: kmsKeyArn(sc, in.KmsKeyIdentifier),
		Monitors: src.env.Monitors,
	}
	if d.KmsKeyIdentifier == "" && src.version.KmsKeyArn != "" {
		d.KmsKeyArn = src.version.KmsKeyArn
	}
	return d
}

// completePlan applies, inside the write transaction, the rules that need
// the environment locked: one active deployment per environment, the
// LatestDeploymentNumber optimistic lock, the next number, what the
// environment served before, and the extensions in force.
func (s *Service) completePlan(ctx context.Context, tx appconfig.Tx, plan *deploy.StartPlan, latestNumber *int) error {
	sc, d := plan.Scope, &plan.Deployment
	// Lock the environment: one active deployment per environment.
	if _, err := tx.Get(ctx, records.EnvironmentKey(sc, d.ApplicationID, d.EnvironmentID), true, false); err != nil {
		return err
	}
	// One read of the newest deployment answers: is one active, what
	// number comes next, and (when it is of this profile) what is served.
	newest, err := newestDeployment(ctx, tx, sc, d.ApplicationID, d.EnvironmentID)
	if err != nil {
		return err
	}
	latest := 0
	if newest != nil {
		if newest.State.Active() {
			return appconfig.Conflict("Deployment number %d is in progress in environment %s. Wait for it to finish or stop it before starting another.", newest.DeploymentNumber, d.EnvironmentID)
		}
		latest = newest.DeploymentNumber
	}
	if latestNumber != nil && *latestNumber != latest {
		return appconfig.Conflict("LatestDeploymentNumber %d does not match the latest deployment number %d of environment %s.", *latestNumber, latest, d.EnvironmentID)
	}
	d.DeploymentNumber = latest + 1
	prev, err := servedBeforeGiven(ctx, tx, sc, newest, d.ApplicationID, d.EnvironmentID, d.ConfigurationProfileID)
	if err != nil {
		return err
	}
	if prev != nil {
		switch prev.State {
		case appconfig.DeploymentComplete:
			d.PreviousVersion, d.PreviousDeployment, d.PreviousContentType, d.PreviousLabel = prev.ConfigurationVersion, prev.DeploymentNumber, prev.ContentType, prev.VersionLabel
		default:
			d.PreviousVersion, d.PreviousDeployment, d.PreviousContentType, d.PreviousLabel = prev.PreviousVersion, prev.PreviousDeployment, prev.PreviousContentType, prev.PreviousLabel
		}
	}
	d.AppliedExtensions, d.Ticks, err = s.AppliedExtensions(ctx, tx, sc, d.ApplicationID, d.EnvironmentID, d.ConfigurationProfileID)
	return err
}

func (s *Service) getDeployment(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appIdent, envIdent string, number int, forUpdate bool) (appconfig.Deployment, error) {
	app, env, _, err := s.ResolveEnvironment(ctx, tx, sc, appIdent, envIdent, false)
	if err != nil {
		return appconfig.Deployment{}, err
	}
	d, err := deploy.Get(ctx, tx, sc, app.ID, env.ID, number, forUpdate)
	if appconfig.IsNotFound(err) {
		return d, appconfig.NotFound("Deployment", "Deployment %d of environment %s not found", number, env.ID)
	}
	return d, err
}

// GetDeployment returns one deployment.
func (s *Service) GetDeployment(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string, number int) (appconfig.Deployment, error) {
	var d appconfig.Deployment
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		d, err = s.getDeployment(ctx, tx, sc, appIdent, envIdent, number, false)
		return err
	})
	return d, err
}

// ListDeployments lists an environment's deployments, newest first.
func (s *Service) ListDeployments(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string, p appconfig.PageRequest) (appconfig.Page[appconfig.Deployment], error) {
	var page appconfig.Page[appconfig.Deployment]
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		app, env, _, err := s.ResolveEnvironment(ctx, tx, sc, appIdent, envIdent, false)
		if err != nil {
			return err
		}
		q := deploy.Query(sc, app.ID, env.ID)
		q.Desc = true
		page, err = listPage(ctx, tx, q, p, func(r appconfig.Record) (appconfig.Deployment, bool, error) {
			d, err := deploy.Decode(r)
			return d, true, err
		})
		return err
	})
	return page, err
}

// StopDeployment rolls back a deployment in progress, or reverts a
// completed one when allowRevert is set (within 72 hours).
func (s *Service) StopDeployment(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string, number int, allowRevert bool) (appconfig.Deployment, error) {
	var out appconfig.Deployment
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		d, err := s.getDeployment(ctx, tx, sc, appIdent, envIdent, number, true)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		switch d.State {
		case appconfig.DeploymentDeploying, appconfig.DeploymentBaking:
			out, err = s.life.Stop(ctx, tx, sc, d, now)
			return err
		case appconfig.DeploymentRollingBack:
			return appconfig.BadRequest("Deployment %d is already rolling back.", number)
		case appconfig.DeploymentComplete:
			if err := s.checkRevert(ctx, tx, sc, d, now, allowRevert); err != nil {
				return err
			}
			out, err = s.life.Revert(ctx, tx, sc, d, now)
			return err
		}
		return appconfig.BadRequest("Deployment %d is %s and cannot be stopped.", number, d.State)
	})
	if err == nil {
		s.life.Kick()
	}
	return out, err
}

// checkRevert applies the rules of reverting a completed deployment:
// asked for, within the revert window, no deployment in progress, and the
// latest of its profile in the environment.
func (s *Service) checkRevert(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d appconfig.Deployment, now time.Time, allowRevert bool) error {
	number := d.DeploymentNumber
	if !allowRevert {
		return appconfig.BadRequest("Deployment %d is complete and cannot be stopped. To revert it, call StopDeployment with Allow-Revert set to true.", number)
	}
	if now.Sub(d.CompletedAt) > revertWindow {
		return appconfig.BadRequest("Deployment %d completed more than 72 hours ago and can no longer be reverted.", number)
	}
	newest, err := newestDeployment(ctx, tx, sc, d.ApplicationID, d.EnvironmentID)
	if err != nil {
		return err
	}
	if newest != nil && newest.State.Active() {
		return appconfig.Conflict("Deployment number %d is in progress in environment %s; deployment %d cannot be reverted now.", newest.DeploymentNumber, d.EnvironmentID, number)
	}
	latest, err := servedBeforeGiven(ctx, tx, sc, newest, d.ApplicationID, d.EnvironmentID, d.ConfigurationProfileID)
	if err != nil {
		return err
	}
	if latest != nil && latest.DeploymentNumber != d.DeploymentNumber {
		return appconfig.BadRequest("Only the latest deployment of a configuration profile can be reverted; deployment %d of this profile is newer.", latest.DeploymentNumber)
	}
	return nil
}
