package itest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/server"
	"github.com/appconfigd/appconfigd/internal/service"
)

var ctx = context.Background()

func mustApp(t *testing.T, c *sdk.Client, name string) *sdk.CreateApplicationOutput {
	t.Helper()
	out, err := c.CreateApplication(ctx, &sdk.CreateApplicationInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustProfile(t *testing.T, c *sdk.Client, app, name string, validators ...types.Validator) *sdk.CreateConfigurationProfileOutput {
	t.Helper()
	out, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{
		ApplicationId: aws.String(app), Name: aws.String(name), LocationUri: aws.String("hosted"), Validators: validators,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustVersion(t *testing.T, c *sdk.Client, app, prof, content string) *sdk.CreateHostedConfigurationVersionOutput {
	t.Helper()
	out, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{
		ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof),
		Content: []byte(content), ContentType: aws.String("application/json"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestApplications(t *testing.T) {
	c := Start(t).Client()
	created, err := c.CreateApplication(ctx, &sdk.CreateApplicationInput{
		Name: aws.String("My App/1"), Description: aws.String("first"), Tags: map[string]string{"team": "core"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.Id)
	if len(id) != 7 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Fatalf("id %q is not 7 characters of [a-z0-9]", id)
	}
	// By ID, then by name (names with spaces and slashes are escaped in the path).
	for _, ident := range []string{id, "My App/1"} {
		got, err := c.GetApplication(ctx, &sdk.GetApplicationInput{ApplicationId: aws.String(ident)})
		if err != nil {
			t.Fatalf("get %q: %v", ident, err)
		}
		if aws.ToString(got.Id) != id || aws.ToString(got.Description) != "first" {
			t.Fatalf("get %q: %+v", ident, got)
		}
	}
	// Names that look like paths are still names.
	odd := mustApp(t, c, "x//y/../z")
	if got, err := c.GetApplication(ctx, &sdk.GetApplicationInput{ApplicationId: aws.String("x//y/../z")}); err != nil || aws.ToString(got.Id) != aws.ToString(odd.Id) {
		t.Fatalf("get by a path-like name: %+v %v", got, err)
	}
	upd, err := c.UpdateApplication(ctx, &sdk.UpdateApplicationInput{ApplicationId: aws.String(id), Name: aws.String("renamed")})
	if err != nil || aws.ToString(upd.Name) != "renamed" || aws.ToString(upd.Description) != "first" {
		t.Fatalf("update: %+v %v", upd, err)
	}
	_, err = c.GetApplication(ctx, &sdk.GetApplicationInput{ApplicationId: aws.String("nope123")})
	WantError(t, err, "ResourceNotFoundException", 404)
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.ResourceName) == "" {
		t.Fatalf("ResourceName missing: %v", err)
	}
	_, err = c.CreateApplication(ctx, &sdk.CreateApplicationInput{Name: aws.String(strings.Repeat("x", 65))})
	WantError(t, err, "BadRequestException", 400)
	if !strings.Contains(err.Error(), "length less than or equal to 64") {
		t.Fatalf("constraint not named: %v", err)
	}
	if !strings.Contains(err.Error(), "at 'name' failed to satisfy") {
		t.Fatalf("member path not in AWS's lower camel case: %v", err)
	}
	_, err = c.UpdateApplication(ctx, &sdk.UpdateApplicationInput{ApplicationId: aws.String(id), Description: aws.String(strings.Repeat("d", 1025))})
	WantError(t, err, "BadRequestException", 400)

	if _, err := c.DeleteApplication(ctx, &sdk.DeleteApplicationInput{ApplicationId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteApplication(ctx, &sdk.DeleteApplicationInput{ApplicationId: aws.String(id)})
	WantError(t, err, "ResourceNotFoundException", 404)
}

func TestListPaginationAndTokens(t *testing.T) {
	c := Start(t).Client()
	var want []string
	for i := 0; i < 7; i++ {
		want = append(want, aws.ToString(mustApp(t, c, fmt.Sprintf("app-%d", i)).Id))
	}
	var got []string
	p := sdk.NewListApplicationsPaginator(c, &sdk.ListApplicationsInput{MaxResults: aws.Int32(3)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Items) > 3 {
			t.Fatalf("page of %d items with MaxResults 3", len(out.Items))
		}
		for _, a := range out.Items {
			got = append(got, aws.ToString(a.Id))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || pages != 3 {
		t.Fatalf("paged %v in %d pages, want %v", got, pages, want)
	}
	_, err := c.ListApplications(ctx, &sdk.ListApplicationsInput{NextToken: aws.String("garbage!")})
	WantError(t, err, "BadRequestException", 400)
	_, err = c.ListApplications(ctx, &sdk.ListApplicationsInput{MaxResults: aws.Int32(51)})
	WantError(t, err, "BadRequestException", 400)
	// A token of one listing is refused by another.
	first, _ := c.ListApplications(ctx, &sdk.ListApplicationsInput{MaxResults: aws.Int32(1)})
	_, err = c.ListDeploymentStrategies(ctx, &sdk.ListDeploymentStrategiesInput{NextToken: first.NextToken})
	WantError(t, err, "BadRequestException", 400)
	// An empty listing still carries Items.
	empty := Start(t).Client()
	out, err := empty.ListApplications(ctx, &sdk.ListApplicationsInput{})
	if err != nil || out.Items == nil || len(out.Items) != 0 || out.NextToken != nil {
		t.Fatalf("empty list: %+v %v", out, err)
	}
}

func TestEnvironments(t *testing.T) {
	c := Start(t).Client()
	app := aws.ToString(mustApp(t, c, "a").Id)
	mon := []types.Monitor{{AlarmArn: aws.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:a"), AlarmRoleArn: aws.String("arn:aws:iam::123456789012:role/r")}}
	env, err := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String("a"), Name: aws.String("prod"), Monitors: mon})
	if err != nil {
		t.Fatal(err)
	}
	if env.State != "ReadyForDeployment" || aws.ToString(env.ApplicationId) != app || len(env.Monitors) != 1 {
		t.Fatalf("created %+v", env)
	}
	// The SDK's waiter accepts our state spelling.
	w := sdk.NewEnvironmentReadyForDeploymentWaiter(c)
	if err := w.Wait(ctx, &sdk.GetEnvironmentInput{ApplicationId: aws.String(app), EnvironmentId: aws.String("prod")}, 5e9); err != nil {
		t.Fatalf("waiter: %v", err)
	}
	// Omitted Monitors are kept; an empty list clears them.
	upd, err := c.UpdateEnvironment(ctx, &sdk.UpdateEnvironmentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, Description: aws.String("d")})
	if err != nil || len(upd.Monitors) != 1 || aws.ToString(upd.Description) != "d" {
		t.Fatalf("update keeps monitors: %+v %v", upd, err)
	}
	upd, err = c.UpdateEnvironment(ctx, &sdk.UpdateEnvironmentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, Monitors: []types.Monitor{}})
	if err != nil || len(upd.Monitors) != 0 {
		t.Fatalf("update clears monitors: %+v %v", upd, err)
	}
	six := make([]types.Monitor, 6)
	for i := range six {
		six[i] = types.Monitor{AlarmArn: aws.String(fmt.Sprintf("arn:aws:cloudwatch:us-east-1:123456789012:alarm:%d", i))}
	}
	_, err = c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("x"), Monitors: six})
	WantError(t, err, "BadRequestException", 400)
	_, err = c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("x"),
		Monitors: []types.Monitor{{AlarmArn: aws.String("a"), AlarmRoleArn: aws.String("not-a-role-arn-at-all")}}})
	WantError(t, err, "BadRequestException", 400)
	_, err = c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String("missing"), Name: aws.String("x")})
	WantError(t, err, "ResourceNotFoundException", 404)
	list, err := c.ListEnvironments(ctx, &sdk.ListEnvironmentsInput{ApplicationId: aws.String(app)})
	if err != nil || len(list.Items) != 1 || list.Items[0].State != "ReadyForDeployment" {
		t.Fatalf("list %+v %v", list, err)
	}
	// An application with environments cannot be deleted.
	_, err = c.DeleteApplication(ctx, &sdk.DeleteApplicationInput{ApplicationId: aws.String(app)})
	WantError(t, err, "BadRequestException", 400)
	if _, err := c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(app), EnvironmentId: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetEnvironment(ctx, &sdk.GetEnvironmentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id})
	WantError(t, err, "ResourceNotFoundException", 404)
	if _, err := c.DeleteApplication(ctx, &sdk.DeleteApplicationInput{ApplicationId: aws.String(app)}); err != nil {
		t.Fatal(err)
	}
}

func TestConfigurationProfiles(t *testing.T) {
	c := Start(t).Client()
	app := aws.ToString(mustApp(t, c, "a").Id)
	locations := []string{
		"hosted", "ssm-parameter://my-param", "ssm-document://my-doc", "s3://bucket/key/obj.json",
		"secretsmanager://secret", "codepipeline://pipe", "arn:aws:ssm:us-east-1:123456789012:parameter/p",
	}
	for _, loc := range locations {
		out, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{
			ApplicationId: aws.String(app), Name: aws.String("p-" + loc[:5]), LocationUri: aws.String(loc),
			RetrievalRoleArn: aws.String("arn:aws:iam::123456789012:role/reader"),
		})
		if err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
		if aws.ToString(out.LocationUri) != loc {
			t.Fatalf("location %q stored as %q", loc, aws.ToString(out.LocationUri))
		}
	}
	_, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("bad"), LocationUri: aws.String("ftp://x")})
	WantError(t, err, "BadRequestException", 400)

	schema := `{"type":"object","properties":{"n":{"type":"integer","minimum":1}},"required":["n"]}`
	ff, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{
		ApplicationId: aws.String(app), Name: aws.String("flags"), LocationUri: aws.String("hosted"),
		Type: aws.String("AWS.AppConfig.FeatureFlags"), KmsKeyIdentifier: aws.String("alias/mine"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ff.KmsKeyArn) != "arn:aws:kms:us-east-1:123456789012:alias/mine" || aws.ToString(ff.KmsKeyIdentifier) != "alias/mine" {
		t.Fatalf("kms fields %+v", ff)
	}
	free, err := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{
		ApplicationId: aws.String(app), Name: aws.String("free"), LocationUri: aws.String("hosted"), Type: aws.String("AWS.Freeform"),
		Validators: []types.Validator{{Type: types.ValidatorTypeJsonSchema, Content: aws.String(schema)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// ?type= filter.
	list, err := c.ListConfigurationProfiles(ctx, &sdk.ListConfigurationProfilesInput{ApplicationId: aws.String(app), Type: aws.String("AWS.AppConfig.FeatureFlags")})
	if err != nil || len(list.Items) != 1 || aws.ToString(list.Items[0].Id) != aws.ToString(ff.Id) {
		t.Fatalf("type filter: %+v %v", list, err)
	}
	list, _ = c.ListConfigurationProfiles(ctx, &sdk.ListConfigurationProfilesInput{ApplicationId: aws.String(app), Type: aws.String("AWS.Freeform")})
	// Profiles created without a Type are free-form too.
	if len(list.Items) != len(locations)+1 || len(list.Items[len(locations)].ValidatorTypes) != 1 {
		t.Fatalf("freeform filter: %+v", list.Items)
	}
	// Invalid schema content, too many validators, bad enum.
	_, err = c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("x"), LocationUri: aws.String("hosted"),
		Validators: []types.Validator{{Type: types.ValidatorTypeJsonSchema, Content: aws.String("{not json")}}})
	WantError(t, err, "BadRequestException", 400)
	three := []types.Validator{{Type: "LAMBDA", Content: aws.String("arn:aws:lambda:us-east-1:123456789012:function:f")}, {Type: "LAMBDA", Content: aws.String("arn:aws:lambda:us-east-1:123456789012:function:f")}, {Type: "LAMBDA", Content: aws.String("arn:aws:lambda:us-east-1:123456789012:function:f")}}
	_, err = c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("x"), LocationUri: aws.String("hosted"), Validators: three})
	WantError(t, err, "BadRequestException", 400)
	_, err = c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("x"), LocationUri: aws.String("hosted"),
		Validators: []types.Validator{{Type: "XML", Content: aws.String("")}}})
	WantError(t, err, "BadRequestException", 400)
	// A LAMBDA validator must name a function the invoker can call.
	for _, bad := range []string{"arn:aws:lambda:us-east-1:123456789012:layer:f", "arn:aws:lambda:us-east-1:12345:function:f", "arn:aws:sqs:us-east-1:123456789012:lambda:f"} {
		_, err = c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("x"), LocationUri: aws.String("hosted"),
			Validators: []types.Validator{{Type: "LAMBDA", Content: aws.String(bad)}}})
		WantError(t, err, "BadRequestException", 400)
		if !strings.Contains(err.Error(), "function:NAME") {
			t.Errorf("LAMBDA validator %q: message %q should give the expected form", bad, err)
		}
	}
	if _, err = c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("lambda-checked"), LocationUri: aws.String("hosted"),
		Validators: []types.Validator{{Type: "LAMBDA", Content: aws.String("arn:aws:lambda:us-east-1:123456789012:function:check:live")}}}); err != nil {
		t.Fatalf("qualified function ARN refused: %v", err)
	}

	// Update: omitted validators kept, empty list clears, KMS removed with "".
	upd, err := c.UpdateConfigurationProfile(ctx, &sdk.UpdateConfigurationProfileInput{ApplicationId: aws.String(app), ConfigurationProfileId: free.Id, Description: aws.String("d")})
	if err != nil || len(upd.Validators) != 1 {
		t.Fatalf("update keeps validators: %+v %v", upd, err)
	}
	upd, err = c.UpdateConfigurationProfile(ctx, &sdk.UpdateConfigurationProfileInput{ApplicationId: aws.String(app), ConfigurationProfileId: free.Id, Validators: []types.Validator{}})
	if err != nil || len(upd.Validators) != 0 {
		t.Fatalf("update clears validators: %+v %v", upd, err)
	}
	upd, err = c.UpdateConfigurationProfile(ctx, &sdk.UpdateConfigurationProfileInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String("flags"), KmsKeyIdentifier: aws.String("")})
	if err != nil || upd.KmsKeyArn != nil {
		t.Fatalf("update removes kms: %+v %v", upd, err)
	}
	got, err := c.GetConfigurationProfile(ctx, &sdk.GetConfigurationProfileInput{ApplicationId: aws.String("a"), ConfigurationProfileId: aws.String("flags")})
	if err != nil || aws.ToString(got.Type) != "AWS.AppConfig.FeatureFlags" {
		t.Fatalf("get by names: %+v %v", got, err)
	}
	_, err = c.GetConfigurationProfile(ctx, &sdk.GetConfigurationProfileInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String("zzz")})
	WantError(t, err, "ResourceNotFoundException", 404)
}

