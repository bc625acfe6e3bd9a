package itest

import (
	"fmt"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// StartMoto runs moto_server on a free loopback port for AWS services
// appconfigd talks to (CloudWatch, SQS, EventBridge, SNS).
func StartMoto(t testing.TB) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("moto_server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("moto_server did not start")
	return ""
}
