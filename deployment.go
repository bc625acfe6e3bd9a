package appconfig

import "time"

// DeploymentState is the state of a deployment (upper snake case, as AWS
// emits it).
type DeploymentState string

// Deployment states. AWS also lists VALIDATING; appconfigd runs a
// profile's validators before StartDeployment records anything (a
// configuration that fails them is refused with BadRequest, no deployment
// is created), so no deployment is ever in that state and it has no
// constant here.
const (
	DeploymentBaking      DeploymentState = "BAKING"
	DeploymentDeploying   DeploymentState = "DEPLOYING"
	DeploymentComplete    DeploymentState = "COMPLETE"
	DeploymentRollingBack DeploymentState = "ROLLING_BACK"
	DeploymentRolledBack  DeploymentState = "ROLLED_BACK"
	DeploymentReverted    DeploymentState = "REVERTED"
)

// Active reports whether the deployment still blocks its environment.
func (s DeploymentState) Active() bool {
	switch s {
	case DeploymentBaking, DeploymentDeploying, DeploymentRollingBack:
		return true
	}
	return false
}

// EnvironmentStateFor is the environment state a deployment in state s gives.
func EnvironmentStateFor(s DeploymentState) EnvironmentState {
	switch s {
	case DeploymentBaking, DeploymentDeploying:
		return EnvDeploying
	case DeploymentRollingBack:
		return EnvRollingBack
	case DeploymentRolledBack:
		return EnvRolledBack
	case DeploymentReverted:
		return EnvReverted
	}
	return EnvReadyForDeployment
}

// DeploymentType says who started a deployment.
type DeploymentType string

// Deployment types.
const (
	// DeploymentTypeUser is a StartDeployment call.
	DeploymentTypeUser DeploymentType = "USER"
	// DeploymentTypeManaged is a deployment the system starts on its own
	// behalf (an experiment's managed deployment).
	DeploymentTypeManaged DeploymentType = "MANAGED"
)

// TypeOf is d's type, USER when unset.
func (d *Deployment) TypeOf() DeploymentType {
	if d.Type == "" {
		return DeploymentTypeUser
	}
	return d.Type
}

// Deployment event types.
const (
	EventDeploymentStarted   = "DEPLOYMENT_STARTED"
	EventPercentageUpdated   = "PERCENTAGE_UPDATED"
	EventBakeTimeStarted     = "BAKE_TIME_STARTED"
	EventDeploymentCompleted = "DEPLOYMENT_COMPLETED"
	EventRollbackStarted     = "ROLLBACK_STARTED"
	EventRollbackCompleted   = "ROLLBACK_COMPLETED"
	EventRevertCompleted     = "REVERT_COMPLETED"
)

// Who triggered a deployment event.
const (
	TriggeredByUser            = "USER"
	TriggeredByAppConfig       = "APPCONFIG"
	TriggeredByCloudWatchAlarm = "CLOUDWATCH_ALARM"
	TriggeredByInternalError   = "INTERNAL_ERROR"
)

// ActionInvocation records one extension action run for a deployment event.
type ActionInvocation struct {
	ExtensionIdentifier string `json:"extensionIdentifier,omitempty"`
	ActionName          string `json:"actionName,omitempty"`
	URI                 string `json:"uri,omitempty"`
	RoleArn             string `json:"roleArn,omitempty"`
	ErrorMessage        string `json:"errorMessage,omitempty"`
	ErrorCode           string `json:"errorCode,omitempty"`
	InvocationID        string `json:"invocationId,omitempty"`
}

// DeploymentEvent is one entry of a deployment's event log.
type DeploymentEvent struct {
	EventType         string             `json:"eventType"`
	TriggeredBy       string             `json:"triggeredBy"`
	Description       string             `json:"description"`
	OccurredAt        time.Time          `json:"occurredAt"`
	ActionInvocations []ActionInvocation `json:"actionInvocations,omitempty"`
	// Percentage is the share of clients a PERCENTAGE_UPDATED event moved
	// the deployment to, fixed at the event: when the engine takes several
	// steps at once, each step's extension payload carries its own share,
	// not the deployment's current one. Engine bookkeeping, not on the wire.
	Percentage *float64 `json:"percentage,omitempty"`
}

