package itest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/aws-sdk-go-v2/service/appconfig/types"

	"github.com/appconfigd/appconfigd/internal/server"
)

func allowLoopback(c *server.Config) { c.ExtensionAllowHosts = "127.0.0.1" }

func action(name, uri string) []types.Action {
	return []types.Action{{Name: aws.String(name), Uri: aws.String(uri)}}
}

// auditHook is the webhook of TestExtensionOperations' extension (never
// called: no deployment runs there).
const auditHook = "https://hooks.example.com/appconfig"

func TestExtensionOperations(t *testing.T) {
	s, _ := fakeServer(t)
	c := s.Client()
	created := createAuditExtension(t, c)
	checkExtensionDefinitionRules(t, c)
	awsArn := checkExtensionList(t, c, created)
	a := checkExtensionAssociations(t, c, created, awsArn)
	checkExtensionDeletion(t, c, a)
}

// createAuditExtension creates the "audit" extension in two versions
// (a new version needs the latest number), reads them by name, id and
// ARN, and edits version 1. It returns version 1.
func createAuditExtension(t *testing.T, c *sdk.Client) *sdk.CreateExtensionOutput {
	created, err := c.CreateExtension(ctx, &sdk.CreateExtensionInput{Name: aws.String("audit"), Description: aws.String("v1"),
		Actions:    map[string][]types.Action{"ON_DEPLOYMENT_COMPLETE": action("notify", auditHook)},
		Parameters: map[string]types.Parameter{"channel": {Required: true}, "ticket": {Dynamic: true}},
		Tags:       map[string]string{"team": "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.Id)
	if created.VersionNumber != 1 || aws.ToString(created.Arn) != "arn:aws:appconfig:us-east-1:123456789012:extension/"+id+"/1" {
		t.Fatalf("created %+v", created)
	}
	// Same name: a new version needs the latest number.
	_, err = c.CreateExtension(ctx, &sdk.CreateExtensionInput{Name: aws.String("audit"), Actions: map[string][]types.Action{"ON_DEPLOYMENT_START": action("a", auditHook)}})
	WantError(t, err, "ConflictException", 409)
	_, err = c.CreateExtension(ctx, &sdk.CreateExtensionInput{Name: aws.String("audit"), LatestVersionNumber: aws.Int32(7), Actions: map[string][]types.Action{"ON_DEPLOYMENT_START": action("a", auditHook)}})
	WantError(t, err, "ConflictException", 409)
	v2, err := c.CreateExtension(ctx, &sdk.CreateExtensionInput{Name: aws.String("audit"), LatestVersionNumber: aws.Int32(1), Description: aws.String("v2"),
		Actions: map[string][]types.Action{"ON_DEPLOYMENT_START": action("a", auditHook)}})
	if err != nil || v2.VersionNumber != 2 || aws.ToString(v2.Id) != id {
		t.Fatalf("v2 %+v %v", v2, err)
	}
	for _, ident := range []string{"audit", id, aws.ToString(created.Arn)} {
		got, err := c.GetExtension(ctx, &sdk.GetExtensionInput{ExtensionIdentifier: aws.String(ident)})
		if err != nil {
			t.Fatalf("get %s: %v", ident, err)
		}
		want := int32(2)
		if ident == aws.ToString(created.Arn) {
			want = 1 // the ARN names version 1
		}
		if got.VersionNumber != want {
			t.Fatalf("get %s: version %d", ident, got.VersionNumber)
		}
	}
	got, _ := c.GetExtension(ctx, &sdk.GetExtensionInput{ExtensionIdentifier: aws.String("audit"), VersionNumber: aws.Int32(1)})
	if aws.ToString(got.Description) != "v1" || !got.Parameters["channel"].Required {
		t.Fatalf("version 1: %+v", got)
	}
	upd, err := c.UpdateExtension(ctx, &sdk.UpdateExtensionInput{ExtensionIdentifier: aws.String("audit"), VersionNumber: aws.Int32(1), Description: aws.String("edited")})
	if err != nil || upd.VersionNumber != 1 || aws.ToString(upd.Description) != "edited" || len(upd.Actions) != 1 {
		t.Fatalf("update %+v %v", upd, err)
	}
	return created
}

// checkExtensionDefinitionRules creates extensions AWS refuses (bad URI,
// parameter both required and dynamic, AWS. prefix, unknown action point,
// two actions on one point, a slash in the name).
func checkExtensionDefinitionRules(t *testing.T, c *sdk.Client) {
	for _, bad := range []*sdk.CreateExtensionInput{
		{Name: aws.String("x"), Actions: map[string][]types.Action{"ON_DEPLOYMENT_START": action("a", "ftp://nope")}},
		{Name: aws.String("x"), Actions: map[string][]types.Action{"ON_DEPLOYMENT_START": action("a", auditHook)}, Parameters: map[string]types.Parameter{"p": {Required: true, Dynamic: true}}},
		{Name: aws.String("AWS.Mine"), Actions: map[string][]types.Action{"ON_DEPLOYMENT_START": action("a", auditHook)}},
		{Name: aws.String("x"), Actions: map[string][]types.Action{"WHENEVER": action("a", auditHook)}},
		{Name: aws.String("x"), Actions: map[string][]types.Action{"ON_DEPLOYMENT_START": append(action("a", auditHook), action("b", auditHook)...)}},
		{Name: aws.String("x/y"), Actions: map[string][]types.Action{"ON_DEPLOYMENT_START": action("a", auditHook)}},
	} {
		_, err := c.CreateExtension(ctx, bad)
		WantError(t, err, "BadRequestException", 400)
	}
}

// checkExtensionList lists the account's extensions and AWS's, reads and
// refuses to change AWS's, and reads the tags of version 1 (created). It
// returns the ARN of AWS's SQS notification extension.
func checkExtensionList(t *testing.T, c *sdk.Client, created *sdk.CreateExtensionOutput) (awsArn string) {
	id := aws.ToString(created.Id)
	// The list has the account's extensions, then AWS's; ?name= filters.
	list, err := c.ListExtensions(ctx, &sdk.ListExtensionsInput{})
	if err != nil || len(list.Items) != 6 || aws.ToString(list.Items[0].Id) != id || list.Items[0].VersionNumber != 2 {
		t.Fatalf("list %+v %v", list, err)
	}
	for _, e := range list.Items[1:] {
		if !strings.HasPrefix(aws.ToString(e.Id), "AWS.AppConfig.") || !strings.Contains(aws.ToString(e.Arn), "::extension/AWS.AppConfig.") {
			t.Fatalf("AWS-authored entry %+v", e)
		}
		if aws.ToString(e.Id) == "AWS.AppConfig.DeploymentNotificationsToSqs" {
			awsArn = aws.ToString(e.Arn)
		}
	}
	if awsArn != "arn:aws:appconfig:us-east-1::extension/AWS.AppConfig.DeploymentNotificationsToSqs/1" {
		t.Fatalf("SQS extension ARN %q", awsArn)
	}
	var paged []string
	p := sdk.NewListExtensionsPaginator(c, &sdk.ListExtensionsInput{MaxResults: aws.Int32(4)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Items {
			paged = append(paged, aws.ToString(e.Id))
		}
	}
	if len(paged) != 6 {
		t.Fatalf("paged %v", paged)
	}
	byName, _ := c.ListExtensions(ctx, &sdk.ListExtensionsInput{Name: aws.String("audit")})
	if len(byName.Items) != 1 {
		t.Fatalf("name filter %+v", byName.Items)
	}
	_, err = c.UpdateExtension(ctx, &sdk.UpdateExtensionInput{ExtensionIdentifier: aws.String("AWS.AppConfig.FeatureFlags"), Description: aws.String("x")})
	WantError(t, err, "BadRequestException", 400)
	_, err = c.DeleteExtension(ctx, &sdk.DeleteExtensionInput{ExtensionIdentifier: aws.String("AWS.AppConfig.FeatureFlags")})
	WantError(t, err, "BadRequestException", 400)
	_, err = c.GetExtension(ctx, &sdk.GetExtensionInput{ExtensionIdentifier: aws.String("nope")})
	WantError(t, err, "ResourceNotFoundException", 404)
	_, err = c.GetExtension(ctx, &sdk.GetExtensionInput{ExtensionIdentifier: aws.String("audit"), VersionNumber: aws.Int32(9)})
	WantError(t, err, "ResourceNotFoundException", 404)
	// Tags on a version's ARN.
	tags, err := c.ListTagsForResource(ctx, &sdk.ListTagsForResourceInput{ResourceArn: created.Arn})
	if err != nil || tags.Tags["team"] != "ops" {
		t.Fatalf("extension tags %v %v", tags, err)
	}
	return awsArn
}

// extAssociations is what checkExtensionAssociations made: an
// application and its environment, the audit extension's association
// with the application and the SQS extension's with the environment.
type extAssociations struct {
	app        string
	env        *sdk.CreateEnvironmentOutput
	assoc, sqs *sdk.CreateExtensionAssociationOutput
}

// checkExtensionAssociations associates extensions with an application
// and an environment, checking parameters, notification targets, updates
// and the list filters.
func checkExtensionAssociations(t *testing.T, c *sdk.Client, created *sdk.CreateExtensionOutput, awsArn string) extAssociations {
	app := aws.ToString(mustApp(t, c, "app").Id)
	env, _ := c.CreateEnvironment(ctx, &sdk.CreateEnvironmentInput{ApplicationId: aws.String(app), Name: aws.String("prod")})
	appArn := "arn:aws:appconfig:us-east-1:123456789012:application/" + app
	envArn := appArn + "/environment/" + aws.ToString(env.Id)
	_, err := c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("audit"), ExtensionVersionNumber: aws.Int32(1), ResourceIdentifier: aws.String(appArn)})
	WantError(t, err, "BadRequestException", 400) // "channel" is required
	_, err = c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("audit"), ExtensionVersionNumber: aws.Int32(1), ResourceIdentifier: aws.String(appArn),
		Parameters: map[string]string{"channel": "#ops", "mystery": "1"}})
	WantError(t, err, "BadRequestException", 400) // undeclared parameter
	assoc, err := c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: created.Arn, ResourceIdentifier: aws.String(appArn),
		Parameters: map[string]string{"channel": "#ops"}, Tags: map[string]string{"k": "v"}})
	if err != nil || assoc.ExtensionVersionNumber != 1 || aws.ToString(assoc.ResourceArn) != appArn ||
		aws.ToString(assoc.Arn) != "arn:aws:appconfig:us-east-1:123456789012:extensionassociation/"+aws.ToString(assoc.Id) {
		t.Fatalf("association %+v %v", assoc, err)
	}
	if tags, err := c.ListTagsForResource(ctx, &sdk.ListTagsForResourceInput{ResourceArn: assoc.Arn}); err != nil || tags.Tags["k"] != "v" {
		t.Fatalf("association tags %v %v", tags, err)
	}
	_, err = c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("audit"), ExtensionVersionNumber: aws.Int32(1), ResourceIdentifier: aws.String(appArn), Parameters: map[string]string{"channel": "x"}})
	WantError(t, err, "ConflictException", 409)
	_, err = c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("audit"), ResourceIdentifier: aws.String(appArn + "zz"), Parameters: map[string]string{"channel": "x"}})
	WantError(t, err, "ResourceNotFoundException", 404)
	_, err = c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("audit"), ResourceIdentifier: aws.String("arn:aws:appconfig:us-east-1:123456789012:deploymentstrategy/abc1234")})
	WantError(t, err, "BadRequestException", 400)
	sqs, err := c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("AWS.AppConfig.DeploymentNotificationsToSqs"), ResourceIdentifier: aws.String(envArn),
		Parameters: map[string]string{"queueArn": "arn:aws:sqs:us-east-1:123456789012:q"}})
	if err != nil || aws.ToString(sqs.ExtensionArn) != awsArn {
		t.Fatalf("AWS-authored association %+v %v", sqs, err)
	}
	// The notification target's ARN is checked when the association is
	// made or changed, not at the first event.
	for _, bad := range []string{"arn:aws:sns:us-east-1:123456789012:q", "arn:aws:sqs:us-east-1::q", "my-queue"} {
		_, err = c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("AWS.AppConfig.DeploymentNotificationsToSqs"),
			ResourceIdentifier: aws.String(appArn), Parameters: map[string]string{"queueArn": bad}})
		WantError(t, err, "BadRequestException", 400)
		if msg := err.Error(); !strings.Contains(msg, "queueArn") || !strings.Contains(msg, "arn:aws:sqs:REGION:ACCOUNT:NAME") {
			t.Errorf("bad queueArn %q: message %q should name the parameter and the expected form", bad, msg)
		}
	}
	_, err = c.UpdateExtensionAssociation(ctx, &sdk.UpdateExtensionAssociationInput{ExtensionAssociationId: sqs.Id, Parameters: map[string]string{"queueArn": "arn:aws:sqs:us-east-1:123456789012"}})
	WantError(t, err, "BadRequestException", 400)
	_, err = c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: aws.String("AWS.AppConfig.DeploymentNotificationsToSns"),
		ResourceIdentifier: aws.String(appArn), Parameters: map[string]string{"topicArn": "arn:aws:sqs:us-east-1:123456789012:q"}})
	WantError(t, err, "BadRequestException", 400)
	upAssoc, err := c.UpdateExtensionAssociation(ctx, &sdk.UpdateExtensionAssociationInput{ExtensionAssociationId: assoc.Id, Parameters: map[string]string{"channel": "#dev"}})
	if err != nil || upAssoc.Parameters["channel"] != "#dev" {
		t.Fatalf("update association %+v %v", upAssoc, err)
	}
	_, err = c.UpdateExtensionAssociation(ctx, &sdk.UpdateExtensionAssociationInput{ExtensionAssociationId: assoc.Id, Parameters: map[string]string{}})
	WantError(t, err, "BadRequestException", 400)
	for _, tc := range []struct {
		in   *sdk.ListExtensionAssociationsInput
		want int
	}{
		{&sdk.ListExtensionAssociationsInput{}, 2},
		{&sdk.ListExtensionAssociationsInput{ResourceIdentifier: aws.String(appArn)}, 1},
		{&sdk.ListExtensionAssociationsInput{ExtensionIdentifier: aws.String("audit")}, 1},
		{&sdk.ListExtensionAssociationsInput{ExtensionIdentifier: aws.String("audit"), ExtensionVersionNumber: aws.Int32(2)}, 0},
		{&sdk.ListExtensionAssociationsInput{ExtensionIdentifier: aws.String("AWS.AppConfig.DeploymentNotificationsToSqs")}, 1},
	} {
		out, err := c.ListExtensionAssociations(ctx, tc.in)
		if err != nil || len(out.Items) != tc.want {
			t.Fatalf("list %+v: %d items, %v", tc.in, len(out.Items), err)
		}
	}
	return extAssociations{app: app, env: env, assoc: assoc, sqs: sqs}
}

