package extension

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	eventbridgetypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/testutil/motoserver"
)

// moto's default account for any credentials that are not 12 digits.
const awsTargetsTestAccount = "123456789012"

func awsTargetsTestConfig(hc aws.HTTPClient) aws.Config {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	}
	if hc != nil {
		cfg.HTTPClient = hc
	}
	return cfg
}

// countingTransport counts requests per X-Amz-Target (JSON protocols) so
// tests can see which operations AWSTargets called.
type countingTransport struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[r.Header.Get("X-Amz-Target")]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *countingTransport) count(target string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[target]
}

func newTestSQS(endpoint, region string) *sqs.Client {
	return sqs.NewFromConfig(awsTargetsTestConfig(nil), func(o *sqs.Options) {
		o.Region = region
		o.BaseEndpoint = aws.String(endpoint)
	})
}

func createTestQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	all := map[string]string{"VisibilityTimeout": "0"} // see receiveBodies
	for k, v := range attrs {
		all[k] = v
	}
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: all})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	at, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", name, err)
	}
	return *out.QueueUrl, at.Attributes["QueueArn"]
}

// receiveBodies long-polls the queue until it has n messages (or 30 s
// pass) and returns the bodies it got, deleting each. Messages come from
// queues with a zero visibility timeout and are told apart by MessageId: a
// receive whose answer is lost (and retried by the SDK) must not hide a
// message for moto's default 30 s (createTestQueue sets the timeout).
func receiveBodies(t *testing.T, c *sqs.Client, url string, n int) []string {
	t.Helper()
	var bodies []string
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(bodies) < n && time.Now().Before(deadline) {
		out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		for _, m := range out.Messages {
			if id := aws.ToString(m.MessageId); !seen[id] {
				seen[id] = true
				bodies = append(bodies, aws.ToString(m.Body))
			}
			if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{
				QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle,
			}); err != nil {
				t.Fatalf("DeleteMessage: %v", err)
			}
		}
	}
	return bodies
}

// A payload with characters that a careless encoder would change.
const awsTargetsTestBody = `{"InvocationId":"a1b2c3d","Type":"OnDeploymentComplete","Description":"héllo <&> \"quoted\" \\ tab\t☃","DeploymentNumber":3}`

