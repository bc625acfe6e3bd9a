package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// target is one measured endpoint.
type target struct {
	Name     string // row name
	Baseline string // the row it is compared with ("" for baselines)
	Base     string // http://host:port
	Req      request
	Answer   string // the answer checked before measuring (shortened)
}

// startTargets starts appconfigd (set up and deployed), the bare ceiling
// and, when given, flagd, each pinned to CPU 1, and lists the targets.
func startTargets(ctx context.Context, ws *benchutil.Workspace, o options, pin bool) ([]*target, error) {
	app, err := startAppconfigd(ctx, ws, pin)
	if err != nil {
		return nil, err
	}
	bare, err := startBare(ctx, ws, pin)
	if err != nil {
		return nil, err
	}
	ctxHeader := map[string]string{"Context": "country=" + callerCountry}
	ts := []*target{
		{Name: "bare net/http, 4 KB", Base: bare, Req: request{Method: "GET", Path: "/"}},
		{Name: "Agent route, 4 KB", Baseline: "bare net/http, 4 KB", Base: app, Req: request{Method: "GET", Path: agentConfigPath}},
		{Name: "Agent route, boolean flag", Baseline: "flagd OFREP, boolean flag", Base: app, Req: request{Method: "GET", Path: agentFlagsPath + "?flag=simple", Headers: ctxHeader}},
		{Name: "Agent route, multi-variant flag (1 rule)", Baseline: "flagd OFREP, multi-variant flag (1 rule)", Base: app, Req: request{Method: "GET", Path: agentFlagsPath + "?flag=button", Headers: ctxHeader}},
	}
	if o.flagd != "" {
		fd, err := startFlagd(ctx, ws, o.flagd, pin)
		if err != nil {
			return nil, err
		}
		body := `{"context":{"country":"` + callerCountry + `"}}`
		json := map[string]string{"Content-Type": "application/json"}
		ofrep := agentFlagsPath + "/ofrep/v1/evaluate/flags"
		ts = append(ts,
			&target{Name: "flagd OFREP, boolean flag", Base: fd, Req: request{Method: "POST", Path: "/ofrep/v1/evaluate/flags/simple", Headers: json, Body: body}},
			&target{Name: "flagd OFREP, multi-variant flag (1 rule)", Base: fd, Req: request{Method: "POST", Path: "/ofrep/v1/evaluate/flags/button", Headers: json, Body: body}},
			&target{Name: "flagd OFREP, bulk (2 flags)", Base: fd, Req: request{Method: "POST", Path: "/ofrep/v1/evaluate/flags", Headers: json, Body: body}},
			&target{Name: "appconfigd OFREP, boolean flag", Baseline: "flagd OFREP, boolean flag", Base: app, Req: request{Method: "POST", Path: ofrep + "/simple", Headers: json, Body: body}},
			&target{Name: "appconfigd OFREP, multi-variant flag (1 rule)", Baseline: "flagd OFREP, multi-variant flag (1 rule)", Base: app, Req: request{Method: "POST", Path: ofrep + "/button", Headers: json, Body: body}},
			&target{Name: "appconfigd OFREP, bulk (2 flags)", Baseline: "flagd OFREP, bulk (2 flags)", Base: app, Req: request{Method: "POST", Path: ofrep, Headers: json, Body: body}})
	}
	ts = selectTargets(ts, o.only)
	for _, t := range ts {
		if err := check(ctx, t); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

func startAppconfigd(ctx context.Context, ws *benchutil.Workspace, pin bool) (string, error) {
	bin, err := benchutil.BuildAppconfigd(ws.Dir)
	if err != nil {
		return "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	base := "http://" + addr
	if err := startServer(ctx, ws, pin, "appconfigd", base+"/applications", func(r *http.Response) bool { return r.StatusCode == 200 },
		bin, "serve", "--listen", addr, "--data-dir", filepath.Join(ws.Dir, "data")); err != nil {
		return "", err
	}
	c, _ := benchutil.NewClient(4)
	api := &benchutil.API{Base: base, Client: c, Signer: benchutil.NewSigner(time.Now()), Account: "123456789012", Region: "us-east-1"}
	return base, setupAppconfigd(ctx, api)
}

func startBare(ctx context.Context, ws *benchutil.Workspace, pin bool) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return "", err
	}
	return "http://" + addr, startServer(ctx, ws, pin, "bare", "http://"+addr+"/", func(r *http.Response) bool { return r.StatusCode == 200 },
		self, "-bare-listen", addr)
}

// startFlagd serves the fixture's flags from a file; OFREP on its own port.
func startFlagd(ctx context.Context, ws *benchutil.Workspace, bin string, pin bool) (string, error) {
	file := filepath.Join(ws.Dir, "flags.flagd.json")
	if err := os.WriteFile(file, []byte(flagdFlags), 0o644); err != nil {
		return "", err
	}
	var ports [4]int
	for i := range ports {
		p, err := benchutil.FreePort()
		if err != nil {
			return "", err
		}
		ports[i] = p
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", ports[3])
	err := startServer(ctx, ws, pin, "flagd", fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[1]), func(r *http.Response) bool { return r.StatusCode == 200 },
		bin, "start", "--uri", "file:"+file, "--port", fmt.Sprint(ports[0]), "--management-port", fmt.Sprint(ports[1]),
		"--sync-port", fmt.Sprint(ports[2]), "--ofrep-port", fmt.Sprint(ports[3]))
	return base, err
}

// check sends a target's request once: it must answer 200.
func check(ctx context.Context, t *target) error {
	req, err := http.NewRequestWithContext(ctx, t.Req.Method, t.Base+t.Req.Path, strings.NewReader(t.Req.Body))
	if err != nil {
		return err
	}
	for k, v := range t.Req.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %d %s", t.Name, resp.StatusCode, b)
	}
	t.Answer = string(b)
	if len(b) > 120 {
		t.Answer = fmt.Sprintf("%d bytes", len(b))
	}
	return nil
}

// selectTargets keeps the targets whose name contains one of the
// comma-separated words of only (all when only is empty), and their
// baselines.
func selectTargets(ts []*target, only string) []*target {
	if only == "" {
		return ts
	}
	keep := map[string]bool{}
	for _, t := range ts {
		for _, w := range strings.Split(only, ",") {
			if w != "" && strings.Contains(t.Name, w) {
				keep[t.Name], keep[t.Baseline] = true, true
			}
		}
	}
	var out []*target
	for _, t := range ts {
		if keep[t.Name] {
			out = append(out, t)
		}
	}
	return out
}