// checkExtensionDeletion deletes extension versions (not one in use) and
// associations, and an environment with its associations.
func checkExtensionDeletion(t *testing.T, c *sdk.Client, a extAssociations) {
	app, env, assoc, sqs := a.app, a.env, a.assoc, a.sqs
	// An extension version in use cannot be deleted.
	_, err := c.DeleteExtension(ctx, &sdk.DeleteExtensionInput{ExtensionIdentifier: aws.String("audit"), VersionNumber: aws.Int32(1)})
	WantError(t, err, "BadRequestException", 400)
	if _, err := c.DeleteExtension(ctx, &sdk.DeleteExtensionInput{ExtensionIdentifier: aws.String("audit")}); err != nil {
		t.Fatalf("delete highest (unused) version: %v", err)
	}
	if got, err := c.GetExtension(ctx, &sdk.GetExtensionInput{ExtensionIdentifier: aws.String("audit")}); err != nil || got.VersionNumber != 1 {
		t.Fatalf("after deleting v2: %+v %v", got, err)
	}
	if _, err := c.DeleteExtensionAssociation(ctx, &sdk.DeleteExtensionAssociationInput{ExtensionAssociationId: assoc.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetExtensionAssociation(ctx, &sdk.GetExtensionAssociationInput{ExtensionAssociationId: assoc.Id})
	WantError(t, err, "ResourceNotFoundException", 404)
	if _, err := c.DeleteExtension(ctx, &sdk.DeleteExtensionInput{ExtensionIdentifier: aws.String("audit")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetExtension(ctx, &sdk.GetExtensionInput{ExtensionIdentifier: aws.String("audit")})
	WantError(t, err, "ResourceNotFoundException", 404)
	// Deleting the environment removes its associations.
	if _, err := c.DeleteEnvironment(ctx, &sdk.DeleteEnvironmentInput{ApplicationId: aws.String(app), EnvironmentId: env.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetExtensionAssociation(ctx, &sdk.GetExtensionAssociationInput{ExtensionAssociationId: sqs.Id})
	WantError(t, err, "ResourceNotFoundException", 404)
}

// receiver is a loopback HTTP target that records every event and answers
// as told per payload Type.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	events []map[string]any
	answer func(ev map[string]any) (int, any)
	down   atomic.Bool
}

func newReceiver(t *testing.T, answer func(map[string]any) (int, any)) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var ev map[string]any
		b, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(b, &ev); err != nil {
			w.WriteHeader(400)
			return
		}
		r.mu.Lock()
		r.events = append(r.events, ev)
		r.mu.Unlock()
		status, body := 200, any(nil)
		if r.answer != nil {
			status, body = r.answer(ev)
		}
		w.WriteHeader(status)
		if body != nil {
			json.NewEncoder(w).Encode(body)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, fmt.Sprint(e["Type"]))
	}
	return out
}

func (r *receiver) last(typ string) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i]["Type"] == typ {
			return r.events[i]
		}
	}
	return nil
}

