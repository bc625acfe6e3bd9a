// Package motoserver starts moto_server for tests that talk to the AWS
// services appconfigd calls (CloudWatch, SQS, SNS, EventBridge).
//
// Each call starts its own server on a loopback port in its own process
// group and stops the whole group when the test ends. The server's log
// (one line per request with its status, and any traceback) is kept and
// printed when the test fails, so a failure that comes from moto rather
// than from appconfigd can be told apart.
package motoserver

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Start runs moto_server and returns its base URL once it answers.
func Start(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	log := &lockedBuffer{}
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = log, log
	// moto_server may be a shim in front of python: stop the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("moto_server (needed for the AWS target tests): %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("moto_server log (last 8 KiB):\n%s", log.tail(8<<10))
		}
	})

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		// No keep-alive: a pooled connection must not outlive the
		// server it was opened to.
		if resp, err := client.Get(url + "/moto-api/"); err == nil {
			resp.Body.Close()
			// An answer from a moto that has exited came from another
			// process that took the port: not ours.
			select {
			case <-exited:
				t.Fatalf("moto_server exited (port %d taken?):\n%s", port, log.tail(4<<10))
			default:
			}
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case <-exited:
			t.Fatalf("moto_server exited before answering:\n%s", log.tail(4<<10))
		case <-tick.C:
		}
	}
	t.Fatalf("moto_server did not start within 60 s:\n%s", log.tail(4<<10))
	return ""
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = s[len(s)-n:]
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return s
}