func TestAWSTargetsSQS(t *testing.T) {
	moto := motoserver.Start(t)
	ctx := context.Background()
	east, west := newTestSQS(moto, "us-east-1"), newTestSQS(moto, "eu-west-1")
	url, arn := createTestQueue(t, east, "appconfig-events", nil)
	westURL, westArn := createTestQueue(t, west, "west-only", nil)
	if want := "arn:aws:sqs:us-east-1:" + awsTargetsTestAccount + ":appconfig-events"; arn != want {
		t.Fatalf("moto queue ARN = %s, want %s", arn, want)
	}

	counter := &countingTransport{}
	targets := &AWSTargets{AWS: awsTargetsTestConfig(&http.Client{Transport: counter}), SQSEndpoint: moto}

	t.Run("body arrives byte for byte", func(t *testing.T) {
		second := `{"InvocationId":"zzzzzzz"}`
		if err := targets.SendSQS(ctx, arn, []byte(awsTargetsTestBody)); err != nil {
			t.Fatalf("SendSQS: %v", err)
		}
		if err := targets.SendSQS(ctx, arn, []byte(second)); err != nil {
			t.Fatalf("second SendSQS: %v", err)
		}
		got := receiveBodies(t, east, url, 2)
		if len(got) != 2 || !(got[0] == awsTargetsTestBody && got[1] == second || got[1] == awsTargetsTestBody && got[0] == second) {
			t.Fatalf("received %q, want %q and %q", got, awsTargetsTestBody, second)
		}
		// The wire protocol in use is awsJson1_0 (X-Amz-Target header), and
		// the queue URL is resolved once and cached.
		if n := counter.count("AmazonSQS.SendMessage"); n != 2 {
			t.Errorf("AmazonSQS.SendMessage requests = %d, want 2", n)
		}
		if n := counter.count("AmazonSQS.GetQueueUrl"); n != 1 {
			t.Errorf("AmazonSQS.GetQueueUrl requests = %d, want 1 (cached)", n)
		}
	})

	t.Run("region comes from the ARN", func(t *testing.T) {
		if err := targets.SendSQS(ctx, westArn, []byte(`{"n":1}`)); err != nil {
			t.Fatalf("SendSQS eu-west-1: %v", err)
		}
		if got := receiveBodies(t, west, westURL, 1); len(got) != 1 || got[0] != `{"n":1}` {
			t.Fatalf("eu-west-1 queue received %q", got)
		}
		// The same name in us-east-1 does not exist.
		eastArn := strings.Replace(westArn, "eu-west-1", "us-east-1", 1)
		if err := targets.SendSQS(ctx, eastArn, []byte(`{}`)); err == nil {
			t.Fatal("SendSQS to a queue that exists only in another region succeeded")
		}
	})

	t.Run("unknown queue", func(t *testing.T) {
		missing := "arn:aws:sqs:us-east-1:" + awsTargetsTestAccount + ":no-such-queue"
		err := targets.SendSQS(ctx, missing, []byte(`{}`))
		if err == nil {
			t.Fatal("SendSQS to a missing queue succeeded")
		}
		// SQS's JSON protocol is query-compatible: the SDK reports the
		// query error code (AWS.SimpleQueueService.NonExistentQueue) and
		// the modeled type QueueDoesNotExist.
		msg := err.Error()
		if !strings.Contains(msg, missing) || !strings.Contains(msg, "NonExistentQueue: The specified queue does not exist") {
			t.Errorf("error %q should name the queue ARN and say it does not exist", msg)
		}
		var qdne *sqstypes.QueueDoesNotExist
		if !errors.As(err, &qdne) {
			t.Errorf("error %T does not unwrap to QueueDoesNotExist", err)
		}
		t.Logf("error: %s", msg)
	})

	t.Run("FIFO queue gets group and deduplication ids", func(t *testing.T) {
		fifoURL, fifoArn := createTestQueue(t, east, "events.fifo", map[string]string{"FifoQueue": "true"})
		for _, b := range []string{`{"InvocationId":"1111111"}`, `{"InvocationId":"1111111"}`, `{"InvocationId":"2222222"}`} {
			if err := targets.SendSQS(ctx, fifoArn, []byte(b)); err != nil {
				t.Fatalf("SendSQS FIFO: %v", err)
			}
		}
		got := receiveBodies(t, east, fifoURL, 2)
		want := []string{`{"InvocationId":"1111111"}`, `{"InvocationId":"2222222"}`}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("FIFO queue received %q, want %q (in order)", got, want)
		}
		out, err := east.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(fifoURL), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) != 0 {
			t.Errorf("the repeated body was delivered again: %q", aws.ToString(out.Messages[0].Body))
		}
	})
}

