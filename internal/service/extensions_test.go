package service_test

import (
	"strings"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
)

func actions(uri string) map[string][]appconfig.ExtensionAction {
	return map[string][]appconfig.ExtensionAction{string(appconfig.OnDeploymentStart): {{Name: "a", URI: uri}}}
}

// Action ARNs are checked by the parser the invoker uses: the ones the old
// service-field check let through (and every invocation then refused) are
// BadRequests at CreateExtension and UpdateExtension.
func TestExtensionActionARNsCheckedLikeInvocations(t *testing.T) {
	w := newWorld(t, "", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	bad := map[string]string{
		"arn:aws:lambda:r:1:foo":                              "is not a valid Lambda function ARN: bad region",
		"arn:aws:lambda:us-east-1:123456789012:foo":           "is not a valid Lambda function ARN: resource",
		"arn:aws:lambda:us-east-1:123456789012:function:a.b":  "bad function name",
		"arn:aws:sqs:us-east-1:123:q":                         "is not a valid SQS queue ARN: account",
		"arn:aws:sns:us-east-1:123456789012:t:sub":            "is not a valid SNS topic ARN",
		"arn:aws:events:us-east-1:123456789012:event-bus/":    "is not a valid EventBridge event bus ARN",
		"arn:aws:events:us-east-1:123456789012:rule/r":        "is not a valid EventBridge event bus ARN",
		"arn:aws:s3:::bucket":                                 "is not supported",
		"ftp://example.com/hook":                              "is not supported",
		"arn:aws:sqs:us-east-1:123456789012:queue.fifo.extra": "bad queue name",
	}
	for uri, want := range bad {
		_, err := w.svc.CreateExtension(ctx, sc, service.ExtensionInput{Name: "x", Actions: actions(uri)})
		if appconfig.KindOf(err) != appconfig.KindBadRequest || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), uri) {
			t.Errorf("CreateExtension with %s: %v; want a BadRequest saying %q", uri, err, want)
		}
	}
	e, err := w.svc.CreateExtension(ctx, sc, service.ExtensionInput{Name: "ok", Actions: actions("arn:aws:lambda:us-east-1:123456789012:function:f:prod")})
	if err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"arn:aws:sqs:eu-west-1:123456789012:q.fifo", "arn:aws:sns:us-east-1:123456789012:t",
		"arn:aws:events:us-east-1:123456789012:event-bus/default", "https://hooks.example.com/x"} {
		if _, err := w.svc.UpdateExtension(ctx, sc, e.ID, service.UpdateExtensionInput{Actions: actions(uri)}); err != nil {
			t.Errorf("UpdateExtension with %s: %v", uri, err)
		}
	}
	_, err = w.svc.UpdateExtension(ctx, sc, e.ID, service.UpdateExtensionInput{Actions: actions("arn:aws:lambda:r:1:foo")})
	if appconfig.KindOf(err) != appconfig.KindBadRequest || !strings.Contains(err.Error(), "is not a valid Lambda function ARN") {
		t.Fatalf("UpdateExtension with a bad ARN: %v", err)
	}
}

