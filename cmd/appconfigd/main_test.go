package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressPlainPrintsChangesOnly(t *testing.T) {
	var b bytes.Buffer
	p := progress{w: &b}
	p.show("DEPLOYING", 0)
	p.show("DEPLOYING", 0)
	p.show("DEPLOYING", 25)
	p.show("BAKING", 100)
	p.done()
	want := "DEPLOYING      0.00%\nDEPLOYING     25.00%\nBAKING       100.00%\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

func TestProgressTerminalDrawsBar(t *testing.T) {
	var b bytes.Buffer
	p := progress{w: &b, tty: true}
	p.show("DEPLOYING", 50)
	p.done()
	out := b.String()
	if !strings.HasPrefix(out, "\r[###############...............] DEPLOYING") || !strings.HasSuffix(out, "50.00%\n") {
		t.Fatalf("bar %q", out)
	}
}

func TestUsageErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"bogus"}, &out, &errOut); code != 2 {
		t.Fatalf("unknown command exit %d", code)
	}
	if code := run([]string{"deployment", "wait", "--application", "a"}, &out, &errOut); code != waitUsage {
		t.Fatalf("missing flags exit %d", code)
	}
	errOut.Reset()
	if code := run([]string{"serve", "--auth", "magic"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown auth mode") {
		t.Fatalf("bad --auth: %d %s", code, errOut.String())
	}
	t.Setenv("APPCONFIGD_TIME_SCALE", "fast")
	errOut.Reset()
	if code := run([]string{"serve"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "APPCONFIGD_TIME_SCALE") {
		t.Fatalf("bad env value: %d %s", code, errOut.String())
	}
}

func TestQuotasFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"serve", "--quotas", "applications=0"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "--quotas") {
		t.Fatalf("bad quota accepted: %d %s", code, errOut.String())
	}
}
