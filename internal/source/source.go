// Package source reads configurations that live outside appconfigd's
// hosted store: S3 objects, Parameter Store parameters, SSM documents and
// Secrets Manager secrets, with the AWS SDK at configurable endpoints (real
// AWS, or any compatible server such as moto_server).
//
// A deployment takes a snapshot of the content when it starts, as AWS
// AppConfig does: the deployment record keeps it, so what clients are
// served does not change if the source changes afterwards.
package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/awsclients"
	"github.com/appconfigd/appconfigd/internal/service"
)

// Fetcher implements service.SourceFetcher.
type Fetcher struct {
	AWS                    aws.Config // credentials etc.; the region comes from each request
	S3Endpoint             string
	SSMEndpoint            string
	SecretsManagerEndpoint string

	s3ByReg  awsclients.PerRegion[*s3.Client]
	ssmByReg awsclients.PerRegion[*ssm.Client]
	smByReg  awsclients.PerRegion[*secretsmanager.Client]
}

// Fetch reads version of the configuration at uri. The version is what
// StartDeployment's ConfigurationVersion names for that kind of source:
// the S3 object's version ID, the parameter's or document's version
// number, the secret's version ID.
func (f *Fetcher) Fetch(ctx context.Context, sc appconfig.Scope, uri, version string, maxBytes int) (service.FetchedConfiguration, error) {
	loc, err := appconfig.ParseLocation(uri)
	if err != nil {
		return service.FetchedConfiguration{}, appconfig.BadRequest("%v.", err)
	}
	region := loc.Region
	if region == "" {
		region = sc.Region
	}
	var out service.FetchedConfiguration
	switch loc.Kind {
	case appconfig.LocationS3:
		out, err = f.fromS3(ctx, region, loc, version, int64(maxBytes))
	case appconfig.LocationSSMParameter:
		out, err = f.fromParameter(ctx, region, loc, version)
	case appconfig.LocationSSMDocument:
		out, err = f.fromDocument(ctx, region, loc, version)
	case appconfig.LocationSecretsManager:
		out, err = f.fromSecret(ctx, region, loc, version)
	default:
		return out, appconfig.BadRequest("Configurations from %s are deployed by the pipeline, not by StartDeployment; appconfigd does not run CodePipeline.", uri)
	}
	if err != nil {
		return out, sourceError(uri, version, err)
	}
	return out, nil
}

func (f *Fetcher) fromS3(ctx context.Context, region string, loc appconfig.Location, version string, maxBytes int64) (service.FetchedConfiguration, error) {
	c := f.s3ByReg.Get(region, func(region string) *s3.Client {
		return s3.NewFromConfig(f.AWS, func(o *s3.Options) {
			o.Region, o.BaseEndpoint = region, awsclients.Endpoint(f.S3Endpoint)
			o.UsePathStyle = f.S3Endpoint != "" // compatible servers rarely resolve bucket subdomains
			// A server without response checksums is not worth a log line per read.
			o.DisableLogOutputChecksumValidationSkipped = true
		})
	})
	obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key), VersionId: aws.String(version)})
	// (ConfigurationVersion is required, so version is never empty here.)
	if err != nil {
		return service.FetchedConfiguration{}, err
	}
	defer obj.Body.Close()
	if n := aws.ToInt64(obj.ContentLength); n > maxBytes {
		return service.FetchedConfiguration{}, &appconfig.Error{Kind: appconfig.KindPayloadTooLarge,
			Message: fmt.Sprintf("The configuration at s3://%s/%s is %d bytes, over the limit of %d KB.", loc.Bucket, loc.Key, n, maxBytes/1024),
			Measure: "KILOBYTES", Limit: float64(maxBytes / 1024), Size: float64(n) / 1024}
	}
	// One byte over the limit is enough for the caller to refuse it.
	body, err := io.ReadAll(io.LimitReader(obj.Body, maxBytes+1))
	if err != nil {
		return service.FetchedConfiguration{}, err
	}
	ctype := aws.ToString(obj.ContentType)
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return service.FetchedConfiguration{Content: body, ContentType: ctype, Version: version}, nil
}

func (f *Fetcher) ssmClient(region string) *ssm.Client {
	return f.ssmByReg.Get(region, func(region string) *ssm.Client {
		return ssm.NewFromConfig(f.AWS, func(o *ssm.Options) {
			o.Region, o.BaseEndpoint = region, awsclients.Endpoint(f.SSMEndpoint)
		})
	})
}