func TestValidateConfiguration(t *testing.T) {
	c := Start(t).Client()
	app := aws.ToString(mustApp(t, c, "a").Id)
	schema := `{"type":"object","properties":{"n":{"type":"integer","minimum":1}},"required":["n"]}`
	prof := aws.ToString(mustProfile(t, c, app, "p", types.Validator{Type: types.ValidatorTypeJsonSchema, Content: aws.String(schema)}).Id)
	mustVersion(t, c, app, prof, `{"n": 3}`)
	mustVersion(t, c, app, prof, `{"n": 0}`)
	mustVersion(t, c, app, prof, `not json`)
	if _, err := c.ValidateConfiguration(ctx, &sdk.ValidateConfigurationInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), ConfigurationVersion: aws.String("1")}); err != nil {
		t.Fatalf("valid version refused: %v", err)
	}
	for _, v := range []string{"2", "3"} {
		_, err := c.ValidateConfiguration(ctx, &sdk.ValidateConfigurationInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), ConfigurationVersion: aws.String(v)})
		WantError(t, err, "BadRequestException", 400)
		var br *types.BadRequestException
		if !errors.As(err, &br) || br.Reason != types.BadRequestReasonInvalidConfiguration {
			t.Fatalf("version %s: reason %v", v, err)
		}
		details, ok := br.Details.(*types.BadRequestDetailsMemberInvalidConfiguration)
		if !ok || len(details.Value) == 0 {
			t.Fatalf("version %s: no InvalidConfiguration details: %#v", v, br.Details)
		}
		if v == "2" && (aws.ToString(details.Value[0].Location) != "/n" || aws.ToString(details.Value[0].Constraint) != "minimum") {
			t.Fatalf("detail %+v", details.Value[0])
		}
	}
	_, err := c.ValidateConfiguration(ctx, &sdk.ValidateConfigurationInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), ConfigurationVersion: aws.String("9")})
	WantError(t, err, "ResourceNotFoundException", 404)
}

