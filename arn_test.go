package appconfig

import (
	"errors"
	"strings"
	"testing"
)

func TestParseActionARN(t *testing.T) {
	tests := []struct {
		arn      string
		kind     ARNKind // of a valid ARN, or of the error ("" = no action kind)
		wantErr  string  // "" = valid
		wantName string
	}{
		{"arn:aws:lambda:us-east-1:123456789012:function:f", ARNLambda, "", "f"},
		{"arn:aws:sqs:us-east-1:123456789012:q", ARNSQS, "", "q"},
		{"arn:aws:sns:us-east-1:123456789012:t", ARNSNS, "", "t"},
		{"arn:aws:events:us-east-1:123456789012:event-bus/default", ARNEventBus, "", "default"},
		// Accepted by the old CheckActionURI (service field only), refused
		// by every invocation.
		{"arn:aws:lambda:r:1:foo", ARNLambda, "bad region", ""},
		{"arn:aws:lambda:us-east-1:123456789012:foo", ARNLambda, "not function:NAME", ""},
		{"arn:aws:sqs:us-east-1:1:q", ARNSQS, "not 12 digits", ""},
		{"arn:aws:sqs:us-east-1:123456789012:a/b", ARNSQS, "bad queue name", ""},
		{"arn:aws:sns:us-east-1:123456789012:", ARNSNS, "missing sns topic name", ""},
		{"arn:x:sns:us-east-1:123456789012:t", ARNSNS, "bad partition", ""},
		{"arn:aws:events:us-east-1::event-bus/default", ARNEventBus, "missing account", ""},
		// No action kind.
		{"arn:aws:s3:::bucket", "", "service \"s3\"", ""},
		{"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a", "", "service \"cloudwatch\"", ""},
		{"arn:aws:lambda", "", "not an ARN", ""},
	}
	for _, tc := range tests {
		got, err := ParseActionARN(tc.arn)
		if tc.wantErr == "" {
			if err != nil || got.Kind != tc.kind || got.Name != tc.wantName {
				t.Errorf("ParseActionARN(%q) = %+v, %v; want kind %s name %q", tc.arn, got, err, tc.kind, tc.wantName)
			}
			continue
		}
		var ae *ARNError
		if !errors.As(err, &ae) || ae.Kind != tc.kind || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.arn) {
			t.Errorf("ParseActionARN(%q) error = %#v; want kind %q saying %q", tc.arn, err, tc.kind, tc.wantErr)
		}
	}
}

func TestParseCloudWatchAlarmARN(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors":      "errors",
		"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a:b c":       "a:b c", // names may hold colons and spaces
		"arn:aws-cn:cloudwatch:cn-north-1:123456789012:alarm:latency": "latency",
	} {
		if got, err := ParseTargetARN(arn, ARNCloudWatch); err != nil || got.Name != want || got.Kind != ARNCloudWatch {
			t.Errorf("%s: %+v, %v; want name %q", arn, got, err, want)
		}
	}
	for arn, wantErr := range map[string]string{
		"arn:aws:cloudwatch:us-east-1:123456789012:alarm:":                            "missing alarm name",
		"arn:aws:cloudwatch:us-east-1:123456789012:dashboard/d":                       "not alarm:NAME",
		"arn:aws:cloudwatch:r:1:alarm:x":                                              "bad region",
		"arn:aws:cloudwatch:us-east-1:1:alarm:x":                                      "not 12 digits",
		"arn:aws:lambda:us-east-1:123456789012:alarm:x":                               `service is "lambda", not "cloudwatch"`,
		"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a\nb":                        "bad alarm name",
		"arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + strings.Repeat("a", 256): "bad alarm name",
	} {
		_, err := ParseTargetARN(arn, ARNCloudWatch)
		if err == nil || !strings.Contains(err.Error(), wantErr) || !strings.Contains(err.Error(), "CloudWatch alarm ARN") {
			t.Errorf("%q: error %v, want one saying %q", arn, err, wantErr)
		}
	}
}
