package service

import (
	"context"
	"strconv"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// CreateHostedVersionInput is new hosted content.
type CreateHostedVersionInput struct {
	Content                                []byte
	ContentType, Description, VersionLabel string
	LatestVersionNumber                    *int
}

func (s *Service) checkSize(n int) error {
	limit := s.quotas.HostedConfigurationKB
	if n > limit*1024 {
		return &appconfig.Error{
			Kind:    appconfig.KindPayloadTooLarge,
			Message: "The configuration size exceeds the limit of " + strconv.Itoa(limit) + " KB for hosted configurations.",
			Measure: "KILOBYTES",
			Limit:   float64(limit),
			Size:    float64(n) / 1024,
		}
	}
	return nil
}

// CreateHostedConfigurationVersion stores a new version of hosted content.
// Extensions (PRE_CREATE_HOSTED_CONFIGURATION_VERSION) and feature-flag
// validation run before the write transaction, since they may call out.
func (s *Service) CreateHostedConfigurationVersion(ctx context.Context, sc appconfig.Scope, appIdent, profIdent string, in CreateHostedVersionInput) (appconfig.HostedConfigurationVersion, error) {
	if err := s.checkSize(len(in.Content)); err != nil {
		return appconfig.HostedConfigurationVersion{}, err
	}
	var app appconfig.Application
	var prof appconfig.ConfigurationProfile
	var previous *appconfig.HostedConfigurationVersion
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		app, prof, _, err = s.ResolveProfile(ctx, tx, sc, appIdent, profIdent, false)
		if err != nil {
			return err
		}
		if prof.LocationURI != appconfig.LocationHosted {
			return appconfig.BadRequest("Configuration profile %s does not use the hosted configuration store (LocationUri %q).", prof.ID, prof.LocationURI)
		}
		prev, err := s.latestVersion(ctx, tx, sc, app.ID, prof.ID)
		if err != nil || prev == nil {
			return err
		}
		previous = prev
		return nil
	})
	if err != nil {
		return appconfig.HostedConfigurationVersion{}, err
	}
	if in.LatestVersionNumber != nil && *in.LatestVersionNumber != prof.LatestVersion {
		return appconfig.HostedConfigurationVersion{}, latestVersionConflict(*in.LatestVersionNumber, prof.LatestVersion)
	}
	v := appconfig.HostedConfigurationVersion{
		ApplicationID: app.ID, ConfigurationProfileID: prof.ID, VersionNumber: prof.LatestVersion + 1,
		Description: in.Description, ContentType: in.ContentType, VersionLabel: in.VersionLabel,
		KmsKeyArn: prof.KmsKeyArn, Content: in.Content,
	}
	if s.hooks.PreCreateHostedVersion != nil {
		if err := s.hooks.PreCreateHostedVersion(ctx, sc, app, prof, &v, previous); err != nil {
			return appconfig.HostedConfigurationVersion{}, err
		}
		if err := s.checkSize(len(v.Content)); err != nil {
			return appconfig.HostedConfigurationVersion{}, err
		}
	}
	err = s.store.Update(ctx, func(tx appconfig.Tx) error {
		_, prof, pr, err := s.ResolveProfile(ctx, tx, sc, app.ID, prof.ID, true)
		if err != nil {
			return err
		}
		if in.LatestVersionNumber != nil && *in.LatestVersionNumber != prof.LatestVersion {
			return latestVersionConflict(*in.LatestVersionNumber, prof.LatestVersion)
		}
		prof.LatestVersion++
		v.VersionNumber = prof.LatestVersion
		v.CreatedAt = s.clock.Now()
		if err := records.Profiles.Put(ctx, tx, pr, prof); err != nil {
			return err
		}
		return records.InsertHostedVersion(ctx, tx, sc, app.ID, prof.ID, v)
	})
	return v, err
}

func latestVersionConflict(given, latest int) error {
	return appconfig.Conflict("The Latest-Version-Number %d does not match the latest version number %d of this configuration profile.", given, latest)
}

// latestVersion returns the newest existing hosted version (nil if none).
func (s *Service) latestVersion(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, profID string) (*appconfig.HostedConfigurationVersion, error) {
	q := records.HostedVersionsOf(sc, appID, profID).Query
	q.Desc, q.Limit, q.WithData = true, 1, true
	recs, err := tx.List(ctx, q)
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	v, err := records.DecodeHostedVersion(recs[0])
	return &v, err
}

