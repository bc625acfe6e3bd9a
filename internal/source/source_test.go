package source

import (
	"context"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
)

func TestParseLocation(t *testing.T) {
	for uri, want := range map[string]Location{
		"s3://bucket/a/b.json":                                {Kind: KindS3, Bucket: "bucket", Key: "a/b.json"},
		"ssm-parameter://plain":                               {Kind: KindSSMParameter, Name: "plain"},
		"ssm-parameter:///app/db":                             {Kind: KindSSMParameter, Name: "/app/db"},
		"ssm-document://doc":                                  {Kind: KindSSMDocument, Name: "doc"},
		"secretsmanager://s":                                  {Kind: KindSecretsManager, Name: "s"},
		"codepipeline://p":                                    {Kind: KindCodePipeline, Name: "p"},
		"arn:aws:ssm:eu-west-1:123456789012:parameter/plain":  {Kind: KindSSMParameter, Name: "arn:aws:ssm:eu-west-1:123456789012:parameter/plain", Region: "eu-west-1"},
		"arn:aws:ssm:eu-west-1:123456789012:parameter/app/db": {Kind: KindSSMParameter, Name: "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db", Region: "eu-west-1"},
		"arn:aws:ssm:us-east-1:123456789012:document/doc":     {Kind: KindSSMDocument, Name: "doc", Region: "us-east-1"},
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

func TestFetchRefusesWhatItCannotRead(t *testing.T) {
	f := &Fetcher{}
	sc := appconfig.Scope{Account: "123456789012", Region: "us-east-1"}
	for uri, kind := range map[string]appconfig.ErrorKind{
		"codepipeline://p":     appconfig.KindBadRequest,
		"s3://bucket":          appconfig.KindBadRequest,
		"ssm-parameter://name": appconfig.KindBadRequest, // version "v1" is not a number
	} {
		_, err := f.Fetch(context.Background(), sc, uri, "v1", 2<<20)
		if appconfig.KindOf(err) != kind {
			t.Errorf("Fetch(%q) = %v, want kind %v", uri, err, kind)
		}
	}
}
