package deploy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	appconfig "github.com/appconfigd/appconfigd"
)

var alarmScope = appconfig.Scope{Account: "123456789012", Region: "us-east-1"}

// Malformed CloudWatch alarm ARNs are refused by the shared parser before
// any request (the endpoint is unreachable: a request error would differ).
func TestAlarmsRejectsMalformedCloudWatchARN(t *testing.T) {
	a := &Alarms{CloudWatchEndpoint: "http://127.0.0.1:1", AWS: aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")}}
	for _, arn := range []string{
		"arn:aws:cloudwatch:r:1:alarm:x", // accepted by the old split-based check
		"arn:aws:cloudwatch:us-east-1:123456789012:alarm:",
		"arn:aws:cloudwatch:us-east-1:123456789012:metric/x",
	} {
		_, err := a.Check(context.Background(), alarmScope, appconfig.Monitor{AlarmArn: arn})
		if err == nil || !strings.Contains(err.Error(), "invalid CloudWatch alarm ARN") {
			t.Errorf("%s: error %v, want an invalid CloudWatch alarm ARN error", arn, err)
		}
	}
}

// Without a client, HTTP monitors fail: there is no fallback client that
// skips the allow-list.
func TestAlarmsNoUncheckedFallbackClient(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"state":"OK"}`))
	}))
	defer srv.Close()
	a := &Alarms{}
	for _, m := range []string{srv.URL, "prometheus+" + srv.URL + "/up"} {
		state, err := a.Check(context.Background(), alarmScope, appconfig.Monitor{AlarmArn: m})
		if err == nil || !strings.Contains(err.Error(), "not configured") {
			t.Errorf("%s: %q, %v; want a not-configured error", m, state, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the monitor endpoint was reached %d times without an allow-listed client", n)
	}
	// With a client, probes run.
	a = &Alarms{HTTP: srv.Client()}
	if state, err := a.Check(context.Background(), alarmScope, appconfig.Monitor{AlarmArn: srv.URL}); err != nil || state != "OK" {
		t.Fatalf("probe = %q, %v", state, err)
	}
}