func TestAWSTargetsSNS(t *testing.T) {
	moto := motoserver.Start(t)
	ctx := context.Background()
	sqsc := newTestSQS(moto, "us-east-1")
	snsc := sns.NewFromConfig(awsTargetsTestConfig(nil), func(o *sns.Options) {
		o.Region = "us-east-1"
		o.BaseEndpoint = aws.String(moto)
	})
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("appconfig-topic")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	topicArn := aws.ToString(topic.TopicArn)
	url, queueArn := createTestQueue(t, sqsc, "topic-sink", nil)
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topicArn), Protocol: aws.String("sqs"), Endpoint: aws.String(queueArn),
	}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	targets := &AWSTargets{AWS: awsTargetsTestConfig(nil), SNSEndpoint: moto}

	type envelope struct {
		Type, TopicArn, Message string
		Subject                 *string
	}
	for _, subject := range []string{"AppConfig deployment", ""} {
		if err := targets.PublishSNS(ctx, topicArn, []byte(awsTargetsTestBody), subject); err != nil {
			t.Fatalf("PublishSNS(subject %q): %v", subject, err)
		}
		got := receiveBodies(t, sqsc, url, 1)
		if len(got) != 1 {
			t.Fatalf("queue subscribed to the topic received %d messages, want 1", len(got))
		}
		var env envelope
		if err := json.Unmarshal([]byte(got[0]), &env); err != nil {
			t.Fatalf("SNS envelope %q: %v", got[0], err)
		}
		if env.Type != "Notification" || env.TopicArn != topicArn || env.Message != awsTargetsTestBody {
			t.Errorf("envelope = %+v, want a Notification from %s with Message %q", env, topicArn, awsTargetsTestBody)
		}
		if subject != "" && aws.ToString(env.Subject) != subject {
			t.Errorf("Subject = %q, want %q", aws.ToString(env.Subject), subject)
		}
		if subject == "" && env.Subject != nil && *env.Subject != "" {
			t.Errorf("Subject = %q, want none", *env.Subject)
		}
	}

	t.Run("unknown topic", func(t *testing.T) {
		missing := "arn:aws:sns:us-east-1:" + awsTargetsTestAccount + ":no-such-topic"
		err := targets.PublishSNS(ctx, missing, []byte(`{}`), "")
		if err == nil {
			t.Fatal("PublishSNS to a missing topic succeeded")
		}
		if msg := err.Error(); !strings.Contains(msg, missing) || !strings.Contains(msg, "NotFound") {
			t.Errorf("error %q should name the topic ARN and NotFound", msg)
		}
		t.Logf("error: %s", err)
	})
}

func TestAWSTargetsEventBridge(t *testing.T) {
	moto := motoserver.Start(t)
	ctx := context.Background()
	sqsc := newTestSQS(moto, "us-east-1")
	url, queueArn := createTestQueue(t, sqsc, "bus-sink", nil)
	ebc := eventbridge.NewFromConfig(awsTargetsTestConfig(nil), func(o *eventbridge.Options) {
		o.Region = "us-east-1"
		o.BaseEndpoint = aws.String(moto)
	})
	if _, err := ebc.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String("appconfig-events"), EventPattern: aws.String(`{"source":["aws.appconfig"]}`),
	}); err != nil {
		t.Fatalf("PutRule: %v", err)
	}
	if _, err := ebc.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String("appconfig-events"), Targets: []eventbridgetypes.Target{{Id: aws.String("q"), Arn: aws.String(queueArn)}},
	}); err != nil {
		t.Fatalf("PutTargets: %v", err)
	}
	targets := &AWSTargets{AWS: awsTargetsTestConfig(nil), EventBridgeEndpoint: moto}
	bus := "arn:aws:events:us-east-1:" + awsTargetsTestAccount + ":event-bus/default"
	assoc := "arn:aws:appconfig:us-east-1:" + awsTargetsTestAccount + ":extensionassociation/abc1234"

	if err := targets.PutEvent(ctx, bus, "aws.appconfig", "On Deployment Complete", []string{assoc}, []byte(awsTargetsTestBody)); err != nil {
		t.Fatalf("PutEvent: %v", err)
	}
	got := receiveBodies(t, sqsc, url, 1)
	if len(got) != 1 {
		t.Fatalf("rule target queue received %d messages, want 1", len(got))
	}
	var ev struct {
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Resources  []string        `json:"resources"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal([]byte(got[0]), &ev); err != nil {
		t.Fatalf("event %q: %v", got[0], err)
	}
	var gotDetail, wantDetail any
	json.Unmarshal(ev.Detail, &gotDetail)
	json.Unmarshal([]byte(awsTargetsTestBody), &wantDetail)
	if ev.Source != "aws.appconfig" || ev.DetailType != "On Deployment Complete" ||
		!reflect.DeepEqual(ev.Resources, []string{assoc}) || !reflect.DeepEqual(gotDetail, wantDetail) {
		t.Errorf("delivered event = %s\nwant source aws.appconfig, detail-type On Deployment Complete, resources [%s], detail %s",
			got[0], assoc, awsTargetsTestBody)
	}

	t.Run("rejected entry is an error", func(t *testing.T) {
		// moto rejects an entry without Source with FailedEntryCount 1.
		err := targets.PutEvent(ctx, bus, "", "On Deployment Complete", nil, []byte(`{}`))
		if err == nil {
			t.Fatal("PutEvent of an entry moto rejects succeeded")
		}
		if msg := err.Error(); !strings.Contains(msg, bus) || !strings.Contains(msg, "InvalidArgument") {
			t.Errorf("error %q should name the bus and the entry's ErrorCode", msg)
		}
		t.Logf("error: %s", err)
	})

	t.Run("detail must be a JSON object", func(t *testing.T) {
		for _, d := range []string{`not json`, `[1,2]`, `"s"`, `null`, ``} {
			if err := targets.PutEvent(ctx, bus, "aws.appconfig", "x", nil, []byte(d)); err == nil {
				t.Errorf("PutEvent with detail %q succeeded", d)
			}
		}
	})
}

// TestAWSTargetsEventBridgeFailedEntry checks the wire protocol and the
// FailedEntryCount handling against a loopback fake of PutEvents.
func TestAWSTargetsEventBridgeFailedEntry(t *testing.T) {
	var got struct {
		target, contentType string
		body                map[string]any
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.target, got.contentType = r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type")
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &got.body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"FailedEntryCount":1,"Entries":[{"ErrorCode":"NotAuthorizedForSourceException","ErrorMessage":"Not authorized for the source."}]}`)
	}))
	t.Cleanup(srv.Close)
	targets := &AWSTargets{AWS: awsTargetsTestConfig(nil), EventBridgeEndpoint: srv.URL}
	bus := "arn:aws:events:eu-central-1:" + awsTargetsTestAccount + ":event-bus/default"
	err := targets.PutEvent(context.Background(), bus, "aws.appconfig", "On Deployment Start", []string{"arn:r"}, []byte(`{"a":1}`))
	if err == nil {
		t.Fatal("PutEvent with FailedEntryCount 1 returned no error")
	}
	for _, want := range []string{bus, "NotAuthorizedForSourceException", "Not authorized for the source."} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if got.target != "AWSEvents.PutEvents" || got.contentType != "application/x-amz-json-1.1" {
		t.Errorf("request X-Amz-Target %q, Content-Type %q; want awsJson1_1 PutEvents", got.target, got.contentType)
	}
	entries, _ := got.body["Entries"].([]any)
	if len(entries) != 1 {
		t.Fatalf("request body %v: want one entry", got.body)
	}
	want := map[string]any{"EventBusName": bus, "Source": "aws.appconfig", "DetailType": "On Deployment Start",
		"Resources": []any{"arn:r"}, "Detail": `{"a":1}`}
	if !reflect.DeepEqual(entries[0], want) {
		t.Errorf("entry = %v, want %v", entries[0], want)
	}
}