func TestHostedConfigurationVersions(t *testing.T) {
	c := Start(t).Client()
	app := aws.ToString(mustApp(t, c, "a").Id)
	prof := aws.ToString(mustProfile(t, c, app, "p").Id)
	out, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{
		ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), Content: []byte("key=value\n"),
		ContentType: aws.String("text/plain"), Description: aws.String("first"), VersionLabel: aws.String("v1.0.0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.VersionNumber != 1 || string(out.Content) != "key=value\n" || aws.ToString(out.ContentType) != "text/plain" ||
		aws.ToString(out.VersionLabel) != "v1.0.0" || aws.ToString(out.Description) != "first" || aws.ToString(out.ApplicationId) != app {
		t.Fatalf("create returned %+v", out)
	}
	// Optimistic lock.
	_, err = c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof),
		Content: []byte("x"), ContentType: aws.String("text/plain"), LatestVersionNumber: aws.Int32(0)})
	WantError(t, err, "ConflictException", 409)
	v2, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String("p"),
		Content: []byte("y"), ContentType: aws.String("text/plain"), LatestVersionNumber: aws.Int32(1), VersionLabel: aws.String("v1.1")})
	if err != nil || v2.VersionNumber != 2 {
		t.Fatalf("v2 %+v %v", v2, err)
	}
	mustVersion(t, c, app, prof, `{"other":true}`)
	// Labels must contain a non-digit.
	_, err = c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof),
		Content: []byte("x"), ContentType: aws.String("text/plain"), VersionLabel: aws.String("123")})
	WantError(t, err, "BadRequestException", 400)
	// 2 MB limit.
	big := bytes.Repeat([]byte("a"), 2048*1024+1)
	_, err = c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof),
		Content: big, ContentType: aws.String("text/plain")})
	WantError(t, err, "PayloadTooLargeException", 413)
	var ptl *types.PayloadTooLargeException
	if !errors.As(err, &ptl) || ptl.Measure != types.BytesMeasureKilobytes || ptl.Limit != 2048 || ptl.Size <= 2048 {
		t.Fatalf("PayloadTooLarge members: %+v", ptl)
	}
	// Exactly 2 MB is accepted.
	if _, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof),
		Content: big[:2048*1024], ContentType: aws.String("text/plain")}); err != nil {
		t.Fatalf("2 MB refused: %v", err)
	}
	get, err := c.GetHostedConfigurationVersion(ctx, &sdk.GetHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), VersionNumber: aws.Int32(2)})
	if err != nil || string(get.Content) != "y" || aws.ToString(get.VersionLabel) != "v1.1" {
		t.Fatalf("get %+v %v", get, err)
	}
	// Label filters: exact and prefix.
	for filter, want := range map[string]string{"v1.1": "[2]", "v1*": "[2 1]", "v2*": "[]", "": "[4 3 2 1]"} {
		in := &sdk.ListHostedConfigurationVersionsInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof)}
		if filter != "" {
			in.VersionLabel = aws.String(filter)
		}
		list, err := c.ListHostedConfigurationVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var nums []int32
		for _, it := range list.Items {
			nums = append(nums, it.VersionNumber)
		}
		if got := fmt.Sprint(nums); got != want && !(want == "[]" && got == "[]") {
			t.Fatalf("filter %q: %v, want %s", filter, got, want)
		}
	}
	// Delete (of a version just read, so cached); numbers are not reused.
	if _, err := c.GetHostedConfigurationVersion(ctx, &sdk.GetHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), VersionNumber: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteHostedConfigurationVersion(ctx, &sdk.DeleteHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), VersionNumber: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetHostedConfigurationVersion(ctx, &sdk.GetHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof), VersionNumber: aws.Int32(4)})
	WantError(t, err, "ResourceNotFoundException", 404)
	if v := mustVersion(t, c, app, prof, "{}"); v.VersionNumber != 5 {
		t.Fatalf("version after delete = %d, want 5", v.VersionNumber)
	}
	// A profile with versions cannot be deleted.
	_, err = c.DeleteConfigurationProfile(ctx, &sdk.DeleteConfigurationProfileInput{ApplicationId: aws.String(app), ConfigurationProfileId: aws.String(prof)})
	WantError(t, err, "BadRequestException", 400)
	// Non-hosted profiles have no hosted versions.
	s3, _ := c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String(app), Name: aws.String("s3"), LocationUri: aws.String("s3://b/k")})
	_, err = c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(app), ConfigurationProfileId: s3.Id, Content: []byte("x"), ContentType: aws.String("text/plain")})
	WantError(t, err, "BadRequestException", 400)
}

