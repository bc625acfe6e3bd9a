package service

import (
	"context"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

func (s *Service) resolveProfile(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, ident string, forUpdate bool) (appconfig.ConfigurationProfile, appconfig.Record, error) {
	r, err := resolve(ctx, tx, records.ProfileKey(sc, appID, ident), forUpdate)
	if appconfig.IsNotFound(err) {
		return appconfig.ConfigurationProfile{}, r, appconfig.NotFound("ConfigurationProfile", "Configuration profile %s not found", ident)
	}
	if err != nil {
		return appconfig.ConfigurationProfile{}, r, err
	}
	p, err := records.Profiles.Decode(r)
	return p, r, err
}

// ResolveProfile resolves an application and one of its configuration
// profiles by ID or name.
func (s *Service) ResolveProfile(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appIdent, profIdent string, forUpdate bool) (appconfig.Application, appconfig.ConfigurationProfile, appconfig.Record, error) {
	app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
	if err != nil {
		return app, appconfig.ConfigurationProfile{}, appconfig.Record{}, err
	}
	p, r, err := s.resolveProfile(ctx, tx, sc, app.ID, profIdent, forUpdate)
	return app, p, r, err
}

// CreateProfileInput is a new configuration profile.
type CreateProfileInput struct {
	Name, Description, LocationURI, RetrievalRoleArn string
	Validators                                       []appconfig.Validator
	Type, KmsKeyIdentifier                           string
	Tags                                             map[string]string
}

// checkLocation accepts hosted and what appconfig.ParseLocation (the
// parser deployments read sources with) accepts.
func checkLocation(uri string) error {
	if uri == appconfig.LocationHosted {
		return nil
	}
	if _, err := appconfig.ParseLocation(uri); err == nil {
		return nil
	}
	return appconfig.BadRequest("LocationUri %q is not supported. Use hosted, ssm-parameter://<name>, ssm-document://<name>, s3://<bucket>/<key>, secretsmanager://<name>, codepipeline://<name>, or a Parameter Store or SSM document ARN.", uri)
}

// kmsKeyArn resolves a KMS key identifier (key id, alias or ARN) into an
// ARN in the caller's account and region.
func kmsKeyArn(sc appconfig.Scope, ident string) string {
	switch {
	case ident == "":
		return ""
	case strings.HasPrefix(ident, "arn:"):
		return ident
	case strings.HasPrefix(ident, "alias/"):
		return "arn:" + Partition(sc.Region) + ":kms:" + sc.Region + ":" + sc.Account + ":" + ident
	}
	return "arn:" + Partition(sc.Region) + ":kms:" + sc.Region + ":" + sc.Account + ":key/" + ident
}

// CreateConfigurationProfile creates a configuration profile.
func (s *Service) CreateConfigurationProfile(ctx context.Context, sc appconfig.Scope, appIdent string, in CreateProfileInput) (appconfig.ConfigurationProfile, error) {
	if err := checkLocation(in.LocationURI); err != nil {
		return appconfig.ConfigurationProfile{}, err
	}
	if in.Type == appconfig.ProfileTypeFeatureFlags && in.LocationURI != appconfig.LocationHosted {
		return appconfig.ConfigurationProfile{}, appconfig.BadRequest("Feature flag configuration profiles must use the hosted configuration store (LocationUri \"hosted\").")
	}
	if err := s.checkValidators(in.Validators); err != nil {
		return appconfig.ConfigurationProfile{}, err
	}
	p := appconfig.ConfigurationProfile{
		Name: in.Name, Description: in.Description, LocationURI: in.LocationURI,
		RetrievalRoleArn: in.RetrievalRoleArn, Validators: in.Validators, Type: in.Type,
		KmsKeyIdentifier: in.KmsKeyIdentifier, KmsKeyArn: kmsKeyArn(sc, in.KmsKeyIdentifier),
		CreatedAt: s.clock.Now(),
	}
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, true)
		if err != nil {
			return err
		}
		// The application's row, locked above, serializes its creations.
		q := quota{counted: records.ProfilesOf(sc, app.ID).Query, limit: s.quotas.ProfilesPerApp, exceeded: func() error {
			return appconfig.QuotaExceeded("You have reached the limit of %d configuration profiles for application %s.", s.quotas.ProfilesPerApp, app.ID)
		}}
		p.ApplicationID = app.ID
		id, err := insertNewCapped(ctx, tx, q, records.Profiles, records.ProfileKey(sc, app.ID, ""), in.Name, func(id string) appconfig.ConfigurationProfile {
			p.ID = id
			return p
		})
		if err != nil {
			return err
		}
		p.ID = id
		tx.Notify(appconfig.NamesTopic(sc, app.ID))
		return s.putTags(ctx, tx, sc, records.Parent(app.ID, id), ProfileARN(sc, app.ID, id), in.Tags)
	})
	return p, err
}

// GetConfigurationProfile returns a configuration profile.
func (s *Service) GetConfigurationProfile(ctx context.Context, sc appconfig.Scope, appIdent, profIdent string) (appconfig.ConfigurationProfile, error) {
	var p appconfig.ConfigurationProfile
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		_, p, _, err = s.ResolveProfile(ctx, tx, sc, appIdent, profIdent, false)
		return err
	})
	return p, err
}

