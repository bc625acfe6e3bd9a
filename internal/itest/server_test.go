package itest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"

	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/server"
)

func TestAccountsAndRegionsAreIsolated(t *testing.T) {
	s := Start(t)
	alice := s.Client("111111111111")
	bob := s.Client("222222222222")
	aliceEU := s.ClientIn("eu-west-1", "111111111111", "x")
	app := mustApp(t, alice, "shared-name")
	mustApp(t, bob, "shared-name")
	for name, c := range map[string]*sdk.Client{"other account": bob, "other region": aliceEU} {
		_, err := c.GetApplication(ctx, &sdk.GetApplicationInput{ApplicationId: app.Id})
		WantError(t, err, "ResourceNotFoundException", 404)
		list, err := c.ListApplications(ctx, &sdk.ListApplicationsInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range list.Items {
			if aws.ToString(a.Id) == aws.ToString(app.Id) {
				t.Fatalf("%s lists alice's application", name)
			}
		}
		_, err = c.TagResource(ctx, &sdk.TagResourceInput{ResourceArn: aws.String("arn:aws:appconfig:us-east-1:111111111111:application/" + aws.ToString(app.Id)), Tags: map[string]string{"a": "b"}})
		WantError(t, err, "ResourceNotFoundException", 404)
	}
	// By name, each account sees its own.
	got, err := bob.GetApplication(ctx, &sdk.GetApplicationInput{ApplicationId: aws.String("shared-name")})
	if err != nil || aws.ToString(got.Id) == aws.ToString(app.Id) {
		t.Fatalf("bob resolved alice's app by name: %+v %v", got, err)
	}
	// A non-numeric access key acts in the default account.
	def := s.Client("AKIDEXAMPLE")
	list, _ := def.ListApplications(ctx, &sdk.ListApplicationsInput{})
	if len(list.Items) != 0 {
		t.Fatalf("default account sees %d applications", len(list.Items))
	}
}

func writeCreds(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials")
	err := os.WriteFile(path, []byte(`
[alice]
aws_access_key_id = AKIAALICE0000000000
aws_secret_access_key = alice-secret
aws_account_id = 111111111111

[bob]
aws_access_key_id = AKIABOB00000000000
aws_secret_access_key = bob-secret
aws_account_id = 222222222222
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSigV4Mode(t *testing.T) {
	creds := writeCreds(t)
	fake := clock.NewFake(time.Now())
	s := Start(t, func(c *server.Config) {
		c.Auth = auth.ModeSigV4
		c.CredentialsFile = creds
		c.WallClock = fake
	})
	alice := s.ClientIn("us-east-1", "AKIAALICE0000000000", "alice-secret")
	bob := s.ClientIn("us-east-1", "AKIABOB00000000000", "bob-secret")
	app := mustApp(t, alice, "a")
	// The account comes from the credentials file.
	_, err := bob.GetApplication(ctx, &sdk.GetApplicationInput{ApplicationId: app.Id})
	WantError(t, err, "ResourceNotFoundException", 404)
	if _, err := alice.TagResource(ctx, &sdk.TagResourceInput{
		ResourceArn: aws.String("arn:aws:appconfig:us-east-1:111111111111:application/" + aws.ToString(app.Id)), Tags: map[string]string{"k": "v"},
	}); err != nil {
		t.Fatalf("escaped ARN path did not verify: %v", err)
	}
	wrong := s.ClientIn("us-east-1", "AKIAALICE0000000000", "not-the-secret")
	_, err = wrong.ListApplications(ctx, &sdk.ListApplicationsInput{})
	WantError(t, err, "InvalidSignatureException", 403)
	unknown := s.ClientIn("us-east-1", "AKIAUNKNOWN00000000", "x")
	_, err = unknown.ListApplications(ctx, &sdk.ListApplicationsInput{})
	WantError(t, err, "UnrecognizedClientException", 403)
	// A request signed 20 minutes away from the server's clock is refused.
	fake.Advance(20 * time.Minute)
	_, err = alice.ListApplications(ctx, &sdk.ListApplicationsInput{})
	WantError(t, err, "InvalidSignatureException", 403)
}

func TestOpenModeRefusedOffLoopback(t *testing.T) {
	cfg := server.Defaults()
	cfg.Listen = "0.0.0.0:2772"
	cfg.Store = "sqlite://:memory:"
	if _, err := server.New(ctx, cfg); err == nil {
		t.Fatal("open auth accepted on 0.0.0.0")
	}
	cfg.Auth = auth.ModeSigV4
	if _, err := server.New(ctx, cfg); err == nil {
		t.Fatal("sigv4 accepted without a credentials file")
	}
}

func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := StartIn(t, dir)
	c := s.Client()
	app := mustApp(t, c, "persisted")
	prof := mustProfile(t, c, aws.ToString(app.Id), "p")
	mustVersion(t, c, aws.ToString(app.Id), aws.ToString(prof.Id), `{"v":1}`)
	s.Stop()

	s2 := StartIn(t, dir)
	c2 := s2.Client()
	got, err := c2.GetHostedConfigurationVersion(ctx, &sdk.GetHostedConfigurationVersionInput{ApplicationId: aws.String("persisted"), ConfigurationProfileId: aws.String("p"), VersionNumber: aws.Int32(1)})
	if err != nil || string(got.Content) != `{"v":1}` {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	if v := mustVersion(t, c2, aws.ToString(app.Id), aws.ToString(prof.Id), "{}"); v.VersionNumber != 2 {
		t.Fatalf("next version after restart = %d", v.VersionNumber)
	}
}
