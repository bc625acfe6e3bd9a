package records

import (
	"fmt"
	"strconv"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
)

// The key layout of every record kind: Kind, Parent (the owning
// resource's id path) and ID. Listings select a kind under one parent.

// Parent is the Parent of the records under a resource, from the ids of
// the resource's path (application, then environment or profile).
func Parent(ids ...string) string { return strings.Join(ids, "/") }

func scoped(sc appconfig.Scope, kind, parent, id string) appconfig.Key {
	return appconfig.Key{Account: sc.Account, Region: sc.Region, Kind: kind, Parent: parent, ID: id}
}

// ApplicationKey is the key of an application (top level).
func ApplicationKey(sc appconfig.Scope, id string) appconfig.Key {
	return scoped(sc, appconfig.RecordApplication, "", id)
}

// EnvironmentKey is the key of an environment, under its application.
func EnvironmentKey(sc appconfig.Scope, app, env string) appconfig.Key {
	return scoped(sc, appconfig.RecordEnvironment, app, env)
}

// ProfileKey is the key of a configuration profile, under its application.
func ProfileKey(sc appconfig.Scope, app, prof string) appconfig.Key {
	return scoped(sc, appconfig.RecordConfigurationProfile, app, prof)
}

// HostedVersionKey is the key of a hosted version, under its profile.
func HostedVersionKey(sc appconfig.Scope, app, prof string, n int) appconfig.Key {
	return scoped(sc, appconfig.RecordHostedVersion, Parent(app, prof), strconv.Itoa(n))
}

// StrategyKey is the key of a custom deployment strategy (top level).
func StrategyKey(sc appconfig.Scope, id string) appconfig.Key {
	return scoped(sc, appconfig.RecordDeploymentStrategy, "", id)
}

// DeploymentParent is the parent of an environment's deployment records
// (and of their tags).
func DeploymentParent(app, env string) string { return Parent(app, env) }

// DeploymentKey is the key of a deployment, under its environment; ids
// are zero-padded so they sort like numbers. Only internal/deploy writes
// these records.
func DeploymentKey(sc appconfig.Scope, app, env string, number int) appconfig.Key {
	return scoped(sc, appconfig.RecordDeployment, DeploymentParent(app, env), fmt.Sprintf("%010d", number))
}

// TagsKey is the key of a resource's tags: under the resource's parent,
// by ARN.
func TagsKey(sc appconfig.Scope, parent, arn string) appconfig.Key {
	return scoped(sc, appconfig.RecordTags, parent, arn)
}

// AccountSettingsKey is the key of a scope's account settings.
func AccountSettingsKey(sc appconfig.Scope) appconfig.Key {
	return scoped(sc, appconfig.RecordAccountSettings, "", "settings")
}

// UsageKey is the key of a usage mark (deletion protection).
func UsageKey(sc appconfig.Scope, id string) appconfig.Key {
	return scoped(sc, appconfig.RecordUsage, "", id)
}

// ExtensionKey is the key of one version of an extension, under the
// extension's id; versions are zero-padded so they sort like numbers.
func ExtensionKey(sc appconfig.Scope, id string, version int) appconfig.Key {
	return scoped(sc, appconfig.RecordExtension, id, fmt.Sprintf("%06d", version))
}

// ExtensionNameKey is the key of an extension name's claim.
func ExtensionNameKey(sc appconfig.Scope, name string) appconfig.Key {
	return scoped(sc, appconfig.RecordExtensionName, "", name)
}

// AssociationKey is the key of an extension association (top level).
func AssociationKey(sc appconfig.Scope, id string) appconfig.Key {
	return scoped(sc, appconfig.RecordExtensionAssociation, "", id)
}

// DeliveryKey is the key of a queued extension delivery (top level).
func DeliveryKey(sc appconfig.Scope, id string) appconfig.Key {
	return scoped(sc, appconfig.RecordDelivery, "", id)
}

// MetaKey is the key of a process-wide record (no scope): the clock
// anchor, the token key.
func MetaKey(id string) appconfig.Key { return appconfig.Key{Kind: appconfig.RecordMeta, ID: id} }

// ExperimentDefinitionKey is an experiment definition's record, under its
// application.
func ExperimentDefinitionKey(sc appconfig.Scope, app, def string) appconfig.Key {
	return scoped(sc, appconfig.RecordExperimentDefinition, app, def)
}

// ExperimentRunParent is the parent of a definition's runs and of the
// tags of the definition and its runs, so a DESTROY removes them together.
func ExperimentRunParent(app, def string) string { return Parent(app, def) }

// ExperimentRunKey is run n of a definition, keyed by the zero-padded
// number so runs list in order.
func ExperimentRunKey(sc appconfig.Scope, app, def string, n int) appconfig.Key {
	return scoped(sc, appconfig.RecordExperimentRun, ExperimentRunParent(app, def), fmt.Sprintf("%010d", n))
}
