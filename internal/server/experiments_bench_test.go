package server

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
)

// BenchmarkAgentRouteExperiment is the Agent route for ?flag=KEY with
// Entity-Id (a new entity per request) and Context, through the whole
// HTTP handler: a plain multi-variant flag with one rule, and the same
// flag owned by an experiment run (audience rule, 100 % exposure, one
// override). bench/experiments measures the same over the network.
func BenchmarkAgentRouteExperiment(b *testing.B) {
	s := newBenchServer(b)
	flags := []byte(`{"version":"1","flags":{"button":{"name":"Button","attributes":{"color":{"constraints":{"type":"string"}}}},` +
		`"checkout":{"name":"Checkout","attributes":{"color":{"constraints":{"type":"string"}}}}},"values":{` +
		`"button":{"_variants":[{"name":"pro","enabled":true,"rule":"(eq $plan \"pro\")","attributeValues":{"color":"blue"}},{"name":"rest","enabled":false}]},` +
		`"checkout":{"_variants":[{"name":"pro","enabled":true,"rule":"(eq $plan \"pro\")","attributeValues":{"color":"blue"}},{"name":"rest","enabled":false}]}}}`)
	path := s.deployed("AWS.AppConfig.FeatureFlags", "application/json", flags)
	value := func(color string) map[string]any {
		return map[string]any{"Enabled": true, "AttributeValues": map[string]any{"color": map[string]any{"StringValue": color}}}
	}
	app := "bench"
	def := s.create("/applications/"+app+"/experimentdefinitions", map[string]any{"Name": "colors", "ConfigurationProfileIdentifier": "cfg",
		"EnvironmentIdentifier": "prod", "FlagKey": "checkout", "AudienceRule": `(eq $plan "pro")`,
		"Control": map[string]any{"Weight": 50, "FlagValue": value("grey")}, "Treatments": []any{map[string]any{"Weight": 50, "FlagValue": value("red")}}})
	s.create("/applications/"+app+"/experimentdefinitions/"+def+"/experimentruns", map[string]any{"ExposurePercentage": 100,
		"TreatmentOverrides": map[string]any{"Inline": map[string]string{"vip": "t1"}}})
	for _, flag := range []string{"button", "checkout"} {
		b.Run(flag, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			cpu := selfCPU()
			for b.Loop() {
				n++
				req := httptest.NewRequest("GET", path+"?flag="+flag, nil)
				req.Header.Set("Context", "plan=pro")
				req.Header.Set("Entity-Id", "user-"+strconv.Itoa(n%100000))
				rec := httptest.NewRecorder()
				s.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
			}
			// On a shared machine wall time says more about the neighbours:
			// report the process's CPU time per request too.
			b.ReportMetric(float64(selfCPU()-cpu)/float64(n), "cpu-ns/op")
		})
	}
}

// selfCPU is this process's user+system CPU time in nanoseconds.
func selfCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