func associate(t *testing.T, c *sdk.Client, name string, actions map[string][]types.Action, resourceArn string, params map[string]types.Parameter, values map[string]string) string {
	t.Helper()
	e, err := c.CreateExtension(ctx, &sdk.CreateExtensionInput{Name: aws.String(name), Actions: actions, Parameters: params})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.CreateExtensionAssociation(ctx, &sdk.CreateExtensionAssociationInput{ExtensionIdentifier: e.Id, ResourceIdentifier: aws.String(resourceArn), Parameters: values})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(a.Id)
}

func TestPreCreateHostedVersionRewritesAndBlocks(t *testing.T) {
	s, _ := fakeServer(t, allowLoopback)
	c := s.Client()
	f := newFixture(t, c)
	rcv := newReceiver(t, func(ev map[string]any) (int, any) {
		content, _ := base64.StdEncoding.DecodeString(ev["Content"].(string))
		if strings.Contains(string(content), "password") {
			return 400, map[string]any{"Error": "BadRequestError", "Message": "secrets are not allowed in configuration"}
		}
		return 200, map[string]any{"Content": base64.StdEncoding.EncodeToString([]byte(strings.ToUpper(string(content))))}
	})
	profArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/configurationprofile/%s", f.app, f.prof)
	associate(t, c, "upper", map[string][]types.Action{"PRE_CREATE_HOSTED_CONFIGURATION_VERSION": action("upcase", rcv.URL)}, profArn,
		map[string]types.Parameter{"mode": {Description: aws.String("how")}}, map[string]string{"mode": "shout"})
	v, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
		Content: []byte("hello"), ContentType: aws.String("text/plain"), Description: aws.String("greeting")})
	if err != nil {
		t.Fatal(err)
	}
	if string(v.Content) != "HELLO" || v.VersionNumber != 3 {
		t.Fatalf("stored %q as version %d", v.Content, v.VersionNumber)
	}
	ev := rcv.last("PreCreateHostedConfigurationVersion")
	prev, _ := ev["PreviousContent"].(map[string]any)
	params, _ := ev["Parameters"].(map[string]any)
	app, _ := ev["Application"].(map[string]any)
	if ev["ContentVersion"] != "3" || ev["ContentType"] != "text/plain" || ev["Description"] != "greeting" || prev["ContentVersion"] != "2" ||
		params["mode"] != "shout" || app["Id"] != f.app || app["Name"] != "app" || len(fmt.Sprint(ev["InvocationId"])) != 7 {
		t.Fatalf("payload %v", ev)
	}
	_, err = c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
		Content: []byte("password=1"), ContentType: aws.String("text/plain")})
	WantError(t, err, "BadRequestException", 400)
	if !strings.Contains(err.Error(), "Error invoking extension upper: ") || !strings.Contains(err.Error(), "secrets are not allowed in configuration") {
		t.Fatalf("message %v", err)
	}
	list, _ := c.ListHostedConfigurationVersions(ctx, &sdk.ListHostedConfigurationVersionsInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof)})
	if len(list.Items) != 3 {
		t.Fatalf("a blocked version was stored: %d versions", len(list.Items))
	}
}