// AppliedExtension is an extension association in force for a deployment.
type AppliedExtension struct {
	ExtensionID            string            `json:"extensionId"`
	ExtensionAssociationID string            `json:"extensionAssociationId"`
	VersionNumber          int               `json:"versionNumber"`
	Parameters             map[string]string `json:"parameters,omitempty"`
}

// Deployment is one rollout of a configuration version to an environment.
// It carries a copy of the strategy parameters taken at start, and the
// engine's own bookkeeping.
type Deployment struct {
	ApplicationID               string             `json:"applicationId"`
	EnvironmentID               string             `json:"environmentId"`
	DeploymentNumber            int                `json:"deploymentNumber"`
	ConfigurationProfileID      string             `json:"configurationProfileId"`
	ConfigurationName           string             `json:"configurationName"`
	ConfigurationLocationURI    string             `json:"configurationLocationUri"`
	ConfigurationVersion        string             `json:"configurationVersion"`
	VersionLabel                string             `json:"versionLabel,omitempty"`
	ContentType                 string             `json:"contentType"`
	DeploymentStrategyID        string             `json:"deploymentStrategyId"`
	DeploymentDurationInMinutes int                `json:"deploymentDurationInMinutes"`
	GrowthType                  string             `json:"growthType"`
	GrowthFactor                float64            `json:"growthFactor"`
	FinalBakeTimeInMinutes      int                `json:"finalBakeTimeInMinutes"`
	Description                 string             `json:"description,omitempty"`
	State                       DeploymentState    `json:"state"`
	PercentageComplete          float64            `json:"percentageComplete"`
	StartedAt                   time.Time          `json:"startedAt"`
	CompletedAt                 time.Time          `json:"completedAt,omitempty"`
	EventLog                    []DeploymentEvent  `json:"eventLog"` // oldest first
	AppliedExtensions           []AppliedExtension `json:"appliedExtensions,omitempty"`
	KmsKeyArn                   string             `json:"kmsKeyArn,omitempty"`
	KmsKeyIdentifier            string             `json:"kmsKeyIdentifier,omitempty"`
	// Type says who started it: USER (also "", as in records written
	// before managed deployments existed) or MANAGED (an experiment run's).
	Type DeploymentType `json:"type,omitempty"`

	// PreviousVersion is the configuration version this environment and
	// profile served before the deployment ("" when none); clients outside
	// the rollout, and everyone after a rollback or revert, get it.
	PreviousVersion     string `json:"previousVersion,omitempty"`
	PreviousDeployment  int    `json:"previousDeployment,omitempty"`
	PreviousContentType string `json:"previousContentType,omitempty"`
	PreviousLabel       string `json:"previousLabel,omitempty"`

	// Monitors are the environment's alarms, copied at start.
	Monitors []Monitor `json:"monitors,omitempty"`
	// Ticks says AT_DEPLOYMENT_TICK actions apply to this deployment.
	Ticks bool `json:"ticks,omitempty"`

	// The engine's progress through the strategy (not on the wire). Its
	// claim bookkeeping (lease, due time) lives in the record, not here.
	Step         int       `json:"step"`                   // growth steps taken
	NextMonitor  time.Time `json:"nextMonitor,omitempty"`  // next alarm evaluation
	NextTick     time.Time `json:"nextTick,omitempty"`     // next AT_DEPLOYMENT_TICK
	RollbackBy   string    `json:"rollbackBy,omitempty"`   // TriggeredBy of a pending rollback
	RollbackNote string    `json:"rollbackNote,omitempty"` // its description
}

// Serves reports which version a client in bucket b (0 ≤ b < 100) gets
// from this deployment: the new version inside the rollout percentage
// while it runs and after it completes, the previous one otherwise.
func (d *Deployment) Serves(bucket float64) (version string, isNew bool) {
	switch d.State {
	case DeploymentComplete:
		return d.ConfigurationVersion, true
	case DeploymentDeploying, DeploymentBaking:
		if bucket < d.PercentageComplete {
			return d.ConfigurationVersion, true
		}
	}
	return d.PreviousVersion, false
}
