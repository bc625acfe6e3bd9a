package appconfig

import "time"

// Experiment definition statuses.
const (
	ExperimentIdle     = "IDLE"
	ExperimentActive   = "ACTIVE" // a run is RUNNING
	ExperimentArchived = "ARCHIVED"
)

// Experiment run statuses.
const (
	RunRunning = "RUNNING"
	RunDone    = "DONE"
)

// Experiment run event types.
const (
	RunStarted       = "RUN_STARTED"
	ExposureUpdated  = "EXPOSURE_UPDATED"
	OverridesUpdated = "OVERRIDES_UPDATED"
	RunStopped       = "RUN_STOPPED"
)

// Experiment run events name who triggered them with the deployment
// event constants (TriggeredByUser, TriggeredByCloudWatchAlarm, ...).

// ControlTreatmentKey is the control's key; the treatments get t1 … t5 in
// list order.
const ControlTreatmentKey = "c"

// AttributeValue is one attribute of a treatment's flag value; exactly
// one member is set.
type AttributeValue struct {
	String  *string   `json:"s,omitempty"`
	Number  *float64  `json:"n,omitempty"`
	Bool    *bool     `json:"b,omitempty"`
	Strings []string  `json:"ss,omitempty"`
	Numbers []float64 `json:"ns,omitempty"`
}

// FlagValue is the flag value a treatment serves.
type FlagValue struct {
	Enabled    bool                      `json:"enabled"`
	Attributes map[string]AttributeValue `json:"attributes,omitempty"`
}

// Treatment is one arm of an experiment (the control included).
type Treatment struct {
	Key         string    `json:"key"` // c, t1 … t5
	Weight      float64   `json:"weight"`
	Description string    `json:"description,omitempty"`
	FlagValue   FlagValue `json:"flagValue"`
}

// ExperimentDefinition names one feature flag of one profile in one
// environment, its control and treatments and its audience.
type ExperimentDefinition struct {
	ApplicationID          string      `json:"applicationId"`
	ID                     string      `json:"id"`
	Name                   string      `json:"name"`
	Hypothesis             string      `json:"hypothesis,omitempty"`
	Status                 string      `json:"status"`
	ConfigurationProfileID string      `json:"configurationProfileId"`
	EnvironmentID          string      `json:"environmentId"`
	FlagKey                string      `json:"flagKey"`
	AudienceRule           string      `json:"audienceRule"`
	AudienceDescription    string      `json:"audienceDescription,omitempty"`
	LaunchCriteria         string      `json:"launchCriteria,omitempty"`
	Control                Treatment   `json:"control"`
	Treatments             []Treatment `json:"treatments"`
	KmsKeyIdentifier       string      `json:"kmsKeyIdentifier,omitempty"`
	CreatedAt              time.Time   `json:"createdAt"`
	UpdatedAt              time.Time   `json:"updatedAt"`
	// LatestRun is the highest run number ever started (runs are
	// numbered from 1 per definition).
	LatestRun int `json:"latestRun,omitempty"`
}

// AllTreatments is the control followed by the treatments.
func (d *ExperimentDefinition) AllTreatments() []Treatment {
	return append([]Treatment{d.Control}, d.Treatments...)
}

// Treatment returns the treatment (or control) with key k.
func (d *ExperimentDefinition) Treatment(k string) (Treatment, bool) {
	for _, t := range d.AllTreatments() {
		if t.Key == k {
			return t, true
		}
	}
	return Treatment{}, false
}

// ExperimentRunResult is the free-text outcome recorded at stop.
type ExperimentRunResult struct {
	ExecutiveSummary   string `json:"executiveSummary,omitempty"`
	ReasonsToLaunch    string `json:"reasonsToLaunch,omitempty"`
	ReasonsNotToLaunch string `json:"reasonsNotToLaunch,omitempty"`
}

// RunDeploymentParameters are what a run's managed deployments carry.
type RunDeploymentParameters struct {
	DynamicExtensionParameters map[string]string `json:"dynamicExtensionParameters,omitempty"`
	Tags                       map[string]string `json:"tags,omitempty"`
}

// ExperimentRunEvent is one entry of a run's event log.
type ExperimentRunEvent struct {
	Type               string            `json:"type"`
	Description        string            `json:"description"`
	TriggeredBy        string            `json:"triggeredBy"`
	OccurredAt         time.Time         `json:"occurredAt"`
	ExposurePercentage float64           `json:"exposurePercentage"`
	Overrides          map[string]string `json:"overrides,omitempty"`
	// AssociatedDeployment is the ARN of the managed deployment the event
	// started ("" until runs deploy).
	AssociatedDeployment string `json:"associatedDeployment,omitempty"`
}

// ExperimentRun is one execution of a definition.
type ExperimentRun struct {
	ApplicationID      string               `json:"applicationId"`
	DefinitionID       string               `json:"experimentDefinitionId"`
	Run                int                  `json:"run"`
	Description        string               `json:"description,omitempty"`
	Status             string               `json:"status"`
	ExposurePercentage float64              `json:"exposurePercentage"`
	Overrides          map[string]string    `json:"overrides,omitempty"` // entity id → treatment key
	Result             *ExperimentRunResult `json:"result,omitempty"`
	StartedAt          time.Time            `json:"startedAt"`
	UpdatedAt          time.Time            `json:"updatedAt"`
	EndedAt            time.Time            `json:"endedAt,omitempty"`
	// Snapshot is the definition as it was when the run started.
	Snapshot ExperimentDefinition `json:"snapshot"`
	// DeploymentParameters are the latest ones given (Start, Update, Stop).
	DeploymentParameters RunDeploymentParameters `json:"deploymentParameters,omitempty"`
	EventLog             []ExperimentRunEvent    `json:"eventLog"` // oldest first
}