func (f *Fetcher) fromParameter(ctx context.Context, region string, loc appconfig.Location, version string) (service.FetchedConfiguration, error) {
	if _, err := strconv.ParseInt(version, 10, 64); err != nil {
		return service.FetchedConfiguration{}, appconfig.BadRequest("ConfigurationVersion %q: a Parameter Store configuration is deployed by its version number.", version)
	}
	out, err := f.ssmClient(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(loc.Name + ":" + version), WithDecryption: aws.Bool(true)})
	if err != nil {
		return service.FetchedConfiguration{}, err
	}
	return service.FetchedConfiguration{Content: []byte(aws.ToString(out.Parameter.Value)), ContentType: "text/plain", Version: version}, nil
}

func (f *Fetcher) fromDocument(ctx context.Context, region string, loc appconfig.Location, version string) (service.FetchedConfiguration, error) {
	out, err := f.ssmClient(region).GetDocument(ctx, &ssm.GetDocumentInput{Name: aws.String(loc.Name), DocumentVersion: aws.String(version)})
	if err != nil {
		return service.FetchedConfiguration{}, err
	}
	ctype := "text/plain"
	switch out.DocumentFormat {
	case ssmtypes.DocumentFormatJson:
		ctype = "application/json"
	case ssmtypes.DocumentFormatYaml:
		ctype = "application/x-yaml"
	}
	return service.FetchedConfiguration{Content: []byte(aws.ToString(out.Content)), ContentType: ctype, Version: version}, nil
}

func (f *Fetcher) fromSecret(ctx context.Context, region string, loc appconfig.Location, version string) (service.FetchedConfiguration, error) {
	c := f.smByReg.Get(region, func(region string) *secretsmanager.Client {
		return secretsmanager.NewFromConfig(f.AWS, func(o *secretsmanager.Options) {
			o.Region, o.BaseEndpoint = region, awsclients.Endpoint(f.SecretsManagerEndpoint)
		})
	})
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(loc.Name), VersionId: aws.String(version)})
	if err != nil {
		return service.FetchedConfiguration{}, err
	}
	if out.SecretString != nil {
		return service.FetchedConfiguration{Content: []byte(*out.SecretString), ContentType: "text/plain", Version: version}, nil
	}
	return service.FetchedConfiguration{Content: out.SecretBinary, ContentType: "application/octet-stream", Version: version}, nil
}

// notFoundCodes are the sources' answers for a missing object, version,
// parameter, document or secret.
var notFoundCodes = map[string]bool{
	"NoSuchKey": true, "NoSuchBucket": true, "NoSuchVersion": true, "NotFound": true,
	"ParameterNotFound": true, "ParameterVersionNotFound": true, "InvalidDocument": true, "InvalidDocumentVersion": true,
	"ResourceNotFoundException": true,
}

// throttlingCodes are the sources' answers for too many requests.
var throttlingCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "SlowDown": true,
}

// sourceError turns a source's answer into the client's, naming the
// source: a missing configuration or version is a 404; throttling is a
// ThrottlingException and a fault of the source or of the way to it a
// 500, both of which the SDKs retry; anything else (access denied, a
// malformed name) is a 400.
func sourceError(uri, version string, err error) error {
	var ae *appconfig.Error
	if errors.As(err, &ae) {
		return err
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		switch {
		case notFoundCodes[code]:
			return appconfig.NotFound("Configuration", "Version %q of the configuration at %s was not found (%s: %s).", version, uri, code, api.ErrorMessage())
		case throttlingCodes[code]:
			return &appconfig.Error{Kind: appconfig.KindThrottled, Message: fmt.Sprintf("Reading the configuration at %s was throttled (%s: %s).", uri, code, api.ErrorMessage())}
		case api.ErrorFault() == smithy.FaultServer:
			return appconfig.Internal(err, "reading the configuration at %s failed: %s: %s", uri, code, api.ErrorMessage())
		}
		return appconfig.BadRequest("Could not read version %q of the configuration at %s: %s: %s", version, uri, code, api.ErrorMessage())
	}
	return appconfig.Internal(err, "reading the configuration at %s failed: %v", uri, err)
}
