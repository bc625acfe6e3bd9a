package itest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCompatBoto3AndCLI(t *testing.T) {
	NeedPython(t)
	p := StartBinary(t, "--store", "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
	RunPython(t, "test/compat/controlplane_test.py", p.URL)
	wantFastPath(t, p.URL)
}

func TestCompatDataPlaneBoto3AndCLI(t *testing.T) {
	NeedPython(t)
	p := StartBinary(t, "--data-dir", t.TempDir(), "--time-scale", "600")
	RunPython(t, "test/compat/dataplane_test.py", p.URL, "APPCONFIGD_TIME_SCALE=600")
	wantFastPath(t, p.URL)
}

// wantFastPath checks, after a real client's run, that the server
// answered most of its API requests on the fast path (fasthttp.go), not
// through net/http: the clients' requests are plain HTTP/1.1 with
// Content-Length bodies, which the fast path serves.
func wantFastPath(t *testing.T, base string) {
	t.Helper()
	var fast, handoffs float64
	fmt.Sscan(metricValue(t, base, "appconfigd_http_fast_path_requests_total"), &fast)
	fmt.Sscan(metricValue(t, base, "appconfigd_http_handoffs_total"), &handoffs)
	total := 0.0
	for _, line := range strings.Split(metricsText(t, base), "\n") {
		if strings.HasPrefix(line, "appconfigd_requests_total{") {
			var v float64
			fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
			total += v
		}
	}
	t.Logf("API requests %v: fast path %v, connections handed to net/http %v", total, fast, handoffs)
	if total == 0 || fast < total*0.9 {
		t.Errorf("fast path answered %v of %v API requests (connections handed off: %v), want at least 90%%", fast, total, handoffs)
	}
}

// The AWS SDK for JavaScript v3, control and data plane.
func TestCompatJavaScriptSDK(t *testing.T) {
	NeedNode(t)
	p := StartBinary(t, "--data-dir", t.TempDir(), "--time-scale", "600", "--extension-allow-hosts", "127.0.0.1")
	RunNode(t, "test/compat/js", p.URL, "APPCONFIGD_TIME_SCALE=600")
	wantFastPath(t, p.URL)
}

// The OpenFeature server and web SDKs with their OFREP providers
// (test/compat/js/ofrep), against the binary.
func TestCompatOpenFeature(t *testing.T) {
	NeedNode(t)
	p := StartBinary(t, "--data-dir", t.TempDir())
	RunNode(t, "test/compat/js/ofrep", p.URL)
}

// modelsEnv points botocore at the repository's models/ directory: boto3
// 1.43 lacks the 2026 experiment operations, the model there has them.
func modelsEnv() string { return "AWS_DATA_PATH=" + filepath.Join(repoRoot(), "models") }

// Experiments through boto3: every operation's success and error paths,
// the state machines, the event log, the snapshot and the quota.
func TestCompatExperimentsBoto3(t *testing.T) {
	NeedPython(t)
	p := StartBinary(t, "--store", "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"), "--quotas", "experiment-definitions-per-application=3",
		"--extension-allow-hosts", "127.0.0.1", "--monitor-interval", "1s")
	RunPython(t, "test/compat/experiments_test.py", p.URL, modelsEnv())
}

// A kill -9 during an experiment run: after the restart the run, its
// events and its definition read back unchanged, and it still stops; a
// second run, whose environment's monitor goes to ALARM only after the
// restart, is stopped by the restarted process's alarm watcher.
func TestCompatExperimentRunSurvivesKill(t *testing.T) {
	NeedPython(t)
	var alarm atomic.Bool
	probe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if alarm.Load() {
			fmt.Fprint(w, `{"state":"ALARM"}`)
			return
		}
		fmt.Fprint(w, `{"state":"OK"}`)
	}))
	defer probe.Close()
	dir := t.TempDir()
	state := filepath.Join(t.TempDir(), "seen.json")
	flags := []string{"--data-dir", dir, "--extension-allow-hosts", "127.0.0.1", "--monitor-interval", "1s"}
	p := StartBinary(t, flags...)
	RunPython(t, "test/compat/experiments_test.py", p.URL, modelsEnv(), "APPCONFIGD_PHASE=before", "APPCONFIGD_STATE="+state, "APPCONFIGD_PROBE="+probe.URL)
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.Cmd.Wait()
	p2 := StartBinary(t, flags...)
	RunPython(t, "test/compat/experiments_test.py", p2.URL, modelsEnv(), "APPCONFIGD_PHASE=after", "APPCONFIGD_STATE="+state)
	alarm.Store(true)
	RunPython(t, "test/compat/experiments_test.py", p2.URL, modelsEnv(), "APPCONFIGD_PHASE=alarm", "APPCONFIGD_STATE="+state)
}
