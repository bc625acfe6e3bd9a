package records

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// decodeAs decodes a golden body of kind as the Go type of that kind
// (a map for the one meta record that has no type: the data plane's
// token key, whose body is empty), re-encodes it and decodes it again: the value must
// survive, and the new body must carry the current version. rec.ID is
// the golden file's name (meta-clock for the clock anchor, meta-token
// for an API token).
func decodeAs(t *testing.T, kind string, rec appconfig.Record) any {
	t.Helper()
	roundTrip := func(v any, again func([]byte) (any, error)) any {
		body := Encode(kind, v)
		if bodyVersion(body) != Version(kind) {
			t.Fatalf("%s: re-encoded body has version %d, want %d", kind, bodyVersion(body), Version(kind))
		}
		w, err := again(body)
		if err != nil || !reflect.DeepEqual(v, w) {
			t.Fatalf("%s: round trip changed the value:\n%+v\n%+v (%v)", kind, v, w, err)
		}
		return v
	}
	switch kind {
	case appconfig.RecordApplication:
		return check(t, rec, Applications, func(v appconfig.Application) bool { return v.ID != "" && v.Name == "app" && !v.CreatedAt.IsZero() })
	case appconfig.RecordEnvironment:
		return check(t, rec, Environments, func(v appconfig.Environment) bool { return v.ID != "" && v.State != "" })
	case appconfig.RecordConfigurationProfile:
		return check(t, rec, Profiles, func(v appconfig.ConfigurationProfile) bool {
			return v.LocationURI == "hosted" && len(v.Validators) == 1
		})
	case appconfig.RecordHostedVersion:
		return check(t, rec, HostedVersions, func(v appconfig.HostedConfigurationVersion) bool { return v.VersionNumber == 1 && v.ContentType != "" })
	case appconfig.RecordDeploymentStrategy:
		return check(t, rec, Strategies, func(v appconfig.DeploymentStrategy) bool {
			return v.GrowthFactor == 50 && v.DeploymentDurationInMinutes == 10
		})
	case appconfig.RecordAccountSettings:
		return check(t, rec, AccountSettings, func(v appconfig.AccountSettings) bool { return v.DeletionProtection.ProtectionPeriodInMinutes == 60 })
	case appconfig.RecordExtension:
		return check(t, rec, Extensions, func(v appconfig.Extension) bool {
			return v.Name == "audit" && len(v.Actions["ON_DEPLOYMENT_START"]) == 1
		})
	case appconfig.RecordExperimentDefinition:
		return check(t, rec, ExperimentDefinitions, func(v appconfig.ExperimentDefinition) bool {
			return v.FlagKey == "checkout" && len(v.Treatments) == 1 && v.Treatments[0].FlagValue.Attributes["color"].String != nil
		})
	case appconfig.RecordExperimentRun:
		return check(t, rec, ExperimentRuns, func(v appconfig.ExperimentRun) bool {
			return v.Run == 1 && len(v.EventLog) == 3 && v.Snapshot.FlagKey == "checkout" && v.Overrides["user-1"] == "t1"
		})
	case appconfig.RecordExtensionAssociation:
		return check(t, rec, ExtensionAssociations, func(v appconfig.ExtensionAssociation) bool { return v.ResourceArn != "" && v.Parameters["p"] == "v" })
	case appconfig.RecordDeployment:
		return check(t, rec, Deployments, func(b DeploymentBody) bool {
			leased := b.Lease != nil && b.Lease.Owner == "0f3c9a1b2c3d4e5f" && b.Lease.Until.Equal(time.Date(2026, 3, 1, 12, 7, 0, 0, time.UTC))
			return b.DeploymentNumber == 1 && b.ApplicationID != "" && len(b.EventLog) >= 2 && !b.StartedAt.IsZero() &&
				leased == strings.HasSuffix(rec.ID, "-3")
		})
	case appconfig.RecordTags:
		return check(t, rec, TagSets, func(v Tags) bool { return v.Tags["team"] == "ops" })
	case appconfig.RecordUsage:
		return check(t, rec, Usages, func(v Usage) bool { return v.LastUsed.Equal(time.Date(2026, 3, 1, 12, 1, 0, 0, time.UTC)) })
	case appconfig.RecordExtensionName:
		return check(t, rec, ExtensionNames, func(v ExtensionName) bool { return v.ExtensionID == "mdvm3zu" && v.Latest >= 1 })
	case appconfig.RecordDelivery:
		return check(t, rec, Deliveries, func(d Delivery) bool {
			_, known := d.Point.Info()
			return known && d.Target.URI != "" && d.Target.Parameters["p"] == "v" && d.Deployment.Kind == appconfig.RecordDeployment &&
				d.InvocationID != "" && len(d.Payload) > 0 && d.Scope.Account == "123456789012"
		})
	}
	if kind == appconfig.RecordMeta && strings.HasSuffix(rec.ID, "-token") {
		return check(t, rec, APITokens, func(v APIToken) bool {
			return len(v.ID) == 12 && v.Account == "123456789012" && v.Application != "" && !v.Created.IsZero()
		})
	}
	if kind == appconfig.RecordMeta && strings.HasSuffix(rec.ID, "-clock") {
		return check(t, rec, ClockAnchors, func(v ClockAnchor) bool { return v.Factor == 600 && v.Base.Sub(v.WallBase) == time.Hour })
	}
	v, err := Decode[map[string]any](rec)
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	delete(v, "schemaVersion")
	return roundTrip(v, func(b []byte) (any, error) {
		w, err := Decode[map[string]any](appconfig.Record{Key: rec.Key, Body: b})
		delete(w, "schemaVersion")
		return w, err
	})
}

