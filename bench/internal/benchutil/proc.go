// Package benchutil holds what the tools under bench/ share: child
// processes in their own process group, readiness checks, building the
// binaries under test, /proc readings, the plain keep-alive HTTP client,
// SigV4-shaped headers, percentiles and a description of the machine.
package benchutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Logf writes a progress line to stderr.
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// Proc is a server child process, started in its own process group so
// that stopping it also stops anything it spawned (moto_server is a pyenv
// shim in front of python), and killed if the tool dies (PDEATHSIG).
type Proc struct {
	Name    string
	Cmd     *exec.Cmd
	LogPath string
	done    chan struct{}
	WaitErr error
}

// StartProc starts argv with stdout and stderr to logPath; env, when not
// nil, is added to this process's environment.
func StartProc(name, logPath string, env []string, argv ...string) (*Proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	argv = pinned(argv)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, LogPath: logPath, done: make(chan struct{})}
	go func() {
		p.WaitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// EnvServerCPUs names the CPU list (taskset -c syntax, e.g. "1") the
// servers under test are pinned to; scripts/bench.sh sets it and runs the
// tool itself on the other CPUs. Empty: no pinning.
const EnvServerCPUs = "APPCONFIGD_BENCH_SERVER_CPUS"

// Pinning describes how the servers are pinned, for the report header:
// "servers on CPUs 1" or "" when they are not.
func Pinning() string {
	cpus := os.Getenv(EnvServerCPUs)
	if cpus == "" {
		return ""
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return "not pinned (" + EnvServerCPUs + "=" + cpus + " but no taskset on PATH)"
	}
	return "servers on CPUs " + cpus
}

// pinned prefixes argv with taskset when EnvServerCPUs asks for pinning
// and taskset exists (taskset execs the command, so the pid is the
// server's).
func pinned(argv []string) []string {
	cpus := os.Getenv(EnvServerCPUs)
	if cpus == "" {
		return argv
	}
	if _, err := exec.LookPath("taskset"); err != nil {
		return argv
	}
	return append([]string{"taskset", "-c", cpus}, argv...)
}

// Pid is the child's process id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Exited reports whether the child has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM to the process group, then SIGKILL after 5 s.
func (p *Proc) Stop() {
	if p.Exited() {
		return
	}
	signalGroup(p.Cmd.Process.Pid, false)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		signalGroup(p.Cmd.Process.Pid, true)
		<-p.done
	}
}

// LogTail returns the last lines of the process's log, for error reports.
func (p *Proc) LogTail(n int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreePort is a loopback TCP port free at the time of the call.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// WaitReady polls until ready(resp) holds or the timeout passes; p, when
// not nil, is checked for an early exit.
func WaitReady(ctx context.Context, p *Proc, name string, req func() *http.Request, ready func(*http.Response) bool, timeout time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p != nil && p.Exited() {
			return fmt.Errorf("%s exited before answering (%v); log tail:\n%s", name, p.WaitErr, p.LogTail(20))
		}
		resp, err := c.Do(req().WithContext(ctx))
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if ready(resp) {
				return nil
			}
			last = fmt.Errorf("status %d", resp.StatusCode)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	msg := fmt.Sprintf("%s did not answer within %v (last: %v)", name, timeout, last)
	if p != nil {
		msg += "; log tail:\n" + p.LogTail(20)
	}
	return errors.New(msg)
}

// ModuleRoot is the directory of the main module's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the appconfigd module (run from the repository)")
	}
	return filepath.Dir(gomod), nil
}

// GoBuild builds the package pkg (relative to the module root, e.g.
// ./cmd/appconfigd) into dir/name and returns the binary's path.
func GoBuild(dir, name, pkg string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", pkg, err)
	}
	return bin, nil
}

// BuildAppconfigd builds ./cmd/appconfigd into dir.
func BuildAppconfigd(dir string) (string, error) {
	return GoBuild(dir, "appconfigd", "./cmd/appconfigd")
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// SplitList splits a comma-separated flag value, dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Parallel runs fn(i) for every i in [0, n) on `workers` goroutines and
// returns the first error (after which no new i is started).
func Parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
