package appconfig_test

import (
	"fmt"
	"slices"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

// The action points are the model's enum, in its order; each has a
// payload type; every deployment event the model lists either fires one
// point or is ROLLBACK_STARTED (whose completion fires); and every event
// a point names is one of the model's.
func TestActionPointsMatchTheModel(t *testing.T) {
	var got []string
	for _, i := range appconfig.ActionPoints() {
		got = append(got, string(i.Point))
		if i.PayloadType == "" {
			t.Errorf("%s has no payload type", i.Point)
		}
		if !i.Synchronous && i.DetailType == "" {
			t.Errorf("%s is delivered but has no EventBridge detail-type", i.Point)
		}
		for _, e := range i.Events {
			if !slices.Contains(acapi.DeploymentEventTypeValues, e) {
				t.Errorf("%s names event %s, which the model does not have", i.Point, e)
			}
			if p := appconfig.PointForEvent(e); p != i.Point {
				t.Errorf("event %s fires %q, want %s", e, p, i.Point)
			}
		}
		if info, ok := i.Point.Info(); !ok || info.Point != i.Point {
			t.Errorf("%s: Info() = %+v, %v", i.Point, info, ok)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(acapi.ActionPointValues) {
		t.Fatalf("action points %v\nmodel enum    %v", got, acapi.ActionPointValues)
	}
	for _, e := range acapi.DeploymentEventTypeValues {
		if appconfig.PointForEvent(e) == "" && e != appconfig.EventRollbackStarted {
			t.Errorf("deployment event %s fires no action point", e)
		}
	}
	if _, ok := appconfig.ActionPoint("ON_DEPLOYMENT_LUNCH").Info(); ok {
		t.Error("an unknown action point has info")
	}
}

// The other enums the root package spells must be the model's too.
func TestVocabularyMatchesTheModel(t *testing.T) {
	check := func(what string, ours []string, model []string) {
		t.Helper()
		for _, v := range ours {
			if !slices.Contains(model, v) {
				t.Errorf("%s %q is not in the model's enum %v", what, v, model)
			}
		}
	}
	check("deployment type", []string{string(appconfig.DeploymentTypeUser), string(appconfig.DeploymentTypeManaged)}, acapi.DeploymentTypeValues)
	check("triggered by", []string{appconfig.TriggeredByUser, appconfig.TriggeredByAppConfig, appconfig.TriggeredByCloudWatchAlarm, appconfig.TriggeredByInternalError}, acapi.TriggeredByValues)
	check("event type", []string{appconfig.EventDeploymentStarted, appconfig.EventPercentageUpdated, appconfig.EventBakeTimeStarted, appconfig.EventDeploymentCompleted,
		appconfig.EventRollbackStarted, appconfig.EventRollbackCompleted, appconfig.EventRevertCompleted}, acapi.DeploymentEventTypeValues)
	check("deployment state", []string{string(appconfig.DeploymentBaking), string(appconfig.DeploymentDeploying), string(appconfig.DeploymentComplete),
		string(appconfig.DeploymentRollingBack), string(appconfig.DeploymentRolledBack), string(appconfig.DeploymentReverted)}, acapi.DeploymentStateValues)
}
