package dataplane

import (
	"context"
	"strconv"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/featureflag"
	"github.com/appconfigd/appconfigd/internal/ofrep"
	"github.com/appconfigd/appconfigd/internal/push"
)

// This file is the data plane's side of OFREP and change streams: both
// read what the Agent route serves, from the same in-memory view
// (cache.resolve, served).

// ServedFlags implements ofrep.Lookup: what a caller of the Agent route for
// (app, env, profile) is served. When the names resolve but nothing is
// deployed, the Target is set along with the NotFound error.
func (s *Server) ServedFlags(ctx context.Context, sc appconfig.Scope, app, env, prof, entity string) (ofrep.Flags, error) {
	r, err := s.cache.resolve(ctx, sc, app, env, prof)
	if err != nil {
		return ofrep.Flags{}, err
	}
	t := r.t
	f := ofrep.Flags{
		Target:  push.Target{Scope: sc, App: t.Application.ID, Env: t.Environment.ID, Profile: t.Profile.ID},
		IsFlags: t.Profile.IsFeatureFlags(),
	}
	c, err := s.servedFor(ctx, sc, r, r.agentBucket, entity)
	if err != nil {
		return f, err
	}
	f.Compiled, f.Version, f.Tag = c.view.Flags, c.version, servedTag(c)
	if c.view.Experiments != nil && entity != "" {
		f.Treat = treater{s: s, sc: sc, v: c.view}
	}
	return f, nil
}

// servedTag identifies served content: its version and representation,
// and the state of the experiment runs on it (so it changes with each
// start, update and stop of a run).
func servedTag(c *content) string {
	tag := c.version + "-" + strconv.FormatUint(c.fingerprint, 36)
	if c.view.ExperimentTag != "" {
		tag += "-" + c.view.ExperimentTag
	}
	return tag
}

// treater serves a view's experiment treatments to OFREP.
type treater struct {
	s  *Server
	sc appconfig.Scope
	v  *View
}

func (t treater) Treat(flag string, ec featureflag.EvalContext) (*featureflag.Result, bool) {
	return t.s.treat(t.sc, t.v, flag, ec)
}

func (t treater) Flags() []string {
	runs := t.v.Experiments.Runs()
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.Assigner.FlagKey()
	}
	return out
}

// Refresh implements ofrep.Lookup: drop what is cached for a profile.
func (s *Server) Refresh(t push.Target) {
	s.Invalidate(appconfig.EnvironmentTopic(t.Scope, t.App, t.Env))
}

// PushSource is the data plane as a push.Source.
func (s *Server) PushSource() push.Source { return pushSource{s} }

type pushSource struct{ s *Server }

// Refresh drops cached answers for a topic before the broker reads them.
func (p pushSource) Refresh(topic string) { p.s.Invalidate(topic) }

// State is what a caller of the Agent route for t is served now.
func (p pushSource) State(ctx context.Context, t push.Target) (push.State, error) {
	f, err := p.s.ServedFlags(ctx, t.Scope, t.App, t.Env, t.Profile, "")
	switch {
	case err == nil:
		return push.State{ID: f.Tag, ETag: f.Tag, Version: f.Version}, nil
	case appconfig.IsNotFound(err) && f.Target.Profile != "":
		return push.State{}, nil // nothing deployed (any more)
	case appconfig.IsNotFound(err):
		return push.State{Gone: true}, nil
	}
	return push.State{}, err
}
