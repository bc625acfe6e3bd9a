package itest

import (
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/internal/store/postgres/pgtest"
)

// pushOnce deploys n versions through deployURL and checks that every
// stream opened on each of listenURLs gets each new version exactly once,
// in order; it logs the propagation times (StartDeployment sent → event
// read). The latency target is bench/push's, not this test's.
func pushOnce(t *testing.T, deployURL string, listenURLs []string, n int) {
	t.Helper()
	c := binaryClient(deployURL)
	f := newFlagTarget(t, c, "push")
	deploy := func(i int) time.Time {
		doc := fmt.Sprintf(`{"version":"1","flags":{"f":{"name":"F"}},"values":{"f":{"enabled":%v}}}`, i%2 == 0)
		v := f.version(t, doc)
		t0 := time.Now()
		f.start(t, v)
		return t0
	}
	deploy(1)
	type got struct {
		stream  int
		version int
		at      time.Time
	}
	events := make(chan got, 64)
	for i, base := range listenURLs {
		for j := 0; j < 3; j++ {
			var s *sseReader
			path := base + "/applications/push/environments/prod/configurations/flags"
			waitFor(t, "the first deployment to be served", 30*time.Second, func() bool {
				a := ofrepPost(t, path+"/ofrep/v1/evaluate/flags/f", `{}`)
				return a.status == 200
			})
			s = openStream(t, path)
			id := i*3 + j
			go func() {
				for {
					ev, _, ok := s.next()
					if !ok {
						return
					}
					var d struct{ Version string }
					_ = json.Unmarshal([]byte(ev.data), &d)
					var v int
					fmt.Sscan(d.Version, &v)
					events <- got{id, v, time.Now()}
				}
			}()
		}
	}
	streams := 3 * len(listenURLs)
	last := make([]int, streams)
	// First, every stream gets the current state: version 1.
	for k := 0; k < streams; k++ {
		g := <-events
		if g.version != 1 {
			t.Fatalf("stream %d started with version %d", g.stream, g.version)
		}
		last[g.stream] = 1
	}
	var lat []time.Duration
	for v := 2; v <= n+1; v++ {
		t0 := deploy(v)
		for k := 0; k < streams; k++ {
			select {
			case g := <-events:
				if g.version != last[g.stream]+1 {
					t.Fatalf("stream %d: version %d after %d", g.stream, g.version, last[g.stream])
				}
				last[g.stream] = g.version
				lat = append(lat, g.at.Sub(t0))
			case <-time.After(30 * time.Second):
				t.Fatalf("version %d reached %d of %d streams", v, k, streams)
			}
		}
	}
	// Deploying the served version again changes nothing clients see: no
	// event (one event per new deployed version; README, Change streams).
	f.start(t, int32(n+1))
	select {
	case g := <-events:
		t.Fatalf("extra event: stream %d version %d", g.stream, g.version)
	case <-time.After(300 * time.Millisecond):
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("%d events: p50 %v, max %v", len(lat), lat[len(lat)/2], lat[len(lat)-1])
}

func TestPushOneServer(t *testing.T) {
	p := StartBinary(t, "--data-dir", t.TempDir())
	pushOnce(t, p.URL, []string{p.URL}, 8)
}

// Deployments made on replica A reach streams on A and on B (B hears of
// them through PostgreSQL's LISTEN/NOTIFY).
func TestPushAcrossReplicas(t *testing.T) {
	dsn := pgtest.FreshDatabase(t)
	a, b := replica(t, dsn), replica(t, dsn)
	pushOnce(t, a.URL, []string{a.URL, b.URL}, 8)
}
