package extension

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
)

var invokerScope = appconfig.Scope{Account: "123456789012", Region: "us-east-1"}

// Action ARNs that the old CheckActionURI accepted (it looked at the
// service field only) fail in Invoke with the parser's reason, before any
// delivery — even when --extension-targets maps them to a URL.
func TestInvokeRejectsMalformedActionARN(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	allow, err := ParseAllowList("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"arn:aws:lambda:r:1:foo":                            "invalid Lambda function ARN",
		"arn:aws:lambda:us-east-1:123456789012:foo":         "invalid Lambda function ARN",
		"arn:aws:sqs:us-east-1:1:q":                         "invalid SQS queue ARN",
		"arn:aws:sns:us-east-1:123456789012:a/b":            "invalid SNS topic ARN",
		"arn:aws:events:us-east-1:123456789012:event-bus/%": "invalid EventBridge event bus ARN",
	}
	targets := map[string]string{}
	for arn := range bad {
		targets[arn] = srv.URL
	}
	inv := &Invoker{Allow: allow, Targets: targets, AWS: &AWSTargets{AWS: awsTargetsTestConfig(nil),
		LambdaEndpoint: srv.URL, SQSEndpoint: srv.URL, SNSEndpoint: srv.URL, EventBridgeEndpoint: srv.URL}}
	for arn, want := range bad {
		r := inv.Invoke(context.Background(), invokerScope, Target{URI: arn}, appconfig.OnDeploymentStart, []byte(`{}`))
		if r.ErrorCode != CodeUnsupported || !strings.Contains(r.Error, want) || !strings.Contains(r.Error, arn) {
			t.Errorf("%s: %+v; want %s saying %q", arn, r, CodeUnsupported, want)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("malformed ARNs reached a target %d times", n)
	}
	// Other services keep the catch-all refusal.
	r := inv.Invoke(context.Background(), invokerScope, Target{URI: "arn:aws:s3:::bucket"}, appconfig.OnDeploymentStart, nil)
	if r.ErrorCode != CodeUnsupported || !strings.Contains(r.Error, "not an http(s) URL or a Lambda, SQS, SNS or EventBridge ARN") {
		t.Fatalf("s3 ARN: %+v", r)
	}
	// A well-formed mapped function still goes to its URL.
	good := "arn:aws:lambda:us-east-1:123456789012:function:hook"
	inv.Targets[good] = srv.URL
	if r := inv.Invoke(context.Background(), invokerScope, Target{URI: good}, appconfig.OnDeploymentStart, []byte(`{}`)); r.ErrorCode != "" || hits.Load() != 1 {
		t.Fatalf("mapped function: %+v, %d hits", r, hits.Load())
	}
}

func TestLoadTargetsChecksFunctionARNs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "targets.json")
	if err := os.WriteFile(path, []byte(`{"arn:aws:lambda:r:1:foo":"http://127.0.0.1:9/"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTargets(path); err == nil || !strings.Contains(err.Error(), "invalid Lambda function ARN") {
		t.Fatalf("LoadTargets = %v; want an invalid ARN error", err)
	}
	if err := os.WriteFile(path, []byte(`{"arn:aws:lambda:us-east-1:123456789012:function:f":"http://127.0.0.1:9/"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if m, err := LoadTargets(path); err != nil || len(m) != 1 {
		t.Fatalf("LoadTargets = %v, %v", m, err)
	}
}

// The shared client checks the request's host itself, not only the address
// dialed: "localhost" allows dialing loopback, but not the host 127.0.0.1.
// Monitors use this client directly (server.probeClient), without post's
// former host check.
func TestInvokerHTTPClientChecksHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	allow, err := ParseAllowList("localhost")
	if err != nil {
		t.Fatal(err)
	}
	inv := &Invoker{Allow: allow}
	c := inv.HTTPClient()
	_, err = c.Get(srv.URL) // http://127.0.0.1:PORT
	if !errors.Is(err, errNotAllowed) || !strings.Contains(err.Error(), "host 127.0.0.1 is not in --extension-allow-hosts") {
		t.Fatalf("GET %s: %v; want the host refused", srv.URL, err)
	}
	resp, err := c.Get(strings.Replace(srv.URL, "127.0.0.1", "localhost", 1))
	if err != nil {
		t.Fatalf("GET via localhost: %v", err)
	}
	resp.Body.Close()
	// A nil list allows nothing.
	if _, err := (&Invoker{}).HTTPClient().Get(srv.URL); !errors.Is(err, errNotAllowed) {
		t.Fatalf("nil allow-list: %v", err)
	}
	// URL targets are refused the same way, as TargetNotAllowed.
	r := inv.Invoke(context.Background(), invokerScope, Target{URI: srv.URL}, appconfig.OnDeploymentStart, []byte(`{}`))
	if r.ErrorCode != CodeNotAllowed || !strings.Contains(r.Error, "not in --extension-allow-hosts") {
		t.Fatalf("URL target: %+v", r)
	}
}

// The client is built once, safely from concurrent first calls.
func TestInvokerHTTPClientOnce(t *testing.T) {
	inv := &Invoker{}
	var wg sync.WaitGroup
	got := make([]*http.Client, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = inv.HTTPClient() }()
	}
	wg.Wait()
	for _, c := range got {
		if c == nil || c != got[0] {
			t.Fatalf("clients %v: want one", got)
		}
	}
}
