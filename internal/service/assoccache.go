package service

import (
	"context"
	"sync"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/cachegen"
	"github.com/appconfigd/appconfigd/internal/records"
)

// assocIndex keeps each scope's extension associations in memory, by
// resource ARN: every deployment event and hosted-version creation asks
// which associations apply, and most scopes have few or none.
//
// Writers drop the scope after their transaction commits (and announce
// appconfig.AssociationsTopic so other processes drop it too). A
// generation per scope (cachegen.Keyed) keeps a reader that loaded before
// such a drop from storing what it read; a reset, which concerns every
// scope, cached or being loaded, invalidates them all.
type assocIndex struct {
	mu     sync.Mutex
	scopes map[appconfig.Scope]map[string][]appconfig.ExtensionAssociation
	gens   cachegen.Keyed[appconfig.Scope]
}

func newAssocIndex() *assocIndex {
	return &assocIndex{scopes: map[appconfig.Scope]map[string][]appconfig.ExtensionAssociation{}}
}

func (x *assocIndex) drop(sc appconfig.Scope) {
	x.mu.Lock()
	delete(x.scopes, sc)
	x.gens.Invalidate(sc)
	x.mu.Unlock()
}

func (x *assocIndex) onTopic(t appconfig.Topic) {
	switch t.Kind {
	case appconfig.TopicKindReset:
		x.mu.Lock()
		x.gens.InvalidateAll()
		clear(x.scopes)
		x.mu.Unlock()
	case appconfig.TopicKindAssociations:
		x.drop(t.Scope)
	}
}

// of returns the associations of one resource ARN, loading the scope's
// index through tx when it is not cached.
func (x *assocIndex) of(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, arn string) ([]appconfig.ExtensionAssociation, error) {
	x.mu.Lock()
	idx, ok := x.scopes[sc]
	stamp := x.gens.Stamp(sc)
	x.mu.Unlock()
	if ok {
		return idx[arn], nil
	}
	all, err := records.AssociationsIn(sc).All(ctx, tx)
	if err != nil {
		return nil, err
	}
	idx = map[string][]appconfig.ExtensionAssociation{}
	for _, a := range all {
		idx[a.ResourceArn] = append(idx[a.ResourceArn], a)
	}
	x.mu.Lock()
	if x.gens.Current(sc, stamp) {
		x.scopes[sc] = idx
	}
	x.mu.Unlock()
	return idx[arn], nil
}
