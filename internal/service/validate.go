package service

import (
	"context"
	"encoding/base64"
	"strconv"

	appconfig "github.com/appconfigd/appconfigd"
)

// ValidateConfiguration runs a profile's validators on one of its hosted
// versions (by number or label).
func (s *Service) ValidateConfiguration(ctx context.Context, sc appconfig.Scope, appIdent, profIdent, version string) error {
	var prof appconfig.ConfigurationProfile
	var v appconfig.HostedConfigurationVersion
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var app appconfig.Application
		var err error
		app, prof, _, err = s.ResolveProfile(ctx, tx, sc, appIdent, profIdent, false)
		if err != nil {
			return err
		}
		if prof.LocationURI != appconfig.LocationHosted {
			return nil // read from its source below, outside the transaction
		}
		v, err = s.findVersion(ctx, tx, sc, app.ID, prof.ID, version)
		return err
	})
	if err != nil {
		return err
	}
	if prof.LocationURI != appconfig.LocationHosted {
		f, err := s.fetchSource(ctx, sc, prof, version)
		if err != nil {
			return err
		}
		return s.RunValidators(ctx, sc, prof, f.Version, f.Content)
	}
	return s.RunValidators(ctx, sc, prof, strconv.Itoa(v.VersionNumber), v.Content)
}

// fetchSource reads a non-hosted profile's configuration at a version.
func (s *Service) fetchSource(ctx context.Context, sc appconfig.Scope, prof appconfig.ConfigurationProfile, version string) (FetchedConfiguration, error) {
	if s.sources == nil {
		return FetchedConfiguration{}, appconfig.BadRequest("This server reads hosted configurations only (see --configuration-sources); configuration profile %s uses %q.", prof.ID, prof.LocationURI)
	}
	f, err := s.sources.Fetch(ctx, sc, prof.LocationURI, version, s.quotas.HostedConfigurationKB*1024)
	if err != nil {
		return f, err
	}
	return f, s.checkSize(len(f.Content))
}

// RunValidators checks content with every validator of the profile, in
// order, and returns a BadRequest with InvalidConfiguration details when
// one fails.
func (s *Service) RunValidators(ctx context.Context, sc appconfig.Scope, prof appconfig.ConfigurationProfile, version string, content []byte) error {
	for _, val := range prof.Validators {
		switch val.Type {
		case "JSON_SCHEMA":
			details, err := s.validateJSONSchema(val.Content, content)
			if err != nil {
				return err
			}
			if len(details) > 0 {
				return appconfig.InvalidConfigurationError("The configuration failed validation against the profile's JSON schema validator.", details)
			}
		case "LAMBDA":
			if s.lambda == nil {
				return appconfig.BadRequest("Cannot run LAMBDA validator %s: no Lambda invoker is configured on this server.", val.Content)
			}
			ev := LambdaValidationEvent{
				ApplicationID: prof.ApplicationID, ConfigurationProfileID: prof.ID,
				ConfigurationVersion: version, Content: base64.StdEncoding.EncodeToString(content), URI: prof.LocationURI,
			}
			if err := s.lambda.ValidateWithLambda(ctx, sc, val.Content, ev); err != nil {
				return err
			}
		}
	}
	return nil
}
