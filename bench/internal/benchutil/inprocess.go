//go:build inprocess

package benchutil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/appconfigd/appconfigd/internal/server"
)

// ServeInProcess runs appconfigd's server package inside this process, on
// a free loopback port (cfg.Listen and cfg.Logger are set here), waits
// until it answers, and returns its base URL and a function that stops
// it. Only tools built with -tags inprocess link the server package.
func ServeInProcess(ctx context.Context, cfg server.Config) (base string, stop func(), err error) {
	port, err := FreePort()
	if err != nil {
		return "", nil, err
	}
	cfg.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return "", nil, err
		}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(sctx, cfg)
	if err != nil {
		cancel()
		return "", nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		cancel()
		srv.Close()
		return "", nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(sctx, ln); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
			Logf("in-process appconfigd: %v", err)
		}
	}()
	base = "http://" + cfg.Listen
	stop = func() {
		cancel()
		<-done
		srv.Close()
	}
	if err := WaitReady(ctx, nil, "appconfigd (in-process)", func() *http.Request {
		r, _ := http.NewRequest("GET", base+"/applications", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second); err != nil {
		stop()
		return "", nil, err
	}
	return base, stop, nil
}
