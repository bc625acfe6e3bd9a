package appconfig

import "testing"

func TestParseLocation(t *testing.T) {
	for uri, want := range map[string]Location{
		"s3://bucket/a/b.json":                                {Kind: LocationS3, Bucket: "bucket", Key: "a/b.json"},
		"ssm-parameter://plain":                               {Kind: LocationSSMParameter, Name: "plain"},
		"ssm-parameter:///app/db":                             {Kind: LocationSSMParameter, Name: "/app/db"},
		"ssm-document://doc":                                  {Kind: LocationSSMDocument, Name: "doc"},
		"secretsmanager://s":                                  {Kind: LocationSecretsManager, Name: "s"},
		"codepipeline://p":                                    {Kind: LocationCodePipeline, Name: "p"},
		"arn:aws:ssm:eu-west-1:123456789012:parameter/plain":  {Kind: LocationSSMParameter, Name: "arn:aws:ssm:eu-west-1:123456789012:parameter/plain", Region: "eu-west-1"},
		"arn:aws:ssm:eu-west-1:123456789012:parameter/app/db": {Kind: LocationSSMParameter, Name: "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db", Region: "eu-west-1"},
		"arn:aws:ssm:us-east-1:123456789012:document/doc":     {Kind: LocationSSMDocument, Name: "doc", Region: "us-east-1"},
	} {
		got, err := ParseLocation(uri)
		if err != nil || got != want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v", uri, got, err, want)
		}
	}
	for _, bad := range []string{"hosted", "s3://bucket", "s3://bucket/", "s3:///key", "ssm-parameter://", "arn:aws:ssm:us-east-1:1:association/x", "arn:aws:s3:::b/k", "ftp://x"} {
		if got, err := ParseLocation(bad); err == nil {
			t.Errorf("ParseLocation(%q) = %+v, want an error", bad, got)
		}
	}
}
