package extension

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	eventbridgeschemas "github.com/aws/aws-sdk-go-v2/service/eventbridge/schemas"
	eventbridgetypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdaschemas "github.com/aws/aws-sdk-go-v2/service/lambda/schemas"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snsschemas "github.com/aws/aws-sdk-go-v2/service/sns/schemas"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqsschemas "github.com/aws/aws-sdk-go-v2/service/sqs/schemas"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
	"github.com/aws/smithy-go/transport/http/protocol/restjson1"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/awsclients"
)

// AWSTargets delivers extension invocations to AWS services with the AWS SDK
// for Go v2, at configurable endpoints (real AWS when empty, or any
// compatible server such as moto_server).
//
// The region of every call is taken from the target's ARN; credentials and
// the rest of the SDK configuration come from AWS. Clients are built on first
// use and cached per (service, region), so the fields must not change after
// the first call. The SDK retries at most once (RetryMaxAttempts 2): the
// caller owns the retry policy.
type AWSTargets struct {
	AWS                 aws.Config // credentials etc. (region is taken from each ARN)
	LambdaEndpoint      string
	SQSEndpoint         string
	SNSEndpoint         string
	EventBridgeEndpoint string

	mu          sync.Mutex // guards queueURLs
	lambdaByReg awsclients.PerRegion[*lambda.Client]
	sqsByReg    awsclients.PerRegion[*sqs.Client]
	snsByReg    awsclients.PerRegion[*sns.Client]
	ebByReg     awsclients.PerRegion[*eventbridge.Client]
	queueURLs   map[string]string // queue ARN → queue URL
}

// awsTargetsMaxAttempts bounds the SDK's own retries; the extension invoker
// retries deliveries on its own schedule.
const awsTargetsMaxAttempts = 2

// awsTargetsFIFOGroup is the MessageGroupId of messages sent to FIFO queues
// and topics: one group keeps deployment events in order.
const awsTargetsFIFOGroup = "appconfigd"

// Wire protocols. Each client's New overwrites Options.Protocol before it
// applies option functions, so the choice is made in an option function.
// The protocols are pinned (they are the SDK defaults of the versions in
// go.mod, checked against moto_server 5.2.1 by the tests in
// awstargets_test.go) so that an SDK upgrade that switches a service to a
// newer protocol — as service/cloudwatch moved to Smithy RPCv2 CBOR, which
// moto does not speak — cannot silently break compatible servers:
//
//   - SQS: awsJson1_0. AWS serves it (and still the query protocol); moto
//     speaks it since 4.x. The SDK's MD5 check of sent bodies works with both.
//   - SNS: query (the only protocol SNS serves).
//   - EventBridge: awsJson1_1 (the only protocol EventBridge serves).
//   - Lambda: restJson1 (the only protocol Lambda serves).
func awsTargetsSQSProtocol(o *sqs.Options) { o.Protocol = awsjson.New10(sqsschemas.AmazonSQS) }
func awsTargetsSNSProtocol(o *sns.Options) {
	o.Protocol = awsquery.New(snsschemas.AmazonSimpleNotificationService)
}
func awsTargetsEventBridgeProtocol(o *eventbridge.Options) {
	o.Protocol = awsjson.New11(eventbridgeschemas.AWSEvents)
}
func awsTargetsLambdaProtocol(o *lambda.Options) {
	o.Protocol = restjson1.New(lambdaschemas.AWSGirApiService)
}

// InvokeLambda calls Lambda Invoke (RequestResponse) on a function ARN
// (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]) with payload,
// returning the function's output and, when the function failed, the
// X-Amz-Function-Error value ("Unhandled"/"Handled"). A function error is
// not a Go error; err is for transport and API errors (e.g.
// ResourceNotFoundException).
func (a *AWSTargets) InvokeLambda(ctx context.Context, functionArn string, payload []byte) (output []byte, functionError string, err error) {
	t, err := appconfig.ParseTargetARN(functionArn, appconfig.ARNLambda)
	if err != nil {
		return nil, "", err
	}
	c := a.lambdaClient(t.Region)
	// The full ARN (with its qualifier, if any) is a valid FunctionName and
	// keeps the account, so cross-account functions work.
	out, err := c.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(functionArn),
		InvocationType: lambdatypes.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return nil, "", &awsTargetError{service: "lambda", op: "Invoke", prep: "of", arn: functionArn, err: err}
	}
	return out.Payload, aws.ToString(out.FunctionError), nil
}

