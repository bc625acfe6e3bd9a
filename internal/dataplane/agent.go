package dataplane

import (
	"context"
	"encoding/json"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/featureflag"
	"github.com/appconfigd/appconfigd/internal/wire"
)

// AgentConfiguration answers the AppConfig Agent's local HTTP API, so an
// application written against the Agent on localhost:2772 can talk to
// appconfigd directly:
//
//   - the configuration the environment serves, with its version (and
//     label) for the Configuration-Version (Version-Label) header;
//   - for a feature-flag profile, the client form evaluated with the
//     caller's context (Context headers, key=value, comma-separated or
//     repeated): a multi-variant flag gives the first variant whose rule
//     holds, with "_variant";
//   - ?flag=KEY narrows a flag configuration to that flag's object; several
//     give an object of the flags asked for.
//
// The caller is one client of the rollout, as an Agent is: its bucket is
// fixed per (application, environment, profile), so during a gradual
// deployment it moves to the new content at one step and stays there.
func (s *Server) AgentConfiguration(ctx context.Context, app, env, prof string, flags, contextHeaders []string) (wire.AgentAnswer, error) {
	sc := wire.ScopeFrom(ctx)
	t, err := s.resolveSessionless(ctx, sc, app, env, prof)
	if err != nil {
		return wire.AgentAnswer{}, err
	}
	c, err := s.servedSessionless(ctx, sc, t, "")
	if err != nil {
		return wire.AgentAnswer{}, err
	}
	out := wire.AgentAnswer{Content: c.body, ContentType: c.contentType, Version: c.version, Label: c.label}
	if c.flagDoc == nil {
		if len(flags) > 0 {
			return wire.AgentAnswer{}, appconfig.BadRequest("The flag query parameter only applies to configurations of type AWS.AppConfig.FeatureFlags; %s is not one.", t.Profile.Name)
		}
		return out, nil
	}
	callerCtx, err := featureflag.ParseContextHeaders(contextHeaders)
	if err != nil {
		return wire.AgentAnswer{}, appconfig.BadRequest("Context header: %v", err)
	}
	view, err := featureflag.ClientViewFor(c.flagDoc, callerCtx)
	if err != nil {
		return wire.AgentAnswer{}, appconfig.Internal(err, "evaluating feature flags")
	}
	out.Content, out.ContentType = view, "application/json"
	if len(flags) == 0 {
		return out, nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(view, &all); err != nil {
		return wire.AgentAnswer{}, appconfig.Internal(err, "reading evaluated feature flags")
	}
	var missing []string
	picked := make(map[string]json.RawMessage, len(flags))
	for _, k := range flags {
		if v, ok := all[k]; ok {
			picked[k] = v
		} else {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return wire.AgentAnswer{}, appconfig.NotFound("Configuration", "Flag(s) %s not found in configuration profile %s.", strings.Join(missing, ", "), t.Profile.Name)
	}
	if len(picked) == 1 {
		out.Content = picked[flags[0]]
		return out, nil
	}
	// encoding/json sorts the keys, like the client form.
	out.Content, _ = json.Marshal(picked)
	return out, nil
}
