package main

import (
	"bytes"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestProgressPlainPrintsEachEventOnce(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ev := func(typ, desc string, min int) event {
		return event{at: t0.Add(time.Duration(min) * time.Minute), typ: typ, by: "USER", description: desc}
	}
	var b bytes.Buffer
	p := progress{w: &b}
	d := snapshot{state: "DEPLOYING", profile: "cfg", version: "3", bake: 10 * time.Minute, events: []event{ev("DEPLOYMENT_STARTED", "Deployment started", 0)}}
	p.show(1, d)
	p.show(1, d)
	d.events = append(d.events, ev("PERCENTAGE_UPDATED", "Configuration available to 50.00% of clients", 1), ev("BAKE_TIME_STARTED", "Deployment bake time started", 2))
	d.state, d.percent = "BAKING", 100
	p.show(1, d)
	p.done()
	want := "deployment 1 (USER) of cfg, version 3\n" +
		"03:04:05  DEPLOYMENT_STARTED   Deployment started\n" +
		"03:05:05  PERCENTAGE_UPDATED   Configuration available to 50.00% of clients\n" +
		"03:06:05  BAKE_TIME_STARTED    Deployment bake time started (bakes 10m0s)\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestProgressTerminalBarFitsWidthAndCountsDown(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d := snapshot{state: "BAKING", percent: 100, bake: 10 * time.Minute, now: t0.Add(3*time.Minute + 20*time.Second),
		events: []event{{at: t0, typ: "BAKE_TIME_STARTED", description: "Deployment bake time started"}}}
	for _, w := range []int{40, 80, 200} {
		line := bar(d, w)
		if len(line) > w-1 || !strings.Contains(line, "100.00% BAKING, 6m40s of bake left") {
			t.Fatalf("width %d: %q (%d columns)", w, line, len(line))
		}
		if w >= 80 && !strings.HasPrefix(line, "[####") {
			t.Fatalf("width %d: no bar: %q", w, line)
		}
	}
	if line := bar(d, 20); len(line) > 19 {
		t.Fatalf("narrow terminal: %q", line)
	}
	d = snapshot{state: "DEPLOYING", percent: 50}
	line := bar(d, 41) // room for a 20-column bar
	if line != "[##########..........]  50.00% DEPLOYING" {
		t.Fatalf("half bar: %q", line)
	}
	var b bytes.Buffer
	p := progress{w: &b, tty: true, width: 41, head: true}
	p.show(1, d)
	d.events = []event{{at: t0, typ: "PERCENTAGE_UPDATED", description: "Configuration available to 50.00% of clients"}}
	p.show(1, d)
	p.done()
	want := line + "\r\033[K03:04:05  PERCENTAGE_UPDATED   Configuration available to 50.00% of clients\n" + line + "\n"
	if b.String() != want {
		t.Fatalf("terminal output %q, want %q", b.String(), want)
	}
}

// A managed deployment (DEPLOYMENT_STARTED by APPCONFIG) says so in its
// first line.
func TestProgressShowsManagedDeployments(t *testing.T) {
	var b bytes.Buffer
	p := progress{w: &b}
	d := snapshot{state: "COMPLETE", profile: "flags", version: "1", events: []event{{typ: "DEPLOYMENT_STARTED", by: "APPCONFIG", description: "Deployment started"}}}
	p.show(4, d)
	if first := strings.SplitN(b.String(), "\n", 2)[0]; first != "deployment 4 (MANAGED) of flags, version 1: started by AppConfig for an experiment run" || !d.managed() {
		t.Fatalf("first line %q", first)
	}
}

func TestParseDeploymentARN(t *testing.T) {
	app, env, n, err := parseDeploymentARN("arn:aws:appconfig:us-east-1:123456789012:application/abc1234/environment/def5678/deployment/12")
	if err != nil || app != "abc1234" || env != "def5678" || n != 12 {
		t.Fatalf("%s %s %d %v", app, env, n, err)
	}
	for _, bad := range []string{"", "arn:aws:appconfig:us-east-1:1:application/a/environment/e", "arn:aws:s3:::b/deployment/1",
		"arn:aws:appconfig:us-east-1:1:application/a/environment/e/deployment/0", "arn:aws:appconfig:us-east-1:1:application/a/environment/e/deployment/1x"} {
		if _, _, _, err := parseDeploymentARN(bad); err == nil || !strings.Contains(err.Error(), "not a deployment ARN") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	info := func(mainVersion string, modified bool) *debug.BuildInfo {
		return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/appconfigd/appconfigd", Version: mainVersion},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-12-06T00:00:00Z"}, {Key: "vcs.modified", Value: strconv.FormatBool(modified)}}}
	}
	for _, c := range []struct {
		info          *debug.BuildInfo
		stamped, want string
	}{
		{info("v1.4.0", false), "", "v1.4.0"},
		{info("v0.0.0-20261206000000-0123456789ab+dirty", true), "", "v0.0.0-20261206000000-0123456789ab+dirty"},
		{info("(devel)", false), "", "0123456789ab"},
		{info("(devel)", true), "x", "0123456789ab-dirty"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "v9", "v9"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "", "unknown (built without version control information)"},
	} {
		if got, _ := versionInfo(c.info, true, c.stamped); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	if _, detail := versionInfo(info("(devel)", true), true, ""); detail != "commit "+rev+" (2026-12-06T00:00:00Z), with uncommitted changes; built with go1.26.8" {
		t.Errorf("detail %q", detail)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"help", "help"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 || errOut.Len() != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
		for _, cmd := range []string{"serve", "deployment wait", "healthcheck", "version", "help"} {
			if !strings.Contains(out.String(), "\n  "+cmd+" ") {
				t.Fatalf("%v: %q not listed:\n%s", args, cmd, out.String())
			}
		}
	}
	for args, want := range map[string]string{
		"help serve": "--listen", "help deployment": "wait ", "help deployment wait": "--deployment",
		"help healthcheck": "--url", "help version": "Usage: appconfigd version", "serve --help": "--time-scale",
		"deployment wait -h": "Exit status:",
	} {
		var out, errOut bytes.Buffer
		if code := run(strings.Fields(args), &out, &errOut); code != 0 || errOut.Len() != 0 || !strings.Contains(out.String(), want) {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
	}
	for args, want := range map[string]string{
		"bogus": `unknown command "bogus"`, "help bogus": `unknown command "bogus"`, "serve --bogus": "flag provided but not defined: -bogus",
		"--bogus": "flag provided but not defined: -bogus", "deployment bogus": `unknown command "bogus"`, "deployment": "missing command",
		"version extra": `unexpected argument "extra"`, "healthcheck --url": "flag needs an argument",
		"deployment wait --application a": "are required",
	} {
		var out, errOut bytes.Buffer
		code := run(strings.Fields(args), &out, &errOut)
		first, _, _ := strings.Cut(errOut.String(), "\n")
		if code != 2 || out.Len() != 0 || !strings.Contains(first, want) || !strings.Contains(errOut.String(), "Usage:") {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q", args, code, out.String(), errOut.String())
		}
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