func TestEveryActionPointFiresDuringADeployment(t *testing.T) {
	s, fake := fakeServer(t, allowLoopback, func(c *server.Config) { c.TickInterval = time.Minute })
	c := s.Client()
	f := newFixture(t, c)
	rcv := newReceiver(t, func(ev map[string]any) (int, any) {
		if ev["Type"] == "PreStartDeployment" {
			return 200, map[string]any{"Content": base64.StdEncoding.EncodeToString([]byte(`{"v":"rewritten"}`))}
		}
		if ev["Type"] == "AtDeploymentTick" {
			return 200, map[string]any{"Directive": "CONTINUE"}
		}
		return 200, nil
	})
	actions := map[string][]types.Action{}
	for _, p := range []string{"PRE_START_DEPLOYMENT", "AT_DEPLOYMENT_TICK", "ON_DEPLOYMENT_START", "ON_DEPLOYMENT_STEP", "ON_DEPLOYMENT_BAKING"} {
		actions[p] = action(strings.ToLower(p), rcv.URL)
	}
	envArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/environment/%s", f.app, f.env)
	assocID := associate(t, c, "everything", actions, envArn, map[string]types.Parameter{"ticket": {Dynamic: true}}, nil)
	// An extension has at most 5 action points: completion is a second one, on the application.
	appArn := "arn:aws:appconfig:us-east-1:123456789012:application/" + f.app
	associate(t, c, "completion", map[string][]types.Action{"ON_DEPLOYMENT_COMPLETE": action("done", rcv.URL)}, appArn, nil, nil)
	_, err := c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), ConfigurationProfileId: aws.String(f.prof),
		DeploymentStrategyId: aws.String(f.strategy(t, 2, types.GrowthTypeLinear, 50, 1)), ConfigurationVersion: aws.String("1"),
		DynamicExtensionParameters: map[string]string{"everything#ticket": "CHG-42"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		advance(t, s, fake, 30*time.Second)
		if _, err := s.Outbox().DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	d := f.get(t, 1)
	if d.State != types.DeploymentStateComplete {
		t.Fatalf("state %s", d.State)
	}
	if len(d.AppliedExtensions) != 2 || aws.ToString(d.AppliedExtensions[1].ExtensionAssociationId) != assocID {
		t.Fatalf("AppliedExtensions %+v", d.AppliedExtensions)
	}
	got := strings.Join(rcv.types(), " ")
	for _, want := range []string{"PreStartDeployment", "OnDeploymentStart", "AtDeploymentTick", "OnDeploymentStep", "OnDeploymentBaking", "OnDeploymentComplete"} {
		if !strings.Contains(got, want) {
			t.Fatalf("%s never fired; received %s", want, got)
		}
	}
	if n := strings.Count(got, "OnDeploymentStep"); n != 2 {
		t.Fatalf("%d step events for 2 steps", n)
	}
	pre := rcv.last("PreStartDeployment")
	if params, _ := pre["Parameters"].(map[string]any); params["ticket"] != "CHG-42" {
		t.Fatalf("dynamic parameter did not reach PRE_START_DEPLOYMENT: %v", pre["Parameters"])
	}
	step := rcv.last("OnDeploymentStep")
	if step["PercentageComplete"] != "100.0" || step["DeploymentNumber"] != float64(1) || step["ConfigurationVersion"] != "1" {
		t.Fatalf("step payload %v", step)
	}
	// Every event carries its invocations, and none failed.
	byType := map[types.DeploymentEventType]int{}
	for _, e := range d.EventLog {
		for _, inv := range e.ActionInvocations {
			byType[e.EventType]++
			if inv.ErrorCode != nil || aws.ToString(inv.Uri) != rcv.URL || len(aws.ToString(inv.InvocationId)) != 7 {
				t.Fatalf("invocation %+v on %s", inv, e.EventType)
			}
		}
	}
	if byType["DEPLOYMENT_STARTED"] != 2 || byType["PERCENTAGE_UPDATED"] != 2 || byType["BAKE_TIME_STARTED"] != 1 || byType["DEPLOYMENT_COMPLETED"] != 1 {
		t.Fatalf("invocations per event %v", byType)
	}
	// PRE_START_DEPLOYMENT rewrote what clients receive.
	tok, _ := startSession(t, s.URL, f.app, f.env, f.prof, 0)
	if p := getLatest(t, s.URL, tok); string(p.body) != `{"v":"rewritten"}` {
		t.Fatalf("served %q", p.body)
	}
	// A dynamic parameter nobody declares is refused.
	_, err = c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), ConfigurationProfileId: aws.String(f.prof),
		DeploymentStrategyId: aws.String("AppConfig.AllAtOnce"), ConfigurationVersion: aws.String("2"), DynamicExtensionParameters: map[string]string{"nobody#thing": "x"}})
	WantError(t, err, "BadRequestException", 400)
}

