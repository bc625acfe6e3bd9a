package service

import (
	"context"
	"sort"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

func associationNotFound(id string) error {
	return appconfig.NotFound("ExtensionAssociation", "Extension association %s not found", id)
}

// checkAssociationResource verifies that arn names an existing
// application, environment or configuration profile of the scope.
func (s *Service) checkAssociationResource(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, arn string) (ARNResource, error) {
	res, ok := ParseARN(arn)
	if !ok || (res.Type != "application" && res.Type != "environment" && res.Type != "configurationprofile") {
		return res, appconfig.BadRequest("ResourceIdentifier must be the ARN of an application, environment or configuration profile: %s", arn)
	}
	notFound := appconfig.NotFound("Resource", "Resource %s not found", arn)
	if res.Account != sc.Account || res.Region != sc.Region {
		return res, notFound
	}
	var k appconfig.Key
	switch res.Type {
	case "application":
		k = records.ApplicationKey(sc, res.Application)
	case "environment":
		k = records.EnvironmentKey(sc, res.Application, res.Environment)
	default:
		k = records.ProfileKey(sc, res.Application, res.Profile)
	}
	if _, err := tx.Get(ctx, k, false, false); appconfig.IsNotFound(err) {
		return res, notFound
	} else if err != nil {
		return res, err
	}
	return res, nil
}

// checkAssociationParameters: every required parameter is given, and no
// undeclared one.
func checkAssociationParameters(e appconfig.Extension, params map[string]string) error {
	for name := range params {
		if _, ok := e.Parameters[name]; !ok {
			return appconfig.BadRequest("Parameter %q is not declared by extension %s.", name, e.Name)
		}
	}
	var missing []string
	for name, p := range e.Parameters {
		if p.Required && params[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return appconfig.BadRequest("Extension %s requires the parameter(s) %s.", e.Name, strings.Join(missing, ", "))
	}
	// The AWS-authored notification extensions take the target's ARN: it
	// is checked here, by the parser delivery uses, rather than failing
	// every event later.
	if e.AWSAuthored {
		for name, kind := range awsParameterARNs[e.ID] {
			v := params[name]
			if v == "" {
				continue
			}
			if _, err := appconfig.ParseTargetARN(v, kind); err != nil {
				ae := err.(*appconfig.ARNError)
				return appconfig.BadRequest("Parameter %s is not a valid %s ARN: %s. Use %s.", name, kind.What(), ae.Reason, kind.Form())
			}
		}
	}
	return nil
}

// awsParameterARNs: the AWS-authored extensions' parameters that name an
// AWS resource, and its kind.
var awsParameterARNs = map[string]map[string]appconfig.ARNKind{
	ExtSQS: {"queueArn": appconfig.ARNSQS},
	ExtSNS: {"topicArn": appconfig.ARNSNS},
}

// AssociationInput creates an extension association.
type AssociationInput struct {
	ExtensionIdentifier string
	ExtensionVersion    int
	ResourceIdentifier  string
	Parameters          map[string]string
	Tags                map[string]string
}

// CreateExtensionAssociation associates an extension version with an
// application, environment or configuration profile.
func (s *Service) CreateExtensionAssociation(ctx context.Context, sc appconfig.Scope, in AssociationInput) (appconfig.ExtensionAssociation, error) {
	var a appconfig.ExtensionAssociation
	err := s.updateAssociations(ctx, sc, func(tx appconfig.Tx) error {
		if err := lockScope(ctx, tx, sc, "extensionassociations"); err != nil {
			return err
		}
		if _, err := s.checkAssociationResource(ctx, tx, sc, in.ResourceIdentifier); err != nil {
			return err
		}
		e, _, err := s.resolveExtension(ctx, tx, sc, in.ExtensionIdentifier, in.ExtensionVersion, false)
		if err != nil {
			return err
		}
		if err := checkAssociationParameters(e, in.Parameters); err != nil {
			return err
		}
		existing, err := s.associationsOf(ctx, tx, sc, in.ResourceIdentifier)
		if err != nil {
			return err
		}
		for _, x := range existing {
			if x.ExtensionID == e.ID {
				return appconfig.Conflict("Extension %s is already associated with %s (association %s).", e.ID, in.ResourceIdentifier, x.ID)
			}
		}
		// The scope's lock, taken above, serializes the creations.
		q := quota{counted: records.AssociationsIn(sc).Query, limit: s.quotas.AssociationsPerScope, exceeded: func() error {
			return appconfig.QuotaExceeded("You have reached the limit of %d extension associations in this account and region.", s.quotas.AssociationsPerScope)
		}}
		a = appconfig.ExtensionAssociation{ExtensionID: e.ID, ExtensionVersionNumber: e.VersionNumber, ExtensionArn: ExtensionARNOf(sc, e),
			ResourceArn: in.ResourceIdentifier, Parameters: in.Parameters, CreatedAt: s.clock.Now()}
		id, err := insertNewCapped(ctx, tx, q, records.ExtensionAssociations, records.AssociationKey(sc, ""), in.ResourceIdentifier, func(id string) appconfig.ExtensionAssociation {
			a.ID = id
			return a
		})
		if err != nil {
			return err
		}
		a.ID = id
		return s.putTags(ctx, tx, sc, "", AssociationARN(sc, id), in.Tags)
	})
	return a, err
}

func (s *Service) getAssociation(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, id string, forUpdate bool) (appconfig.ExtensionAssociation, appconfig.Record, error) {
	a, r, err := records.ExtensionAssociations.Get(ctx, tx, records.AssociationKey(sc, id), forUpdate)
	if appconfig.IsNotFound(err) {
		return a, r, associationNotFound(id)
	}
	return a, r, err
}

// GetExtensionAssociation returns an association.
func (s *Service) GetExtensionAssociation(ctx context.Context, sc appconfig.Scope, id string) (appconfig.ExtensionAssociation, error) {
	var a appconfig.ExtensionAssociation
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		a, _, err = s.getAssociation(ctx, tx, sc, id, false)
		return err
	})
	return a, err
}

