package deploy

import (
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
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
