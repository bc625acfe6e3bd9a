package testutil

import (
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of
// ending the goroutine, so Need's decision can be inspected.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

// notShort makes Need behave as without -short for the rest of t.
func notShort(t *testing.T) {
	short = func() bool { return false }
	t.Cleanup(func() { short = testing.Short })
}

func TestNeedSkipsEverythingUnderShort(t *testing.T) {
	short = func() bool { return true }
	t.Cleanup(func() { short = testing.Short })
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Need(r, "go", Postgres)
	if r.failed != "" || !strings.Contains(r.skipped, "-short") || !strings.Contains(r.skipped, Postgres) {
		t.Fatalf("-short: skipped=%q failed=%q, want a skip naming postgres and -short even with CI=true and go present", r.skipped, r.failed)
	}
}

func TestNeedMissingToolSkipsOrFailsUnderCI(t *testing.T) {
	notShort(t)
	const tool = "appconfigd-no-such-tool"
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	Need(r, tool)
	if r.failed != "" || !strings.Contains(r.skipped, tool) {
		t.Fatalf("without CI: skipped=%q failed=%q, want a skip naming %s", r.skipped, r.failed, tool)
	}

	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	Need(r, tool)
	if r.skipped != "" || !strings.Contains(r.failed, tool) {
		t.Fatalf("CI=true: skipped=%q failed=%q, want a failure naming %s", r.skipped, r.failed, tool)
	}
}

func TestNeedPresentToolPasses(t *testing.T) {
	notShort(t)
	t.Setenv("CI", "true")
	r := &recorder{TB: t}
	Need(r, "go") // the one tool every test run has
	if r.skipped != "" || r.failed != "" {
		t.Fatalf("go is on PATH, yet skipped=%q failed=%q", r.skipped, r.failed)
	}
}

func TestNeedPostgresNamesTheVariable(t *testing.T) {
	notShort(t)
	t.Setenv("CI", "")
	t.Setenv(EnvPostgres, "")
	r := &recorder{TB: t}
	Need(r, Postgres)
	if r.failed != "" || !strings.Contains(r.skipped, EnvPostgres) {
		t.Fatalf("skip message %q does not name %s", r.skipped, EnvPostgres)
	}
}

func TestStrict(t *testing.T) {
	for v, want := range map[string]bool{"": false, "true": true, "1": true, "false": false, "yes": false} {
		t.Setenv("CI", v)
		if got := Strict(); got != want {
			t.Errorf("CI=%q: Strict()=%v, want %v", v, got, want)
		}
	}
}
