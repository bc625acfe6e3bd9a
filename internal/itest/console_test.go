package itest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/appconfigd/appconfigd/internal/testutil"
)

// The web console in Debian's chromium, driven by playwright-core from
// console/test, against the real binary; the scripts check what the
// console did through the API with the AWS SDK for JavaScript.
func needConsole(t *testing.T) {
	t.Helper()
	testutil.Need(t, testutil.ConsoleNPM, testutil.JSSDK, "chromium")
}

func runConsole(t *testing.T, script, url string, env ...string) {
	t.Helper()
	// A hung browser step fails the test in minutes instead of hitting go test's
	// 10-minute panic (which loses the script's output).
	cmd := exec.Command("node", "--test", "--test-reporter=spec", "--test-timeout=180000", filepath.Join("test", script))
	cmd.Dir = filepath.Join(repoRoot(), "console")
	chromium, _ := exec.LookPath("chromium")
	runClient(t, cmd, "console/test/"+script, url, append(env, "CHROMIUM="+chromium))
}

// Open auth: every page and action, live deployment progress (--time-scale
// 20 runs a 2-minute strategy in 6 s of wall time), the flags editor.
func TestConsoleOpenAuth(t *testing.T) {
	needConsole(t)
	p := StartBinary(t, "--data-dir", t.TempDir(), "--time-scale", "20", "--account", "111122223333")
	runConsole(t, "console.test.mjs", p.URL, "APPCONFIGD_ACCOUNT=111122223333")
}

// SigV4: the sign-in form with a wrong and the right secret; every
// request signed in the browser.
func TestConsoleSigV4(t *testing.T) {
	needConsole(t)
	creds := filepath.Join(t.TempDir(), "credentials")
	const key, secret = "AKIACONSOLETEST", "console/Secret+Key"
	if err := os.WriteFile(creds, []byte("[console]\naws_access_key_id = "+key+"\naws_secret_access_key = "+secret+"\naws_account_id = 222233334444\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := StartBinary(t, "--data-dir", t.TempDir(), "--auth", "sigv4", "--credentials-file", creds, "--region", "eu-west-1")
	runConsole(t, "signin.test.mjs", p.URL, "APPCONFIGD_AUTH=sigv4", "APPCONFIGD_ACCESS_KEY_ID="+key, "APPCONFIGD_SECRET_ACCESS_KEY="+secret)
}

// Experiments pages: create (with the server's error for a bad audience
// rule), edit, start a run, raise exposure, edit overrides, stop with a
// result, the event log, archive and destroy; deployment Type in lists.
func TestConsoleExperiments(t *testing.T) {
	needConsole(t)
	p := StartBinary(t, "--data-dir", t.TempDir(), "--time-scale", "20", "--account", "111122223333")
	runConsole(t, "experiments.test.mjs", p.URL, "APPCONFIGD_ACCOUNT=111122223333")
}