func TestDeploymentStrategies(t *testing.T) {
	c := Start(t).Client()
	st, err := c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{
		Name: aws.String("fast"), DeploymentDurationInMinutes: aws.Int32(10), GrowthFactor: aws.Float32(25),
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.GrowthType != types.GrowthTypeLinear || st.FinalBakeTimeInMinutes != 0 || st.ReplicateTo != types.ReplicateToNone {
		t.Fatalf("defaults not applied: %+v", st)
	}
	list, err := c.ListDeploymentStrategies(ctx, &sdk.ListDeploymentStrategiesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range list.Items {
		ids = append(ids, aws.ToString(s.Id))
	}
	want := []string{aws.ToString(st.Id), "AppConfig.AllAtOnce", "AppConfig.Linear50PercentEvery30Seconds", "AppConfig.Canary10Percent20Minutes", "AppConfig.Linear20PercentEvery6Minutes"}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("list order %v", ids)
	}
	// Paging across the custom/predefined boundary.
	var paged []string
	p := sdk.NewListDeploymentStrategiesPaginator(c, &sdk.ListDeploymentStrategiesInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Items {
			paged = append(paged, aws.ToString(s.Id))
		}
	}
	if fmt.Sprint(paged) != fmt.Sprint(want) {
		t.Fatalf("paged %v", paged)
	}
	pre, err := c.GetDeploymentStrategy(ctx, &sdk.GetDeploymentStrategyInput{DeploymentStrategyId: aws.String("AppConfig.Canary10Percent20Minutes")})
	if err != nil || pre.GrowthType != types.GrowthTypeExponential || aws.ToFloat32(pre.GrowthFactor) != 10 || pre.FinalBakeTimeInMinutes != 10 {
		t.Fatalf("predefined %+v %v", pre, err)
	}
	_, err = c.UpdateDeploymentStrategy(ctx, &sdk.UpdateDeploymentStrategyInput{DeploymentStrategyId: aws.String("AppConfig.AllAtOnce"), Description: aws.String("x")})
	WantError(t, err, "BadRequestException", 400)
	_, err = c.DeleteDeploymentStrategy(ctx, &sdk.DeleteDeploymentStrategyInput{DeploymentStrategyId: aws.String("AppConfig.AllAtOnce")})
	WantError(t, err, "BadRequestException", 400)
	upd, err := c.UpdateDeploymentStrategy(ctx, &sdk.UpdateDeploymentStrategyInput{DeploymentStrategyId: st.Id, GrowthType: types.GrowthTypeExponential, FinalBakeTimeInMinutes: aws.Int32(5)})
	if err != nil || upd.GrowthType != types.GrowthTypeExponential || upd.FinalBakeTimeInMinutes != 5 || aws.ToFloat32(upd.GrowthFactor) != 25 {
		t.Fatalf("update %+v %v", upd, err)
	}
	for _, bad := range []*sdk.CreateDeploymentStrategyInput{
		{Name: aws.String("x"), DeploymentDurationInMinutes: aws.Int32(1441), GrowthFactor: aws.Float32(10)},
		{Name: aws.String("x"), DeploymentDurationInMinutes: aws.Int32(1), GrowthFactor: aws.Float32(0.5)},
		{Name: aws.String("x"), DeploymentDurationInMinutes: aws.Int32(1), GrowthFactor: aws.Float32(101)},
		{Name: aws.String("x"), DeploymentDurationInMinutes: aws.Int32(1), GrowthFactor: aws.Float32(10), GrowthType: "QUADRATIC"},
	} {
		_, err := c.CreateDeploymentStrategy(ctx, bad)
		WantError(t, err, "BadRequestException", 400)
	}
	// DeleteDeploymentStrategy uses the model's /deployementstrategies path.
	if _, err := c.DeleteDeploymentStrategy(ctx, &sdk.DeleteDeploymentStrategyInput{DeploymentStrategyId: st.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetDeploymentStrategy(ctx, &sdk.GetDeploymentStrategyInput{DeploymentStrategyId: st.Id})
	WantError(t, err, "ResourceNotFoundException", 404)
}

func TestQuotas(t *testing.T) {
	s := Start(t, func(cfg *server.Config) {
		cfg.Quotas = service.Quotas{Applications: 2, EnvironmentsPerApp: 1, ProfilesPerApp: 1, DeploymentStrategies: 1, HostedConfigurationKB: 1}
	})
	c := s.Client()
	mustApp(t, c, "a")
	mustApp(t, c, "b")
	_, err := c.CreateApplication(ctx, &sdk.CreateApplicationInput{Name: aws.String("c")})
	WantError(t, err, "ServiceQuotaExceededException", 402)
	if _, err := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String("a"), Name: aws.String("e")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String("a"), Name: aws.String("f")})
	WantError(t, err, "ServiceQuotaExceededException", 402)
	mustProfile(t, c, "a", "p")
	_, err = c.CreateConfigurationProfile(ctx, &sdk.CreateConfigurationProfileInput{ApplicationId: aws.String("a"), Name: aws.String("q"), LocationUri: aws.String("hosted")})
	WantError(t, err, "ServiceQuotaExceededException", 402)
	if _, err := c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{Name: aws.String("s"), DeploymentDurationInMinutes: aws.Int32(0), GrowthFactor: aws.Float32(100)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{Name: aws.String("t"), DeploymentDurationInMinutes: aws.Int32(0), GrowthFactor: aws.Float32(100)})
	WantError(t, err, "ServiceQuotaExceededException", 402)
	_, err = c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String("a"), ConfigurationProfileId: aws.String("p"),
		Content: make([]byte, 1025), ContentType: aws.String("text/plain")})
	WantError(t, err, "PayloadTooLargeException", 413)
}