// fakeLambda speaks Lambda's Invoke API: it echoes the payload, fails
// function "broken" with X-Amz-Function-Error: Unhandled, and answers 404
// ResourceNotFoundException for function "missing".
type fakeLambda struct {
	mu       sync.Mutex
	requests []fakeLambdaRequest
}

type fakeLambdaRequest struct {
	functionName, invocationType, authorization string
}

func (f *fakeLambda) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", func(w http.ResponseWriter, r *http.Request) {
		ident := r.PathValue("name") // an ARN, possibly qualified
		f.mu.Lock()
		f.requests = append(f.requests, fakeLambdaRequest{ident, r.Header.Get("X-Amz-Invocation-Type"), r.Header.Get("Authorization")})
		f.mu.Unlock()
		name := ident
		if i := strings.Index(ident, ":function:"); i >= 0 {
			name, _, _ = strings.Cut(ident[i+len(":function:"):], ":")
		}
		payload, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		switch name {
		case "missing":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.Header().Set("X-Amzn-RequestId", "req-404")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"Type":"User","Message":"Function not found: %s"}`, ident)
		case "broken":
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			io.WriteString(w, `{"errorMessage":"boom","errorType":"Error"}`)
		case "down":
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"Type":"Service","Message":"internal"}`)
		default:
			w.Write(payload)
		}
	})
	return mux
}

func (f *fakeLambda) last() fakeLambdaRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

