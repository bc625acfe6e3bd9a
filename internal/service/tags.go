package service

import (
	"context"
	"sort"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/records"
)

const maxTags = 50

func checkTagKeys(tags map[string]string) error {
	for k := range tags {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return appconfig.BadRequest("Tag keys starting with \"aws:\" are reserved: %s", k)
		}
	}
	return nil
}

// newTags checks the tags of a resource being created and returns what
// makes their record once its ID is known (owner: the record's parent
// and the resource's ARN); nil when there are none.
func newTags(sc appconfig.Scope, tags map[string]string, owner func(id string) (parent, arn string)) (func(id string) []appconfig.Record, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	if err := checkTagKeys(tags); err != nil {
		return nil, err
	}
	if len(tags) > maxTags {
		return nil, appconfig.BadRequest("A resource can have at most %d tags; this request would give it %d.", maxTags, len(tags))
	}
	return func(id string) []appconfig.Record {
		parent, arn := owner(id)
		return []appconfig.Record{{Key: records.TagsKey(sc, parent, arn), Body: records.TagSets.Encode(records.Tags{Tags: tags})}}
	}, nil
}

// putTags merges tags into a resource's tag set. Tag records live under
// the owning application (or environment/profile) so that deleting the
// owner deletes them.
func (s *Service) putTags(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, parent, arn string, tags map[string]string) error {
	if len(tags) == 0 {
		return nil
	}
	if err := checkTagKeys(tags); err != nil {
		return err
	}
	k := records.TagsKey(sc, parent, arn)
	doc, r, err := records.TagSets.Get(ctx, tx, k, true)
	exists := err == nil
	if err != nil && !appconfig.IsNotFound(err) {
		return err
	}
	if doc.Tags == nil {
		doc.Tags = map[string]string{}
	}
	for k, v := range tags {
		doc.Tags[k] = v
	}
	if len(doc.Tags) > maxTags {
		return appconfig.BadRequest("A resource can have at most %d tags; this request would give it %d.", maxTags, len(doc.Tags))
	}
	if exists {
		return records.TagSets.Put(ctx, tx, r, doc)
	}
	_, err = records.TagSets.Insert(ctx, tx, k, "", doc)
	return err
}

func deleteTags(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, parent, arn string) error {
	err := tx.Delete(ctx, records.TagsKey(sc, parent, arn))
	if appconfig.IsNotFound(err) {
		return nil
	}
	return err
}

// DeleteTagsOf removes the tag set of an ARN (for resources owned by other
// packages, such as extensions).
func DeleteTagsOf(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, parent, arn string) error {
	return deleteTags(ctx, tx, sc, parent, arn)
}

// PutTagsOf sets tags on an ARN owned by another package.
func (s *Service) PutTagsOf(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, parent, arn string, tags map[string]string) error {
	return s.putTags(ctx, tx, sc, parent, arn, tags)
}

// taggable checks that arn names an existing resource of the caller's
// scope and returns the parent its tags are stored under.
func (s *Service) taggable(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, arn string) (string, error) {
	notFound := appconfig.NotFound("Resource", "Resource %s not found", arn)
	res, ok := ParseARN(arn)
	if !ok || res.Account != sc.Account || res.Region != sc.Region || res.Partition != Partition(sc.Region) {
		return "", notFound
	}
	exists := func(k appconfig.Key) error {
		_, err := tx.Get(ctx, k, false, false)
		if appconfig.IsNotFound(err) {
			return notFound
		}
		return err
	}
	switch res.Type {
	case "application":
		return res.Application, exists(records.ApplicationKey(sc, res.Application))
	case "environment":
		return records.Parent(res.Application, res.Environment), exists(records.EnvironmentKey(sc, res.Application, res.Environment))
	case "configurationprofile":
		return records.Parent(res.Application, res.Profile), exists(records.ProfileKey(sc, res.Application, res.Profile))
	case "deployment":
		return records.DeploymentParent(res.Application, res.Environment), exists(deploy.Key(sc, res.Application, res.Environment, res.Number))
	case "deploymentstrategy":
		return "", exists(records.StrategyKey(sc, res.ID))
	case "experimentdefinition":
		return experimentRunParent(res.Application, res.ID), exists(experimentDefinitionKey(sc, res.Application, res.ID))
	case "experimentrun":
		k := experimentRunKey(sc, res.Application, res.ID, res.Number)
		return k.Parent, exists(k)
	case "extension":
		if res.Account == "" || res.Version == 0 {
			return "", notFound
		}
		return "", exists(records.ExtensionKey(sc, res.ID, res.Version))
	case "extensionassociation":
		return "", exists(records.AssociationKey(sc, res.ID))
	}
	return "", notFound
}

// TagResource adds or replaces tags of a resource.
func (s *Service) TagResource(ctx context.Context, sc appconfig.Scope, arn string, tags map[string]string) error {
	return s.store.Update(ctx, func(tx appconfig.Tx) error {
		parent, err := s.taggable(ctx, tx, sc, arn)
		if err != nil {
			return err
		}
		return s.putTags(ctx, tx, sc, parent, arn, tags)
	})
}

// UntagResource removes tags of a resource by key.
func (s *Service) UntagResource(ctx context.Context, sc appconfig.Scope, arn string, keys []string) error {
	return s.store.Update(ctx, func(tx appconfig.Tx) error {
		parent, err := s.taggable(ctx, tx, sc, arn)
		if err != nil {
			return err
		}
		doc, r, err := records.TagSets.Get(ctx, tx, records.TagsKey(sc, parent, arn), true)
		if appconfig.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range keys {
			delete(doc.Tags, k)
		}
		if len(doc.Tags) == 0 {
			return tx.Delete(ctx, r.Key)
		}
		return records.TagSets.Put(ctx, tx, r, doc)
	})
}

// ListTagsForResource returns a resource's tags.
func (s *Service) ListTagsForResource(ctx context.Context, sc appconfig.Scope, arn string) (map[string]string, error) {
	tags := map[string]string{}
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		parent, err := s.taggable(ctx, tx, sc, arn)
		if err != nil {
			return err
		}
		doc, _, err := records.TagSets.Get(ctx, tx, records.TagsKey(sc, parent, arn), false)
		if appconfig.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		for k, v := range doc.Tags {
			tags[k] = v
		}
		return nil
	})
	return tags, err
}

// SortedTagKeys is a helper for deterministic output.
func SortedTagKeys(tags map[string]string) []string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
