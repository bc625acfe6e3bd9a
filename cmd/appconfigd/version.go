package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// version may be stamped at build time with -ldflags "-X main.version=...";
// it is used only when the binary carries no version of its own in its
// build information (a build from a source tree without .git).
var version = ""

// versionInfo describes the binary from its build information: the module
// version (v1.2.3 for `go install module@v1.2.3`, or the pseudo-version
// Go derives from the commit, with +dirty for uncommitted changes) or,
// failing that, the VCS revision with a -dirty mark.
func versionInfo(info *debug.BuildInfo, ok bool, stamped string) (short, detail string) {
	if !ok || info == nil {
		info = &debug.BuildInfo{}
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev, modified, at := settings["vcs.revision"], settings["vcs.modified"] == "true", settings["vcs.time"]
	switch v := info.Main.Version; {
	case v != "" && v != "(devel)":
		short = v
	case rev != "":
		short = rev
		if len(short) > 12 {
			short = short[:12]
		}
		if modified {
			short += "-dirty"
		}
	case stamped != "":
		short = stamped
	default:
		short = "unknown (built without version control information)"
	}
	var parts []string
	if rev != "" {
		c := "commit " + rev
		if at != "" {
			c += " (" + at + ")"
		}
		if modified {
			c += ", with uncommitted changes"
		}
		parts = append(parts, c)
	}
	if info.GoVersion != "" {
		parts = append(parts, "built with "+info.GoVersion)
	}
	return short, strings.Join(parts, "; ")
}

func printVersion(w interface{ Write([]byte) (int, error) }) {
	info, ok := debug.ReadBuildInfo()
	short, detail := versionInfo(info, ok, version)
	fmt.Fprintln(w, "appconfigd", short)
	if detail != "" {
		fmt.Fprintln(w, detail)
	}
}
