package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// The same flags for appconfigd and flagd: "simple", a boolean flag
// without rules, and "button", a multi-variant flag with one rule on the
// caller's country (both callers send country=FR, so the rule matches).
const (
	appconfigFlags = `{"version":"1","flags":{` +
		`"simple":{"name":"Simple"},` +
		`"button":{"name":"Button","attributes":{"color":{"constraints":{"type":"string"}}}}},` +
		`"values":{"simple":{"enabled":true},"button":{"_variants":[` +
		`{"name":"blue","enabled":true,"rule":"(eq $country \"FR\")","attributeValues":{"color":"blue"}},` +
		`{"name":"green","enabled":true,"attributeValues":{"color":"green"}}]}}}`
	flagdFlags = `{"flags":{` +
		`"simple":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"on"},` +
		`"button":{"state":"ENABLED","variants":{"blue":{"color":"blue","enabled":true},"green":{"color":"green","enabled":true}},` +
		`"defaultVariant":"green","targeting":{"if":[{"==":[{"var":"country"},"FR"]},"blue","green"]}}}}`
	// callerCountry is the context both servers evaluate with.
	callerCountry = "FR"
)

// config4KB is a freeform JSON configuration of exactly 4096 bytes.
func config4KB() []byte {
	var b strings.Builder
	b.WriteString(`{"settings":{`)
	for i := 0; b.Len() < 4000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"key%03d":"value-%03d-abcdefghij"`, i, i)
	}
	b.WriteString(`},"pad":"`)
	for b.Len() < 4096-2 {
		b.WriteByte('x')
	}
	b.WriteString(`"}`)
	return []byte(b.String())
}

// Paths of the Agent route for the fixture.
const (
	agentConfigPath = "/applications/bench/environments/prod/configurations/cfg"
	agentFlagsPath  = "/applications/bench/environments/prod/configurations/flags"
)

// setupAppconfigd creates application "bench" with environment "prod",
// profile "cfg" (the 4 KB configuration) and feature-flag profile
// "flags", deploys both at once and waits until they are complete.
func setupAppconfigd(ctx context.Context, api *benchutil.API) error {
	app, err := api.Create(ctx, "/applications", map[string]any{"Name": "bench"})
	if err != nil {
		return err
	}
	env, err := api.Create(ctx, "/applications/"+app+"/environments", map[string]any{"Name": "prod"})
	if err != nil {
		return err
	}
	strategy, err := api.Create(ctx, "/deploymentstrategies", map[string]any{"Name": "now", "DeploymentDurationInMinutes": 0,
		"GrowthFactor": 100, "FinalBakeTimeInMinutes": 0, "ReplicateTo": "NONE"})
	if err != nil {
		return err
	}
	for n, p := range []struct {
		name, typ string
		body      []byte
	}{{"cfg", "", config4KB()}, {"flags", "AWS.AppConfig.FeatureFlags", []byte(appconfigFlags)}} {
		in := map[string]any{"Name": p.name, "LocationUri": "hosted"}
		if p.typ != "" {
			in["Type"] = p.typ
		}
		prof, err := api.Create(ctx, "/applications/"+app+"/configurationprofiles", in)
		if err != nil {
			return err
		}
		if _, _, err := api.Do(ctx, "POST", "/applications/"+app+"/configurationprofiles/"+prof+"/hostedconfigurationversions", "application/json", p.body); err != nil {
			return err
		}
		if err := api.StartDeployment(ctx, app, env, prof, strategy); err != nil {
			return err
		}
		if d, err := api.WaitDeployment(ctx, app, env, n+1, time.Minute); err != nil || d.State != "COMPLETE" {
			return fmt.Errorf("deployment of %s: %s %v", p.name, d.State, err)
		}
	}
	return nil
}
