// Package itest runs real appconfigd servers on 127.0.0.1:0 for tests
// that drive them with unmodified AWS clients.
package itest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"
	"github.com/aws/smithy-go"

	"github.com/appconfigd/appconfigd/internal/server"
)

// Server is a running in-process appconfigd.
type Server struct {
	*server.Server
	URL     string
	DataDir string
	cancel  context.CancelFunc
	done    chan error
}

// Option adjusts the server config before start.
type Option func(*server.Config)

// Start runs a server on a loopback port with a fresh data dir; it stops
// when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	dir := t.TempDir()
	return StartIn(t, dir, opts...)
}

// StartIn runs a server on an existing data dir (to test restarts).
func StartIn(t testing.TB, dir string, opts ...Option) *Server {
	t.Helper()
	cfg := server.Defaults()
	cfg.DataDir = dir
	cfg.Store = "sqlite://" + filepath.Join(dir, "appconfigd.db")
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg)
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	s := &Server{Server: srv, URL: "http://" + ln.Addr().String(), DataDir: dir, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(s.Stop)
	return s
}

// Stop shuts the server down and closes its store (idempotent).
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
	}
	s.Close()
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// Client returns a Go SDK AppConfig client for the server, signing as the
// given access key (a 12-digit key selects that account in open mode).
func (s *Server) Client(accessKey ...string) *sdk.Client {
	key := "AKIDEXAMPLE"
	if len(accessKey) > 0 {
		key = accessKey[0]
	}
	return s.ClientIn("us-east-1", key, "secret")
}

// ClientIn returns a client for a region and credentials.
func (s *Server) ClientIn(region, key, secret string) *sdk.Client {
	return sdk.New(sdk.Options{
		Region:           region,
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 30 * time.Second},
	})
}

// ErrorCode returns the AWS error code of err ("" if none).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// HTTPStatus returns the HTTP status of an SDK error (0 if none).
func HTTPStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// WantError fails the test unless err has the given AWS code and status.
func WantError(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s (%d), got success", code, status)
	}
	if c := ErrorCode(err); c != code {
		t.Fatalf("want error code %s, got %q: %v", code, c, err)
	}
	if status != 0 {
		if st := HTTPStatus(err); st != status {
			t.Fatalf("want HTTP %d, got %d: %v", status, st, err)
		}
	}
}