func TestTags(t *testing.T) {
	c := Start(t).Client()
	app := aws.ToString(mustApp(t, c, "a").Id)
	env, _ := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("e"), Tags: map[string]string{"k": "v"}})
	prof := mustProfile(t, c, app, "p")
	st, _ := c.CreateDeploymentStrategy(ctx, &sdk.CreateDeploymentStrategyInput{Name: aws.String("s"), DeploymentDurationInMinutes: aws.Int32(0), GrowthFactor: aws.Float32(100)})
	arns := map[string]string{
		"application": "arn:aws:appconfig:us-east-1:123456789012:application/" + app,
		"environment": "arn:aws:appconfig:us-east-1:123456789012:application/" + app + "/environment/" + aws.ToString(env.Id),
		"profile":     "arn:aws:appconfig:us-east-1:123456789012:application/" + app + "/configurationprofile/" + aws.ToString(prof.Id),
		"strategy":    "arn:aws:appconfig:us-east-1:123456789012:deploymentstrategy/" + aws.ToString(st.Id),
	}
	for name, arn := range arns {
		if _, err := c.TagResource(ctx, &sdk.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"owner": name, "x": "1"}}); err != nil {
			t.Fatalf("tag %s: %v", name, err)
		}
		if _, err := c.UntagResource(ctx, &sdk.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"x"}}); err != nil {
			t.Fatalf("untag %s: %v", name, err)
		}
		got, err := c.ListTagsForResource(ctx, &sdk.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		if err != nil || got.Tags["owner"] != name || got.Tags["x"] != "" {
			t.Fatalf("tags of %s: %v %v", name, got.Tags, err)
		}
	}
	envTags, _ := c.ListTagsForResource(ctx, &sdk.ListTagsForResourceInput{ResourceArn: aws.String(arns["environment"])})
	if envTags.Tags["k"] != "v" {
		t.Fatalf("create-time tags lost: %v", envTags.Tags)
	}
	for _, arn := range []string{
		"arn:aws:appconfig:us-east-1:123456789012:application/zzzzzzz",
		"arn:aws:appconfig:us-east-1:999999999999:application/" + app,
		"arn:aws:appconfig:eu-west-1:123456789012:application/" + app,
	} {
		_, err := c.ListTagsForResource(ctx, &sdk.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		WantError(t, err, "ResourceNotFoundException", 404)
	}
	_, err := c.TagResource(ctx, &sdk.TagResourceInput{ResourceArn: aws.String("not-an-arn-of-any-kind"), Tags: map[string]string{"a": "b"}})
	WantError(t, err, "BadRequestException", 400)
	_, err = c.TagResource(ctx, &sdk.TagResourceInput{ResourceArn: aws.String(arns["application"]), Tags: map[string]string{"aws:reserved": "b"}})
	WantError(t, err, "BadRequestException", 400)
	many := map[string]string{}
	for i := 0; i < 50; i++ {
		many[fmt.Sprintf("t%d", i)] = "v"
	}
	_, err = c.TagResource(ctx, &sdk.TagResourceInput{ResourceArn: aws.String(arns["application"]), Tags: many})
	WantError(t, err, "BadRequestException", 400) // 50 new + "owner" = 51
}

