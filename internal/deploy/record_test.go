package deploy

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// The deployment bodies of every format version (internal/records'
// goldens) decode into the deployment and its lease, and what the engine
// reads of them survives a rewrite.
func TestGoldenDeploymentsDecode(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "records", "testdata", "v*", "deployment.json"))
	more, _ := filepath.Glob(filepath.Join("..", "records", "testdata", "v*", "deployment-*.json"))
	files = append(files, more...)
	if len(files) < 3 {
		t.Fatalf("golden deployments: %v", files)
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rec := appconfig.Record{Key: appconfig.Key{Kind: appconfig.RecordDeployment, ID: "golden"}, Body: body}
		d, lease, err := decodeRecord(rec)
		if err != nil || d.DeploymentNumber != 1 || d.ApplicationID == "" || len(d.EventLog) < 2 || d.StartedAt.IsZero() {
			t.Fatalf("%s: %+v %v", f, d, err)
		}
		if filepath.Base(f) == "deployment-3.json" {
			want := Lease{Owner: "0f3c9a1b2c3d4e5f", Until: time.Date(2026, 3, 1, 12, 7, 0, 0, time.UTC)}
			if lease != want || d.RollbackBy != "CLOUDWATCH_ALARM" || !d.Ticks || d.NextMonitor.IsZero() {
				t.Fatalf("%s: lease %+v, deployment %+v", f, lease, d)
			}
		}
		rec.Body = encodeRecord(d, lease)
		d2, lease2, err := decodeRecord(rec)
		if err != nil || lease2 != lease || d2.State != d.State || len(d2.EventLog) != len(d.EventLog) || !d2.NextMonitor.Equal(d.NextMonitor) {
			t.Fatalf("%s: rewrite changed it: %+v %+v %v", f, d2, lease2, err)
		}
	}
}
