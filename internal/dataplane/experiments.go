package dataplane

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/experiment"
	"github.com/appconfigd/appconfigd/internal/featureflag"
)

// This file is what experiments and entities change in what clients see:
// the RUNNING runs loaded with a view, treatments served in place of the
// deployed flag, the entity's own place in a gradual deployment, and the
// traffic data (vended counter, assignment log).

// ExperimentsConfig wires the traffic data of experiments.
type ExperimentsConfig struct {
	// Counter, when set, gives the counter of treatments returned for
	// (application, environment, profile, flag, variant); it is used only
	// in accounts whose settings enable VendedMetrics.
	Counter func(app, env, profile, flag, variant string) experiment.Counter
	// Log, when set, receives one record per treatment assignment.
	Log *experiment.AssignmentLog
}

// rolloutSalt is the salt entities are hashed with to place them in a
// deployment's rollout: one per deployment, the same on every replica.
func rolloutSalt(k servedKey, d *appconfig.Deployment) string {
	return "rollout/" + k.sc.Account + "/" + k.sc.Region + "/" + k.app + "/" + k.env + "/" + strconv.Itoa(d.DeploymentNumber)
}

// entityBucket is an entity's position in the entry's deployment while
// it rolls out (else b): new content is served below the deployment's
// percentage, so as it grows entities only move to the new content.
func (e *entry) entityBucket(b float64, entity string) float64 {
	if e.served == nil || e.served.Deployment == nil {
		return b
	}
	switch e.served.Deployment.State {
	case appconfig.DeploymentDeploying, appconfig.DeploymentBaking:
		return experiment.Bucket(e.rolloutSalt, entity)
	}
	return b
}

// loadExperiments reads the RUNNING runs of an environment's profile,
// and the tag of the experiment state there ("" when no run ever
// started): it changes with each start, update and stop.
func (c *cache) loadExperiments(ctx context.Context, k servedKey) (*experiment.Served, string, error) {
	runs, history, err := c.svc.RunningRuns(ctx, k.sc, k.app, k.env, k.profile)
	if err != nil || history == "" {
		return nil, "", err
	}
	ex := experiment.NewServed(runs)
	if ex == nil {
		return nil, experimentTag(history, ""), nil
	}
	if ex.Count, err = c.svc.VendedMetrics(ctx, k.sc); err != nil {
		return nil, "", err
	}
	tag := experimentTag(history, ex.Tag)
	if ex.Count && c.counter != nil {
		for _, r := range ex.Runs() {
			for _, t := range r.Assigner.Treatments() {
				r.Counters = append(r.Counters, c.counter(k.app, k.env, k.profile, r.Assigner.FlagKey(), experiment.Variant(t.Key)))
			}
		}
	}
	return ex, tag, nil
}

// experimentTag condenses the experiment state of a profile.
func experimentTag(history, runs string) string {
	sum := sha256.Sum256([]byte(history + "|" + runs))
	return "x" + hex.EncodeToString(sum[:6])
}

// dropExperiments drops the entries of a scope that serve runs (its
// account settings changed, and with them whether treatments are
// counted).
func (c *cache) dropExperiments(sc appconfig.Scope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Invalidate()
	for ek, m := range c.entries {
		if ek.sc != sc {
			continue
		}
		for p, e := range m {
			if e.new != nil && e.new.view != nil && e.new.view.Experiments != nil {
				c.dropEntry(ek, p)
			}
		}
	}
}

// treat is what flag gives a caller under an experiment run of v: ok is
// false when no run owns it or the caller falls through to the flag as
// deployed. A treatment served is counted and logged.
func (s *Server) treat(sc appconfig.Scope, v *View, flag string, ec featureflag.EvalContext) (*featureflag.Result, bool) {
	h, ok := v.Experiments.Treat(flag, ec)
	if !ok {
		return nil, false
	}
	s.noteHit(sc, v, h, ec.TargetingKey)
	return h.Result, true
}

// noteHit counts a treatment returned and logs its assignment.
func (s *Server) noteHit(sc appconfig.Scope, v *View, h experiment.Hit, entity string) {
	if h.Run.Counters != nil {
		h.Run.Counters[h.Index].Inc()
	}
	if s.assignLog != nil {
		s.assignLog.Record(sc, h.Run, h.TreatmentKey(), entity)
	}
}

// substitutions are the treatments v's runs give a caller for the flags
// of a whole-document (or several-flag) answer; nil when none applies.
func (s *Server) substitutions(sc appconfig.Scope, v *View, ec featureflag.EvalContext, only []string) []featureflag.Substitution {
	var subs []featureflag.Substitution
	for _, r := range v.Experiments.Runs() {
		flag := r.Assigner.FlagKey()
		if only != nil && !contains(only, flag) {
			continue
		}
		if !v.Flags.Has(flag) && only == nil {
			continue
		}
		h, ok := r.Treat(ec)
		if !ok {
			continue
		}
		s.noteHit(sc, v, h, ec.TargetingKey)
		subs = append(subs, featureflag.Substitution{Key: flag, Result: h.Result})
	}
	return subs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