// UpdateProfileInput changes the members that are not nil; a non-nil
// empty Validators clears them; an empty KmsKeyIdentifier removes the key.
type UpdateProfileInput struct {
	Name, Description, RetrievalRoleArn, KmsKeyIdentifier *string
	Validators                                            []appconfig.Validator
}

// UpdateConfigurationProfile changes a configuration profile.
func (s *Service) UpdateConfigurationProfile(ctx context.Context, sc appconfig.Scope, appIdent, profIdent string, in UpdateProfileInput) (appconfig.ConfigurationProfile, error) {
	if err := s.checkValidators(in.Validators); err != nil {
		return appconfig.ConfigurationProfile{}, err
	}
	var p appconfig.ConfigurationProfile
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		var r appconfig.Record
		var err error
		_, p, r, err = s.ResolveProfile(ctx, tx, sc, appIdent, profIdent, true)
		if err != nil {
			return err
		}
		if in.Name != nil && *in.Name != p.Name {
			p.Name = *in.Name
			tx.Notify(appconfig.NamesTopic(sc, p.ApplicationID))
		}
		if in.Description != nil {
			p.Description = *in.Description
		}
		if in.RetrievalRoleArn != nil {
			p.RetrievalRoleArn = *in.RetrievalRoleArn
		}
		if in.KmsKeyIdentifier != nil {
			p.KmsKeyIdentifier = *in.KmsKeyIdentifier
			p.KmsKeyArn = kmsKeyArn(sc, p.KmsKeyIdentifier)
		}
		if in.Validators != nil {
			p.Validators = in.Validators
		}
		r.Name = p.Name
		return records.Profiles.Put(ctx, tx, r, p)
	})
	return p, err
}

// DeleteConfigurationProfile deletes a profile that has no hosted
// versions left and is not being deployed, unless deletion protection
// refuses.
func (s *Service) DeleteConfigurationProfile(ctx context.Context, sc appconfig.Scope, appIdent, profIdent string, check appconfig.DeletionProtectionCheck) error {
	now := s.clock.Now()
	return s.updateAssociations(ctx, sc, func(tx appconfig.Tx) error {
		app, p, r, err := s.ResolveProfile(ctx, tx, sc, appIdent, profIdent, true)
		if err != nil {
			return err
		}
		n, err := records.HostedVersionsOf(sc, app.ID, p.ID).Count(ctx, tx)
		if err != nil {
			return err
		}
		if n > 0 {
			return appconfig.BadRequest("Cannot delete configuration profile %s because there are still hosted configuration versions existing under it.", p.ID)
		}
		busy, err := s.profileBeingDeployed(ctx, tx, sc, app.ID, p.ID)
		if err != nil {
			return err
		}
		if busy {
			return appconfig.Conflict("Configuration profile %s is being deployed and cannot be deleted.", p.ID)
		}
		if err := refuseExperimentsOn(ctx, tx, sc, app.ID, "", p.ID); err != nil {
			return err
		}
		if err := s.checkDeletionProtection(ctx, tx, sc, check, now, p.CreatedAt, usageKey("configurationprofile", app.ID, p.ID), func() error {
			return appconfig.BadRequest("Configuration profile %s is actively being used in your application and cannot be deleted.", p.Name)
		}); err != nil {
			return err
		}
		if err := s.deleteAssociationsOf(ctx, tx, sc, ProfileARN(sc, app.ID, p.ID)); err != nil {
			return err
		}
		if _, err := records.TagsUnder(sc, records.Parent(app.ID, p.ID)).DeleteAll(ctx, tx); err != nil {
			return err
		}
		if err := tx.Delete(ctx, records.UsageKey(sc, usageKey("configurationprofile", app.ID, p.ID))); err != nil && !appconfig.IsNotFound(err) {
			return err
		}
		tx.Notify(appconfig.ProfileTopic(sc, app.ID, p.ID))
		tx.Notify(appconfig.NamesTopic(sc, app.ID))
		return tx.Delete(ctx, r.Key)
	})
}

// profileBeingDeployed reports whether a deployment of this profile is in
// progress in any environment of the application.
func (s *Service) profileBeingDeployed(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, profID string) (bool, error) {
	envs, err := records.EnvironmentsOf(sc, appID).All(ctx, tx)
	if err != nil {
		return false, err
	}
	for _, env := range envs {
		if env.State != appconfig.EnvDeploying && env.State != appconfig.EnvRollingBack {
			continue
		}
		d, err := s.activeDeploymentProfile(ctx, tx, sc, appID, env.ID)
		if err != nil {
			return false, err
		}
		if d == profID {
			return true, nil
		}
	}
	return false, nil
}

// ListConfigurationProfiles lists an application's profiles, optionally
// of one type.
func (s *Service) ListConfigurationProfiles(ctx context.Context, sc appconfig.Scope, appIdent, typeFilter string, p appconfig.PageRequest) (appconfig.Page[appconfig.ConfigurationProfile], error) {
	var page appconfig.Page[appconfig.ConfigurationProfile]
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
		if err != nil {
			return err
		}
		page, err = pageOf(ctx, tx, records.ProfilesOf(sc, app.ID), p, func(cp appconfig.ConfigurationProfile) (appconfig.ConfigurationProfile, bool, error) {
			return cp, typeFilter == "" || cp.Type == typeFilter || (typeFilter == appconfig.ProfileTypeFreeform && cp.Type == ""), nil
		})
		return err
	})
	return page, err
}
