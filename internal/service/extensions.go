package service

import (
	"context"
	"strconv"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Internal action URIs of the AWS-authored catalogue; the extension
// package runs them in-process.
const (
	URIFeatureFlags = "appconfigd:aws/feature-flags"
	URIEventBridge  = "appconfigd:aws/eventbridge"
	URISQS          = "appconfigd:aws/sqs"
	URISNS          = "appconfigd:aws/sns"
	URIJira         = "appconfigd:aws/jira"
)

// AWS-authored extension IDs.
const (
	ExtFeatureFlags = "AWS.AppConfig.FeatureFlags"
	ExtJira         = "AWS.AppConfig.JiraIntegration"
	ExtEventBridge  = "AWS.AppConfig.DeploymentNotificationsToEventBridge"
	ExtSQS          = "AWS.AppConfig.DeploymentNotificationsToSqs"
	ExtSNS          = "AWS.AppConfig.DeploymentNotificationsToSns"
)

// AWSExtensions is the AWS-authored catalogue (version 1 of each), built
// afresh on each call: callers may modify it.
func AWSExtensions() []appconfig.Extension {
	notify := func(uri, name string) map[string][]appconfig.ExtensionAction {
		m := map[string][]appconfig.ExtensionAction{}
		for _, p := range []appconfig.ActionPoint{appconfig.OnDeploymentStart, appconfig.OnDeploymentComplete, appconfig.OnDeploymentRolledBack} {
			m[string(p)] = []appconfig.ExtensionAction{{Name: name, URI: uri}}
		}
		return m
	}
	return []appconfig.Extension{
		{ID: ExtFeatureFlags, Name: "AppConfig Feature Flags Helper", VersionNumber: 1, AWSAuthored: true,
			Description: "Checks feature-flag documents against the feature-flag schema and constraints, and serves clients their simplified form.",
			Actions: map[string][]appconfig.ExtensionAction{
				string(appconfig.PreCreateHostedConfigurationVersion): {{Name: "FeatureFlagsValidation", URI: URIFeatureFlags}},
			}},
		{ID: ExtJira, Name: "AppConfig integration with Atlassian Jira", VersionNumber: 1, AWSAuthored: true,
			Description: "Mirrors feature-flag changes to Jira issues. appconfigd has no Jira connection; its actions report that.",
			Actions: map[string][]appconfig.ExtensionAction{
				string(appconfig.OnDeploymentComplete): {{Name: "JiraIntegration", URI: URIJira}},
			}},
		{ID: ExtEventBridge, Name: "AppConfig deployment events to Amazon EventBridge", VersionNumber: 1, AWSAuthored: true,
			Description: "Sends deployment start, completion and rollback events to the default EventBridge event bus.",
			Actions:     notify(URIEventBridge, "EventBridgeNotification")},
		{ID: ExtSQS, Name: "AppConfig deployment events to Amazon SQS", VersionNumber: 1, AWSAuthored: true,
			Description: "Sends deployment start, completion and rollback events to an SQS queue.",
			Actions:     notify(URISQS, "SQSNotification"),
			Parameters:  map[string]appconfig.ExtensionParameter{"queueArn": {Description: "ARN of the SQS queue that receives the events.", Required: true}}},
		{ID: ExtSNS, Name: "AppConfig deployment events to Amazon SNS", VersionNumber: 1, AWSAuthored: true,
			Description: "Sends deployment start, completion and rollback events to an SNS topic.",
			Actions:     notify(URISNS, "SNSNotification"),
			Parameters:  map[string]appconfig.ExtensionParameter{"topicArn": {Description: "ARN of the SNS topic that receives the events.", Required: true}}},
	}
}

// awsCatalogue is the AWS-authored catalogue, built once. Its extensions
// (maps included) are shared by every lookup and must not be modified.
var awsCatalogue = newAWSCatalogue(AWSExtensions())

type awsCatalogueT struct {
	list         []appconfig.Extension
	byID, byName map[string]int // index in list
}

func newAWSCatalogue(list []appconfig.Extension) awsCatalogueT {
	c := awsCatalogueT{list: list, byID: map[string]int{}, byName: map[string]int{}}
	for i, e := range list {
		c.byID[e.ID], c.byName[e.Name] = i, i
	}
	return c
}

// awsExtensionByID finds an AWS-authored extension by ID.
func awsExtensionByID(id string) (appconfig.Extension, bool) {
	if i, ok := awsCatalogue.byID[id]; ok {
		return awsCatalogue.list[i], true
	}
	return appconfig.Extension{}, false
}

// awsExtension finds an AWS-authored extension by ID or name.
func awsExtension(ident string) (appconfig.Extension, bool) {
	if e, ok := awsExtensionByID(ident); ok {
		return e, true
	}
	if i, ok := awsCatalogue.byName[ident]; ok {
		return awsCatalogue.list[i], true
	}
	return appconfig.Extension{}, false
}

// ExtensionARNOf is the ARN of an extension version.
func ExtensionARNOf(sc appconfig.Scope, e appconfig.Extension) string {
	if e.AWSAuthored {
		return AWSExtensionARN(sc.Region, e.ID, e.VersionNumber)
	}
	return ExtensionARN(sc, e.ID, e.VersionNumber)
}

func extensionNotFound(ident string) error {
	return appconfig.NotFound("Extension", "Extension %s not found", ident)
}

// resolveExtension finds an extension version by name, ID or ARN (a
// caller's identifier); version 0 means the highest (or the one the ARN
// names).
func (s *Service) resolveExtension(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, ident string, version int, forUpdate bool) (appconfig.Extension, appconfig.Record, error) {
	if res, ok := ParseARN(ident); ok && res.Type == "extension" {
		if res.Region != sc.Region || (res.Account != "" && res.Account != sc.Account) {
			return appconfig.Extension{}, appconfig.Record{}, extensionNotFound(ident)
		}
		if version == 0 {
			version = res.Version
		}
		return extensionVersion(ctx, tx, sc, res.ID, ident, version, forUpdate)
	}
	id := ident
	if e, ok := awsExtension(ident); ok {
		id = e.ID
	} else if c, _, err := records.ExtensionNames.Get(ctx, tx, records.ExtensionNameKey(sc, ident), false); err == nil {
		// Names take precedence over IDs, as before.
		id = c.ExtensionID
	} else if !appconfig.IsNotFound(err) {
		return appconfig.Extension{}, appconfig.Record{}, err
	}
	return extensionVersion(ctx, tx, sc, id, ident, version, forUpdate)
}

// extensionByID finds an extension version by ID (an association's
// ExtensionID): no name lookup, so it costs one read (none for AWS's).
func extensionByID(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, id string, version int, forUpdate bool) (appconfig.Extension, appconfig.Record, error) {
	return extensionVersion(ctx, tx, sc, id, id, version, forUpdate)
}

// extensionVersion loads version (0: the highest) of extension id; ident
// names it in errors.
func extensionVersion(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, id, ident string, version int, forUpdate bool) (appconfig.Extension, appconfig.Record, error) {
	if e, ok := awsExtensionByID(id); ok {
		if version != 0 && version != e.VersionNumber {
			return e, appconfig.Record{}, appconfig.NotFound("Extension", "Extension %s has no version %d", e.ID, version)
		}
		return e, appconfig.Record{}, nil
	}
	if version == 0 {
		q := records.ExtensionVersionsOf(sc, id).Query
		q.Desc, q.Limit = true, 1
		recs, err := tx.List(ctx, q)
		if err != nil {
			return appconfig.Extension{}, appconfig.Record{}, err
		}
		if len(recs) == 0 {
			return appconfig.Extension{}, appconfig.Record{}, extensionNotFound(ident)
		}
		if !forUpdate {
			e, err := records.Extensions.Decode(recs[0])
			return e, recs[0], err
		}
		v, _ := strconv.Atoi(recs[0].ID)
		version = v
	}
	e, r, err := records.Extensions.Get(ctx, tx, records.ExtensionKey(sc, id, version), forUpdate)
	if appconfig.IsNotFound(err) {
		return e, r, appconfig.NotFound("Extension", "Extension %s has no version %d", ident, version)
	}
	return e, r, err
}

// ExtensionInput defines an extension version.
type ExtensionInput struct {
	Name, Description   string
	Actions             map[string][]appconfig.ExtensionAction
	Parameters          map[string]appconfig.ExtensionParameter
	Tags                map[string]string
	LatestVersionNumber *int
}

// CheckActionURI accepts the targets appconfigd can invoke. ARNs are
// checked by appconfig.ParseActionARN, the parser the extension invoker uses,
// so an accepted action cannot fail every invocation on its ARN's form.
func CheckActionURI(uri string) error {
	switch {
	case strings.HasPrefix(uri, "https://"), strings.HasPrefix(uri, "http://"):
		return nil
	case strings.HasPrefix(uri, "arn:"):
		_, err := appconfig.ParseActionARN(uri)
		if err == nil {
			return nil
		}
		if ae, _ := err.(*appconfig.ARNError); ae != nil && ae.Kind != "" {
			return appconfig.BadRequest("Action URI %q is not a valid %s ARN: %s. Use %s.", uri, ae.Kind.What(), ae.Reason, ae.Kind.Form())
		}
	}
	return appconfig.BadRequest("Action URI %q is not supported: use a Lambda function, SQS queue, SNS topic or EventBridge event bus ARN, or an http(s) URL.", uri)
}

func checkExtensionDefinition(actions map[string][]appconfig.ExtensionAction, params map[string]appconfig.ExtensionParameter) error {
	for point, list := range actions {
		for _, a := range list {
			if err := CheckActionURI(a.URI); err != nil {
				return appconfig.BadRequest("Action %q at %s: %s", a.Name, point, err.(*appconfig.Error).Message)
			}
		}
	}
	for name, p := range params {
		if p.Dynamic && p.Required {
			return appconfig.BadRequest("Parameter %q cannot be both dynamic and required.", name)
		}
	}
	return nil
}

// CreateExtension creates an extension (version 1), or the next version
// of an existing one when LatestVersionNumber names its latest version.
func (s *Service) CreateExtension(ctx context.Context, sc appconfig.Scope, in ExtensionInput) (appconfig.Extension, error) {
	if strings.HasPrefix(in.Name, "AWS.") {
		return appconfig.Extension{}, appconfig.BadRequest("Extension names starting with \"AWS.\" are reserved for AWS-authored extensions.")
	}
	if err := checkExtensionDefinition(in.Actions, in.Parameters); err != nil {
		return appconfig.Extension{}, err
	}
	e := appconfig.Extension{Name: in.Name, Description: in.Description, Actions: in.Actions, Parameters: in.Parameters, CreatedAt: s.clock.Now()}
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		if err := lockScope(ctx, tx, sc, "extensions"); err != nil {
			return err
		}
		ck := records.ExtensionNameKey(sc, in.Name)
		claim, cr, err := records.ExtensionNames.Get(ctx, tx, ck, true)
		switch {
		case appconfig.IsNotFound(err):
			n, err := records.ExtensionNamesIn(sc).Count(ctx, tx)
			if err != nil {
				return err
			}
			if n >= s.quotas.ExtensionsPerAccount {
				return appconfig.QuotaExceeded("You have reached the limit of %d extensions in this account and region.", s.quotas.ExtensionsPerAccount)
			}
			e.ID, e.VersionNumber = NewID(), 1
			if _, err := records.ExtensionNames.Insert(ctx, tx, ck, "", records.ExtensionName{ExtensionID: e.ID, Latest: 1}); err != nil {
				if appconfig.IsConflict(err) {
					return appconfig.Conflict("An extension named %q already exists.", in.Name)
				}
				return err
			}
		case err != nil:
			return err
		default:
			if in.LatestVersionNumber == nil {
				return appconfig.Conflict("An extension named %q already exists (latest version %d). To create a new version, pass Latest-Version-Number: %d.", in.Name, claim.Latest, claim.Latest)
			}
			if *in.LatestVersionNumber != claim.Latest {
				return appconfig.Conflict("Latest-Version-Number %d does not match the latest version %d of extension %q.", *in.LatestVersionNumber, claim.Latest, in.Name)
			}
			claim.Latest++
			e.ID, e.VersionNumber = claim.ExtensionID, claim.Latest
			if err := records.ExtensionNames.Put(ctx, tx, cr, claim); err != nil {
				return err
			}
		}
		if _, err := records.Extensions.Insert(ctx, tx, records.ExtensionKey(sc, e.ID, e.VersionNumber), e.Name, e); err != nil {
			return err
		}
		return s.putTags(ctx, tx, sc, "", ExtensionARN(sc, e.ID, e.VersionNumber), in.Tags)
	})
	return e, err
}

