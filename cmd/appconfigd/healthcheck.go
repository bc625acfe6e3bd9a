package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
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
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this `duration`")
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
	resp, err := client.Get(*url)
	if err != nil {
		fmt.Fprintln(stderr, "unhealthy:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "unhealthy: %s %s\n", resp.Status, body)
		return 1
	}
	fmt.Fprintf(stdout, "healthy: %s", body)
	return 0
}