// SendSQS sends body as one message to the queue named by a queue ARN
// (arn:aws:sqs:REGION:ACCOUNT:NAME). The queue URL is resolved with
// GetQueueUrl and cached. Messages to FIFO queues (NAME.fifo) carry a fixed
// MessageGroupId and a deduplication id derived from the body, so a retried
// delivery of the same invocation is delivered once.
func (a *AWSTargets) SendSQS(ctx context.Context, queueArn string, body []byte) error {
	t, err := appconfig.ParseTargetARN(queueArn, appconfig.ARNSQS)
	if err != nil {
		return err
	}
	c := a.sqsClient(t.Region)
	url, err := a.queueURL(ctx, c, queueArn, t)
	if err != nil {
		return err
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))}
	if strings.HasSuffix(t.Name, ".fifo") {
		in.MessageGroupId = aws.String(awsTargetsFIFOGroup)
		in.MessageDeduplicationId = aws.String(awsTargetsDedupID(body))
	}
	if _, err := c.SendMessage(ctx, in); err != nil {
		// The queue may have been deleted (and recreated elsewhere): resolve
		// the URL again next time.
		a.mu.Lock()
		delete(a.queueURLs, queueArn)
		a.mu.Unlock()
		return &awsTargetError{service: "sqs", op: "SendMessage", prep: "to", arn: queueArn, err: err}
	}
	return nil
}

func (a *AWSTargets) queueURL(ctx context.Context, c *sqs.Client, queueArn string, t appconfig.TargetARN) (string, error) {
	a.mu.Lock()
	url, ok := a.queueURLs[queueArn]
	a.mu.Unlock()
	if ok {
		return url, nil
	}
	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{
		QueueName:              aws.String(t.Name),
		QueueOwnerAWSAccountId: aws.String(t.Account),
	})
	if err != nil {
		return "", &awsTargetError{service: "sqs", op: "GetQueueUrl", prep: "for", arn: queueArn, err: err}
	}
	url = aws.ToString(out.QueueUrl)
	if url == "" {
		return "", fmt.Errorf("sqs GetQueueUrl for %s: empty QueueUrl in response", queueArn)
	}
	a.mu.Lock()
	if a.queueURLs == nil {
		a.queueURLs = map[string]string{}
	}
	a.queueURLs[queueArn] = url
	a.mu.Unlock()
	return url, nil
}

// PublishSNS publishes body (the JSON payload as the message) to a topic ARN
// (arn:aws:sns:REGION:ACCOUNT:NAME); subject is optional ("" = none).
// Messages to FIFO topics carry a MessageGroupId and a body-derived
// deduplication id, as for SQS.
func (a *AWSTargets) PublishSNS(ctx context.Context, topicArn string, body []byte, subject string) error {
	t, err := appconfig.ParseTargetARN(topicArn, appconfig.ARNSNS)
	if err != nil {
		return err
	}
	in := &sns.PublishInput{TopicArn: aws.String(topicArn), Message: aws.String(string(body))}
	if subject != "" {
		in.Subject = aws.String(subject)
	}
	if strings.HasSuffix(t.Name, ".fifo") {
		in.MessageGroupId = aws.String(awsTargetsFIFOGroup)
		in.MessageDeduplicationId = aws.String(awsTargetsDedupID(body))
	}
	if _, err := a.snsClient(t.Region).Publish(ctx, in); err != nil {
		return &awsTargetError{service: "sns", op: "Publish", prep: "to", arn: topicArn, err: err}
	}
	return nil
}

