package appconfig

import "time"

// Extension action points.
const (
	PreCreateHostedConfigurationVersion = "PRE_CREATE_HOSTED_CONFIGURATION_VERSION"
	PreStartDeployment                  = "PRE_START_DEPLOYMENT"
	AtDeploymentTick                    = "AT_DEPLOYMENT_TICK"
	OnDeploymentStart                   = "ON_DEPLOYMENT_START"
	OnDeploymentStep                    = "ON_DEPLOYMENT_STEP"
	OnDeploymentBaking                  = "ON_DEPLOYMENT_BAKING"
	OnDeploymentComplete                = "ON_DEPLOYMENT_COMPLETE"
	OnDeploymentRolledBack              = "ON_DEPLOYMENT_ROLLED_BACK"
)

// ExtensionAction is what runs at an action point.
type ExtensionAction struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	URI         string `json:"uri"`
	RoleArn     string `json:"roleArn,omitempty"`
}

// ExtensionParameter declares a parameter associations supply.
type ExtensionParameter struct {
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
	Dynamic     bool   `json:"dynamic,omitempty"`
}

// Extension is one version of an extension.
type Extension struct {
	ID            string                        `json:"id"`
	Name          string                        `json:"name"`
	VersionNumber int                           `json:"versionNumber"`
	Description   string                        `json:"description,omitempty"`
	Actions       map[string][]ExtensionAction  `json:"actions"`
	Parameters    map[string]ExtensionParameter `json:"parameters,omitempty"`
	CreatedAt     time.Time                     `json:"createdAt"`
	// AWSAuthored marks the built-in catalogue (ARNs with an empty account).
	AWSAuthored bool `json:"awsAuthored,omitempty"`
}

// ExtensionAssociation links an extension version to an application,
// environment or configuration profile.
type ExtensionAssociation struct {
	ID                     string            `json:"id"`
	ExtensionID            string            `json:"extensionId"`
	ExtensionVersionNumber int               `json:"extensionVersionNumber"`
	ExtensionArn           string            `json:"extensionArn"`
	ResourceArn            string            `json:"resourceArn"`
	Parameters             map[string]string `json:"parameters,omitempty"`
	CreatedAt              time.Time         `json:"createdAt"`
}
