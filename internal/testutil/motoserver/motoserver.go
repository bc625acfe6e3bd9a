// Package motoserver starts moto_server for tests that talk to the AWS
// services appconfigd calls (CloudWatch, SQS, SNS, EventBridge, S3, SSM,
// Secrets Manager).
//
// Each call starts its own server, on a loopback port that moto picks, in
// its own process group, and stops the whole group when the test ends.
// The server's log (one line per request with its status, and any
// traceback) is kept and printed when the test fails, so a failure that
// comes from moto rather than from appconfigd can be told apart.
package motoserver

import (
	"net/http"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/internal/testutil"
)

// Start runs moto_server and returns its base URL once it answers.
func Start(t testing.TB) string {
	t.Helper()
	testutil.Need(t, "moto_server")
	log := &testutil.LockedBuffer{}
	// Port 0: moto binds a free port itself and prints it, so no other
	// process can take the port between choosing and binding it.
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", "0")
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
			t.Logf("moto_server log (last 8 KiB):\n%s", log.Tail(8<<10))
		}
	})

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	url := ""
	for time.Now().Before(deadline) {
		if url == "" {
			if m := runningOn.FindStringSubmatch(log.String()); m != nil {
				url = m[1]
			}
		}
		if url != "" {
			if resp, err := client.Get(url + "/moto-api/"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return url
				}
			}
		}
		select {
		case <-exited:
			t.Fatalf("moto_server exited before answering:\n%s", log.Tail(4<<10))
		case <-tick.C:
		}
	}
	t.Fatalf("moto_server did not start within 60 s:\n%s", log.Tail(4<<10))
	return ""
}

// runningOn finds the address in werkzeug's start-up line.
var runningOn = regexp.MustCompile(`Running on (http://127\.0\.0\.1:[0-9]+)`)
