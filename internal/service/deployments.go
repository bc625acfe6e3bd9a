package service

import (
	"context"
	"strconv"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/deploy"
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
// there is none): the only one that can be active, and the one whose
// number the next deployment follows.
func newestDeployment(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string) (*appconfig.Deployment, error) {
	q := query(sc, appconfig.KindDeployment, appconfig.DeploymentParent(appID, envID))
	q.Desc, q.Limit = true, 1
	recs, err := tx.List(ctx, q)
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	d, err := deploy.DecodeDeployment(recs[0])
	if err != nil {
		return nil, err
	}
	return &d, nil
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
	q := query(sc, appconfig.KindDeployment, appconfig.DeploymentParent(appID, envID))
	q.Desc, q.Limit = true, 50
	for {
		recs, err := tx.List(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			d, err := deploy.DecodeDeployment(r)
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

// StartDeployment validates the configuration, runs PRE_START_DEPLOYMENT
// extensions, and records a new deployment that the engine then advances.
func (s *Service) StartDeployment(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string, in StartDeploymentInput) (appconfig.Deployment, error) {
	var (
		app      appconfig.Application
		env      appconfig.Environment
		prof     appconfig.ConfigurationProfile
		strategy appconfig.DeploymentStrategy
		version  appconfig.HostedConfigurationVersion
	)
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		if app, env, _, err = s.ResolveEnvironment(ctx, tx, sc, appIdent, envIdent, false); err != nil {
			return err
		}
		if prof, err = func() (appconfig.ConfigurationProfile, error) {
			p, _, err := s.resolveProfile(ctx, tx, sc, app.ID, in.ConfigurationProfileID, false)
			return p, err
		}(); err != nil {
			return err
		}
		if strategy, _, err = s.getStrategy(ctx, tx, sc, in.DeploymentStrategyID, false); err != nil {
			return err
		}
		if prof.LocationURI != appconfig.LocationHosted {
			return nil // read from its source below, outside the transaction
		}
		version, err = s.findVersion(ctx, tx, sc, app.ID, prof.ID, in.ConfigurationVersion)
		return err
	})
	if err != nil {
		return appconfig.Deployment{}, err
	}
	versionRef := itoa(version.VersionNumber)
	if prof.LocationURI != appconfig.LocationHosted {
		// A snapshot of the source's content at this version: the
		// deployment record keeps it, as a hosted version's content.
		f, err := s.fetchSource(ctx, sc, prof, in.ConfigurationVersion)
		if err != nil {
			return appconfig.Deployment{}, err
		}
		version = appconfig.HostedConfigurationVersion{Content: f.Content, ContentType: f.ContentType}
		versionRef = f.Version
	}
	if err := s.checkSize(len(version.Content)); err != nil {
		return appconfig.Deployment{}, err
	}
	if err := s.RunValidators(ctx, sc, prof, versionRef, version.Content); err != nil {
		return appconfig.Deployment{}, err
	}
	now := s.clock.Now()
	d := appconfig.Deployment{
		ApplicationID: app.ID, EnvironmentID: env.ID,
		ConfigurationProfileID: prof.ID, ConfigurationName: prof.Name, ConfigurationLocationURI: prof.LocationURI,
		ConfigurationVersion: versionRef, VersionLabel: version.VersionLabel, ContentType: version.ContentType,
		DeploymentStrategyID: strategy.ID, DeploymentDurationInMinutes: strategy.DeploymentDurationInMinutes,
		GrowthType: strategy.GrowthType, GrowthFactor: strategy.GrowthFactor, FinalBakeTimeInMinutes: strategy.FinalBakeTimeInMinutes,
		Description: in.Description, State: appconfig.DeploymentDeploying, StartedAt: now,
		KmsKeyIdentifier: in.KmsKeyIdentifier, KmsKeyArn: kmsKeyArn(sc, in.KmsKeyIdentifier),
		Monitors: env.Monitors,
	}
	if d.KmsKeyIdentifier == "" && version.KmsKeyArn != "" {
		d.KmsKeyArn = version.KmsKeyArn
	}
	content := version.Content
	var preInvocations []appconfig.ActionInvocation
	if s.hooks.PreStartDeployment != nil {
		pre := &PreStart{Application: app, Environment: env, Profile: prof, Deployment: &d, Content: content, Dynamic: in.DynamicParameters}
		if err := s.hooks.PreStartDeployment(ctx, sc, pre); err != nil {
			return appconfig.Deployment{}, err
		}
		content, preInvocations = pre.Content, pre.Invocations
		if err := s.checkSize(len(content)); err != nil {
			return appconfig.Deployment{}, err
		}
	}
	var engineHooks deploy.Hooks
	if s.runner != nil {
		engineHooks = s.runner.Config().Hooks
	}
	err = s.store.Update(ctx, func(tx appconfig.Tx) error {
		// Lock the environment: one active deployment per environment.
		if _, err := tx.Get(ctx, appconfig.EnvironmentKey(sc, app.ID, env.ID), true, false); err != nil {
			return err
		}
		// One read of the newest deployment answers: is one active, what
		// number comes next, and (when it is of this profile) what is served.
		newest, err := newestDeployment(ctx, tx, sc, app.ID, env.ID)
		if err != nil {
			return err
		}
		latest := 0
		if newest != nil {
			if newest.State.Active() {
				return appconfig.Conflict("Deployment number %d is in progress in environment %s. Wait for it to finish or stop it before starting another.", newest.DeploymentNumber, env.ID)
			}
			latest = newest.DeploymentNumber
		}
		if in.LatestDeploymentNumber != nil && *in.LatestDeploymentNumber != latest {
			return appconfig.Conflict("LatestDeploymentNumber %d does not match the latest deployment number %d of environment %s.", *in.LatestDeploymentNumber, latest, env.ID)
		}
		d.DeploymentNumber = latest + 1
		prev, err := servedBeforeGiven(ctx, tx, sc, newest, app.ID, env.ID, prof.ID)
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
		applied, ticks, err := s.AppliedExtensions(ctx, tx, sc, app.ID, env.ID, prof.ID)
		if err != nil {
			return err
		}
		d.AppliedExtensions, d.Ticks = applied, ticks
		if len(d.Monitors) > 0 {
			d.NextMonitor = now
		}
		if d.Ticks {
			d.NextTick = now
		}
		d.EventLog = []appconfig.DeploymentEvent{{EventType: appconfig.EventDeploymentStarted, TriggeredBy: appconfig.TriggeredByUser, Description: "Deployment started", OccurredAt: now, ActionInvocations: preInvocations}}
		rec := appconfig.Record{Key: appconfig.DeploymentKey(sc, app.ID, env.ID, d.DeploymentNumber), Body: deploy.EncodeDeployment(d), Data: nonNil(content)}
		if err := tx.Insert(ctx, &rec); err != nil {
			if appconfig.IsConflict(err) {
				return appconfig.Conflict("Deployment number %d already exists", d.DeploymentNumber)
			}
			return err
		}
		// Persist adds the event's invocations to d, as stored.
		if err := deploy.Persist(ctx, tx, engineHooks, sc, rec, "", &d, 1, now); err != nil {
			return err
		}
		return s.putTags(ctx, tx, sc, appconfig.DeploymentParent(app.ID, env.ID), DeploymentARN(sc, app.ID, env.ID, d.DeploymentNumber), in.Tags)
	})
	if err != nil {
		return appconfig.Deployment{}, err
	}
	deploy.LogTransition(s.log, sc, &d, 1)
	if s.runner != nil {
		s.runner.Kick()
	}
	return d, nil
}

func (s *Service) getDeployment(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appIdent, envIdent string, number int, forUpdate bool) (appconfig.Deployment, appconfig.Record, error) {
	app, env, _, err := s.ResolveEnvironment(ctx, tx, sc, appIdent, envIdent, false)
	if err != nil {
		return appconfig.Deployment{}, appconfig.Record{}, err
	}
	rec, err := tx.Get(ctx, appconfig.DeploymentKey(sc, app.ID, env.ID, number), forUpdate, false)
	if appconfig.IsNotFound(err) {
		return appconfig.Deployment{}, rec, appconfig.NotFound("Deployment", "Deployment %d of environment %s not found", number, env.ID)
	}
	if err != nil {
		return appconfig.Deployment{}, rec, err
	}
	d, err := deploy.DecodeDeployment(rec)
	return d, rec, err
}

// GetDeployment returns one deployment.
func (s *Service) GetDeployment(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string, number int) (appconfig.Deployment, error) {
	var d appconfig.Deployment
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		d, _, err = s.getDeployment(ctx, tx, sc, appIdent, envIdent, number, false)
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
		q := query(sc, appconfig.KindDeployment, appconfig.DeploymentParent(app.ID, env.ID))
		q.Desc = true
		page, err = listPage(ctx, tx, q, p, func(r appconfig.Record) (appconfig.Deployment, bool, error) {
			d, err := deploy.DecodeDeployment(r)
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
	var engineHooks deploy.Hooks
	if s.runner != nil {
		engineHooks = s.runner.Config().Hooks
	}
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		d, rec, err := s.getDeployment(ctx, tx, sc, appIdent, envIdent, number, true)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		prev := d.State
		switch d.State {
		case appconfig.DeploymentDeploying, appconfig.DeploymentBaking, appconfig.DeploymentValidating:
			deploy.StartRollback(&d, now, appconfig.TriggeredByUser, "Deployment rollback started by user of account "+sc.Account)
			d.LeaseOwner, d.LeaseUntil = "", time.Time{}
		case appconfig.DeploymentRollingBack:
			return appconfig.BadRequest("Deployment %d is already rolling back.", number)
		case appconfig.DeploymentComplete:
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
			d.State = appconfig.DeploymentReverted
			d.EventLog = append(d.EventLog, appconfig.DeploymentEvent{EventType: appconfig.EventRevertCompleted, TriggeredBy: appconfig.TriggeredByUser, Description: "Deployment reverted by user of account " + sc.Account, OccurredAt: now})
		default:
			return appconfig.BadRequest("Deployment %d is %s and cannot be stopped.", number, d.State)
		}
		if err := deploy.Persist(ctx, tx, engineHooks, sc, rec, prev, &d, 1, now); err != nil {
			return err
		}
		out = d
		return nil
	})
	if err == nil {
		deploy.LogTransition(s.log, sc, &out, 1)
	}
	if err == nil && s.runner != nil {
		s.runner.Kick()
	}
	return out, err
}
