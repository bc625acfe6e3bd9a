package extension

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
)

// Error codes recorded on ActionInvocations when an invocation fails.
const (
	CodeFunctionError     = "FunctionError"     // the Lambda function failed
	CodeHTTPError         = "HttpError"         // the URL answered non-2xx
	CodeTimeout           = "Timeout"           // no answer in time
	CodeConnection        = "ConnectionFailed"  // could not connect
	CodeNotAllowed        = "TargetNotAllowed"  // host not on --extension-allow-hosts
	CodeUnsupported       = "UnsupportedTarget" // URI of no known kind
	CodeDelivery          = "DeliveryFailed"    // SQS/SNS/EventBridge/Lambda API error
	CodeInvalidResponse   = "InvalidResponse"   // the answer could not be read
	CodeJiraNotConfigured = "JiraNotConfigured" // AWS.AppConfig.JiraIntegration
	CodeMissingParameter  = "MissingParameter"  // e.g. queueArn not set
)

// Target is one action to invoke.
type Target struct {
	URI            string
	RoleArn        string
	ExtensionName  string
	ExtensionID    string
	AssociationArn string
	Parameters     map[string]string
}

// Result is the outcome of one invocation.
type Result struct {
	Content     []byte // PRE_*: replacement content (nil: unchanged)
	Directive   string // AT_DEPLOYMENT_TICK: CONTINUE or ROLL_BACK
	Description string
	ErrorCode   string // non-empty: the invocation failed
	Error       string
}

func (r Result) failed() bool { return r.ErrorCode != "" }

func fail(code, format string, args ...any) Result {
	return Result{ErrorCode: code, Error: fmt.Sprintf(format, args...)}
}

// Invoker calls targets.
type Invoker struct {
	AWS   *AWSTargets
	Allow *AllowList
	// Targets maps Lambda function ARNs to URLs (a --extension-targets
	// file), so functions can be plain webhooks.
	Targets map[string]string
	// Timeout bounds one invocation (default 10 s).
	Timeout time.Duration

	httpOnce sync.Once
	http     *http.Client
}

// LoadTargets reads a JSON object mapping function ARNs to URLs.
func LoadTargets(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: want a JSON object of ARN to URL: %w", path, err)
	}
	for arn, u := range m {
		if _, err := appconfig.ParseTargetARN(arn, appconfig.ARNLambda); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("%s: target of %s is not an http(s) URL: %q", path, arn, u)
		}
	}
	return m, nil
}

func (inv *Invoker) timeout() time.Duration {
	if inv.Timeout > 0 {
		return inv.Timeout
	}
	return 10 * time.Second
}

// HTTPClient is the client of URL targets, built once from Allow (see
// AllowList.HTTPClient): it refuses redirects, hosts and addresses the
// allow-list does not cover. HTTP monitors share it.
func (inv *Invoker) HTTPClient() *http.Client { return inv.client() }

func (inv *Invoker) client() *http.Client {
	inv.httpOnce.Do(func() { inv.http = inv.Allow.HTTPClient() })
	return inv.http
}

// Invoke runs one action with a JSON payload.
func (inv *Invoker) Invoke(ctx context.Context, sc appconfig.Scope, t Target, point appconfig.ActionPoint, payload []byte) Result {
	ctx, cancel := context.WithTimeout(ctx, inv.timeout())
	defer cancel()
	uri := t.URI
	switch {
	case uri == service.URIJira:
		return fail(CodeJiraNotConfigured, "Jira is not configured: appconfigd has no connection to Atlassian Jira")
	case uri == service.URISQS:
		q := t.Parameters["queueArn"]
		if q == "" {
			return fail(CodeMissingParameter, "the association has no queueArn parameter")
		}
		return inv.aws(func() error { return inv.AWS.SendSQS(ctx, q, payload) })
	case uri == service.URISNS:
		topic := t.Parameters["topicArn"]
		if topic == "" {
			return fail(CodeMissingParameter, "the association has no topicArn parameter")
		}
		return inv.aws(func() error { return inv.AWS.PublishSNS(ctx, topic, payload, "") })
	case uri == service.URIEventBridge:
		bus := "arn:" + service.Partition(sc.Region) + ":events:" + sc.Region + ":" + sc.Account + ":event-bus/default"
		return inv.putEvent(ctx, bus, t, point, payload)
	case strings.HasPrefix(uri, "http://"), strings.HasPrefix(uri, "https://"):
		return inv.post(ctx, uri, payload)
	case strings.HasPrefix(uri, "arn:"):
		// The parser CheckActionURI uses: what CreateExtension accepts is
		// what runs here.
		a, err := appconfig.ParseActionARN(uri)
		if err != nil {
			if ae, _ := err.(*appconfig.ARNError); ae != nil && ae.Kind == "" {
				break // not an action target's kind: refused below
			}
			return fail(CodeUnsupported, "%v", err)
		}
		switch a.Kind {
		case appconfig.ARNLambda:
			if u, ok := inv.Targets[uri]; ok {
				return inv.post(ctx, u, payload)
			}
			if inv.AWS == nil {
				return fail(CodeUnsupported, "no Lambda endpoint is configured for %s", uri)
			}
			out, fnErr, err := inv.AWS.InvokeLambda(ctx, uri, payload)
			if err != nil {
				return classify(err, CodeDelivery)
			}
			if fnErr != "" {
				code, msg := errorOf(out)
				if msg == "" {
					msg = "the function failed (" + fnErr + ")"
				}
				return Result{ErrorCode: CodeFunctionError, Error: strings.TrimSpace(code + ": " + msg)}
			}
			return parseAnswer(out)
		case appconfig.ARNSQS:
			return inv.aws(func() error { return inv.AWS.SendSQS(ctx, uri, payload) })
		case appconfig.ARNSNS:
			return inv.aws(func() error { return inv.AWS.PublishSNS(ctx, uri, payload, "") })
		case appconfig.ARNEventBus:
			return inv.putEvent(ctx, uri, t, point, payload)
		}
	}
	return fail(CodeUnsupported, "cannot invoke %q: not an http(s) URL or a Lambda, SQS, SNS or EventBridge ARN", uri)
}

