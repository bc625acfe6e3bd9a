package itest

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebschemas "github.com/aws/aws-sdk-go-v2/service/eventbridge/schemas"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqsschemas "github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"

	"github.com/appconfigd/appconfigd/internal/server"
)

// TestNotificationExtensionsDeliverToMoto associates the AWS-authored SQS
// and EventBridge notification extensions and checks, in moto_server,
// that the deployment's events arrive.
func TestNotificationExtensionsDeliverToMoto(t *testing.T) {
	moto := StartMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	q := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto), Credentials: creds},
		func(o *sqs.Options) { o.Protocol = awsjson.New10(sqsschemas.AmazonSQS) })
	eb := eventbridge.New(eventbridge.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto), Credentials: creds},
		func(o *eventbridge.Options) { o.Protocol = awsjson.New11(ebschemas.AWSEvents) })
	queue := func(name string) (string, string) {
		out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{"VisibilityTimeout": "0"}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl), "arn:aws:sqs:us-east-1:123456789012:" + name
	}
	directURL, directArn := queue("appconfig-direct")
	busURL, busArn := queue("appconfig-bus")
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("appconfig"), EventPattern: aws.String(`{"source":["aws.appconfig"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("appconfig"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(busArn)}}}); err != nil {
		t.Fatal(err)
	}

	s, fake := fakeServer(t, func(c *server.Config) { c.SQSEndpoint, c.EventBridgeEndpoint = moto, moto })
	c := s.Client()
	f := newFixture(t, c)
	envArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/environment/%s", f.app, f.env)
	if _, err := c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("AWS.AppConfig.DeploymentNotificationsToSqs"),
		ResourceIdentifier: aws.String(envArn), Parameters: map[string]string{"queueArn": directArn}}); err != nil {
		t.Fatal(err)
	}
	ebAssoc, err := c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("AWS.AppConfig.DeploymentNotificationsToEventBridge"),
		ResourceIdentifier: aws.String("arn:aws:appconfig:us-east-1:123456789012:application/" + f.app)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.start("AppConfig.AllAtOnce", "2"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	advance(t, s, fake, 10*time.Minute)
	if _, err := s.Outbox().DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	d := f.get(t, 1)
	for _, e := range d.EventLog {
		for _, inv := range e.ActionInvocations {
			if inv.ErrorCode != nil {
				t.Fatalf("%s invocation failed: %s %s", e.EventType, aws.ToString(inv.ErrorCode), aws.ToString(inv.ErrorMessage))
			}
		}
	}
	var types []string
	for _, b := range receiveEvents(t, q, directURL, 2) {
		var ev map[string]any
		if err := json.Unmarshal([]byte(b), &ev); err != nil {
			t.Fatalf("SQS message %q: %v", b, err)
		}
		if ev["ConfigurationVersion"] != "2" || ev["Application"].(map[string]any)["Id"] != f.app {
			t.Fatalf("SQS payload %v", ev)
		}
		types = append(types, fmt.Sprint(ev["Type"]))
	}
	sort.Strings(types)
	if fmt.Sprint(types) != "[OnDeploymentComplete OnDeploymentStart]" {
		t.Fatalf("SQS received %v", types)
	}
	var detailTypes []string
	for _, b := range receiveEvents(t, q, busURL, 2) {
		var ev struct {
			Source     string         `json:"source"`
			DetailType string         `json:"detail-type"`
			Resources  []string       `json:"resources"`
			Detail     map[string]any `json:"detail"`
		}
		if err := json.Unmarshal([]byte(b), &ev); err != nil {
			t.Fatalf("EventBridge message %q: %v", b, err)
		}
		if ev.Source != "aws.appconfig" || len(ev.Resources) != 1 || ev.Resources[0] != aws.ToString(ebAssoc.Arn) || ev.Detail["DeploymentNumber"] != float64(1) {
			t.Fatalf("EventBridge event %+v", ev)
		}
		detailTypes = append(detailTypes, ev.DetailType)
	}
	sort.Strings(detailTypes)
	if fmt.Sprint(detailTypes) != "[On Deployment Complete On Deployment Start]" {
		t.Fatalf("EventBridge delivered %v", detailTypes)
	}
}

// receiveEvents receives want distinct events from the queue at url,
// or what arrived within 30 s.
//
// Queues with a zero visibility timeout, messages deduplicated and
// deleted: a receive answer lost and retried by the SDK must not hide a
// message for moto's default 30 s. Delivery is at least once, so an
// event sent twice (appconfigd's send retried) counts once: messages
// are told apart by the event's InvocationId (in the body, or in an
// EventBridge event's detail), else by MessageId.
func receiveEvents(t *testing.T, q *sqs.Client, url string, want int) []string {
	var bodies []string
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(bodies) < want && time.Now().Before(deadline) {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if id := eventKey(aws.ToString(m.Body), aws.ToString(m.MessageId)); !seen[id] {
				seen[id] = true
				bodies = append(bodies, aws.ToString(m.Body))
			}
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return bodies
}

// eventKey tells delivered events apart: by the event's InvocationId
// (in an SQS message's body, or in an EventBridge event's detail), else
// by the message's MessageId.
func eventKey(m string, messageID string) string {
	var ev struct {
		InvocationID string `json:"InvocationId"`
		Detail       struct {
			InvocationID string `json:"InvocationId"`
		} `json:"detail"`
	}
	if json.Unmarshal([]byte(m), &ev) == nil {
		if ev.InvocationID != "" {
			return ev.InvocationID
		}
		if ev.Detail.InvocationID != "" {
			return ev.Detail.InvocationID
		}
	}
	return messageID
}