func (f *fakeLambda) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func TestAWSTargetsLambda(t *testing.T) {
	fake := &fakeLambda{}
	srv := httptest.NewServer(fake.handler())
	t.Cleanup(srv.Close)
	targets := &AWSTargets{AWS: awsTargetsTestConfig(nil), LambdaEndpoint: srv.URL}
	ctx := context.Background()
	fn := func(region, name string) string {
		return "arn:aws:lambda:" + region + ":" + awsTargetsTestAccount + ":function:" + name
	}

	t.Run("output", func(t *testing.T) {
		arn := fn("eu-west-1", "echo:live")
		out, ferr, err := targets.InvokeLambda(ctx, arn, []byte(awsTargetsTestBody))
		if err != nil || ferr != "" || string(out) != awsTargetsTestBody {
			t.Fatalf("InvokeLambda = %q, %q, %v; want the payload back", out, ferr, err)
		}
		r := fake.last()
		if r.functionName != arn {
			t.Errorf("FunctionName on the wire = %q, want the qualified ARN %q", r.functionName, arn)
		}
		if r.invocationType != "RequestResponse" {
			t.Errorf("X-Amz-Invocation-Type = %q, want RequestResponse", r.invocationType)
		}
		// The request is signed for the ARN's region, not the config's.
		if !strings.Contains(r.authorization, "/eu-west-1/lambda/aws4_request") {
			t.Errorf("Authorization %q is not scoped to eu-west-1/lambda", r.authorization)
		}
	})

	t.Run("function error is not a Go error", func(t *testing.T) {
		out, ferr, err := targets.InvokeLambda(ctx, fn("us-east-1", "broken"), []byte(`{}`))
		if err != nil {
			t.Fatalf("InvokeLambda: %v", err)
		}
		if ferr != "Unhandled" || string(out) != `{"errorMessage":"boom","errorType":"Error"}` {
			t.Errorf("InvokeLambda = %q, %q; want the error document and Unhandled", out, ferr)
		}
	})

	t.Run("ResourceNotFoundException", func(t *testing.T) {
		arn := fn("us-east-1", "missing")
		_, _, err := targets.InvokeLambda(ctx, arn, []byte(`{}`))
		if err == nil {
			t.Fatal("InvokeLambda of a missing function succeeded")
		}
		var rnf *lambdatypes.ResourceNotFoundException
		if !errors.As(err, &rnf) {
			t.Errorf("error %T does not unwrap to ResourceNotFoundException", err)
		}
		want := "lambda Invoke of " + arn + ": ResourceNotFoundException: Function not found: " + arn + " (HTTP 404, request id req-404)"
		if err.Error() != want {
			t.Errorf("error = %q\nwant    %q", err, want)
		}
	})

	t.Run("SDK retries once", func(t *testing.T) {
		before := fake.count()
		_, _, err := targets.InvokeLambda(ctx, fn("us-east-1", "down"), []byte(`{}`))
		if err == nil {
			t.Fatal("InvokeLambda against a failing service succeeded")
		}
		if n := fake.count() - before; n != 2 {
			t.Errorf("%d attempts, want 2 (RetryMaxAttempts 2)", n)
		}
	})
}

