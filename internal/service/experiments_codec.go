package service

import (
	"fmt"

	appconfig "github.com/appconfigd/appconfigd"
)

// Record encoding of experiment definitions and runs, in one place per
// kind. Definitions live under their application (ID = definition id,
// Name = definition name); runs under Parent(app, definition) with the
// zero-padded run number as ID, so they list in run order. Tags of a
// definition and of its runs live under Parent(app, definition), so a
// DESTROY removes them with the runs.

func experimentDefinitionKey(sc appconfig.Scope, appID, defID string) appconfig.Key {
	return key(sc, appconfig.KindExperimentDefinition, appID, defID)
}

func encodeExperimentDefinition(d appconfig.ExperimentDefinition) []byte { return encode(d) }

func decodeExperimentDefinition(r appconfig.Record) (appconfig.ExperimentDefinition, error) {
	return decode[appconfig.ExperimentDefinition](r)
}

// experimentRunParent is the parent of a definition's runs and tags.
func experimentRunParent(appID, defID string) string { return appconfig.Parent(appID, defID) }

func experimentRunKey(sc appconfig.Scope, appID, defID string, run int) appconfig.Key {
	return key(sc, appconfig.KindExperimentRun, experimentRunParent(appID, defID), fmt.Sprintf("%010d", run))
}

func encodeExperimentRun(r appconfig.ExperimentRun) []byte { return encode(r) }

func decodeExperimentRun(r appconfig.Record) (appconfig.ExperimentRun, error) {
	return decode[appconfig.ExperimentRun](r)
}
