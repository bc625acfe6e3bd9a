package appconfig

import (
	"fmt"
	"strings"
)

// Record keys shared by the service and the deployment engine.

// EnvironmentKey is the key of an environment record.
func EnvironmentKey(sc Scope, app, env string) Key {
	return Key{Account: sc.Account, Region: sc.Region, Kind: KindEnvironment, Parent: app, ID: env}
}

// Parent is the Parent of the records under a resource, from the ids of
// the resource's path (application, then environment or profile).
func Parent(ids ...string) string { return strings.Join(ids, "/") }

// DeploymentParent is the parent of an environment's deployment records.
func DeploymentParent(app, env string) string { return Parent(app, env) }

// DeploymentKey is the key of a deployment record; ids are zero-padded so
// they sort like numbers.
func DeploymentKey(sc Scope, app, env string, number int) Key {
	return Key{Account: sc.Account, Region: sc.Region, Kind: KindDeployment, Parent: DeploymentParent(app, env), ID: fmt.Sprintf("%010d", number)}
}

// ProfileTopic is the change-notification topic of a configuration
// profile's removal; the data plane's caches listen to it.
func ProfileTopic(sc Scope, app, prof string) string {
	return "prof|" + sc.Account + "|" + sc.Region + "|" + app + "|" + prof
}

// NamesTopic is the change-notification topic of the names under an
// application: an environment or configuration profile created, renamed
// or deleted in app, or (app == "") an application created, renamed or
// deleted. What resolves a name or ID to a resource in memory (the data
// plane's view) listens to it.
func NamesTopic(sc Scope, app string) string {
	return "names|" + sc.Account + "|" + sc.Region + "|" + app
}

// EnvironmentTopic is the change-notification topic of an environment's
// deployments; the data plane's caches listen to it.
func EnvironmentTopic(sc Scope, app, env string) string {
	return "env|" + sc.Account + "|" + sc.Region + "|" + app + "|" + env
}
