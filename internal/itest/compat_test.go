package itest

import (
	"path/filepath"
	"testing"
)

func TestCompatBoto3AndCLI(t *testing.T) {
	NeedPython(t)
	p := StartBinary(t, "--store", "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
	RunPython(t, "test/compat/controlplane_test.py", p.URL)
}

func TestCompatDataPlaneBoto3AndCLI(t *testing.T) {
	NeedPython(t)
	p := StartBinary(t, "--data-dir", t.TempDir(), "--time-scale", "600")
	RunPython(t, "test/compat/dataplane_test.py", p.URL, "APPCONFIGD_TIME_SCALE=600")
}

// The AWS SDK for JavaScript v3, control and data plane.
func TestCompatJavaScriptSDK(t *testing.T) {
	NeedNode(t)
	p := StartBinary(t, "--data-dir", t.TempDir(), "--time-scale", "600")
	RunNode(t, "test/compat/js", p.URL, "APPCONFIGD_TIME_SCALE=600")
}

// The OpenFeature server and web SDKs with their OFREP providers
// (test/compat/js/ofrep), against the binary.
func TestCompatOpenFeature(t *testing.T) {
	NeedNode(t)
	p := StartBinary(t, "--data-dir", t.TempDir())
	RunNode(t, "test/compat/js/ofrep", p.URL)
}
