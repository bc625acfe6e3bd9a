package appconfig

import "time"

// ActionPoint is a point of a resource's life where extension actions run.
type ActionPoint string

// Extension action points, in the order of the AppConfig model's enum
// (ActionPoints lists them; a test holds the list to the generated enum).
const (
	PreCreateHostedConfigurationVersion ActionPoint = "PRE_CREATE_HOSTED_CONFIGURATION_VERSION"
	PreStartDeployment                  ActionPoint = "PRE_START_DEPLOYMENT"
	AtDeploymentTick                    ActionPoint = "AT_DEPLOYMENT_TICK"
	OnDeploymentStart                   ActionPoint = "ON_DEPLOYMENT_START"
	OnDeploymentStep                    ActionPoint = "ON_DEPLOYMENT_STEP"
	OnDeploymentBaking                  ActionPoint = "ON_DEPLOYMENT_BAKING"
	OnDeploymentComplete                ActionPoint = "ON_DEPLOYMENT_COMPLETE"
	OnDeploymentRolledBack              ActionPoint = "ON_DEPLOYMENT_ROLLED_BACK"
)

// ActionPointInfo is everything appconfigd knows about one action point.
type ActionPointInfo struct {
	Point ActionPoint
	// Events are the deployment event types that fire the point (none for
	// the PRE_* points, run by the service, and AT_DEPLOYMENT_TICK, run by
	// the engine on a timer).
	Events []string
	// PayloadType is the "Type" of the JSON payload an action receives.
	PayloadType string
	// DetailType is the EventBridge detail-type of its notifications (""
	// for the PRE_* points, which are never sent to EventBridge).
	DetailType string
	// Synchronous points run while the caller waits and may change or
	// refuse what it does; the others are delivered through the outbox
	// (AT_DEPLOYMENT_TICK runs on the engine's schedule).
	Synchronous bool
}

var actionPoints = []ActionPointInfo{
	{Point: PreCreateHostedConfigurationVersion, PayloadType: "PreCreateHostedConfigurationVersion", Synchronous: true},
	{Point: PreStartDeployment, PayloadType: "PreStartDeployment", Synchronous: true},
	{Point: AtDeploymentTick, PayloadType: "AtDeploymentTick", DetailType: "At Deployment Tick"},
	{Point: OnDeploymentStart, Events: []string{EventDeploymentStarted}, PayloadType: "OnDeploymentStart", DetailType: "On Deployment Start"},
	{Point: OnDeploymentStep, Events: []string{EventPercentageUpdated}, PayloadType: "OnDeploymentStep", DetailType: "On Deployment Step"},
	{Point: OnDeploymentBaking, Events: []string{EventBakeTimeStarted}, PayloadType: "OnDeploymentBaking", DetailType: "On Deployment Baking"},
	{Point: OnDeploymentComplete, Events: []string{EventDeploymentCompleted}, PayloadType: "OnDeploymentComplete", DetailType: "On Deployment Complete"},
	{Point: OnDeploymentRolledBack, Events: []string{EventRollbackCompleted, EventRevertCompleted}, PayloadType: "OnDeploymentRolledBack", DetailType: "On Deployment Rolled Back"},
}

// ActionPoints is every action point, in the model's order.
func ActionPoints() []ActionPointInfo { return actionPoints }

// Info describes p (ok false for a string that is no action point).
func (p ActionPoint) Info() (ActionPointInfo, bool) {
	for _, i := range actionPoints {
		if i.Point == p {
			return i, true
		}
	}
	return ActionPointInfo{}, false
}

// PayloadType is the "Type" of p's payloads ("" for no action point).
func (p ActionPoint) PayloadType() string {
	i, _ := p.Info()
	return i.PayloadType
}

// DetailType is the EventBridge detail-type of p's notifications.
func (p ActionPoint) DetailType() string {
	i, _ := p.Info()
	return i.DetailType
}

// PointForEvent is the action point a deployment event fires ("" for
// none: ROLLBACK_STARTED fires nothing, its completion does).
func PointForEvent(eventType string) ActionPoint {
	for _, i := range actionPoints {
		for _, e := range i.Events {
			if e == eventType {
				return i.Point
			}
		}
	}
	return ""
}

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
