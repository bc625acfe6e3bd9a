package dataplane

import (
	"context"
	"slices"
	"strings"
	"sync"

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
//     give an object of the flags asked for;
//   - an Entity-Id header is the caller's targeting key, which rules read
//     as $targetingKey.
//
// Everything comes from memory (Lookup); flags are evaluated on their
// compiled form.
//
// The caller is one client of the rollout, as an Agent is: its bucket is
// fixed per (application, environment, profile), so during a gradual
// deployment it moves to the new content at one step and stays there.
func (s *Server) AgentConfiguration(ctx context.Context, app, env, prof string, flags, contextHeaders []string) (wire.AgentAnswer, error) {
	sc, entity := wire.ScopeFrom(ctx), wire.HeaderFrom(ctx).Get("Entity-Id")
	if len(entity) > featureflag.MaxTargetingKey {
		return wire.AgentAnswer{}, appconfig.BadRequest("The Entity-Id header has %d characters; it may have at most %d.", len(entity), featureflag.MaxTargetingKey)
	}
	v, err := s.LookupEntity(ctx, sc, app, env, prof, entity)
	if err != nil {
		return wire.AgentAnswer{}, err
	}
	out := wire.AgentAnswer{Content: v.Content, ContentType: v.ContentType, Version: v.Version, Label: v.Label}
	if v.FeatureFlags && v.Flags == nil {
		return wire.AgentAnswer{}, appconfig.Internal(nil, "the deployed feature flag document is not a JSON object")
	}
	if v.Flags == nil {
		if len(flags) > 0 {
			return wire.AgentAnswer{}, appconfig.BadRequest("The flag query parameter only applies to configurations of type AWS.AppConfig.FeatureFlags; %s is not one.", v.ProfileName)
		}
		return out, nil
	}
	ec := featureflag.EvalContext{TargetingKey: entity}
	if len(contextHeaders) > 0 {
		// The answer never refers to the context: its map is reused.
		m := contextMaps.Get().(map[string]string)
		defer func() { clear(m); contextMaps.Put(m) }()
		if err := featureflag.ParseContextHeadersInto(m, contextHeaders); err != nil {
			return wire.AgentAnswer{}, appconfig.BadRequest("Context header: %v", err)
		}
		ec.Attributes = m
	}
	out.ContentType = "application/json"
	if v.Experiments != nil && entity != "" {
		out.Content, err = s.experimentFlags(sc, v, flags, ec)
		return out, err
	}
	out.Content, err = agentFlags(v, flags, ec)
	return out, err
}

var contextMaps = sync.Pool{New: func() any { return map[string]string{} }}

// agentFlags evaluates the flags asked for (all when none is named).
func agentFlags(v *View, flags []string, ec featureflag.EvalContext) ([]byte, error) {
	c := v.Flags
	switch {
	case len(flags) == 0 && c.Static() != nil:
		return c.Static(), nil
	case len(flags) == 0:
		return c.AppendJSON(make([]byte, 0, len(v.Content)+64), ec), nil
	case len(flags) == 1 && c.Has(flags[0]):
		r, _ := c.Evaluate(flags[0], ec)
		return r.JSON, nil
	}
	keys, err := askedFlags(v, flags, nil)
	if err != nil {
		return nil, err
	}
	return c.AppendFlagsJSON(nil, keys, ec), nil
}

// askedFlags checks that every flag asked for is defined (or served by
// subs) and returns them sorted like the client form, without duplicates.
func askedFlags(v *View, flags []string, subs []featureflag.Substitution) ([]string, error) {
	var missing []string
	for _, k := range flags {
		if !v.Flags.Has(k) && !slices.Contains(missing, k) && !slices.ContainsFunc(subs, func(s featureflag.Substitution) bool { return s.Key == k }) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, appconfig.NotFound("Configuration", "Flag(s) %s not found in configuration profile %s.", strings.Join(missing, ", "), v.ProfileName)
	}
	return slices.Compact(slices.Sorted(slices.Values(flags))), nil
}

// experimentFlags is agentFlags for an entity when runs are served: a
// flag a run owns gives the entity's treatment (override, or audience
// and exposure) in place of its deployed value, else the deployed flag.
func (s *Server) experimentFlags(sc appconfig.Scope, v *View, flags []string, ec featureflag.EvalContext) ([]byte, error) {
	if len(flags) == 1 {
		if res, ok := s.treat(sc, v, flags[0], ec); ok {
			return res.JSON, nil
		}
		return agentFlags(v, flags, ec)
	}
	if len(flags) == 0 {
		subs := s.substitutions(sc, v, ec, nil)
		if len(subs) == 0 {
			return agentFlags(v, flags, ec)
		}
		return v.Flags.AppendJSONWith(make([]byte, 0, len(v.Content)+64), ec, subs), nil
	}
	subs := s.substitutions(sc, v, ec, flags)
	keys, err := askedFlags(v, flags, subs)
	if err != nil {
		return nil, err
	}
	return v.Flags.AppendFlagsJSONWith(nil, keys, ec, subs), nil
}
