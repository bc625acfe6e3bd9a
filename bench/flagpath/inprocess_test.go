package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
	"github.com/appconfigd/appconfigd/internal/server"
)

type inProcess struct {
	url string
	srv *server.Server
}

// serveInProcess runs the server package on a free loopback port.
func serveInProcess(ctx context.Context, cfg server.Config) (inProcess, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return inProcess{}, nil, err
	}
	cfg.Listen = ln.Addr().String()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	sctx, cancel := context.WithCancel(ctx)
	srv, err := server.New(sctx, cfg)
	if err != nil {
		cancel()
		ln.Close()
		return inProcess{}, nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(sctx, ln); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
			benchutil.Logf("in-process appconfigd: %v", err)
		}
	}()
	base := inProcess{url: "http://" + cfg.Listen, srv: srv}
	stop := func() { cancel(); <-done; srv.Close() }
	err = benchutil.WaitReady(ctx, nil, "appconfigd", func() *http.Request {
		r, _ := http.NewRequest("GET", base.url+"/applications", nil)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 }, 30*time.Second)
	return base, stop, err
}