func TestAccountSettingsAndDeletionProtection(t *testing.T) {
	s := Start(t)
	c := s.Client()
	got, err := c.GetAccountSettings(ctx, &sdk.GetAccountSettingsInput{})
	if err != nil || aws.ToBool(got.DeletionProtection.Enabled) || aws.ToInt32(got.DeletionProtection.ProtectionPeriodInMinutes) != 60 {
		t.Fatalf("defaults %+v %v", got.DeletionProtection, err)
	}
	_, err = c.UpdateAccountSettings(ctx, &sdk.UpdateAccountSettingsInput{DeletionProtection: &types.DeletionProtectionSettings{ProtectionPeriodInMinutes: aws.Int32(14)}})
	WantError(t, err, "BadRequestException", 400)
	upd, err := c.UpdateAccountSettings(ctx, &sdk.UpdateAccountSettingsInput{DeletionProtection: &types.DeletionProtectionSettings{Enabled: aws.Bool(true), ProtectionPeriodInMinutes: aws.Int32(30)}})
	if err != nil || !aws.ToBool(upd.DeletionProtection.Enabled) || aws.ToInt32(upd.DeletionProtection.ProtectionPeriodInMinutes) != 30 {
		t.Fatalf("update %+v %v", upd, err)
	}
	app := aws.ToString(mustApp(t, c, "a").Id)
	env, _ := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("Beta")})
	prof := mustProfile(t, c, app, "p")
	// The data plane marks both as used (here directly through the service's hook).
	s.Service().RecordUsage(scope(), app, aws.ToString(env.Id), aws.ToString(prof.Id))
	// ACCOUNT_DEFAULT skips resources younger than an hour.
	// APPLY checks them: refused with AWS's message.
	_, err = c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, DeletionProtectionCheck: types.DeletionProtectionCheckApply})
	WantError(t, err, "BadRequestException", 400)
	if !strings.Contains(err.Error(), "Environment Beta is actively being used in your application and cannot be deleted.") {
		t.Fatalf("message: %v", err)
	}
	_, err = c.DeleteConfigurationProfile(ctx, &sdk.DeleteConfigurationProfileInput{ApplicationId: aws.String(app), ConfigurationProfileId: prof.Id, DeletionProtectionCheck: types.DeletionProtectionCheckApply})
	WantError(t, err, "BadRequestException", 400)
	// Flushing the batched marks to the store keeps the answer.
	if err := s.Service().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, DeletionProtectionCheck: types.DeletionProtectionCheckApply})
	WantError(t, err, "BadRequestException", 400)
	// BYPASS deletes; ACCOUNT_DEFAULT exempts young resources.
	if _, err := c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id, DeletionProtectionCheck: types.DeletionProtectionCheckBypass}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteConfigurationProfile(ctx, &sdk.DeleteConfigurationProfileInput{ApplicationId: aws.String(app), ConfigurationProfileId: prof.Id}); err != nil {
		t.Fatal(err)
	}
	// An invalid header value is a constraint violation.
	req, _ := http.NewRequest(http.MethodDelete, s.URL+"/applications/"+app+"/environments/x", nil)
	req.Header.Set("x-amzn-deletion-protection-check", "SOMETIMES")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "BadRequestException" {
		t.Fatalf("bad header: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

func scope() appconfig.Scope { return appconfig.Scope{Account: "123456789012", Region: "us-east-1"} }
