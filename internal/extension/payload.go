// Package extension runs extension actions: it builds AppConfig's event
// payloads, invokes targets (http(s) URLs, Lambda, SQS, SNS, EventBridge,
// and the AWS-authored catalogue in-process), runs the synchronous action
// points, and delivers the asynchronous ones at least once through a
// durable outbox in the store.
package extension

import (
	"encoding/base64"
	"strconv"
)

// Ref names a resource in a payload.
type Ref struct {
	ID   string `json:"Id"`
	Name string `json:"Name,omitempty"`
}

// ContentRef is the previous content of a pre-create payload.
type ContentRef struct {
	ContentType    string `json:"ContentType,omitempty"`
	ContentVersion string `json:"ContentVersion,omitempty"`
	Content        string `json:"Content,omitempty"`
}

// Payload is the JSON event an action receives (docs/aws-behavior.md §6).
type Payload struct {
	InvocationID         string            `json:"InvocationId"`
	Type                 string            `json:"Type"`
	Parameters           map[string]string `json:"Parameters"`
	Application          Ref               `json:"Application"`
	Environment          *Ref              `json:"Environment,omitempty"`
	ConfigurationProfile Ref               `json:"ConfigurationProfile"`
	DeploymentNumber     *int              `json:"DeploymentNumber,omitempty"`
	Description          string            `json:"Description,omitempty"`
	ConfigurationVersion string            `json:"ConfigurationVersion,omitempty"`
	ContentType          string            `json:"ContentType,omitempty"`
	ContentVersion       string            `json:"ContentVersion,omitempty"`
	Content              string            `json:"Content,omitempty"`
	PreviousContent      *ContentRef       `json:"PreviousContent,omitempty"`
	DeploymentState      string            `json:"DeploymentState,omitempty"`
	PercentageComplete   string            `json:"PercentageComplete,omitempty"`
	// EventType and TriggeredBy tell notification receivers which
	// deployment event fired (appconfigd extra; receivers ignore unknown keys).
	EventType   string `json:"EventType,omitempty"`
	TriggeredBy string `json:"TriggeredBy,omitempty"`
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func intPtr(n int) *int { return &n }

func percent(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) }

// parameters merges an association's parameters with the dynamic ones
// meant for it.
func parameters(assoc map[string]string, dynamic map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range assoc {
		out[k] = v
	}
	for k, v := range dynamic {
		out[k] = v
	}
	return out
}
