package deploy_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/records"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

// A managed deployment (started by the system, not a user) is a kind of
// plan: the same Start, its event triggered by APPCONFIG; the environment
// moves with it, and the engine is kicked once the caller commits.
func TestLifecycleStartsManagedDeploymentsLikeUsers(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc := appconfig.Scope{Account: "123456789012", Region: "us-east-1"}
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	kicks := 0
	life := deploy.NewLifecycle(nil, func() { kicks++ }, nil)
	for i, typ := range []appconfig.DeploymentType{appconfig.DeploymentTypeUser, appconfig.DeploymentTypeManaged} {
		env := appconfig.Environment{ApplicationID: "app", ID: []string{"user", "managed"}[i], Name: "e", State: appconfig.EnvReadyForDeployment}
		err := st.Update(ctx, func(tx appconfig.Tx) error {
			rec := appconfig.Record{Key: records.EnvironmentKey(sc, "app", env.ID), Body: records.Environments.Encode(env)}
			if err := tx.Insert(ctx, &rec); err != nil {
				return err
			}
			plan := deploy.StartPlan{Scope: sc, Type: typ, Content: []byte(`{}`), Deployment: appconfig.Deployment{
				ApplicationID: "app", EnvironmentID: env.ID, DeploymentNumber: 1, ConfigurationProfileID: "prof",
				DeploymentDurationInMinutes: 10, GrowthType: appconfig.GrowthLinear, GrowthFactor: 50}}
			d, err := life.Start(ctx, tx, now, plan)
			if err != nil {
				return err
			}
			want := map[appconfig.DeploymentType]string{appconfig.DeploymentTypeUser: appconfig.TriggeredByUser, appconfig.DeploymentTypeManaged: appconfig.TriggeredByAppConfig}[typ]
			if d.State != appconfig.DeploymentDeploying || !d.StartedAt.Equal(now) || len(d.EventLog) != 1 || d.EventLog[0].TriggeredBy != want {
				t.Errorf("%s: started %+v", typ, d)
			}
			if _, err := life.Start(ctx, tx, now, plan); !appconfig.IsConflict(err) {
				t.Errorf("%s: a second start of number 1: %v", typ, err)
			}
			got, _, err := records.Environments.Get(ctx, tx, records.EnvironmentKey(sc, "app", env.ID), false)
			if err != nil || got.State != appconfig.EnvDeploying {
				t.Errorf("%s: environment %+v %v", typ, got, err)
			}
			d, err = life.Stop(ctx, tx, sc, d, now.Add(time.Minute))
			if err != nil || d.State != appconfig.DeploymentRollingBack || d.EventLog[1].TriggeredBy != appconfig.TriggeredByUser {
				t.Errorf("%s: stopped %+v %v", typ, d, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	life.Kick()
	if kicks != 1 {
		t.Fatalf("kicks %d", kicks)
	}
}

// Revert is a pure transition: REVERTED with a REVERT_COMPLETED event,
// which fires ON_DEPLOYMENT_ROLLED_BACK like a completed rollback.
func TestRevertIsAPureTransition(t *testing.T) {
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	d := appconfig.Deployment{State: appconfig.DeploymentComplete}
	deploy.Revert(&d, now, appconfig.TriggeredByUser, "reverted")
	if d.State != appconfig.DeploymentReverted || len(d.EventLog) != 1 || d.EventLog[0].EventType != appconfig.EventRevertCompleted || !d.EventLog[0].OccurredAt.Equal(now) {
		t.Fatalf("%+v", d)
	}
	if appconfig.PointForEvent(d.EventLog[0].EventType) != appconfig.OnDeploymentRolledBack {
		t.Fatal("a revert must fire ON_DEPLOYMENT_ROLLED_BACK")
	}
}

// A deployment record written by a newer appconfigd (a replica already
// upgraded) is neither parked nor rewritten by this one: the claim fails,
// which postpones the record for a process that can read it.
func TestRunnerLeavesNewerRecordsAlone(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(now)
	body := []byte(`{"schemaVersion":99,"applicationId":"app","environmentId":"env","deploymentNumber":1,"state":"DEPLOYING"}`)
	k := deploy.Key(appconfig.Scope{Account: "123456789012", Region: "us-east-1"}, "app", "env", 1)
	if err := st.Update(ctx, func(tx appconfig.Tx) error {
		return tx.Insert(ctx, &appconfig.Record{Key: k, Body: body, Data: []byte{}, DueAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	r := deploy.NewRunner(deploy.Config{Store: st, Clock: clk})
	_, _ = r.RunDue(ctx)
	var rec appconfig.Record
	if err := st.View(ctx, func(tx appconfig.Tx) error {
		var err error
		rec, err = tx.Get(ctx, k, false, false)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if string(rec.Body) != string(body) || rec.DueAt.IsZero() || !rec.DueAt.After(now) {
		t.Fatalf("newer record touched: due %v, body %s", rec.DueAt, rec.Body)
	}
}
