package main

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
	"time"
)

// proc is a server child process, started in its own process group so
// that stopping it also stops anything it spawned (moto_server is a pyenv
// shim in front of python).
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

func startProc(name, logPath string, argv ...string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after 5 s.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	signalGroup(p.cmd.Process.Pid, false)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		signalGroup(p.cmd.Process.Pid, true)
		<-p.done
	}
}

// logTail returns the last lines of the process's log, for error reports.
func (p *proc) logTail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls until ready(resp) holds or the timeout passes; p, when
// not nil, is checked for an early exit.
func waitReady(ctx context.Context, p *proc, name string, req func() *http.Request, ready func(*http.Response) bool, timeout time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited before answering (%v); log tail:\n%s", name, p.waitErr, p.logTail(20))
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
		msg += "; log tail:\n" + p.logTail(20)
	}
	return errors.New(msg)
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot() (string, error) {
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

func buildAppconfigd(tmp string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(tmp, "appconfigd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/appconfigd")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/appconfigd: %w", err)
	}
	return bin, nil
}

// startAppconfigd builds (unless bin is given) and runs appconfigd serve
// with open auth and the default SQLite store in a fresh data directory.
func startAppconfigd(ctx context.Context, tmp, bin string) (*target, error) {
	if bin == "" {
		logf("building appconfigd")
		var err error
		if bin, err = buildAppconfigd(tmp); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(tmp, "appconfigd-data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := startProc("appconfigd", filepath.Join(tmp, "appconfigd.log"),
		bin, "serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	t := &target{name: "appconfigd", base: "http://" + addr, stop: p.stop, proc: p,
		createOK: map[int]bool{201: true}}
	if err := waitReady(ctx, p, "appconfigd", func() *http.Request {
		r, _ := http.NewRequest("GET", t.base+"/applications", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return t, nil
}

// startMoto runs moto_server on a free loopback port. moto implements
// only part of AppConfig (no ListApplications), so readiness is any HTTP
// answer on "/".
func startMoto(ctx context.Context, tmp, command string) (*target, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := startProc("moto", filepath.Join(tmp, "moto.log"), command, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err != nil {
		return nil, err
	}
	// moto 5.x answers 200 where the AWS model (and appconfigd) answer
	// 201 for Create* operations; clients accept any 2xx.
	t := &target{name: "moto", base: "http://" + addr, stop: p.stop, proc: p,
		createOK: map[int]bool{200: true, 201: true}}
	if err := waitReady(ctx, p, "moto_server", func() *http.Request {
		r, _ := http.NewRequest("GET", t.base+"/", nil)
		return r
	}, func(*http.Response) bool { return true }, 60*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return t, nil
}
