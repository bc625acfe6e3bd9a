package service

import (
	"context"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

func (s *Service) resolveEnv(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, ident string, forUpdate bool) (appconfig.Environment, appconfig.Record, error) {
	r, err := resolve(ctx, tx, records.EnvironmentKey(sc, appID, ident), forUpdate)
	if appconfig.IsNotFound(err) {
		return appconfig.Environment{}, r, appconfig.NotFound("Environment", "Environment %s not found", ident)
	}
	if err != nil {
		return appconfig.Environment{}, r, err
	}
	env, err := records.Environments.Decode(r)
	return env, r, err
}

// ResolveEnvironment resolves an application and one of its environments
// by ID or name.
func (s *Service) ResolveEnvironment(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appIdent, envIdent string, forUpdate bool) (appconfig.Application, appconfig.Environment, appconfig.Record, error) {
	app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
	if err != nil {
		return app, appconfig.Environment{}, appconfig.Record{}, err
	}
	env, r, err := s.resolveEnv(ctx, tx, sc, app.ID, envIdent, forUpdate)
	return app, env, r, err
}

// CreateEnvironmentInput is a new environment.
type CreateEnvironmentInput struct {
	Name, Description string
	Monitors          []appconfig.Monitor
	Tags              map[string]string
}

// CreateEnvironment creates an environment in an application.
func (s *Service) CreateEnvironment(ctx context.Context, sc appconfig.Scope, appIdent string, in CreateEnvironmentInput) (appconfig.Environment, error) {
	now := s.clock.Now()
	env := appconfig.Environment{Name: in.Name, Description: in.Description, Monitors: in.Monitors, State: appconfig.EnvReadyForDeployment, CreatedAt: now}
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, true)
		if err != nil {
			return err
		}
		// The application's row, locked above, serializes its creations.
		q := quota{counted: records.EnvironmentsOf(sc, app.ID).Query, limit: s.quotas.EnvironmentsPerApp, exceeded: func() error {
			return appconfig.QuotaExceeded("You have reached the limit of %d environments for application %s.", s.quotas.EnvironmentsPerApp, app.ID)
		}}
		env.ApplicationID = app.ID
		id, err := insertNewCapped(ctx, tx, q, records.Environments, records.EnvironmentKey(sc, app.ID, ""), in.Name, func(id string) appconfig.Environment {
			env.ID = id
			return env
		})
		if err != nil {
			return err
		}
		env.ID = id
		tx.Notify(appconfig.NamesTopic(sc, app.ID))
		return s.putTags(ctx, tx, sc, records.Parent(app.ID, id), EnvironmentARN(sc, app.ID, id), in.Tags)
	})
	return env, err
}

// GetEnvironment returns an environment.
func (s *Service) GetEnvironment(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string) (appconfig.Environment, error) {
	var env appconfig.Environment
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		_, env, _, err = s.ResolveEnvironment(ctx, tx, sc, appIdent, envIdent, false)
		return err
	})
	return env, err
}

// UpdateEnvironmentInput changes the members that are not nil; a non-nil
// empty Monitors clears them.
type UpdateEnvironmentInput struct {
	Name, Description *string
	Monitors          []appconfig.Monitor
}

// UpdateEnvironment changes an environment.
func (s *Service) UpdateEnvironment(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string, in UpdateEnvironmentInput) (appconfig.Environment, error) {
	var env appconfig.Environment
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		var r appconfig.Record
		var err error
		_, env, r, err = s.ResolveEnvironment(ctx, tx, sc, appIdent, envIdent, true)
		if err != nil {
			return err
		}
		if in.Name != nil && *in.Name != env.Name {
			env.Name = *in.Name
			tx.Notify(appconfig.NamesTopic(sc, env.ApplicationID))
		}
		if in.Description != nil {
			env.Description = *in.Description
		}
		if in.Monitors != nil {
			env.Monitors = in.Monitors
		}
		r.Name = env.Name
		return records.Environments.Put(ctx, tx, r, env)
	})
	return env, err
}

// DeleteEnvironment deletes an environment, its deployments and tags,
// unless a deployment is in progress or deletion protection refuses.
func (s *Service) DeleteEnvironment(ctx context.Context, sc appconfig.Scope, appIdent, envIdent string, check appconfig.DeletionProtectionCheck) error {
	now := s.clock.Now()
	return s.updateAssociations(ctx, sc, func(tx appconfig.Tx) error {
		app, env, r, err := s.ResolveEnvironment(ctx, tx, sc, appIdent, envIdent, true)
		if err != nil {
			return err
		}
		if env.State == appconfig.EnvDeploying || env.State == appconfig.EnvRollingBack {
			return appconfig.Conflict("Environment %s has a deployment in progress and cannot be deleted.", env.ID)
		}
		if err := refuseExperimentsOn(ctx, tx, sc, app.ID, env.ID, ""); err != nil {
			return err
		}
		if err := s.checkDeletionProtection(ctx, tx, sc, check, now, env.CreatedAt, usageKey("environment", app.ID, env.ID), func() error {
			return appconfig.BadRequest("Environment %s is actively being used in your application and cannot be deleted.", env.Name)
		}); err != nil {
			return err
		}
		if err := s.deleteAssociationsOf(ctx, tx, sc, EnvironmentARN(sc, app.ID, env.ID)); err != nil {
			return err
		}
		if err := s.life.Forget(ctx, tx, sc, app.ID, env.ID); err != nil {
			return err
		}
		if _, err := records.TagsUnder(sc, records.DeploymentParent(app.ID, env.ID)).DeleteAll(ctx, tx); err != nil {
			return err
		}
		if err := tx.Delete(ctx, records.UsageKey(sc, usageKey("environment", app.ID, env.ID))); err != nil && !appconfig.IsNotFound(err) {
			return err
		}
		tx.Notify(appconfig.EnvironmentTopic(sc, app.ID, env.ID))
		tx.Notify(appconfig.NamesTopic(sc, app.ID))
		return tx.Delete(ctx, r.Key)
	})
}

// ListEnvironments lists an application's environments.
func (s *Service) ListEnvironments(ctx context.Context, sc appconfig.Scope, appIdent string, p appconfig.PageRequest) (appconfig.Page[appconfig.Environment], error) {
	var page appconfig.Page[appconfig.Environment]
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
		if err != nil {
			return err
		}
		page, err = pageOf(ctx, tx, records.EnvironmentsOf(sc, app.ID), p, keep)
		return err
	})
	return page, err
}

// checkDeletionProtection applies docs/aws-behavior.md §7: refuse (with
// refusal()) when the resource was used within the protection period.
func (s *Service) checkDeletionProtection(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, check appconfig.DeletionProtectionCheck, now, createdAt time.Time, usage string, refusal func() error) error {
	if check == appconfig.ProtectionBypass {
		return nil
	}
	settings, err := s.accountSettings(ctx, tx, sc)
	if err != nil {
		return err
	}
	if check != appconfig.ProtectionApply {
		if !settings.DeletionProtection.Enabled {
			return nil
		}
		// Resources younger than an hour are exempt unless APPLY.
		if now.Sub(createdAt) < time.Hour {
			return nil
		}
	}
	last, err := s.usage.lastUsed(ctx, tx, sc, usage)
	if err != nil {
		return err
	}
	period := time.Duration(settings.DeletionProtection.ProtectionPeriodInMinutes) * time.Minute
	if !last.IsZero() && now.Sub(last) < period {
		return refusal()
	}
	return nil
}
