package service

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// resolve finds the record k names by ID first, then a record of k's kind
// under k's parent whose name is k's ID (the oldest one when several
// share the name: names are not unique).
func resolve(ctx context.Context, tx appconfig.Tx, k appconfig.Key, forUpdate bool) (appconfig.Record, error) {
	r, err := tx.Get(ctx, k, forUpdate, false)
	if err == nil || !appconfig.IsNotFound(err) {
		return r, err
	}
	kind := k.Kind
	q := appconfig.Query{Account: k.Account, Region: k.Region, Kind: k.Kind, Parent: k.Parent}
	q.Name, q.Limit = k.ID, 1
	recs, err := tx.List(ctx, q)
	if err != nil {
		return r, err
	}
	if len(recs) == 0 {
		return r, appconfig.NotFound(kind, "not found")
	}
	if forUpdate {
		return tx.Get(ctx, recs[0].Key, true, false)
	}
	return recs[0], nil
}

func (s *Service) resolveApp(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, ident string, forUpdate bool) (appconfig.Application, appconfig.Record, error) {
	r, err := resolve(ctx, tx, records.ApplicationKey(sc, ident), forUpdate)
	if appconfig.IsNotFound(err) {
		return appconfig.Application{}, r, appconfig.NotFound("Application", "Application %s not found", ident)
	}
	if err != nil {
		return appconfig.Application{}, r, err
	}
	app, err := records.Applications.Decode(r)
	return app, r, err
}

// CreateApplicationInput is a new application.
type CreateApplicationInput struct {
	Name, Description string
	Tags              map[string]string
}

// CreateApplication creates an application.
func (s *Service) CreateApplication(ctx context.Context, sc appconfig.Scope, in CreateApplicationInput) (appconfig.Application, error) {
	now := s.clock.Now()
	app := appconfig.Application{Name: in.Name, Description: in.Description, CreatedAt: now}
	// The quota: the scope's lock, then one statement that counts and
	// inserts.
	q := quota{lock: scopeLock(sc, "applications"), counted: records.ApplicationsIn(sc).Query, limit: s.quotas.Applications, exceeded: func() error {
		return appconfig.QuotaExceeded("You have reached the limit of %d applications in this account and region.", s.quotas.Applications)
	}}
	build := func(id string) appconfig.Application {
		app.ID = id
		return app
	}
	// The new application's tags are a record of their own, written with
	// it: one transaction of the store's own (on PostgreSQL one round
	// trip, shared with the creates waiting at the same time).
	tags, err := newTags(sc, in.Tags, func(id string) (string, string) { return id, ApplicationARN(sc, id) })
	if err != nil {
		return app, err
	}
	id, err := createNewCapped(ctx, s.store, q, records.Applications, records.ApplicationKey(sc, ""), in.Name, build, tags, appconfig.NamesTopic(sc, ""))
	app.ID = id
	return app, err
}

// GetApplication returns an application by ID or name.
func (s *Service) GetApplication(ctx context.Context, sc appconfig.Scope, ident string) (appconfig.Application, error) {
	var app appconfig.Application
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		app, _, err = s.resolveApp(ctx, tx, sc, ident, false)
		return err
	})
	return app, err
}

// UpdateApplicationInput changes the members that are not nil.
type UpdateApplicationInput struct {
	Name, Description *string
}

// UpdateApplication changes an application's name or description.
func (s *Service) UpdateApplication(ctx context.Context, sc appconfig.Scope, ident string, in UpdateApplicationInput) (appconfig.Application, error) {
	var app appconfig.Application
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		var r appconfig.Record
		var err error
		app, r, err = s.resolveApp(ctx, tx, sc, ident, true)
		if err != nil {
			return err
		}
		if in.Name != nil && *in.Name != app.Name {
			app.Name = *in.Name
			tx.Notify(appconfig.NamesTopic(sc, ""))
		}
		if in.Description != nil {
			app.Description = *in.Description
		}
		r.Name = app.Name
		return records.Applications.Put(ctx, tx, r, app)
	})
	return app, err
}

// DeleteApplication deletes an application that has no environments and
// no configuration profiles left (as AWS requires of its children).
func (s *Service) DeleteApplication(ctx context.Context, sc appconfig.Scope, ident string) error {
	return s.updateAssociations(ctx, sc, func(tx appconfig.Tx) error {
		app, r, err := s.resolveApp(ctx, tx, sc, ident, true)
		if err != nil {
			return err
		}
		for _, child := range []struct {
			children appconfig.Query
			what     string
		}{
			{records.EnvironmentsOf(sc, app.ID).Query, "environments"},
			{records.ProfilesOf(sc, app.ID).Query, "configuration profiles"},
		} {
			n, err := tx.Count(ctx, child.children)
			if err != nil {
				return err
			}
			if n > 0 {
				return appconfig.BadRequest("Cannot delete application %s because there are still %s existing under it.", app.ID, child.what)
			}
		}
		if err := s.deleteAssociationsOf(ctx, tx, sc, ApplicationARN(sc, app.ID)); err != nil {
			return err
		}
		if _, err := records.TagsUnder(sc, app.ID).DeleteAll(ctx, tx); err != nil {
			return err
		}
		tx.Notify(appconfig.NamesTopic(sc, ""))
		return tx.Delete(ctx, r.Key)
	})
}

// ListApplications lists applications in creation order.
func (s *Service) ListApplications(ctx context.Context, sc appconfig.Scope, p appconfig.PageRequest) (appconfig.Page[appconfig.Application], error) {
	var page appconfig.Page[appconfig.Application]
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		page, err = pageOf(ctx, tx, records.ApplicationsIn(sc), p, keep)
		return err
	})
	return page, err
}
