package appconfig

import (
	"fmt"
	"strings"
)

// Kinds of configuration location: a profile's LocationUri other than
// LocationHosted.
const (
	LocationS3             = "s3"
	LocationSSMParameter   = "ssm-parameter"
	LocationSSMDocument    = "ssm-document"
	LocationSecretsManager = "secretsmanager"
	LocationCodePipeline   = "codepipeline"
)

// Location is a parsed LocationUri.
type Location struct {
	Kind   string
	Bucket string // s3
	Key    string // s3
	Name   string // parameter, document, secret or pipeline name
	Region string // from an ARN; empty: the request's region
}

// ParseLocation splits a non-hosted LocationUri: s3://BUCKET/KEY,
// ssm-parameter://NAME, ssm-document://NAME, secretsmanager://NAME,
// codepipeline://NAME, or a Parameter Store or SSM document ARN
// (arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME). A parameter ARN is
// kept whole as the name: Parameter Store resolves it, including a name
// with a leading slash (/db is parameter/db in its ARN) and a parameter
// shared from another account.
func ParseLocation(uri string) (Location, error) {
	for _, kind := range []string{LocationS3, LocationSSMParameter, LocationSSMDocument, LocationSecretsManager, LocationCodePipeline} {
		rest, ok := strings.CutPrefix(uri, kind+"://")
		if !ok {
			continue
		}
		if rest == "" {
			return Location{}, fmt.Errorf("LocationUri %q names no %s", uri, kind)
		}
		if kind != LocationS3 {
			return Location{Kind: kind, Name: rest}, nil
		}
		bucket, key, _ := strings.Cut(rest, "/")
		if bucket == "" || key == "" {
			return Location{}, fmt.Errorf("LocationUri %q is not s3://<bucket>/<objectKey>", uri)
		}
		return Location{Kind: kind, Bucket: bucket, Key: key}, nil
	}
	if parts := strings.SplitN(uri, ":", 6); len(parts) == 6 && parts[0] == "arn" && parts[2] == "ssm" {
		typ, name, _ := strings.Cut(parts[5], "/")
		if name != "" {
			switch typ {
			case "parameter":
				return Location{Kind: LocationSSMParameter, Name: uri, Region: parts[3]}, nil
			case "document":
				return Location{Kind: LocationSSMDocument, Name: name, Region: parts[3]}, nil
			}
		}
	}
	return Location{}, fmt.Errorf("LocationUri %q is not a configuration source appconfigd can read", uri)
}
