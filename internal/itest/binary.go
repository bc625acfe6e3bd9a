// Helpers that build and run the real binary and the python clients.
package itest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/internal/testutil"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/appconfigd once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "appconfigd-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "appconfigd")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/appconfigd/appconfigd/cmd/appconfigd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Proc is the built binary running as a child process.
type Proc struct {
	URL string
	Cmd *exec.Cmd
	Log *procLog // its standard error, line by line as read
	// logDone is closed once standard error is read to its end.
	logDone chan struct{}
}

// procLog is a child's standard error, safe to read while it is written.
type procLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *procLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(line + "\n")
}

// String is the log so far.
func (l *procLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Wait waits for the process to exit and for its standard error to be
// read to the end, so Log then holds every line it wrote (Cmd.Wait alone
// closes the pipe as soon as the process exits, which can drop the last
// lines when the reader is behind, as on a loaded machine).
func (p *Proc) Wait() error {
	<-p.logDone
	return p.Cmd.Wait()
}

// StartBinary runs `appconfigd serve` with extra args on a free loopback
// port and waits until it listens.
func StartBinary(t testing.TB, args ...string) *Proc {
	t.Helper()
	bin := Binary(t)
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	all := append([]string{"serve", "--listen", addr}, args...)
	cmd := exec.Command(bin, all...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Proc{URL: "http://" + addr, Cmd: cmd, Log: &procLog{}, logDone: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(p.logDone)
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			p.Log.add(line)
			if strings.Contains(line, "appconfigd listening") {
				once.Do(func() { close(ready) })
			}
		}
		// A line too long for the scanner ends the log; keep draining so
		// the child never blocks writing to a full pipe.
		io.Copy(io.Discard, stderr)
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("appconfigd did not start:\n%s", p.Logs())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
			}
		}
	})
	return p
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*netTCPAddr).Port
}

// repoRoot is the repository's top directory.
func repoRoot() string { return testutil.RepoRoot() }

// RunPython runs a python test script against a server URL. The scripts
// drive boto3 and the aws CLI; without them the test skips (fails when
// CI=true).
func RunPython(t *testing.T, script, url string, env ...string) {
	t.Helper()
	NeedPython(t)
	cmd := exec.Command("python3", filepath.Join(repoRoot(), script))
	runClient(t, cmd, script, url, env)
}

// NeedPython skips t (fails it when CI=true) unless python3 with boto3
// and the aws CLI, which the python compat scripts drive, are installed.
func NeedPython(t testing.TB) { t.Helper(); testutil.Need(t, testutil.Boto3, "aws") }

// NeedNode skips t (fails it when CI=true) unless node and the
// JavaScript SDK (npm ci --prefix test/compat/js) are installed.
func NeedNode(t testing.TB) { t.Helper(); testutil.Need(t, testutil.JSSDK) }

// RunNode runs the node:test files in test/compat/js against a server
// URL. The directory's npm packages must be installed (scripts/test.sh
// and `make test-compat` run npm ci); without them or node the test
// skips, or fails when CI=true.
func RunNode(t *testing.T, dir, url string, env ...string) {
	t.Helper()
	NeedNode(t)
	abs := filepath.Join(repoRoot(), dir)
	files, err := filepath.Glob(filepath.Join(abs, "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.test.mjs files in %s", dir)
	}
	cmd := exec.Command("node", append([]string{"--test", "--test-reporter=spec"}, files...)...)
	cmd.Dir = abs
	runClient(t, cmd, dir, url, env)
}

func runClient(t *testing.T, cmd *exec.Cmd, what, url string, env []string) {
	t.Helper()
	cmd.Env = append(append(os.Environ(), "APPCONFIGD_URL="+url, "AWS_EC2_METADATA_DISABLED=true"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", what, err, out)
	}
	t.Logf("%s:\n%s", what, out)
}

// Logs returns what the process wrote to stderr so far.
func (p *Proc) Logs() string { return p.Log.String() }