func TestAWSTargetsARNValidation(t *testing.T) {
	targets := &AWSTargets{AWS: awsTargetsTestConfig(nil), LambdaEndpoint: "http://127.0.0.1:1",
		SQSEndpoint: "http://127.0.0.1:1", SNSEndpoint: "http://127.0.0.1:1", EventBridgeEndpoint: "http://127.0.0.1:1"}
	call := map[string]func(arn string) error{
		"lambda": func(arn string) error { _, _, err := targets.InvokeLambda(context.Background(), arn, nil); return err },
		"sqs":    func(arn string) error { return targets.SendSQS(context.Background(), arn, nil) },
		"sns":    func(arn string) error { return targets.PublishSNS(context.Background(), arn, nil, "") },
		"events": func(arn string) error {
			return targets.PutEvent(context.Background(), arn, "s", "d", nil, []byte(`{}`))
		},
	}
	tests := []struct {
		service, arn string
		wantErr      string // "" = valid
		wantName     string
	}{
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:my-fn", "", "my-fn"},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST", "", "my-fn"},
		{"lambda", "arn:aws:lambda:us-gov-west-1:123456789012:function:my_fn:prod", "", "my_fn"},
		{"lambda", "arn:aws-cn:lambda:cn-north-1:123456789012:function:f:7", "", "f"},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:", "missing function name", ""},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:f:", "bad qualifier", ""},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:f:a:b", "bad qualifier", ""},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:layer:f", "not function:NAME", ""},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:bad.name", "bad function name", ""},
		{"lambda", "arn:aws:sqs:us-east-1:123456789012:q", `service is "sqs", not "lambda"`, ""},
		{"lambda", "arn:aws:lambda:US-EAST-1:123456789012:function:f", "bad region", ""},
		{"lambda", "arn:aws:lambda::123456789012:function:f", "missing region", ""},
		{"lambda", "my-function", "not an ARN", ""},
		{"sqs", "arn:aws:sqs:eu-west-1:123456789012:queue-1", "", "queue-1"},
		{"sqs", "arn:aws:sqs:eu-west-1:123456789012:q.fifo", "", "q.fifo"},
		{"sqs", "arn:aws:sqs:eu-west-1:123456789012:", "missing sqs queue name", ""},
		{"sqs", "arn:aws:sqs:eu-west-1:123456789012:" + strings.Repeat("q", 81), "bad queue name", ""},
		{"sqs", "arn:aws:sqs:eu-west-1:123456789012:a/b", "bad queue name", ""},
		{"sqs", "arn:aws:sqs:eu-west-1::q", "missing account", ""},
		{"sqs", "arn:aws:sqs:eu-west-1:12345:q", "not 12 digits", ""},
		{"sqs", "arn:aws:sqs:uswest:123456789012:q", "bad region", ""},
		{"sqs", "arn:aws:sns:us-east-1:123456789012:t", `service is "sns", not "sqs"`, ""},
		{"sqs", "https://sqs.us-east-1.amazonaws.com/123456789012/q", "not an ARN", ""},
		{"sqs", "arn:amazon:sqs:us-east-1:123456789012:q", "bad partition", ""},
		{"sns", "arn:aws:sns:us-east-1:123456789012:topic", "", "topic"},
		{"sns", "arn:aws:sns:us-east-1:123456789012:t.fifo", "", "t.fifo"},
		{"sns", "arn:aws:sns:us-east-1:123456789012:topic:0b5e-subscription", "bad topic name", ""},
		{"sns", "arn:aws:sns:us-east-1:123456789012", "not an ARN", ""},
		{"sns", "arn:aws:events:us-east-1:123456789012:event-bus/default", `service is "events", not "sns"`, ""},
		{"events", "arn:aws:events:us-east-1:123456789012:event-bus/default", "", "default"},
		{"events", "arn:aws:events:us-east-1:123456789012:event-bus/aws.partner/x.com/1/b", "", "aws.partner/x.com/1/b"},
		{"events", "arn:aws:events:us-east-1:123456789012:event-bus/", "missing event bus name", ""},
		{"events", "arn:aws:events:us-east-1:123456789012:rule/r", "not event-bus/NAME", ""},
		{"events", "arn:aws:events:us-east-1:123456789012:default", "not event-bus/NAME", ""},
		{"events", "arn:aws:eventbridge:us-east-1:123456789012:event-bus/default", `service is "eventbridge", not "events"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.service+"/"+tc.arn, func(t *testing.T) {
			parsed, err := appconfig.ParseTargetARN(tc.arn, appconfig.ARNKind(tc.service))
			if tc.wantErr == "" {
				if err != nil || parsed.Name != tc.wantName {
					t.Fatalf("parse = %+v, %v; want name %q", parsed, err, tc.wantName)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.arn) {
				t.Fatalf("parse error = %v; want one naming the ARN and saying %q", err, tc.wantErr)
			}
			// The public methods reject it before any request is made
			// (the endpoints are unreachable; a request error would differ).
			if err2 := call[tc.service](tc.arn); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("method error = %v, want %v", err2, err)
			}
		})
	}
}
