package source

import (
	"context"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
)

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