// Associations resolve their extension by ID: an extension named like
// another's ID does not capture them.
func TestBoundActionsResolveByID(t *testing.T) {
	w := newWorld(t, "", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	app, err := w.svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	real, err := w.svc.CreateExtension(ctx, sc, service.ExtensionInput{Name: "real", Actions: actions("https://real.example.com/")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CreateExtension(ctx, sc, service.ExtensionInput{Name: real.ID, Actions: actions("https://impostor.example.com/")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CreateExtensionAssociation(ctx, sc, service.AssociationInput{ExtensionIdentifier: service.ExtensionARNOf(sc, real),
		ResourceIdentifier: service.ApplicationARN(sc, app.ID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CreateExtensionAssociation(ctx, sc, service.AssociationInput{ExtensionIdentifier: service.ExtSNS,
		ResourceIdentifier: service.ApplicationARN(sc, app.ID), Parameters: map[string]string{"topicArn": "arn:aws:sns:us-east-1:123456789012:t"}}); err != nil {
		t.Fatal(err)
	}
	var bound []service.Bound
	err = w.svc.ViewTx(ctx, func(tx appconfig.Tx) error {
		var err error
		bound, err = w.svc.BoundActions(ctx, tx, sc, appconfig.OnDeploymentStart, app.ID, "", "")
		return err
	})
	if err != nil || len(bound) != 2 || bound[0].Action.URI != "https://real.example.com/" || bound[0].Extension.ID != real.ID ||
		bound[1].Extension.ID != service.ExtSNS || bound[1].Action.URI != service.URISNS {
		t.Fatalf("bound %+v, %v", bound, err)
	}
	// By name, the name wins; by ID or ARN, the ID.
	if e, err := w.svc.GetExtension(ctx, sc, real.ID, 0); err != nil || e.Name != real.ID {
		t.Fatalf("by name %+v %v", e, err)
	}
	if e, err := w.svc.GetExtension(ctx, sc, service.ExtensionARNOf(sc, real), 0); err != nil || e.ID != real.ID {
		t.Fatalf("by ARN %+v %v", e, err)
	}
	if e, err := w.svc.GetExtension(ctx, sc, "AppConfig deployment events to Amazon SNS", 0); err != nil || e.ID != service.ExtSNS {
		t.Fatalf("AWS by name %+v %v", e, err)
	}
	if _, err := w.svc.GetExtension(ctx, sc, service.ExtSNS, 2); !appconfig.IsNotFound(err) {
		t.Fatalf("AWS version 2: %v", err)
	}
}

func TestListExtensionsPages(t *testing.T) {
	w := newWorld(t, "", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	var ids []string
	for _, name := range []string{"e1", "e2", "e3"} {
		e, err := w.svc.CreateExtension(ctx, sc, service.ExtensionInput{Name: name, Actions: actions("https://x.example.com/")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	one := 1
	if _, err := w.svc.CreateExtension(ctx, sc, service.ExtensionInput{Name: "e2", Actions: actions("https://x.example.com/"), LatestVersionNumber: &one}); err != nil {
		t.Fatal(err)
	}
	for _, e := range service.AWSExtensions() {
		ids = append(ids, e.ID)
	}
	for _, size := range []int{1, 2, 3, 100} {
		var got []string
		versions := map[string]int{}
		p := appconfig.PageRequest{MaxResults: size}
		for n := 0; ; n++ {
			page, err := w.svc.ListExtensions(ctx, sc, "", p)
			if err != nil || len(page.Items) > size || n > 20 {
				t.Fatalf("size %d page %d: %+v %v", size, n, page, err)
			}
			for _, e := range page.Items {
				got = append(got, e.ID)
				versions[e.Name] = e.VersionNumber
			}
			if page.NextToken == "" {
				break
			}
			p.NextToken = page.NextToken
		}
		if strings.Join(got, ",") != strings.Join(ids, ",") || versions["e2"] != 2 {
			t.Fatalf("size %d: %v (versions %v), want %v", size, got, versions, ids)
		}
	}
	byName, err := w.svc.ListExtensions(ctx, sc, "e2", appconfig.PageRequest{})
	if err != nil || len(byName.Items) != 1 || byName.Items[0].VersionNumber != 2 || byName.NextToken != "" {
		t.Fatalf("by name %+v %v", byName, err)
	}
	byName, err = w.svc.ListExtensions(ctx, sc, service.ExtSQS, appconfig.PageRequest{})
	if err != nil || len(byName.Items) != 1 || byName.Items[0].ID != service.ExtSQS {
		t.Fatalf("AWS by ID %+v %v", byName, err)
	}
	if none, err := w.svc.ListExtensions(ctx, sc, "nope", appconfig.PageRequest{}); err != nil || len(none.Items) != 0 {
		t.Fatalf("no match %+v %v", none, err)
	}
	for _, tok := range []string{"garbage", "ZXh0ZW5zaW9ufHwx" /* extension||1 */, "ZXh0ZW5zaW9ufGF3c3w5OQ" /* extension|aws|99 */} {
		if _, err := w.svc.ListExtensions(ctx, sc, "", appconfig.PageRequest{NextToken: tok}); appconfig.KindOf(err) != appconfig.KindBadRequest {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}