func check[T any](t *testing.T, rec appconfig.Record, k Kind[T], ok func(T) bool) T {
	t.Helper()
	v, err := k.Decode(rec)
	if err != nil {
		t.Fatalf("%s: %v", k.Name, err)
	}
	if !ok(v) {
		t.Fatalf("%s: decoded %+v lacks what the golden body holds", k.Name, v)
	}
	w, err := k.Decode(appconfig.Record{Key: rec.Key, Body: k.Encode(v)})
	if err != nil || !reflect.DeepEqual(v, w) {
		t.Fatalf("%s: round trip changed the value:\n%+v\n%+v (%v)", k.Name, v, w, err)
	}
	return v
}

// Every body appconfigd ever wrote (testdata/v<N>/<kind>[-n].json) still
// decodes, and every kind has at least one golden body.
func TestGoldenRecordsDecode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "v*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		kind, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".json"), "-")
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := kinds[kind]; !ok {
			t.Errorf("%s: unknown kind %q", f, kind)
			continue
		}
		seen[kind] = true
		t.Run(filepath.ToSlash(f), func(t *testing.T) {
			name := strings.TrimSuffix(filepath.Base(f), ".json")
			decodeAs(t, kind, appconfig.Record{Key: appconfig.Key{Kind: kind, ID: name}, Body: body})
		})
	}
	for _, k := range Kinds() {
		if !seen[k] {
			t.Errorf("no golden body of kind %s under testdata/", k)
		}
	}
}

// v0 deployments kept the engine's lease among the deployment's members;
// from v1 it is a member of its own.
func TestDeploymentLeaseUpgrade(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "v0", "deployment-3.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode[map[string]json.RawMessage](appconfig.Record{Key: appconfig.Key{Kind: appconfig.RecordDeployment}, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	if m["leaseOwner"] != nil || m["leaseUntil"] != nil || string(m["lease"]) != `{"owner":"0f3c9a1b2c3d4e5f","until":"2026-03-01T12:07:00Z"}` || string(m["schemaVersion"]) != "1" {
		t.Fatalf("upgraded body: lease %s, leaseOwner %s, version %s", m["lease"], m["leaseOwner"], m["schemaVersion"])
	}
}

// A body written by a newer appconfigd is refused, not misread.
func TestNewerVersionRefused(t *testing.T) {
	_, err := Decode[appconfig.Application](appconfig.Record{Key: appconfig.Key{Kind: appconfig.RecordApplication}, Body: []byte(`{"schemaVersion":99,"id":"x"}`)})
	if !errors.Is(err, ErrNewerVersion) {
		t.Fatalf("err = %v", err)
	}
	if b := Encode(appconfig.RecordMeta, struct{}{}); string(b) != `{"schemaVersion":1}` {
		t.Fatalf("empty body %s", b)
	}
}