func TestPreStartBlocksAndTickRollsBack(t *testing.T) {
	s, fake := fakeServer(t, allowLoopback, func(c *server.Config) { c.TickInterval = time.Minute })
	c := s.Client()
	f := newFixture(t, c)
	var rollBack atomic.Bool
	rcv := newReceiver(t, func(ev map[string]any) (int, any) {
		switch ev["Type"] {
		case "PreStartDeployment":
			if ev["ContentVersion"] == "2" {
				return 403, map[string]any{"Error": "Forbidden", "Message": "version 2 is frozen"}
			}
		case "AtDeploymentTick":
			if rollBack.Load() {
				return 200, map[string]any{"Directive": "ROLL_BACK", "Description": "error budget exhausted"}
			}
		}
		return 200, nil
	})
	appArn := "arn:aws:appconfig:us-east-1:123456789012:application/" + f.app
	associate(t, c, "gate", map[string][]types.Action{"PRE_START_DEPLOYMENT": action("gate", rcv.URL), "AT_DEPLOYMENT_TICK": action("watch", rcv.URL)}, appArn, nil, nil)
	_, err := f.start("AppConfig.AllAtOnce", "2")
	WantError(t, err, "BadRequestException", 400)
	if !strings.Contains(err.Error(), "version 2 is frozen") {
		t.Fatalf("message %v", err)
	}
	list, _ := c.ListDeployments(ctx, &sdk.ListDeploymentsInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env)})
	if len(list.Items) != 0 {
		t.Fatal("a blocked deployment was recorded")
	}
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeLinear, 20, 0), "1"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	advance(t, s, fake, time.Minute)
	if d := f.get(t, 1); d.State != types.DeploymentStateDeploying {
		t.Fatalf("state %s", d.State)
	}
	rollBack.Store(true)
	advance(t, s, fake, time.Minute)
	advance(t, s, fake, 0)
	d := f.get(t, 1)
	if d.State != types.DeploymentStateRolledBack {
		t.Fatalf("state %s after ROLL_BACK", d.State)
	}
	var started types.DeploymentEvent
	for _, e := range d.EventLog {
		if e.EventType == types.DeploymentEventTypeRollbackStarted {
			started = e
		}
	}
	if aws.ToString(started.Description) != "error budget exhausted" || len(started.ActionInvocations) != 1 {
		t.Fatalf("rollback event %+v", started)
	}

	// A failing tick action rolls back too, and its error is recorded.
	rcv.down.Store(true)
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeLinear, 20, 0), "1"); err == nil {
		t.Fatal("PRE_START_DEPLOYMENT of a down receiver did not block")
	}
}