// GetHostedConfigurationVersion returns one version with its content.
// Versions are served from memory when the caller names them by IDs.
func (s *Service) GetHostedConfigurationVersion(ctx context.Context, sc appconfig.Scope, appIdent, profIdent string, number int) (appconfig.HostedConfigurationVersion, error) {
	if v, ok := s.versions.get(versionCacheKey{sc, appIdent, profIdent, number}); ok {
		return v, nil
	}
	// The stamp is taken under the identifiers given; kept is the entry
	// of the IDs, which must not have been deleted meanwhile (a version is
	// never recreated, so that is: never invalidated).
	stamp := s.versions.stamp(versionCacheKey{sc, appIdent, profIdent, number})
	var v appconfig.HostedConfigurationVersion
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		app, prof, _, err := s.ResolveProfile(ctx, tx, sc, appIdent, profIdent, false)
		if err != nil {
			return err
		}
		v, err = s.getVersion(ctx, tx, sc, app.ID, prof.ID, number)
		return err
	})
	if err == nil {
		s.versions.put(versionCacheKey{sc, v.ApplicationID, v.ConfigurationProfileID, number}, v, stamp)
	}
	return v, err
}

func (s *Service) getVersion(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, profID string, number int) (appconfig.HostedConfigurationVersion, error) {
	r, err := tx.Get(ctx, records.HostedVersionKey(sc, appID, profID, number), false, true)
	if appconfig.IsNotFound(err) {
		return appconfig.HostedConfigurationVersion{}, appconfig.NotFound("HostedConfigurationVersion", "Hosted configuration version %d of configuration profile %s not found", number, profID)
	}
	if err != nil {
		return appconfig.HostedConfigurationVersion{}, err
	}
	return records.DecodeHostedVersion(r)
}

// findVersion resolves a version given as a number or as a VersionLabel
// (the highest version carrying the label).
func (s *Service) findVersion(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, profID, ref string) (appconfig.HostedConfigurationVersion, error) {
	if n, err := strconv.Atoi(ref); err == nil {
		return s.getVersion(ctx, tx, sc, appID, profID, n)
	}
	q := records.HostedVersionsOf(sc, appID, profID).Query
	q.Name, q.Desc, q.Limit, q.WithData = ref, true, 1, true
	recs, err := tx.List(ctx, q)
	if err != nil {
		return appconfig.HostedConfigurationVersion{}, err
	}
	if len(recs) == 0 {
		return appconfig.HostedConfigurationVersion{}, appconfig.NotFound("HostedConfigurationVersion", "No hosted configuration version of configuration profile %s has the number or label %q", profID, ref)
	}
	return records.DecodeHostedVersion(recs[0])
}

// DeleteHostedConfigurationVersion deletes one version. Version numbers
// are never reused.
func (s *Service) DeleteHostedConfigurationVersion(ctx context.Context, sc appconfig.Scope, appIdent, profIdent string, number int) error {
	return s.store.Update(ctx, func(tx appconfig.Tx) error {
		app, prof, _, err := s.ResolveProfile(ctx, tx, sc, appIdent, profIdent, false)
		if err != nil {
			return err
		}
		err = tx.Delete(ctx, records.HostedVersionKey(sc, app.ID, prof.ID, number))
		if appconfig.IsNotFound(err) {
			return appconfig.NotFound("HostedConfigurationVersion", "Hosted configuration version %d of configuration profile %s not found", number, prof.ID)
		}
		if err == nil {
			s.versions.drop(versionCacheKey{sc, app.ID, prof.ID, number})
			tx.Notify(appconfig.VersionTopic(sc, app.ID, prof.ID, number))
		}
		return err
	})
}

// ListHostedConfigurationVersions lists versions newest first, optionally
// filtered by label: exact, or a prefix when the filter ends with '*'.
func (s *Service) ListHostedConfigurationVersions(ctx context.Context, sc appconfig.Scope, appIdent, profIdent, label string, p appconfig.PageRequest) (appconfig.Page[appconfig.HostedConfigurationVersion], error) {
	var page appconfig.Page[appconfig.HostedConfigurationVersion]
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		app, prof, _, err := s.ResolveProfile(ctx, tx, sc, appIdent, profIdent, false)
		if err != nil {
			return err
		}
		q := records.HostedVersionsOf(sc, app.ID, prof.ID).Query
		q.Desc = true
		prefix, isPrefix := strings.CutSuffix(label, "*")
		if label != "" && !isPrefix {
			q.Name = label
		}
		page, err = listPage(ctx, tx, q, p, func(r appconfig.Record) (appconfig.HostedConfigurationVersion, bool, error) {
			v, err := records.DecodeHostedVersion(r)
			keep := !isPrefix || (v.VersionLabel != "" && strings.HasPrefix(v.VersionLabel, prefix))
			return v, keep, err
		})
		return err
	})
	return page, err
}
