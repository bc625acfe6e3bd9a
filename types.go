package appconfig

import "time"

// Scope is the account and region a request acts in. Resources of
// different scopes never see each other.
type Scope struct {
	Account, Region string
}

// Record kinds (Key.Kind) stored by the service. They are spelled
// Record* so that they do not read like the error kinds (ErrorKind, Kind*).
const (
	RecordApplication          = "application"
	RecordEnvironment          = "environment"
	RecordConfigurationProfile = "configurationprofile"
	RecordHostedVersion        = "hostedversion"
	RecordDeploymentStrategy   = "deploymentstrategy"
	RecordDeployment           = "deployment"
	RecordTags                 = "tags"
	RecordAccountSettings      = "accountsettings"
	RecordUsage                = "usage"
	RecordExtension            = "extension"
	RecordExtensionName        = "extensionname"
	RecordExtensionAssociation = "extensionassociation"
	RecordDelivery             = "delivery"
	RecordMeta                 = "meta"
	// Experiments (AWS 2026): definitions live under their application;
	// runs under Parent(app, definition), keyed by the zero-padded run
	// number, each holding its own event log.
	RecordExperimentDefinition = "experimentdefinition"
	RecordExperimentRun        = "experimentrun"
)

// Application is a container of environments and configuration profiles.
type Application struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

// EnvironmentState is the state of an environment, spelled as AWS emits it.
type EnvironmentState string

// Environment states (camel case, as real AWS responses and the SDK
// waiters spell them; see docs/aws-behavior.md §2).
const (
	EnvReadyForDeployment EnvironmentState = "ReadyForDeployment"
	EnvDeploying          EnvironmentState = "Deploying"
	EnvRollingBack        EnvironmentState = "RollingBack"
	EnvRolledBack         EnvironmentState = "RolledBack"
	EnvReverted           EnvironmentState = "Reverted"
)

// Monitor is an alarm watched during deployments.
type Monitor struct {
	AlarmArn     string `json:"alarmArn"`
	AlarmRoleArn string `json:"alarmRoleArn,omitempty"`
}

// Environment is a deployment target of an application.
type Environment struct {
	ApplicationID string           `json:"applicationId"`
	ID            string           `json:"id"`
	Name          string           `json:"name"`
	Description   string           `json:"description,omitempty"`
	State         EnvironmentState `json:"state"`
	Monitors      []Monitor        `json:"monitors,omitempty"`
	CreatedAt     time.Time        `json:"createdAt"`
}

// Validator checks configuration content before it is deployed.
type Validator struct {
	Type    string `json:"type"` // JSON_SCHEMA or LAMBDA
	Content string `json:"content"`
}

// Configuration profile types.
const (
	ProfileTypeFreeform     = "AWS.Freeform"
	ProfileTypeFeatureFlags = "AWS.AppConfig.FeatureFlags"
	LocationHosted          = "hosted"
)

// ConfigurationProfile says where a configuration lives and how it is
// validated.
type ConfigurationProfile struct {
	ApplicationID    string      `json:"applicationId"`
	ID               string      `json:"id"`
	Name             string      `json:"name"`
	Description      string      `json:"description,omitempty"`
	LocationURI      string      `json:"locationUri"`
	RetrievalRoleArn string      `json:"retrievalRoleArn,omitempty"`
	Validators       []Validator `json:"validators,omitempty"`
	Type             string      `json:"type,omitempty"`
	KmsKeyArn        string      `json:"kmsKeyArn,omitempty"`
	KmsKeyIdentifier string      `json:"kmsKeyIdentifier,omitempty"`
	CreatedAt        time.Time   `json:"createdAt"`
	// LatestVersion is the highest hosted version number ever created
	// (numbers are never reused, even after deletion).
	LatestVersion int `json:"latestVersion,omitempty"`
}

// IsFeatureFlags reports whether the profile holds feature flags.
func (p *ConfigurationProfile) IsFeatureFlags() bool { return p.Type == ProfileTypeFeatureFlags }

// HostedConfigurationVersion is one immutable version of hosted content.
type HostedConfigurationVersion struct {
	ApplicationID          string    `json:"applicationId"`
	ConfigurationProfileID string    `json:"configurationProfileId"`
	VersionNumber          int       `json:"versionNumber"`
	Description            string    `json:"description,omitempty"`
	ContentType            string    `json:"contentType"`
	VersionLabel           string    `json:"versionLabel,omitempty"`
	KmsKeyArn              string    `json:"kmsKeyArn,omitempty"`
	CreatedAt              time.Time `json:"createdAt"`
	Content                []byte    `json:"-"`
}

// Growth types of a deployment strategy.
const (
	GrowthLinear      = "LINEAR"
	GrowthExponential = "EXPONENTIAL"
)

// DeploymentStrategy says how fast a deployment grows and how long it bakes.
type DeploymentStrategy struct {
	ID                          string    `json:"id"`
	Name                        string    `json:"name"`
	Description                 string    `json:"description,omitempty"`
	DeploymentDurationInMinutes int       `json:"deploymentDurationInMinutes"`
	GrowthType                  string    `json:"growthType"`
	GrowthFactor                float64   `json:"growthFactor"`
	FinalBakeTimeInMinutes      int       `json:"finalBakeTimeInMinutes"`
	ReplicateTo                 string    `json:"replicateTo"`
	CreatedAt                   time.Time `json:"createdAt"`
}

// AccountSettings are per account and region.
type AccountSettings struct {
	DeletionProtection DeletionProtectionSettings `json:"deletionProtection"`
	VendedMetrics      bool                       `json:"vendedMetrics"`
}

// DeletionProtectionSettings guard recently used environments and profiles.
type DeletionProtectionSettings struct {
	Enabled                   bool `json:"enabled"`
	ProtectionPeriodInMinutes int  `json:"protectionPeriodInMinutes"`
}

// DefaultAccountSettings are the settings of an account that never changed them.
func DefaultAccountSettings() AccountSettings {
	return AccountSettings{DeletionProtection: DeletionProtectionSettings{Enabled: false, ProtectionPeriodInMinutes: 60}}
}

// DeletionProtectionCheck is the x-amzn-deletion-protection-check header.
type DeletionProtectionCheck string

// Values of DeletionProtectionCheck.
const (
	ProtectionAccountDefault DeletionProtectionCheck = "ACCOUNT_DEFAULT"
	ProtectionApply          DeletionProtectionCheck = "APPLY"
	ProtectionBypass         DeletionProtectionCheck = "BYPASS"
)

// Page is one page of a listing.
type Page[T any] struct {
	Items     []T
	NextToken string
}

// PageRequest asks for one page.
type PageRequest struct {
	MaxResults int // 0: the default (50)
	NextToken  string
}
