package deploy

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

// benchDeployment is a 20-minute, 10-step linear deployment with a
// 10-minute bake, started at start and with its first steps taken.
func benchDeployment(start time.Time) appconfig.Deployment {
	d := appconfig.Deployment{
		ApplicationID: "app", EnvironmentID: "env", DeploymentNumber: 1, ConfigurationVersion: "2", PreviousVersion: "1",
		DeploymentDurationInMinutes: 20, GrowthType: "LINEAR", GrowthFactor: 10, FinalBakeTimeInMinutes: 10,
		State: appconfig.DeploymentDeploying, StartedAt: start,
	}
	d, _ = Advance(d, start.Add(5*time.Minute), Observation{})
	return d
}

// BenchmarkAdvance is the engine step the runner takes for every due
// deployment: one growth step due (the common case), and nothing due (a
// wake-up that finds nothing to do).
func BenchmarkAdvance(b *testing.B) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := benchDeployment(start)
	cases := []struct {
		name   string
		at     time.Time
		events int
	}{
		{"one step due", start.Add(6 * time.Minute), 1},
		{"nothing due", start.Add(5*time.Minute + time.Second), 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				next, n := Advance(d, c.at, Observation{})
				if n != c.events || next.State != appconfig.DeploymentDeploying {
					b.Fatalf("Advance took %d events, state %s; want %d, DEPLOYING", n, next.State, c.events)
				}
			}
		})
	}
}

// BenchmarkRunnerStep is the runner's cost per step taken, store included
// (SQLite on disk, no group commit), for the deployments of
// bench/deployments (10 minutes, LINEAR 20 %, bake 2 minutes: five steps,
// the bake and the completion): each round of the benchmark starts 256
// of them (untimed) and takes their seven steps. "decode" is the same
// without the cache of bodies this process wrote, as before it existed.
func BenchmarkRunnerStep(b *testing.B) {
	for _, c := range []struct {
		name   string
		cached bool
	}{{"cached", true}, {"decode", false}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			r := NewRunner(Config{Store: st, Clock: clk, Logger: slog.New(slog.DiscardHandler)})
			if !c.cached {
				r.life.bodies = nil
			}
			const n = 256
			steps, number := 0, 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				number++
				startBenchDeployments(b, st, r.life, clk.Now(), n, number)
				b.StartTimer()
				for _, at := range []time.Duration{100, 100, 100, 100, 100, 100, 120} {
					clk.Advance(at * time.Second)
					k, err := r.RunDue(ctx)
					if err != nil || k != n {
						b.Fatalf("round took %d steps (%v), want %d", k, err, n)
					}
					steps += k
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(steps), "ns/step")
			b.ReportMetric(0, "ns/op")
		})
	}
}

func startBenchDeployments(b *testing.B, st appconfig.Store, life *Lifecycle, now time.Time, n, number int) {
	sc := appconfig.Scope{Account: "123456789012", Region: "us-east-1"}
	err := st.Update(context.Background(), func(tx appconfig.Tx) error {
		for i := range n {
			_, err := life.Start(context.Background(), tx, now, StartPlan{Scope: sc, Content: []byte(`{}`), Deployment: appconfig.Deployment{
				ApplicationID: "app", EnvironmentID: fmt.Sprintf("env%d", i), DeploymentNumber: number, ConfigurationProfileID: "prof",
				DeploymentDurationInMinutes: 10, GrowthType: appconfig.GrowthLinear, GrowthFactor: 20, FinalBakeTimeInMinutes: 2}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
