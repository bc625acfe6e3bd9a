package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// flagSetup is a feature-flag profile and a deployment strategy that
// completes at once.
type flagSetup struct {
	api                         *benchutil.API
	app, env, profile, strategy string
}

func setup(ctx context.Context, base string) flagSetup {
	api := &benchutil.API{Base: base, Client: &http.Client{Timeout: 30 * time.Second}, Signer: benchutil.NewSigner(time.Now()), Account: "123456789012", Region: "us-east-1"}
	var f flagSetup
	var err error
	f.api = api
	f.app, err = api.Create(ctx, "/applications", map[string]any{"Name": "push"})
	check(err)
	f.env, err = api.Create(ctx, "/applications/"+f.app+"/environments", map[string]any{"Name": "prod"})
	check(err)
	f.profile, err = api.Create(ctx, "/applications/"+f.app+"/configurationprofiles", map[string]any{"Name": "flags", "LocationUri": "hosted", "Type": "AWS.AppConfig.FeatureFlags"})
	check(err)
	f.strategy, err = api.Create(ctx, "/deploymentstrategies", map[string]any{"Name": "now", "DeploymentDurationInMinutes": 0, "GrowthFactor": 100, "FinalBakeTimeInMinutes": 0, "ReplicateTo": "NONE"})
	check(err)
	return f
}

// deploy creates version n and starts deploying it; it returns when the
// StartDeployment request was sent (the clock starts there).
func (f flagSetup) deploy(ctx context.Context, n int) time.Time {
	doc := fmt.Sprintf(`{"version":"1","flags":{"f":{"name":"F","attributes":{"n":{"constraints":{"type":"number"}}}}},"values":{"f":{"enabled":true,"n":%d}}}`, n)
	_, _, err := f.api.Do(ctx, "POST", "/applications/"+f.app+"/configurationprofiles/"+f.profile+"/hostedconfigurationversions", "application/json", []byte(doc))
	check(err)
	t0 := time.Now()
	_, _, err = f.api.Do(ctx, "POST", "/applications/"+f.app+"/environments/"+f.env+"/deployments", "", map[string]any{
		"DeploymentStrategyId": f.strategy, "ConfigurationProfileId": f.profile, "ConfigurationVersion": fmt.Sprint(n)})
	check(err)
	return t0
}

// arrival is one event read off a stream.
type arrival struct {
	stream  int
	version string
	at      time.Time
}

// listen opens a change stream and sends its events' versions to out.
func listen(ctx context.Context, url string, i int, out chan<- arrival, ready *sync.WaitGroup) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	check(err)
	if resp.StatusCode != 200 {
		check(fmt.Errorf("stream: %s", resp.Status))
	}
	ready.Done()
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var d struct{ Version string }
		_ = json.Unmarshal([]byte(line[6:]), &d)
		out <- arrival{stream: i, version: d.Version, at: time.Now()}
	}
}

// propagation deploys on one server and times the events on another (the
// same one for the single-server scenario).
func propagation(ctx context.Context, o options, name string, deployOn, listenOn *server) result {
	f := setup(ctx, deployOn.base)
	f.deploy(ctx, 1)
	time.Sleep(200 * time.Millisecond)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan arrival, 1024)
	var ready sync.WaitGroup
	url := listenOn.base + "/applications/push/environments/prod/configurations/flags"
	for i := 0; i < o.listeners; i++ {
		ready.Add(1)
		go listen(lctx, url, i, events, &ready)
	}
	ready.Wait()
	// Each stream first gets the current state (version 1).
	for i := 0; i < o.listeners; i++ {
		<-events
	}
	benchutil.Logf("%s: %d streams open; %d deployments", name, o.listeners, o.deploys)
	r := result{Scenario: name, Listeners: o.listeners, Deploys: o.deploys}
	var lat []time.Duration
	last := make([]int, o.listeners)
	for n := 2; n < 2+o.deploys; n++ {
		t0 := f.deploy(ctx, n)
		seen := map[int]bool{}
		for len(seen) < o.listeners {
			select {
			case a := <-events:
				v := 0
				fmt.Sscan(a.version, &v)
				if seen[a.stream] || v == last[a.stream] {
					r.Duplicates++
					continue
				}
				if v != n {
					r.OutOfOrder++
				}
				seen[a.stream], last[a.stream] = true, v
				lat = append(lat, a.at.Sub(t0))
			case <-time.After(10 * time.Second):
				check(fmt.Errorf("%s: deployment %d reached %d of %d streams in 10 s", name, n, len(seen), o.listeners))
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.P50Ms, r.P99Ms, r.MaxMs = percentiles(lat)
	r.RoundTrip = roundTrip(ctx, listenOn.base)
	r.Load = benchutil.LoadAvg()
	return r
}

// roundTrip is the median of 200 sequential GET /healthz.
func roundTrip(ctx context.Context, base string) float64 {
	c := &http.Client{}
	var d []time.Duration
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		resp, err := c.Get(base + "/healthz")
		check(err)
		resp.Body.Close()
		d = append(d, time.Since(t0))
	}
	p50, _, _ := percentiles(d)
	return p50
}
