package itest

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/server"
)

// TestConfigurationSources deploys configurations kept in S3, Parameter
// Store, an SSM document and Secrets Manager (moto_server), checks what
// clients are served, that a deployment keeps a snapshot, and the errors.
func TestConfigurationSources(t *testing.T) {
	moto := StartMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	src := seedSources(t, moto)
	a := newSourcedApp(t, moto)
	checkSourcesServed(t, a, src)
	checkSourceSnapshotAndErrors(t, a, src)
	checkSourceValidatorsAndLimits(t, a, src)
}

// sources is what seedSources put in moto_server.
type sources struct {
	s3c        *s3.Client
	putObject  func(body string) string // a new version of s3://cfg-bucket/app/settings.json
	s3v1, s3v2 string                   // its first two versions
	secret     *secretsmanager.CreateSecretOutput
}

// seedSources fills moto_server with a configuration in each kind of
// source.
func seedSources(t *testing.T, moto string) sources {
	creds := credentials.NewStaticCredentialsProvider("testing", "testing", "")
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto), Credentials: creds, UsePathStyle: true})
	ssmc := ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto), Credentials: creds})
	smc := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto), Credentials: creds})

	// S3: a versioned bucket with two versions of the object.
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("cfg-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("cfg-bucket"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	putObject := func(body string) string {
		out, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cfg-bucket"), Key: aws.String("app/settings.json"),
			Body: strings.NewReader(body), ContentType: aws.String("application/json")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.VersionId)
	}
	s3v1 := putObject(`{"from":"s3","v":1}`)
	s3v2 := putObject(`{"from":"s3","v":2}`)
	// Parameter Store: a hierarchical parameter with two versions.
	for _, v := range []string{"limit=10", "limit=20"} {
		if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/limits"), Value: aws.String(v),
			Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ssmc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/db"), Value: aws.String("host=db"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	// An SSM document in JSON.
	if _, err := ssmc.CreateDocument(ctx, &ssm.CreateDocumentInput{Name: aws.String("app-doc"), Content: aws.String(`{"schemaVersion":"2.2","from":"document"}`),
		DocumentFormat: ssmtypes.DocumentFormatJson, DocumentType: ssmtypes.DocumentTypeCommand}); err != nil {
		t.Fatal(err)
	}
	// Secrets Manager.
	secret, err := smc.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app-secret"), SecretString: aws.String(`{"token":"s3cr3t"}`)})
	if err != nil {
		t.Fatal(err)
	}
	return sources{s3c: s3c, putObject: putObject, s3v1: s3v1, s3v2: s3v2, secret: secret}
}

// sourcedApp is an application "sourced" with environment "prod" on a
// server (fake clock) that reads sources from moto_server.
type sourcedApp struct {
	c   *sdk.Client
	app string
	// profile creates a configuration profile for a source.
	profile func(name, uri string, validators ...types.Validator) string
	// deploy deploys a version of a profile all at once and lets the
	// deployment finish.
	deploy func(prof, version string) (*sdk.StartDeploymentOutput, error)
	// served is what a new session on a profile is served.
	served func(prof string) poll
}

func newSourcedApp(t *testing.T, moto string) sourcedApp {
	s, fake := fakeServer(t, func(c *server.Config) {
		c.S3Endpoint, c.SSMEndpoint, c.SecretsManagerEndpoint = moto, moto, moto
	})
	c := s.Client()
	app := aws.ToString(mustApp(t, c, "sourced").Id)
	env, err := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	role := aws.String("arn:aws:iam::123456789012:role/appconfig-retrieval")
	profile := func(name, uri string, validators ...types.Validator) string {
		p, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String(name),
			LocationUri: aws.String(uri), RetrievalRoleArn: role, Validators: validators})
		if err != nil {
			t.Fatalf("profile %s: %v", uri, err)
		}
		return aws.ToString(p.Id)
	}
	deploy := func(prof, version string) (*sdk.StartDeploymentOutput, error) {
		d, err := c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, ConfigurationProfileId: aws.String(prof),
			DeploymentStrategyId: aws.String("AppConfig.AllAtOnce"), ConfigurationVersion: aws.String(version)})
		if err == nil {
			advance(t, s, fake, 0)
			advance(t, s, fake, 10*time.Minute)
		}
		return d, err
	}
	served := func(prof string) poll {
		t.Helper()
		tok, p := startSession(t, s.URL, "sourced", "prod", prof, 0)
		if tok == "" {
			t.Fatalf("session for %s: %d %s", prof, p.status, p.body)
		}
		return getLatest(t, s.URL, tok)
	}
	return sourcedApp{c: c, app: app, profile: profile, deploy: deploy, served: served}
}