// GetExtension returns an extension version (0: the highest).
func (s *Service) GetExtension(ctx context.Context, sc appconfig.Scope, ident string, version int) (appconfig.Extension, error) {
	var e appconfig.Extension
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		e, _, err = s.resolveExtension(ctx, tx, sc, ident, version, false)
		return err
	})
	return e, err
}

// UpdateExtensionInput edits one version in place; nil members are kept.
type UpdateExtensionInput struct {
	Description *string
	Actions     map[string][]appconfig.ExtensionAction
	Parameters  map[string]appconfig.ExtensionParameter
	Version     int
}

// UpdateExtension edits an extension version.
func (s *Service) UpdateExtension(ctx context.Context, sc appconfig.Scope, ident string, in UpdateExtensionInput) (appconfig.Extension, error) {
	var e appconfig.Extension
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		var r appconfig.Record
		var err error
		e, r, err = s.resolveExtension(ctx, tx, sc, ident, in.Version, true)
		if err != nil {
			return err
		}
		if e.AWSAuthored {
			return appconfig.BadRequest("AWS-authored extension %s cannot be updated.", e.ID)
		}
		if in.Description != nil {
			e.Description = *in.Description
		}
		if in.Actions != nil {
			e.Actions = in.Actions
		}
		if in.Parameters != nil {
			e.Parameters = in.Parameters
		}
		if err := checkExtensionDefinition(e.Actions, e.Parameters); err != nil {
			return err
		}
		return records.Extensions.Put(ctx, tx, r, e)
	})
	return e, err
}