// PutEvent puts one event on an EventBridge bus given by ARN
// (arn:aws:events:REGION:ACCOUNT:event-bus/NAME, usually "default") with
// Source, DetailType, Resources and Detail (a JSON object). A rejected entry
// (non-zero FailedEntryCount) is an error carrying its ErrorCode and
// ErrorMessage.
func (a *AWSTargets) PutEvent(ctx context.Context, busArn, source, detailType string, resources []string, detail []byte) error {
	t, err := appconfig.ParseTargetARN(busArn, appconfig.ARNEventBus)
	if err != nil {
		return err
	}
	if !awsTargetsIsJSONObject(detail) {
		return fmt.Errorf("eventbridge PutEvents to %s: detail is not a JSON object", busArn)
	}
	out, err := a.eventBridgeClient(t.Region).PutEvents(ctx, &eventbridge.PutEventsInput{
		Entries: []eventbridgetypes.PutEventsRequestEntry{{
			EventBusName: aws.String(busArn),
			Source:       aws.String(source),
			DetailType:   aws.String(detailType),
			Resources:    resources,
			Detail:       aws.String(string(detail)),
		}},
	})
	if err != nil {
		return &awsTargetError{service: "eventbridge", op: "PutEvents", prep: "to", arn: busArn, err: err}
	}
	if out.FailedEntryCount == 0 {
		return nil
	}
	code, msg := "UnknownError", "no error details in the response"
	for _, e := range out.Entries {
		if e.ErrorCode != nil || e.ErrorMessage != nil {
			code, msg = aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage)
			break
		}
	}
	return fmt.Errorf("eventbridge PutEvents to %s: entry rejected: %s: %s", busArn, code, msg)
}

func awsTargetsIsJSONObject(b []byte) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}

func awsTargetsDedupID(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func (a *AWSTargets) lambdaClient(region string) *lambda.Client {
	return a.lambdaByReg.Get(region, func(region string) *lambda.Client {
		return lambda.NewFromConfig(a.AWS, func(o *lambda.Options) {
			o.Region, o.RetryMaxAttempts, o.BaseEndpoint = region, awsTargetsMaxAttempts, awsclients.Endpoint(a.LambdaEndpoint)
		}, awsTargetsLambdaProtocol)
	})
}

func (a *AWSTargets) sqsClient(region string) *sqs.Client {
	return a.sqsByReg.Get(region, func(region string) *sqs.Client {
		return sqs.NewFromConfig(a.AWS, func(o *sqs.Options) {
			o.Region, o.RetryMaxAttempts, o.BaseEndpoint = region, awsTargetsMaxAttempts, awsclients.Endpoint(a.SQSEndpoint)
		}, awsTargetsSQSProtocol)
	})
}

func (a *AWSTargets) snsClient(region string) *sns.Client {
	return a.snsByReg.Get(region, func(region string) *sns.Client {
		return sns.NewFromConfig(a.AWS, func(o *sns.Options) {
			o.Region, o.RetryMaxAttempts, o.BaseEndpoint = region, awsTargetsMaxAttempts, awsclients.Endpoint(a.SNSEndpoint)
		}, awsTargetsSNSProtocol)
	})
}

func (a *AWSTargets) eventBridgeClient(region string) *eventbridge.Client {
	return a.ebByReg.Get(region, func(region string) *eventbridge.Client {
		return eventbridge.NewFromConfig(a.AWS, func(o *eventbridge.Options) {
			o.Region, o.RetryMaxAttempts, o.BaseEndpoint = region, awsTargetsMaxAttempts, awsclients.Endpoint(a.EventBridgeEndpoint)
		}, awsTargetsEventBridgeProtocol)
	})
}

// awsTargetError describes a failed AWS call compactly, e.g.
// "sqs SendMessage to arn:aws:sqs:us-east-1:123456789012:q: QueueDoesNotExist:
// The specified queue does not exist. (HTTP 400, request id …)"; it unwraps to
// the SDK error (errors.As works for smithy.APIError and the modeled types).
type awsTargetError struct {
	service, op, prep, arn string
	err                    error
}

func (e *awsTargetError) Unwrap() error { return e.err }

func (e *awsTargetError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s: ", e.service, e.op, e.prep, e.arn)
	var apiErr smithy.APIError
	if !errors.As(e.err, &apiErr) {
		b.WriteString(e.err.Error())
		return b.String()
	}
	b.WriteString(apiErr.ErrorCode())
	if m := apiErr.ErrorMessage(); m != "" {
		b.WriteString(": ")
		b.WriteString(m)
	}
	var re *awshttp.ResponseError
	if errors.As(e.err, &re) {
		fmt.Fprintf(&b, " (HTTP %d", re.HTTPStatusCode())
		if id := re.ServiceRequestID(); id != "" {
			fmt.Fprintf(&b, ", request id %s", id)
		}
		b.WriteString(")")
	}
	return b.String()
}
