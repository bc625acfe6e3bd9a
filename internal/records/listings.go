package records

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
)

// Listing is a typed list accessor: the query of the records of one kind
// under one parent. Its Query may be narrowed (Name, Desc, Limit,
// WithData) before use.
type Listing[T any] struct {
	Kind  Kind[T]
	Query appconfig.Query
}

func listing[T any](k Kind[T], sc appconfig.Scope, parent string) Listing[T] {
	return Listing[T]{Kind: k, Query: appconfig.Query{Account: sc.Account, Region: sc.Region, Kind: k.Name, Parent: parent}}
}

// All reads and decodes every record the listing matches.
func (l Listing[T]) All(ctx context.Context, tx appconfig.Tx) ([]T, error) {
	return l.Kind.List(ctx, tx, l.Query)
}

// Count counts the records the listing matches.
func (l Listing[T]) Count(ctx context.Context, tx appconfig.Tx) (int, error) {
	return tx.Count(ctx, l.Query)
}

// DeleteAll deletes the records the listing matches.
func (l Listing[T]) DeleteAll(ctx context.Context, tx appconfig.Tx) (int, error) {
	return tx.DeleteAll(ctx, l.Query)
}

// ApplicationsIn lists a scope's applications.
func ApplicationsIn(sc appconfig.Scope) Listing[appconfig.Application] {
	return listing(Applications, sc, "")
}

// EnvironmentsOf lists an application's environments.
func EnvironmentsOf(sc appconfig.Scope, app string) Listing[appconfig.Environment] {
	return listing(Environments, sc, app)
}

// ProfilesOf lists an application's configuration profiles.
func ProfilesOf(sc appconfig.Scope, app string) Listing[appconfig.ConfigurationProfile] {
	return listing(Profiles, sc, app)
}

// HostedVersionsOf lists a profile's hosted configuration versions.
func HostedVersionsOf(sc appconfig.Scope, app, prof string) Listing[appconfig.HostedConfigurationVersion] {
	return listing(HostedVersions, sc, Parent(app, prof))
}

// StrategiesIn lists a scope's custom deployment strategies.
func StrategiesIn(sc appconfig.Scope) Listing[appconfig.DeploymentStrategy] {
	return listing(Strategies, sc, "")
}

// ExtensionVersionsOf lists the versions of an extension.
func ExtensionVersionsOf(sc appconfig.Scope, id string) Listing[appconfig.Extension] {
	return listing(Extensions, sc, id)
}

// ExtensionNamesIn lists a scope's extension name claims (one a custom
// extension).
func ExtensionNamesIn(sc appconfig.Scope) Listing[ExtensionName] {
	return listing(ExtensionNames, sc, "")
}

// AssociationsIn lists a scope's extension associations.
func AssociationsIn(sc appconfig.Scope) Listing[appconfig.ExtensionAssociation] {
	return listing(ExtensionAssociations, sc, "")
}

// TagsUnder lists the tags records of the resources under parent (a
// resource's tags sit under the resource's parent, see TagsKey).
func TagsUnder(sc appconfig.Scope, parent string) Listing[Tags] {
	return listing(TagSets, sc, parent)
}

// ExperimentDefinitionsOf lists an application's experiment definitions.
func ExperimentDefinitionsOf(sc appconfig.Scope, app string) Listing[appconfig.ExperimentDefinition] {
	return listing(ExperimentDefinitions, sc, app)
}

// ExperimentRunsOf lists the runs of an experiment definition.
func ExperimentRunsOf(sc appconfig.Scope, app, def string) Listing[appconfig.ExperimentRun] {
	return listing(ExperimentRuns, sc, ExperimentRunParent(app, def))
}

// A hosted version's content is not in its body but in the record's
// data, which only reads that ask for it (WithData) load.

// DecodeHostedVersion reads a hosted version record, with its content
// when the record was read with its data.
func DecodeHostedVersion(r appconfig.Record) (appconfig.HostedConfigurationVersion, error) {
	v, err := HostedVersions.Decode(r)
	v.Content = r.Data
	return v, err
}

// InsertHostedVersion adds hosted version v (content included) of
// profile prof; its name is the version label.
func InsertHostedVersion(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, app, prof string, v appconfig.HostedConfigurationVersion) error {
	data := v.Content
	if data == nil {
		data = []byte{}
	}
	r := appconfig.Record{Key: HostedVersionKey(sc, app, prof, v.VersionNumber), Name: v.VersionLabel, Body: HostedVersions.Encode(v), Data: data}
	return tx.Insert(ctx, &r)
}
