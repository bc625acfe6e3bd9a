package extension

import (
	"os"
	"path/filepath"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Queued deliveries of every format version (internal/records' goldens)
// still decode: a restart after an upgrade loses none.
func TestGoldenDeliveriesDecode(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "records", "testdata", "v*", "delivery*.json"))
	if len(files) == 0 {
		t.Fatal("no golden deliveries")
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d, err := records.Decode[delivery](appconfig.Record{Key: appconfig.Key{Kind: appconfig.RecordDelivery}, Body: body})
		if err != nil || d.Target.URI == "" || d.Point == "" || d.Deployment.Kind != appconfig.RecordDeployment || d.InvocationID == "" || len(d.Payload) == 0 {
			t.Fatalf("%s: %+v %v", f, d, err)
		}
		if _, ok := d.Point.Info(); !ok {
			t.Fatalf("%s: point %q", f, d.Point)
		}
	}
}