// DeleteExtension deletes an extension version (0: the highest) that no
// association uses.
func (s *Service) DeleteExtension(ctx context.Context, sc appconfig.Scope, ident string, version int) error {
	return s.store.Update(ctx, func(tx appconfig.Tx) error {
		e, r, err := s.resolveExtension(ctx, tx, sc, ident, version, true)
		if err != nil {
			return err
		}
		if e.AWSAuthored {
			return appconfig.BadRequest("AWS-authored extension %s cannot be deleted.", e.ID)
		}
		assocs, err := records.AssociationsIn(sc).All(ctx, tx)
		if err != nil {
			return err
		}
		for _, a := range assocs {
			if a.ExtensionID == e.ID && a.ExtensionVersionNumber == e.VersionNumber {
				return appconfig.BadRequest("Extension %s version %d is used by extension association %s; delete its associations first.", e.ID, e.VersionNumber, a.ID)
			}
		}
		if err := tx.Delete(ctx, r.Key); err != nil {
			return err
		}
		if err := deleteTags(ctx, tx, sc, "", ExtensionARN(sc, e.ID, e.VersionNumber)); err != nil {
			return err
		}
		left, err := records.ExtensionVersionsOf(sc, e.ID).Count(ctx, tx)
		if err != nil || left > 0 {
			return err
		}
		// The last version is gone: the name is free again.
		return tx.Delete(ctx, records.ExtensionNameKey(sc, e.Name))
	})
}

