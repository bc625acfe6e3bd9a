package deploy

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// Each added event is one line; a rollback carries what triggered it and
// why, even when the rollback completes in a later transition.
func TestLogTransitionRollbackAndRevert(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	sc := appconfig.Scope{Account: "123456789012", Region: "eu-west-1"}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := appconfig.Deployment{ApplicationID: "app1", EnvironmentID: "env1", DeploymentNumber: 3, ConfigurationVersion: "2", PreviousVersion: "1",
		State: appconfig.DeploymentDeploying, PercentageComplete: 20}
	StartRollback(&d, now, appconfig.TriggeredByCloudWatchAlarm, "Rollback started by alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:errors in state ALARM")
	LogTransition(log, sc, &d, 1)
	next, added := Advance(d, now, Observation{})
	LogTransition(log, sc, &next, added)
	d2 := appconfig.Deployment{ApplicationID: "app1", EnvironmentID: "env1", DeploymentNumber: 4, PreviousVersion: "1",
		EventLog: []appconfig.DeploymentEvent{{EventType: appconfig.EventRevertCompleted, TriggeredBy: appconfig.TriggeredByUser, Description: "Deployment reverted by user of account 123456789012"}}}
	LogTransition(log, sc, &d2, 1)
	LogTransition(log, sc, &d2, 0) // nothing added: nothing logged
	want := []string{
		`level=WARN msg="deployment rolling back" account=123456789012 region=eu-west-1 application=app1 environment=env1 deployment=3 triggeredBy=CLOUDWATCH_ALARM reason="Rollback started by alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:errors in state ALARM"`,
		`level=WARN msg="deployment rolled back" account=123456789012 region=eu-west-1 application=app1 environment=env1 deployment=3 triggeredBy=CLOUDWATCH_ALARM reason="Rollback started by alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:errors in state ALARM" servedVersion=1`,
		`level=WARN msg="deployment reverted" account=123456789012 region=eu-west-1 application=app1 environment=env1 deployment=4 triggeredBy=USER reason="Deployment reverted by user of account 123456789012" servedVersion=1`,
	}
	if got := strings.Split(strings.TrimSpace(buf.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
