package itest

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
)

// flagTarget is where the flag tests deploy: an application with
// environment "prod", feature-flag profile "flags" and an all-at-once
// strategy without bake ("now").
type flagTarget struct {
	c                   *sdk.Client
	app                 string
	env, prof, strategy *string
}

func newFlagTarget(t *testing.T, c *sdk.Client, appName string) flagTarget {
	t.Helper()
	f := flagTarget{c: c, app: aws.ToString(mustApp(t, c, appName).Id)}
	env, err := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(f.app), Name: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	prof, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(f.app), Name: aws.String("flags"),
		LocationUri: aws.String("hosted"), Type: aws.String("AWS.AppConfig.FeatureFlags")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{Name: aws.String("now"), DeploymentDurationInMinutes: aws.Int32(0),
		GrowthFactor: aws.Float32(100), FinalBakeTimeInMinutes: 0})
	if err != nil {
		t.Fatal(err)
	}
	f.env, f.prof, f.strategy = env.Id, prof.Id, st.Id
	return f
}

// version stores doc as a new hosted version and returns its number.
func (f flagTarget) version(t *testing.T, doc string) int32 {
	t.Helper()
	v, err := f.c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: f.prof,
		Content: []byte(doc), ContentType: aws.String("application/json")})
	if err != nil {
		t.Fatal(err)
	}
	return v.VersionNumber
}

// start starts the deployment of version v with the "now" strategy and
// waits until it is COMPLETE.
func (f flagTarget) start(t *testing.T, v int32) {
	t.Helper()
	d, err := f.c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: f.env, ConfigurationProfileId: f.prof,
		DeploymentStrategyId: f.strategy, ConfigurationVersion: aws.String(fmt.Sprint(v))})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deployment to complete", 30*time.Second, func() bool {
		g, err := f.c.GetDeployment(ctx, &sdk.GetDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: f.env, DeploymentNumber: aws.Int32(d.DeploymentNumber)})
		return err == nil && g.State == "COMPLETE"
	})
}
