package service

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/deploy"
)

// ServedContent is one deployed configuration as clients receive it.
type ServedContent struct {
	DeploymentNumber int
	Version          string
	Label            string
	ContentType      string
	Data             []byte
}

// Served is what an environment serves for one profile: the newest
// deployment of the profile there (nil: never deployed) with the content
// it rolls out and the content it replaces.
type Served struct {
	Profile    appconfig.ConfigurationProfile
	Deployment *appconfig.Deployment
	New        *ServedContent
	Previous   *ServedContent
}

// SessionTarget is what a configuration session reads.
type SessionTarget struct {
	Application appconfig.Application
	Environment appconfig.Environment
	Profile     appconfig.ConfigurationProfile
}

// ResolveSession resolves data-plane identifiers (ID or name). A missing
// resource is a NotFound naming its type and the parameter that referred
// to it, as the data plane reports them.
func (s *Service) ResolveSession(ctx context.Context, sc appconfig.Scope, appIdent, envIdent, profIdent string, params [3]string) (SessionTarget, error) {
	var t SessionTarget
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		missing := func(typ, param, value string) error {
			return &appconfig.Error{Kind: appconfig.KindNotFound, Message: typ + " " + value + " not found",
				ResourceType: typ, ReferencedBy: map[string]string{param: value}}
		}
		if t.Application, _, err = s.resolveApp(ctx, tx, sc, appIdent, false); appconfig.IsNotFound(err) {
			return missing("Application", params[0], appIdent)
		} else if err != nil {
			return err
		}
		if t.Environment, _, err = s.resolveEnv(ctx, tx, sc, t.Application.ID, envIdent, false); appconfig.IsNotFound(err) {
			return missing("Environment", params[1], envIdent)
		} else if err != nil {
			return err
		}
		if t.Profile, _, err = s.resolveProfile(ctx, tx, sc, t.Application.ID, profIdent, false); appconfig.IsNotFound(err) {
			return missing("ConfigurationProfile", params[2], profIdent)
		}
		return err
	})
	return t, err
}

// LoadServed reads what an environment serves for a profile.
func (s *Service) LoadServed(ctx context.Context, sc appconfig.Scope, appID, envID, profID string) (*Served, error) {
	out := &Served{}
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		prof, _, err := s.resolveProfile(ctx, tx, sc, appID, profID, false)
		if err != nil {
			return err
		}
		out.Profile = prof
		d, err := servedBefore(ctx, tx, sc, appID, envID, profID)
		if err != nil || d == nil {
			return err
		}
		out.Deployment = d
		// The deployment records hold their content; what describes it is
		// on d already (its own version, and what it replaces).
		content := func(number int, version, label, ctype string) (*ServedContent, error) {
			if number == 0 {
				return nil, nil
			}
			rec, err := tx.Get(ctx, deploy.Key(sc, appID, envID, number), false, true)
			if appconfig.IsNotFound(err) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return &ServedContent{DeploymentNumber: number, Version: version, Label: label, ContentType: ctype, Data: rec.Data}, nil
		}
		if out.New, err = content(d.DeploymentNumber, d.ConfigurationVersion, d.VersionLabel, d.ContentType); err != nil {
			return err
		}
		out.Previous, err = content(d.PreviousDeployment, d.PreviousVersion, d.PreviousLabel, d.PreviousContentType)
		return err
	})
	return out, err
}