// checkSourcesServed deploys a configuration from each kind of source and
// checks what clients are served and its content type.
func checkSourcesServed(t *testing.T, a sourcedApp, src sources) {
	profile, deploy, served := a.profile, a.deploy, a.served
	s3v1, secret := src.s3v1, src.secret
	for _, tc := range []struct {
		name, uri, version, body, ctype string
	}{
		{"s3", "s3://cfg-bucket/app/settings.json", s3v1, `{"from":"s3","v":1}`, "application/json"},
		{"param", "ssm-parameter:///app/limits", "2", "limit=20", "text/plain"},
		{"param-arn", "arn:aws:ssm:us-east-1:123456789012:parameter/app/limits", "1", "limit=10", "text/plain"},
		{"slash-arn", "arn:aws:ssm:us-east-1:123456789012:parameter/db", "1", "host=db", "text/plain"}, // the name is /db
		{"doc", "ssm-document://app-doc", "1", `{"schemaVersion":"2.2","from":"document"}`, "application/json"},
		{"secret", "secretsmanager://app-secret", aws.ToString(secret.VersionId), `{"token":"s3cr3t"}`, "text/plain"},
	} {
		prof := profile(tc.name, tc.uri)
		d, err := deploy(prof, tc.version)
		if err != nil {
			t.Fatalf("%s: StartDeployment %s: %v", tc.name, tc.version, err)
		}
		if aws.ToString(d.ConfigurationVersion) != tc.version || aws.ToString(d.ConfigurationLocationUri) != tc.uri {
			t.Errorf("%s: deployment says version %q from %q", tc.name, aws.ToString(d.ConfigurationVersion), aws.ToString(d.ConfigurationLocationUri))
		}
		p := served(tc.name)
		if p.status != 200 || string(p.body) != tc.body || p.ctype != tc.ctype {
			t.Errorf("%s: served %d %q %s, want %q %s", tc.name, p.status, p.ctype, p.body, tc.ctype, tc.body)
		}
	}
}

// checkSourceSnapshotAndErrors checks that a deployment keeps its
// snapshot of the source, and that errors name the source.
func checkSourceSnapshotAndErrors(t *testing.T, a sourcedApp, src sources) {
	c, app, profile, deploy, served := a.c, a.app, a.profile, a.deploy, a.served
	putObject, s3v2 := src.putObject, src.s3v2
	// The deployment keeps its snapshot: a change at the source is not
	// served until it is deployed.
	putObject(`{"from":"s3","v":3}`)
	if p := served("s3"); string(p.body) != `{"from":"s3","v":1}` {
		t.Errorf("after the object changed, served %s", p.body)
	}
	if _, err := deploy(profileID(t, c, app, "s3"), s3v2); err != nil {
		t.Fatal(err)
	}
	if p := served("s3"); string(p.body) != `{"from":"s3","v":2}` {
		t.Errorf("after deploying version 2, served %s", p.body)
	}

	// Errors name the source: a missing version is a 404, a parameter
	// version that is not a number a 400.
	_, err := deploy(profileID(t, c, app, "s3"), "no-such-version")
	WantError(t, err, "ResourceNotFoundException", 404)
	if !strings.Contains(err.Error(), "s3://cfg-bucket/app/settings.json") {
		t.Errorf("message should name the source: %v", err)
	}
	_, err = deploy(profileID(t, c, app, "param"), "9")
	WantError(t, err, "ResourceNotFoundException", 404)
	_, err = deploy(profileID(t, c, app, "param"), "latest")
	WantError(t, err, "BadRequestException", 400)
	missing := profile("missing", "s3://no-such-bucket/x.json")
	_, err = deploy(missing, "v1")
	WantError(t, err, "ResourceNotFoundException", 404)
}

