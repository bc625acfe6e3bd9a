package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/appconfigd/appconfigd/internal/clock"
)

// healthcheck asks a running server whether it is ready: exit 0 when
// /readyz answers 200, 1 otherwise. Container HEALTHCHECKs call it.
func healthcheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	listen := os.Getenv("APPCONFIGD_LISTEN")
	if listen == "" {
		listen = "127.0.0.1:2772"
	}
	url := fs.String("url", "http://"+listen+"/readyz", "`URL` to check (default: /readyz on APPCONFIGD_LISTEN or 127.0.0.1:2772)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up on one attempt after this `duration`")
	wait := fs.Duration("wait", 0, "keep trying for up to this `duration` until the server is ready (e.g. right after starting it)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: appconfigd healthcheck [flags]\n\nExits 0 when the server answers 200 on /readyz, 1 otherwise (for container health checks).\n\nFlags:\n")
		printFlags(fs)
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, fs, "unexpected argument %q", fs.Arg(0))
	}
	client := &http.Client{Timeout: *timeout}
	wall := clock.Real{}
	deadline := wall.Now().Add(*wait)
	for {
		healthy, msg := checkReady(client, *url)
		if healthy {
			fmt.Fprintf(stdout, "healthy: %s", msg)
			return 0
		}
		if !wall.Now().Before(deadline) {
			fmt.Fprintln(stderr, "unhealthy:", msg)
			return 1
		}
		clock.Sleep(wall, 200*time.Millisecond, nil)
	}
}

func checkReady(client *http.Client, url string) (bool, string) {
	resp, err := client.Get(url)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("%s %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return true, string(body)
}
