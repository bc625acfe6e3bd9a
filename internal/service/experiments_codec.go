package service

import (
	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Experiment definitions and runs are stored through internal/records
// (keys and versioned bodies): definitions under their application (ID =
// definition id, Name = definition name); runs under
// records.ExperimentRunParent(app, definition) with the zero-padded run
// number as ID. Tags of a definition and of its runs live under that
// parent too, so a DESTROY removes them with the runs.

func experimentDefinitionKey(sc appconfig.Scope, appID, defID string) appconfig.Key {
	return records.ExperimentDefinitionKey(sc, appID, defID)
}

func encodeExperimentDefinition(d appconfig.ExperimentDefinition) []byte {
	return records.ExperimentDefinitions.Encode(d)
}

func decodeExperimentDefinition(r appconfig.Record) (appconfig.ExperimentDefinition, error) {
	return records.ExperimentDefinitions.Decode(r)
}

// experimentRunParent is the parent of a definition's runs and tags.
func experimentRunParent(appID, defID string) string {
	return records.ExperimentRunParent(appID, defID)
}

func experimentRunKey(sc appconfig.Scope, appID, defID string, run int) appconfig.Key {
	return records.ExperimentRunKey(sc, appID, defID, run)
}

func encodeExperimentRun(r appconfig.ExperimentRun) []byte { return records.ExperimentRuns.Encode(r) }

func decodeExperimentRun(r appconfig.Record) (appconfig.ExperimentRun, error) {
	return records.ExperimentRuns.Decode(r)
}