// ListExtensions lists the account's extensions (their highest version),
// in creation order, then the AWS-authored ones, optionally by name.
// Pages of the account's part carry listPage's tokens (of name claims);
// those of AWS's part index the catalogue.
func (s *Service) ListExtensions(ctx context.Context, sc appconfig.Scope, name string, p appconfig.PageRequest) (appconfig.Page[appconfig.Extension], error) {
	var page appconfig.Page[appconfig.Extension]
	badToken := appconfig.BadRequest("The NextToken is not valid for this request.")
	phase, from, err := parseToken(p.NextToken, appconfig.RecordExtension)
	awsPhase := err == nil && phase == "aws"
	if !awsPhase {
		if p.NextToken != "" && (err == nil || name != "") {
			// An old-style account token, or a token with a name filter
			// (the account part of such a listing fits one page).
			return page, badToken
		}
		from = 0
		err = s.store.View(ctx, func(tx appconfig.Tx) error {
			if name != "" {
				// Claims are keyed by name: at most one extension.
				c, _, err := records.ExtensionNames.Get(ctx, tx, records.ExtensionNameKey(sc, name), false)
				if appconfig.IsNotFound(err) {
					return nil
				}
				if err != nil {
					return err
				}
				e, _, err := extensionByID(ctx, tx, sc, c.ExtensionID, 0, false)
				if err != nil {
					return err
				}
				page.Items = append(page.Items, e)
				return nil
			}
			var err error
			page, err = pageOf(ctx, tx, records.ExtensionNamesIn(sc), p, func(c records.ExtensionName) (appconfig.Extension, bool, error) {
				e, _, err := extensionByID(ctx, tx, sc, c.ExtensionID, 0, false)
				return e, err == nil, err
			})
			return err
		})
		if err != nil || page.NextToken != "" {
			return page, err
		}
	}
	catalogue := awsCatalogue.list
	if from > int64(len(catalogue)) {
		return page, badToken
	}
	size := pageSize(p)
	for i := int(from); i < len(catalogue); i++ {
		e := catalogue[i]
		if name != "" && name != e.Name && name != e.ID {
			continue
		}
		if len(page.Items) == size {
			page.NextToken = makeToken(appconfig.RecordExtension, "aws", int64(i))
			break
		}
		page.Items = append(page.Items, e)
	}
	return page, nil
}
