// Package testutil holds what tests across packages share: Need, the one
// place a test says which tool outside Go it depends on.
//
// The test suite is tiered. With Go alone, `go test ./...` passes: every
// test that needs PostgreSQL, moto_server, python3 with boto3, the aws
// CLI or node with the JavaScript SDK skips, and its skip message names
// what is missing. When the CI environment variable is true (as CI
// services set it, and as scripts/test.sh does) a missing tool fails the
// test instead, so CI can never pass by silently running fewer checks.
// Under -short (`make test-unit`) every such test skips, installed tool or
// not, so the Go-only tier stays fast and the same on every machine.
package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Tool names Need understands beyond plain executables on PATH.
const (
	// Postgres is a PostgreSQL server named by APPCONFIGD_TEST_POSTGRES.
	Postgres = "postgres"
	// Boto3 is python3 able to import boto3.
	Boto3 = "boto3"
	// JSSDK is node plus the JavaScript SDK installed under
	// test/compat/js/node_modules (npm ci).
	JSSDK = "js-sdk"
	// ConsoleNPM is node plus the web console's npm packages (esbuild,
	// playwright-core) installed under console/node_modules (npm ci).
	ConsoleNPM = "console-npm"
)

// EnvPostgres names the PostgreSQL server the PostgreSQL tests use.
const EnvPostgres = "APPCONFIGD_TEST_POSTGRES"

// Strict reports whether missing tools fail tests rather than skip them:
// true when $CI parses as true (CI=true, CI=1).
func Strict() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// Need skips t, or fails it when Strict, unless every tool is available.
// A tool is an executable looked up on PATH (moto_server, aws, node,
// python3, chromium) or one of Postgres, Boto3, JSSDK and ConsoleNPM.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	if short() {
		t.Skip("needs " + strings.Join(tools, ", ") + ": skipped under -short (the Go-only tier); make test-pg or make test-compat runs it")
		return
	}
	var missing []string
	for _, tool := range tools {
		if why := check(tool); why != "" {
			missing = append(missing, why)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "needs " + strings.Join(missing, "; ")
	if Strict() {
		t.Fatalf("%s (CI is set, so a missing tool is a failure, not a skip)", msg)
		return
	}
	t.Skip(msg + " (skipped; with CI=true this fails)")
}

// short is testing.Short, replaceable by this package's tests.
var short = testing.Short

var (
	mu      sync.Mutex
	checked = map[string]string{}
)

// check returns "" when tool is available, else what is missing and how
// to get it. Results are cached for the test process, except for the
// environment variable, which is cheap to read.
func check(tool string) string {
	if tool == Postgres {
		return probe(tool)
	}
	mu.Lock()
	defer mu.Unlock()
	if why, ok := checked[tool]; ok {
		return why
	}
	why := probe(tool)
	checked[tool] = why
	return why
}

func probe(tool string) string {
	switch tool {
	case Postgres:
		if os.Getenv(EnvPostgres) != "" {
			return ""
		}
		return "PostgreSQL: " + EnvPostgres + ` is not set; start a throwaway server (needs initdb and pg_ctl) with
	eval "$(scripts/pg.sh start /tmp/appconfigd-pg)"
or run "make test-pg"`
	case Boto3:
		if _, err := exec.LookPath("python3"); err != nil {
			return "python3 with boto3: python3 is not on PATH"
		}
		if out, err := exec.Command("python3", "-c", "import boto3").CombinedOutput(); err != nil {
			return fmt.Sprintf("python3 with boto3: import boto3 failed (pip install boto3): %v %s", err, strings.TrimSpace(lastLine(string(out))))
		}
		return ""
	case JSSDK:
		if _, err := exec.LookPath("node"); err != nil {
			return "node: not on PATH (the JavaScript SDK tests run under node)"
		}
		if _, err := os.Stat(filepath.Join(RepoRoot(), "test", "compat", "js", "node_modules")); err != nil {
			return "the JavaScript SDK: test/compat/js/node_modules is missing; run npm ci --prefix test/compat/js"
		}
		return ""
	case ConsoleNPM:
		if _, err := exec.LookPath("node"); err != nil {
			return "node: not on PATH (the console's browser tests run under node)"
		}
		if _, err := os.Stat(filepath.Join(RepoRoot(), "console", "node_modules", "playwright-core")); err != nil {
			return "the console's npm packages: console/node_modules is missing; run npm ci --prefix console"
		}
		return ""
	}
	if _, err := exec.LookPath(tool); err != nil {
		return tool + ": not on PATH"
	}
	return ""
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// RepoRoot is the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