func TestTickFailureRollsBack(t *testing.T) {
	s, fake := fakeServer(t, allowLoopback, func(c *server.Config) { c.TickInterval = time.Minute })
	c := s.Client()
	f := newFixture(t, c)
	rcv := newReceiver(t, func(ev map[string]any) (int, any) {
		return 500, map[string]any{"Error": "Boom", "Message": "checker crashed"}
	})
	profArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/configurationprofile/%s", f.app, f.prof)
	associate(t, c, "ticker", map[string][]types.Action{"AT_DEPLOYMENT_TICK": action("watch", rcv.URL)}, profArn, nil, nil)
	if _, err := f.start(f.strategy(t, 10, types.GrowthTypeLinear, 20, 0), "1"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	advance(t, s, fake, 0)
	d := f.get(t, 1)
	if d.State != types.DeploymentStateRolledBack {
		t.Fatalf("state %s: %+v, applied %+v, received %v", d.State, d.EventLog, d.AppliedExtensions, rcv.types())
	}
	for _, e := range d.EventLog {
		if e.EventType == types.DeploymentEventTypeRollbackStarted {
			if len(e.ActionInvocations) != 1 || aws.ToString(e.ActionInvocations[0].ErrorCode) != "HttpError" || !strings.Contains(aws.ToString(e.ActionInvocations[0].ErrorMessage), "checker crashed") {
				t.Fatalf("rollback invocations %+v", e.ActionInvocations)
			}
			return
		}
	}
	t.Fatal("no rollback event")
}

func TestOnEventsSurviveADownReceiverAndARestart(t *testing.T) {
	dir := t.TempDir()
	fake := fakeClockAt(epoch)
	opts := []Option{allowLoopback, func(c *server.Config) { c.Clock = fake }}
	s := StartIn(t, dir, opts...)
	c := s.Client()
	f := newFixture(t, c)
	rcv := newReceiver(t, nil)
	rcv.down.Store(true)
	envArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/environment/%s", f.app, f.env)
	associate(t, c, "notify", map[string][]types.Action{"ON_DEPLOYMENT_START": action("start", rcv.URL), "ON_DEPLOYMENT_COMPLETE": action("done", rcv.URL),
		"ON_DEPLOYMENT_ROLLED_BACK": action("undo", rcv.URL)}, envArn, nil, nil)
	if _, err := f.start("AppConfig.AllAtOnce", "1"); err != nil {
		t.Fatal(err)
	}
	s.Runner().RunDue(ctx)
	fake.Advance(10 * time.Minute)
	s.Runner().RunDue(ctx)
	s.Outbox().DeliverDue(ctx)
	d := f.get(t, 1)
	if d.State != types.DeploymentStateComplete {
		t.Fatalf("state %s", d.State)
	}
	// The failure shows on the deployment while retries go on.
	var failing int
	for _, e := range d.EventLog {
		for _, inv := range e.ActionInvocations {
			if aws.ToString(inv.ErrorCode) == "HttpError" && strings.Contains(aws.ToString(inv.ErrorMessage), "retrying") {
				failing++
			}
		}
	}
	if failing != 2 || len(rcv.types()) != 0 {
		t.Fatalf("%d failing invocations recorded, %d delivered", failing, len(rcv.types()))
	}
	// appconfigd restarts; the receiver comes back; nothing is lost.
	s.Stop()
	rcv.down.Store(false)
	s2 := StartIn(t, dir, opts...)
	fake.Advance(time.Minute)
	if _, err := s2.Outbox().DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rcv.types(), " "); got != "OnDeploymentStart OnDeploymentComplete" && got != "OnDeploymentComplete OnDeploymentStart" {
		t.Fatalf("delivered after recovery: %q", got)
	}
	fake.Advance(time.Hour)
	s2.Outbox().DeliverDue(ctx)
	if n := len(rcv.types()); n != 2 {
		t.Fatalf("%d deliveries: an event was delivered twice", n)
	}
	d = binaryFixture(f, s2.URL).get(t, 1)
	for _, e := range d.EventLog {
		for _, inv := range e.ActionInvocations {
			if inv.ErrorCode != nil {
				t.Fatalf("error left on a delivered invocation: %+v", inv)
			}
		}
	}
}

