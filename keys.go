package appconfig

import (
	"fmt"
	"strings"
)

// Record keys shared by the service and the deployment engine.

// EnvironmentKey is the key of an environment record.
func EnvironmentKey(sc Scope, app, env string) Key {
	return Key{Account: sc.Account, Region: sc.Region, Kind: RecordEnvironment, Parent: app, ID: env}
}

// Parent is the Parent of the records under a resource, from the ids of
// the resource's path (application, then environment or profile).
func Parent(ids ...string) string { return strings.Join(ids, "/") }

// DeploymentParent is the parent of an environment's deployment records.
func DeploymentParent(app, env string) string { return Parent(app, env) }

// DeploymentKey is the key of a deployment record; ids are zero-padded so
// they sort like numbers.
func DeploymentKey(sc Scope, app, env string, number int) Key {
	return Key{Account: sc.Account, Region: sc.Region, Kind: RecordDeployment, Parent: DeploymentParent(app, env), ID: fmt.Sprintf("%010d", number)}
}