func (inv *Invoker) aws(call func() error) Result {
	if inv.AWS == nil {
		return fail(CodeUnsupported, "AWS delivery is not configured")
	}
	if err := call(); err != nil {
		return classify(err, CodeDelivery)
	}
	return Result{}
}

func (inv *Invoker) putEvent(ctx context.Context, bus string, t Target, point appconfig.ActionPoint, payload []byte) Result {
	resources := []string{}
	if t.AssociationArn != "" {
		resources = append(resources, t.AssociationArn)
	}
	dt := point.DetailType()
	if dt == "" {
		dt = string(point)
	}
	return inv.aws(func() error { return inv.AWS.PutEvent(ctx, bus, "aws.appconfig", dt, resources, payload) })
}

func (inv *Invoker) post(ctx context.Context, raw string, payload []byte) Result {
	u, err := url.Parse(raw)
	if err != nil {
		return fail(CodeUnsupported, "invalid URL %q: %v", raw, err)
	}
	// The client vets the host against the allow-list (and the address
	// dialed); a refusal is classified as TargetNotAllowed.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return fail(CodeUnsupported, "%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "appconfigd-extension")
	resp, err := inv.client().Do(req)
	if err != nil {
		return classify(err, CodeConnection)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return classify(err, CodeConnection)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		code, msg := errorOf(body)
		if msg == "" {
			msg = strings.TrimSpace(string(body))
			if len(msg) > 512 {
				msg = msg[:512]
			}
		}
		if code != "" {
			msg = code + ": " + msg
		}
		return Result{ErrorCode: CodeHTTPError, Error: fmt.Sprintf("%s answered %s: %s", u.Host, resp.Status, msg)}
	}
	return parseAnswer(body)
}

// parseAnswer reads an action's answer: {"Content": base64} replaces
// content, {"Directive": "ROLL_BACK", "Description": ...} steers ticks, and
// {"Error": ..., "Message": ...} reports a failure. An empty answer is a
// plain success.
func parseAnswer(body []byte) Result {
	if len(bytes.TrimSpace(body)) == 0 || string(bytes.TrimSpace(body)) == "null" {
		return Result{}
	}
	var a struct {
		Content     *string `json:"Content"`
		Directive   string  `json:"Directive"`
		Description string  `json:"Description"`
		Error       string  `json:"Error"`
		Message     string  `json:"Message"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		// Plain-text answers are accepted as successes without effect.
		return Result{}
	}
	if a.Error != "" {
		msg := a.Message
		if msg == "" {
			msg = a.Error
		}
		return Result{ErrorCode: a.Error, Error: msg}
	}
	r := Result{Directive: strings.ToUpper(a.Directive), Description: a.Description}
	if a.Content != nil {
		c, err := base64.StdEncoding.DecodeString(*a.Content)
		if err != nil {
			return fail(CodeInvalidResponse, "the answer's Content is not base64: %v", err)
		}
		r.Content = c
	}
	return r
}

// errorOf extracts an error code and message from an error answer (our
// {"Error","Message"} form or Lambda's {"errorType","errorMessage"}).
func errorOf(body []byte) (string, string) {
	var e struct {
		Error        string `json:"Error"`
		Message      string `json:"Message"`
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	if e.Error != "" || e.Message != "" {
		return e.Error, e.Message
	}
	return e.ErrorType, e.ErrorMessage
}

func classify(err error, code string) Result {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fail(CodeTimeout, "%v", err)
	case errors.Is(err, errNotAllowed):
		return fail(CodeNotAllowed, "%v", err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fail(CodeConnection, "%v", err)
	}
	return fail(code, "%v", err)
}
