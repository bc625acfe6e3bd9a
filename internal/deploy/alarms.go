package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	appconfig "github.com/appconfigd/appconfigd"
)

// Alarms evaluates a monitor by the form of its AlarmArn:
//
//   - arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME — CloudWatch
//     DescribeAlarms through the AWS SDK (at CloudWatchEndpoint if set);
//     alarms whose actions are disabled are ignored, as AppConfig does;
//   - http:// or https:// — a probe: a non-2xx answer, or a JSON body whose
//     "state" is "ALARM", means alarm;
//   - prometheus+http://HOST:PORT/QUERY (or prometheus+https) — the PromQL
//     query runs through Prometheus's HTTP API; any result means alarm.
type Alarms struct {
	// AWS is the SDK configuration used for CloudWatch (credentials, region).
	AWS aws.Config
	// CloudWatchEndpoint overrides CloudWatch's endpoint (e.g. moto_server).
	CloudWatchEndpoint string
	// CloudWatchProtocol is "query" (default: understood by AWS and by
	// emulators) or "cbor" (the SDK's default wire protocol).
	CloudWatchProtocol string
	// HTTP is the client of probes and Prometheus. It must enforce the
	// operator's outbound allow-list itself, on the request's host and on
	// the address dialed (the server passes extension.AllowList's client
	// with a 5 s timeout). Without it, probe and Prometheus monitors fail:
	// there is no unchecked fallback.
	HTTP *http.Client

	mu      sync.Mutex
	clients map[string]*cloudwatch.Client
}

// Check implements AlarmChecker.
func (a *Alarms) Check(ctx context.Context, sc appconfig.Scope, m appconfig.Monitor) (string, error) {
	arn := m.AlarmArn
	switch {
	case strings.HasPrefix(arn, "arn:"):
		return a.cloudWatch(ctx, arn)
	case strings.HasPrefix(arn, "http://"), strings.HasPrefix(arn, "https://"):
		return a.probe(ctx, arn)
	case strings.HasPrefix(arn, "prometheus+http://"), strings.HasPrefix(arn, "prometheus+https://"):
		return a.prometheus(ctx, strings.TrimPrefix(arn, "prometheus+"))
	}
	return "", fmt.Errorf("unsupported monitor %q: use a CloudWatch alarm ARN, an http(s) URL or prometheus+http(s)://HOST:PORT/QUERY", arn)
}

// errNoHTTPClient is the error of HTTP monitors when Alarms has no client.
var errNoHTTPClient = errors.New("HTTP and Prometheus monitors are not configured: no allow-listed HTTP client")

func (a *Alarms) cloudWatch(ctx context.Context, arn string) (string, error) {
	t, err := appconfig.ParseTargetARN(arn, appconfig.ARNCloudWatch)
	if err != nil {
		return "", err
	}
	name := t.Name
	c := a.client(t.Region)
	out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		return "", fmt.Errorf("CloudWatch DescribeAlarms %s: %w", name, err)
	}
	for _, al := range out.MetricAlarms {
		if aws.ToString(al.AlarmName) == name {
			if al.ActionsEnabled != nil && !*al.ActionsEnabled {
				return "DISABLED", nil
			}
			return string(al.StateValue), nil
		}
	}
	for _, al := range out.CompositeAlarms {
		if aws.ToString(al.AlarmName) == name {
			if al.ActionsEnabled != nil && !*al.ActionsEnabled {
				return "DISABLED", nil
			}
			return string(al.StateValue), nil
		}
	}
	return "", fmt.Errorf("CloudWatch alarm %s does not exist", name)
}

func (a *Alarms) client(region string) *cloudwatch.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c, ok := a.clients[region]; ok {
		return c
	}
	if a.clients == nil {
		a.clients = map[string]*cloudwatch.Client{}
	}
	cfg := a.AWS.Copy()
	cfg.Region = region
	c := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if a.CloudWatchEndpoint != "" {
			o.BaseEndpoint = aws.String(a.CloudWatchEndpoint)
		}
		if a.CloudWatchProtocol != "cbor" {
			o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
		}
		o.RetryMaxAttempts = 2
	})
	a.clients[region] = c
	return c
}

func (a *Alarms) get(ctx context.Context, raw string) (*http.Response, error) {
	if a.HTTP == nil {
		return nil, errNoHTTPClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	return a.HTTP.Do(req)
}

func (a *Alarms) probe(ctx context.Context, raw string) (string, error) {
	resp, err := a.get(ctx, raw)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "ALARM", nil
	}
	var doc struct {
		State string `json:"state"`
	}
	if json.Unmarshal(body, &doc) == nil && strings.EqualFold(doc.State, "ALARM") {
		return "ALARM", nil
	}
	return "OK", nil
}

func (a *Alarms) prometheus(ctx context.Context, raw string) (string, error) {
	schemeEnd := strings.Index(raw, "://")
	rest := raw[schemeEnd+3:]
	slash := strings.Index(rest, "/")
	if slash < 0 || slash == len(rest)-1 {
		return "", errors.New("prometheus monitor needs a query after the host: prometheus+http://HOST:PORT/QUERY")
	}
	query, err := url.PathUnescape(rest[slash+1:])
	if err != nil {
		query = rest[slash+1:]
	}
	endpoint := raw[:schemeEnd+3] + rest[:slash] + "/api/v1/query?query=" + url.QueryEscape(query)
	resp, err := a.get(ctx, endpoint)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&out); err != nil {
		return "", fmt.Errorf("prometheus answered %s with an unreadable body: %v", resp.Status, err)
	}
	if out.Status != "success" {
		return "", fmt.Errorf("prometheus query failed: %s", out.Error)
	}
	switch out.Data.ResultType {
	case "vector", "matrix":
		var items []json.RawMessage
		if err := json.Unmarshal(out.Data.Result, &items); err != nil {
			return "", fmt.Errorf("prometheus result: %v", err)
		}
		if len(items) > 0 {
			return "ALARM", nil
		}
		return "OK", nil
	case "scalar":
		// [time, "value"]: non-zero means alarm.
		var pair []json.RawMessage
		if json.Unmarshal(out.Data.Result, &pair) == nil && len(pair) == 2 {
			var v string
			if json.Unmarshal(pair[1], &v) == nil && v != "0" {
				return "ALARM", nil
			}
		}
		return "OK", nil
	}
	return "", fmt.Errorf("prometheus result type %q is not supported", out.Data.ResultType)
}