// checkSourceValidatorsAndLimits checks that validators run on a
// source's content, that a pipeline is not deployed with StartDeployment,
// and that content over the size limit is refused.
func checkSourceValidatorsAndLimits(t *testing.T, a sourcedApp, src sources) {
	c, app, profile, deploy := a.c, a.app, a.profile, a.deploy
	s3c, s3v1, s3v2 := src.s3c, src.s3v1, src.s3v2
	// Validators run on the fetched content, at deployment and in
	// ValidateConfiguration.
	schema := `{"type":"object","required":["v"],"properties":{"v":{"type":"integer","maximum":1}}}`
	checked := profile("checked", "s3://cfg-bucket/app/settings.json", types.Validator{Type: types.ValidatorTypeJsonSchema, Content: aws.String(schema)})
	if _, err := c.ValidateConfiguration(ctx, &sdk.ValidateConfigurationInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(checked),
		ConfigurationVersion: aws.String(s3v1)}); err != nil {
		t.Errorf("version 1 is valid: %v", err)
	}
	_, err := c.ValidateConfiguration(ctx, &sdk.ValidateConfigurationInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(checked),
		ConfigurationVersion: aws.String(s3v2)})
	WantError(t, err, "BadRequestException", 400)
	_, err = deploy(checked, s3v2)
	WantError(t, err, "BadRequestException", 400)
	// A pipeline's configurations are not deployed with StartDeployment.
	_, err = deploy(profile("pipeline", "codepipeline://my-pipeline"), "1")
	WantError(t, err, "BadRequestException", 400)

	// Over the configuration size limit (2 MB): refused before it is read.
	big, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cfg-bucket"), Key: aws.String("big.json"),
		Body: strings.NewReader(strings.Repeat("x", 3<<20)), ContentType: aws.String("text/plain")})
	if err != nil {
		t.Fatal(err)
	}
	bigProf := profile("big", "s3://cfg-bucket/big.json")
	_, err = deploy(bigProf, aws.ToString(big.VersionId))
	WantError(t, err, "PayloadTooLargeException", 413)
	_, err = c.ValidateConfiguration(ctx, &sdk.ValidateConfigurationInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(bigProf),
		ConfigurationVersion: aws.String(aws.ToString(big.VersionId))})
	WantError(t, err, "PayloadTooLargeException", 413)
}

// Sources are read with the server's own credentials: with --auth sigv4
// (several accounts) they are off unless turned on, so no caller can read
// what those credentials reach through a profile.
func TestConfigurationSourcesOffUnderSigV4ByDefault(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	for _, tc := range []struct {
		mode, setting string
		on            bool
	}{
		{"sigv4", "auto", false},
		{"sigv4", "off", false},
		{"open", "off", false},
		{"open", "auto", true},
	} {
		s := Start(t, func(c *server.Config) {
			c.ConfigurationSources = tc.setting
			c.S3Endpoint = "http://127.0.0.1:1" // never reached when off
			if tc.mode == "sigv4" {
				c.Auth, c.CredentialsFile = auth.ModeSigV4, writeCreds(t)
			}
		})
		c := s.Client()
		if tc.mode == "sigv4" {
			c = s.ClientIn("us-east-1", "AKIAALICE0000000000", "alice-secret")
		}
		app := aws.ToString(mustApp(t, c, "a").Id)
		p, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("s"),
			LocationUri: aws.String("s3://bucket/key.json")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ValidateConfiguration(ctx, &sdk.ValidateConfigurationInput{ApplicationId: aws.String(app), ConfigurationProfileId: p.Id, ConfigurationVersion: aws.String("v1")})
		if tc.on {
			// Read, and S3 is unreachable: a fault on the way, a 500.
			WantError(t, err, "InternalServerException", 500)
		} else {
			WantError(t, err, "BadRequestException", 400)
			if !strings.Contains(err.Error(), "--configuration-sources") {
				t.Errorf("--auth %s --configuration-sources %s: %v should say sources are off", tc.mode, tc.setting, err)
			}
		}
	}
}

// profileID finds a profile of an application by name.
func profileID(t *testing.T, c *sdk.Client, app, name string) string {
	t.Helper()
	out, err := c.ListConfigurationProfiles(ctx, &sdk.ListConfigurationProfilesInput{ApplicationId: aws.String(app)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range out.Items {
		if aws.ToString(p.Name) == name {
			return aws.ToString(p.Id)
		}
	}
	t.Fatalf("no profile %s", name)
	return ""
}