func TestURLTargetsNeedTheAllowList(t *testing.T) {
	s, fake := fakeServer(t) // no --extension-allow-hosts
	c := s.Client()
	f := newFixture(t, c)
	rcv := newReceiver(t, nil)
	envArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/environment/%s", f.app, f.env)
	associate(t, c, "blocked", map[string][]types.Action{"ON_DEPLOYMENT_START": action("start", rcv.URL)}, envArn, nil, nil)
	if _, err := f.start("AppConfig.AllAtOnce", "1"); err != nil {
		t.Fatal(err)
	}
	advance(t, s, fake, 0)
	s.Outbox().DeliverDue(ctx)
	d := f.get(t, 1)
	start := d.EventLog[len(d.EventLog)-1]
	if len(start.ActionInvocations) != 1 || aws.ToString(start.ActionInvocations[0].ErrorCode) != "TargetNotAllowed" || len(rcv.types()) != 0 {
		t.Fatalf("start invocations %+v, received %v", start.ActionInvocations, rcv.types())
	}
}

func TestLambdaTargetsAndValidators(t *testing.T) {
	var calls atomic.Int32
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		// The Lambda Invoke API: POST /2015-03-31/functions/{name}/invocations.
		parts := strings.Split(r.URL.Path, "/")
		if len(parts) != 5 || parts[2] != "functions" || parts[4] != "invocations" {
			http.NotFound(w, r)
			return
		}
		name := parts[3]
		body, _ := io.ReadAll(r.Body)
		var ev map[string]any
		json.Unmarshal(body, &ev)
		switch {
		case strings.HasSuffix(name, "validator"):
			content, _ := base64.StdEncoding.DecodeString(fmt.Sprint(ev["content"]))
			if !strings.Contains(string(content), "ok") {
				w.Header().Set("X-Amz-Function-Error", "Unhandled")
				fmt.Fprint(w, `{"errorType":"ValidationError","errorMessage":"content must say ok"}`)
				return
			}
			fmt.Fprint(w, `null`)
		case strings.HasSuffix(name, "rewriter"):
			json.NewEncoder(w).Encode(map[string]any{"Content": base64.StdEncoding.EncodeToString([]byte("from lambda"))})
		default:
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(404)
			fmt.Fprint(w, `{"Type":"User","message":"Function not found"}`)
		}
	}))
	defer lambda.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	s, _ := fakeServer(t, func(c *server.Config) { c.LambdaEndpoint = lambda.URL })
	c := s.Client()
	f := newFixture(t, c)
	fn := func(name string) string { return "arn:aws:lambda:us-east-1:123456789012:function:" + name }
	profArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/configurationprofile/%s", f.app, f.prof)
	associate(t, c, "lambda-rewrite", map[string][]types.Action{"PRE_CREATE_HOSTED_CONFIGURATION_VERSION": action("rewrite", fn("rewriter"))}, profArn, nil, nil)
	v, err := c.CreateHostedConfigurationVersion(ctx, &sdk.CreateHostedConfigurationVersionInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
		Content: []byte("anything"), ContentType: aws.String("text/plain")})
	if err != nil || string(v.Content) != "from lambda" {
		t.Fatalf("lambda rewrite %q %v", v.Content, err)
	}
	// LAMBDA validators use the same invoker.
	if _, err := c.UpdateConfigurationProfile(ctx, &sdk.UpdateConfigurationProfileInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
		Validators: []types.Validator{{Type: types.ValidatorTypeLambda, Content: aws.String(fn("validator"))}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ValidateConfiguration(ctx, &sdk.ValidateConfigurationInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof), ConfigurationVersion: aws.String("3")})
	WantError(t, err, "BadRequestException", 400)
	var br *types.BadRequestException
	if !errors.As(err, &br) || br.Reason != types.BadRequestReasonInvalidConfiguration || !strings.Contains(err.Error(), "content must say ok") {
		t.Fatalf("validator failure %v", err)
	}
	if _, err := c.UpdateConfigurationProfile(ctx, &sdk.UpdateConfigurationProfileInput{ApplicationId: aws.String(f.app), ConfigurationProfileId: aws.String(f.prof),
		Validators: []types.Validator{{Type: types.ValidatorTypeLambda, Content: aws.String(fn("missing"))}}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.start("AppConfig.AllAtOnce", "1")
	WantError(t, err, "BadRequestException", 400)
	if calls.Load() < 3 {
		t.Fatalf("the Lambda endpoint saw %d calls", calls.Load())
	}
}

// TestAssociationChangesTakeEffectAtOnce: associations are cached in
// memory; creating or deleting one is seen by the very next deployment.
func TestAssociationChangesTakeEffectAtOnce(t *testing.T) {
	s, fake := fakeServer(t, allowLoopback)
	c := s.Client()
	f := newFixture(t, c)
	rcv := newReceiver(t, nil)
	deploy := func(version string, n int32) {
		t.Helper()
		if _, err := f.start("AppConfig.AllAtOnce", version); err != nil {
			t.Fatal(err)
		}
		advance(t, s, fake, 0)
		advance(t, s, fake, 10*time.Minute)
		s.Outbox().DeliverDue(ctx)
		if d := f.get(t, n); d.State != types.DeploymentStateComplete {
			t.Fatalf("deployment %d: %s", n, d.State)
		}
	}
	deploy("1", 1) // caches "no associations" for the scope
	envArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/environment/%s", f.app, f.env)
	id := associate(t, c, "late", map[string][]types.Action{"ON_DEPLOYMENT_COMPLETE": action("done", rcv.URL)}, envArn, nil, nil)
	deploy("2", 2)
	if got := len(rcv.types()); got != 1 {
		t.Fatalf("%d deliveries after associating", got)
	}
	if _, err := c.DeleteExtensionAssociation(ctx, &sdk.DeleteExtensionAssociationInput{ExtensionAssociationId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	deploy("1", 3)
	if got := len(rcv.types()); got != 1 {
		t.Fatalf("%d deliveries after the association was deleted", got)
	}
}

// When the engine takes several steps at once (a late timer, a restart, a
// loaded machine), each ON_DEPLOYMENT_STEP delivery carries its own step's
// percentage, fixed at its event, not the deployment's current one.
func TestStepPayloadsCarryTheirOwnStep(t *testing.T) {
	s, fake := fakeServer(t, allowLoopback)
	c := s.Client()
	f := newFixture(t, c)
	rcv := newReceiver(t, func(map[string]any) (int, any) { return 200, nil })
	envArn := fmt.Sprintf("arn:aws:appconfig:us-east-1:123456789012:application/%s/environment/%s", f.app, f.env)
	associate(t, c, "steps", map[string][]types.Action{"ON_DEPLOYMENT_STEP": action("step", rcv.URL)}, envArn, nil, nil)
	// Linear 25 % over 4 minutes: steps at 25, 50, 75 and 100 %.
	if _, err := c.StartDeployment(ctx, &sdk.StartDeploymentInput{ApplicationId: aws.String(f.app), EnvironmentId: aws.String(f.env), ConfigurationProfileId: aws.String(f.prof),
		DeploymentStrategyId: aws.String(f.strategy(t, 4, types.GrowthTypeLinear, 25, 0)), ConfigurationVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	// One jump past every step: the engine takes them all in one round.
	advance(t, s, fake, 10*time.Minute)
	if _, err := s.Outbox().DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	var got []string
	for _, ev := range rcv.events {
		if ev["Type"] == "OnDeploymentStep" {
			got = append(got, fmt.Sprint(ev["PercentageComplete"]))
		}
	}
	rcv.mu.Unlock()
	sort.Strings(got) // delivery order is not promised; each step's share is
	if strings.Join(got, " ") != "100.0 25.0 50.0 75.0" {
		t.Fatalf("step payloads carried %v", got)
	}
}
