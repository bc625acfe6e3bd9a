package service

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Catalog answers which extensions and associations apply to a resource,
// for the service and for the extension system. It is built before both
// (service.NewCatalog) so that neither needs the other to exist first; it
// keeps each scope's associations in memory (assocIndex), which the
// service's association writers invalidate.
type Catalog struct {
	store  appconfig.Store
	assocs *assocIndex
}

// NewCatalog builds the catalog of a store.
func NewCatalog(st appconfig.Store) *Catalog {
	return &Catalog{store: st, assocs: newAssocIndex()}
}

// BoundActions lists, in the documented order — associations of the
// application, then of the environment, then of the profile, each in
// creation order — the actions to run at point. envID may be "" (hosted
// version creation has no environment).
func (c *Catalog) BoundActions(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, point appconfig.ActionPoint, appID, envID, profID string) ([]Bound, error) {
	arns := []string{ApplicationARN(sc, appID)}
	if envID != "" {
		arns = append(arns, EnvironmentARN(sc, appID, envID))
	}
	if profID != "" {
		arns = append(arns, ProfileARN(sc, appID, profID))
	}
	var out []Bound
	for _, arn := range arns {
		as, err := c.assocs.of(ctx, tx, sc, arn)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			e, _, err := extensionByID(ctx, tx, sc, a.ExtensionID, a.ExtensionVersionNumber, false)
			if appconfig.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			for _, act := range e.Actions[string(point)] {
				out = append(out, Bound{Association: a, Extension: e, Action: act})
			}
		}
	}
	return out, nil
}

// AppliedExtensions lists the associations in force for a deployment and
// whether any of them has an AT_DEPLOYMENT_TICK action.
func (c *Catalog) AppliedExtensions(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID, profID string) ([]appconfig.AppliedExtension, bool, error) {
	var out []appconfig.AppliedExtension
	ticks := false
	for _, arn := range []string{ApplicationARN(sc, appID), EnvironmentARN(sc, appID, envID), ProfileARN(sc, appID, profID)} {
		as, err := c.assocs.of(ctx, tx, sc, arn)
		if err != nil {
			return nil, false, err
		}
		for _, a := range as {
			e, _, err := extensionByID(ctx, tx, sc, a.ExtensionID, a.ExtensionVersionNumber, false)
			if appconfig.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, false, err
			}
			if len(e.Actions[string(appconfig.AtDeploymentTick)]) > 0 {
				ticks = true
			}
			out = append(out, appconfig.AppliedExtension{ExtensionID: e.ID, ExtensionAssociationID: a.ID, VersionNumber: e.VersionNumber, Parameters: a.Parameters})
		}
	}
	return out, ticks, nil
}

// ViewTx runs fn in a read transaction of the service's store (for
// packages, such as the extension invoker, that read associations).
func (c *Catalog) ViewTx(ctx context.Context, fn func(appconfig.Tx) error) error {
	return c.store.View(ctx, fn)
}

// Names returns the names of an application and one of its environments
// inside tx ("" for ones that no longer exist).
func (c *Catalog) Names(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string) (string, string, error) {
	app, _, err := records.Applications.Get(ctx, tx, records.ApplicationKey(sc, appID), false)
	if err != nil && !appconfig.IsNotFound(err) {
		return "", "", err
	}
	env, _, err := records.Environments.Get(ctx, tx, records.EnvironmentKey(sc, appID, envID), false)
	if err != nil && !appconfig.IsNotFound(err) {
		return "", "", err
	}
	return app.Name, env.Name, nil
}
