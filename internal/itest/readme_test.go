package itest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/internal/testutil"
)

// readmeBlocks returns the sh blocks of the README marked with
// <!-- readme-test: NAME --> on the line before their fence, in order,
// with their names.
func readmeBlocks(t *testing.T, readme string) (names, blocks []string) {
	t.Helper()
	marker := regexp.MustCompile(`^<!-- readme-test: ([a-z0-9-]+) -->$`)
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		m := marker.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "```sh" {
			t.Fatalf("README line %d: the readme-test marker is not followed by a ```sh block", i+1)
		}
		var b strings.Builder
		j := i + 2
		for ; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
			b.WriteString(lines[j] + "\n")
		}
		if j == len(lines) {
			t.Fatalf("README line %d: unterminated block", i+2)
		}
		names, blocks = append(names, m[1]), append(blocks, b.String())
		i = j
	}
	return names, blocks
}

// freshCheckout copies the repository's files (tracked and not ignored,
// as a clone plus the work in progress would have them) into a new
// directory and commits them there, so that the copy is a clean git
// checkout whose HEAD is known.
func freshCheckout(t *testing.T) (dir, head string) {
	t.Helper()
	root := repoRoot()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	dir = t.TempDir()
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, rel)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink/submodule
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.name=readme-test", "-c", "user.email=readme-test@example.invalid", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, b)
		}
		return strings.TrimSpace(string(b))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "fresh checkout")
	return dir, git("rev-parse", "HEAD")
}

// TestReadme follows the README from the top on a fresh checkout: the
// blocks marked <!-- readme-test: … --> run as written, in order, in one
// shell, with the binary installed by the README's own command into an
// empty GOBIN that leads PATH. The only change to the text is the port:
// the server listens on a free loopback port rather than 2772, which
// another process on this machine may hold.
func TestReadme(t *testing.T) {
	testutil.Need(t, "aws", "make", "git", "file")
	raw, err := os.ReadFile(filepath.Join(repoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names, blocks := readmeBlocks(t, string(raw))
	if !regexp.MustCompile(`^install( quickstart)+$`).MatchString(strings.Join(names, " ")) {
		t.Fatalf("marked blocks %v: the test expects install, then the quickstart's blocks (a new kind of block needs its checks here)", names)
	}
	dir, head := freshCheckout(t)
	gobin, home := t.TempDir(), t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))

	var script strings.Builder
	// Harness, not README: fail on the first failing command, and never
	// leave the background server behind.
	script.WriteString("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n")
	for i, b := range blocks {
		fmt.Fprintf(&script, "echo '=== block %d (%s)'\n%s", i+1, names[i], strings.ReplaceAll(b, "127.0.0.1:2772", addr))
	}
	script.WriteString("wait\n")

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = readmeEnv(t, gobin, home, addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("README commands failed: %v\n%s\nserver log:\n%s", err, out.String(), readFile(filepath.Join(dir, "appconfigd.log")))
	}
	got := out.String()

	// Install: a static binary whose version is the checkout's commit.
	bin := filepath.Join(gobin, "appconfigd")
	if desc, err := exec.Command("file", bin).Output(); err != nil || !strings.Contains(string(desc), "statically linked") {
		t.Errorf("installed binary is not static: %v %s", err, desc)
	}
	if !regexp.MustCompile(`(?m)^appconfigd v0\.0\.0-\d{14}-` + head[:12] + `$`).MatchString(got) {
		t.Errorf("appconfigd version does not name the commit %s as a clean build:\n%s", head[:12], got)
	}
	// Quickstart: the deployment went through its steps and bake, the
	// configuration was read, the log tells the deployment's life.
	for _, want := range []string{
		"Configuration available to 50.00% of clients",
		"BAKE_TIME_STARTED    Deployment bake time started (bakes 1m0s)",
		"deployment 1 COMPLETE: version 1 of settings is served to every client",
		`{"currency":"EUR"}`,
		`msg="deployment started"`, `msg="deployment step"`, `msg="deployment baking"`, `msg="deployment complete"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("README run lacks %q", want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "config.json")); err != nil || string(b) != `{"currency":"EUR"}`+"\n" {
		t.Errorf("config.json: %v %q", err, b)
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}
}

// readmeEnv is a new user's environment: this one's Go toolchain and
// caches (so the install compiles only what changed), a fresh HOME and
// GOBIN, no AWS settings of the machine, and the server's port.
func readmeEnv(t *testing.T, gobin, home, addr string) []string {
	t.Helper()
	goenv := func(name string) string {
		b, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "APPCONFIGD_") || k == "HOME" || k == "PATH" || k == "GOBIN" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+home, "GOBIN="+gobin, "PATH="+gobin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOCACHE="+goenv("GOCACHE"), "GOMODCACHE="+goenv("GOMODCACHE"), "GOPATH="+goenv("GOPATH"),
		"APPCONFIGD_LISTEN="+addr, "AWS_EC2_METADATA_DISABLED=true")
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