// UpdateExtensionAssociation replaces an association's parameters.
func (s *Service) UpdateExtensionAssociation(ctx context.Context, sc appconfig.Scope, id string, params map[string]string) (appconfig.ExtensionAssociation, error) {
	var a appconfig.ExtensionAssociation
	err := s.updateAssociations(ctx, sc, func(tx appconfig.Tx) error {
		var r appconfig.Record
		var err error
		a, r, err = s.getAssociation(ctx, tx, sc, id, true)
		if err != nil {
			return err
		}
		if params == nil {
			return nil
		}
		e, _, err := extensionByID(ctx, tx, sc, a.ExtensionID, a.ExtensionVersionNumber, false)
		if err != nil {
			return err
		}
		if err := checkAssociationParameters(e, params); err != nil {
			return err
		}
		a.Parameters = params
		return records.ExtensionAssociations.Put(ctx, tx, r, a)
	})
	return a, err
}

// DeleteExtensionAssociation deletes an association.
func (s *Service) DeleteExtensionAssociation(ctx context.Context, sc appconfig.Scope, id string) error {
	return s.updateAssociations(ctx, sc, func(tx appconfig.Tx) error {
		a, r, err := s.getAssociation(ctx, tx, sc, id, true)
		if err != nil {
			return err
		}
		if err := tx.Delete(ctx, r.Key); err != nil {
			return err
		}
		return deleteTags(ctx, tx, sc, "", AssociationARN(sc, a.ID))
	})
}

// AssociationFilter narrows ListExtensionAssociations.
type AssociationFilter struct {
	ResourceArn         string
	ExtensionIdentifier string
	ExtensionVersion    int
}

// ListExtensionAssociations lists associations in creation order.
func (s *Service) ListExtensionAssociations(ctx context.Context, sc appconfig.Scope, f AssociationFilter, p appconfig.PageRequest) (appconfig.Page[appconfig.ExtensionAssociation], error) {
	var page appconfig.Page[appconfig.ExtensionAssociation]
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		extID := ""
		if f.ExtensionIdentifier != "" {
			e, _, err := s.resolveExtension(ctx, tx, sc, f.ExtensionIdentifier, f.ExtensionVersion, false)
			if appconfig.IsNotFound(err) {
				return nil // nothing can match
			}
			if err != nil {
				return err
			}
			extID = e.ID
		}
		l := records.AssociationsIn(sc)
		l.Query.Name = f.ResourceArn
		var err error
		page, err = pageOf(ctx, tx, l, p, func(a appconfig.ExtensionAssociation) (appconfig.ExtensionAssociation, bool, error) {
			keep := (extID == "" || a.ExtensionID == extID) && (f.ExtensionVersion == 0 || a.ExtensionVersionNumber == f.ExtensionVersion)
			return a, keep, nil
		})
		return err
	})
	if page.Items == nil {
		page.Items = []appconfig.ExtensionAssociation{}
	}
	return page, err
}

// associationsOf lists the associations of one resource ARN.
func (s *Service) associationsOf(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, arn string) ([]appconfig.ExtensionAssociation, error) {
	l := records.AssociationsIn(sc)
	l.Query.Name = arn
	return l.All(ctx, tx)
}

// deleteAssociationsOf removes the associations of a deleted resource.
func (s *Service) deleteAssociationsOf(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, arn string) error {
	as, err := s.associationsOf(ctx, tx, sc, arn)
	if err != nil {
		return err
	}
	for _, a := range as {
		if err := tx.Delete(ctx, records.AssociationKey(sc, a.ID)); err != nil {
			return err
		}
		if err := deleteTags(ctx, tx, sc, "", AssociationARN(sc, a.ID)); err != nil {
			return err
		}
	}
	return nil
}

// Bound is one action to run: an association, its extension version and
// the action at the requested point.
type Bound struct {
	Association appconfig.ExtensionAssociation
	Extension   appconfig.Extension
	Action      appconfig.ExtensionAction
}
