package records

import (
	"encoding/json"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// The small kinds: bodies that are no domain type of the root package
// but bookkeeping of the package that writes them. Their Go types live
// here so that their stored form has one home like every other kind's.

// Tags is the body of a tags record: the tags of one resource.
type Tags struct {
	Tags map[string]string `json:"tags"`
}

// Usage is the body of a usage mark: when a configuration profile or an
// environment was last used (deletion protection reads it).
type Usage struct {
	LastUsed time.Time `json:"lastUsed"`
}

// ExtensionName is the claim of an extension name: the extension that
// holds the name and the highest version ever created under it.
type ExtensionName struct {
	ExtensionID string `json:"extensionId"`
	Latest      int    `json:"latest"`
}

// Delivery is one queued asynchronous extension invocation (ON_* action
// points). It lives in the store until delivered or given up, so a
// restart or the death of a replica loses none: delivery is at least
// once.
type Delivery struct {
	Scope        appconfig.Scope       `json:"scope"`
	Target       DeliveryTarget        `json:"target"`
	Point        appconfig.ActionPoint `json:"point"`
	Payload      json.RawMessage       `json:"payload"`
	Deployment   appconfig.Key         `json:"deployment"`
	Event        int                   `json:"event"`
	InvocationID string                `json:"invocationId"`
	Attempts     int                   `json:"attempts"`
	LeaseOwner   string                `json:"leaseOwner,omitempty"`
}

// DeliveryTarget is where a delivery goes, as stored. It has the fields
// of extension.Target, which converts to and from it: a field added to
// one and not the other stops the build, so the stored form never
// changes unseen.
type DeliveryTarget struct {
	URI            string
	RoleArn        string
	ExtensionName  string
	ExtensionID    string
	AssociationArn string
	Parameters     map[string]string
}

// ClockAnchor makes a scaled service clock continuous across restarts:
// service time = Base + Factor × (wall − WallBase). Deployment wake-ups
// are stored in service time, so a restart must not move it backwards.
// It is the meta record ClockAnchorKey.
type ClockAnchor struct {
	Base     time.Time `json:"base"`
	WallBase time.Time `json:"wallBase"`
	Factor   float64   `json:"factor"`
}

// ClockAnchorKey is the key of the clock anchor.
var ClockAnchorKey = MetaKey("clock")

// Record kinds of the small types.
var (
	TagSets        = Kind[Tags]{appconfig.RecordTags}
	Usages         = Kind[Usage]{appconfig.RecordUsage}
	ExtensionNames = Kind[ExtensionName]{appconfig.RecordExtensionName}
	Deliveries     = Kind[Delivery]{appconfig.RecordDelivery}
	ClockAnchors   = Kind[ClockAnchor]{appconfig.RecordMeta}
)

// DeploymentBody is the body of a deployment record: the deployment and,
// apart from it, the engine's lease. Only internal/deploy reads or
// writes it (its owner test forbids Deployments anywhere else).
type DeploymentBody struct {
	appconfig.Deployment
	Lease *DeploymentLease `json:"lease,omitempty"`
}

// DeploymentLease is the stored form of the engine's lease on a
// deployment (deploy.Lease).
type DeploymentLease struct {
	Owner string    `json:"owner,omitempty"`
	Until time.Time `json:"until,omitempty"`
}

// Deployments is the accessor of deployment records, internal/deploy's
// alone.
var Deployments = Kind[DeploymentBody]{appconfig.RecordDeployment}

// APIToken describes an issued bearer token of the flag routes
// (internal/apitoken), never its secret: the meta record
// APITokenKey(hash of the secret).
type APIToken struct {
	ID          string    `json:"id"` // first 12 hex digits of the SHA-256
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	Application string    `json:"application,omitempty"` // application id; "" for the whole account
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
}

// APITokenPrefix starts the id of every API token's meta record.
const APITokenPrefix = "apitoken/"

// APITokenKey is the key of the token whose secret hashes to hash (hex
// SHA-256).
func APITokenKey(hash string) appconfig.Key { return MetaKey(APITokenPrefix + hash) }

// APITokens is the accessor of API token records.
var APITokens = Kind[APIToken]{appconfig.RecordMeta}
