package itest

import (
	"bufio"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appconfigd/appconfigd/internal/testutil"
)

// dockerfileLines reads the Dockerfile as instructions (continuations
// joined, comments dropped).
func dockerfileLines(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// The image's data volume belongs to the non-root user the server runs
// as: every VOLUME of the final stage is created by a COPY --chown to that
// user before it is declared (Docker copies the image's directory, owner
// included, into a new volume). Checked statically: no image builder can
// run in the test environment (see the README's Running it).
func TestDockerfileDataVolumeOwnedByRuntimeUser(t *testing.T) {
	lines := dockerfileLines(t)
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(strings.ToUpper(l), "FROM ") {
			last = i
		}
	}
	if last < 0 {
		t.Fatal("no FROM")
	}
	final := lines[last:]
	uid := ""
	owned := map[string]string{} // directory -> owner uid, from COPY --chown
	var volumes []string
	for _, l := range final {
		f := strings.Fields(l)
		switch strings.ToUpper(f[0]) {
		case "USER":
			uid, _, _ = strings.Cut(f[1], ":")
			if uid == "nonroot" { // distroless's nonroot user
				uid = "65532"
			}
		case "COPY":
			for _, a := range f[1:] {
				if owner, ok := strings.CutPrefix(a, "--chown="); ok {
					u, _, _ := strings.Cut(owner, ":")
					owned[path.Clean(f[len(f)-1])] = u
				}
			}
		case "VOLUME":
			for _, v := range f[1:] {
				volumes = append(volumes, path.Clean(strings.Trim(v, `[]",`)))
			}
			for _, v := range volumes {
				if owned[v] == "" {
					t.Errorf("VOLUME %s is declared before anything creates it owned by the runtime user", v)
				}
			}
		}
	}
	if uid == "" || uid == "0" || uid == "root" {
		t.Fatalf("the final stage runs as %q", uid)
	}
	if len(volumes) == 0 {
		t.Fatal("no VOLUME in the final stage")
	}
	for _, v := range volumes {
		if owned[v] != uid {
			t.Errorf("VOLUME %s is owned by %q, the server runs as %q", v, owned[v], uid)
		}
	}
	if !strings.Contains(strings.Join(lines[:last], "\n"), "CGO_ENABLED=0 go build") {
		t.Error("the build stage does not build a static binary (CGO_ENABLED=0)")
	}
}

// dockerignored reports whether p (slash-separated, relative to the
// context) is left out by the patterns, with Docker's rules: a pattern
// matches a path or any directory above it; **/ matches any depth.
func dockerignored(patterns []string, p string) bool {
	parts := strings.Split(p, "/")
	for _, pat := range patterns {
		pat = strings.Trim(pat, "/")
		for i := 1; i <= len(parts); i++ {
			prefix := strings.Join(parts[:i], "/")
			if rest, ok := strings.CutPrefix(pat, "**/"); ok {
				for j := 0; j < i; j++ {
					if m, _ := path.Match(rest, strings.Join(parts[j:i], "/")); m {
						return true
					}
				}
			} else if m, _ := path.Match(pat, prefix); m {
				return true
			}
		}
	}
	return false
}

func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(), ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") {
			t.Fatalf("exception pattern %q: this test does not model them", l)
		}
		patterns = append(patterns, l)
	}
	for _, p := range []string{".git", ".git/HEAD", "node_modules", "test/compat/js/node_modules/@aws-sdk/x.js",
		"appconfigd-data/appconfigd.db", "bench/results/run.txt", "appconfigd", "bin/appconfigd", "dist/x", "internal/x/x.test", "cover.out"} {
		if !dockerignored(patterns, p) {
			t.Errorf("%s goes into the build context", p)
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/appconfigd/main.go", "internal/server/server.go", "models/appconfig/2019-10-09/service-2.json", "deployment.go"} {
		if dockerignored(patterns, p) {
			t.Errorf("%s is left out of the build context", p)
		}
	}
}

// The systemd unit passes the credentials file to its dynamic user with
// LoadCredential= and verifies clean. systemd-analyze needs the binary to
// exist, so the unit is verified with ExecStart pointing at a built one.
func TestSystemdUnit(t *testing.T) {
	testutil.Need(t, "systemd-analyze")
	b, err := os.ReadFile(filepath.Join(repoRoot(), "deploy", "appconfigd.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	if strings.Contains(unit, "DynamicUser=yes") {
		if !strings.Contains(unit, "LoadCredential=credentials:/etc/appconfigd/credentials") ||
			!strings.Contains(unit, "Environment=APPCONFIGD_CREDENTIALS_FILE=%d/credentials") {
			t.Fatal("a DynamicUser unit must pass the credentials with LoadCredential= and read them from the credentials directory")
		}
	}
	const exec0 = "ExecStart=/usr/local/bin/appconfigd "
	if !strings.Contains(unit, exec0) {
		t.Fatalf("no %q line", exec0)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "appconfigd.service")
	if err := os.WriteFile(p, []byte(strings.Replace(unit, exec0, "ExecStart="+Binary(t)+" ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", p).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
