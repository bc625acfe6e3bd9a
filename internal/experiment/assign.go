// Package experiment holds the pure parts of AppConfig experiments: the
// entity hash and the assignment of an entity to a treatment of a run.
// It does no I/O; the data plane calls it with a run's snapshot.
package experiment

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/featureflag"
)

// bucketResolution is how many distinct positions Bucket has: a share is
// honoured to 0.0001 percentage points.
const bucketResolution = 1_000_000

// Bucket places an entity at a position in [0, 100) for a salt:
// the first 8 bytes (big-endian) of SHA-256(salt + "\x00" + entityID)
// modulo 1,000,000, divided by 10,000. It depends only on its inputs, so
// every replica places an entity at the same position, and "position <
// p" selects a set of entities that only grows as p grows. Experiment
// exposure and treatment choice use it with the run's salts; entity-based
// gradual deployments use it with a deployment's salt.
func Bucket(salt, entityID string) float64 {
	// Hash from a stack buffer: no allocation for the usual lengths.
	var buf [192]byte
	b := append(append(append(buf[:0], salt...), 0), entityID...)
	sum := sha256.Sum256(b)
	return float64(binary.BigEndian.Uint64(sum[:8])%bucketResolution) / (bucketResolution / 100)
}

// Reason says why Assign gave its answer.
type Reason int

const (
	// NoEntity: the request named no entity; the deployed flag applies.
	NoEntity Reason = iota
	// Override: the run's overrides name the entity.
	Override
	// NotInAudience: the context does not satisfy the audience rule.
	NotInAudience
	// NotExposed: the entity hashes outside the run's exposure.
	NotExposed
	// Assigned: a treatment chosen by weight.
	Assigned
)

func (r Reason) String() string {
	switch r {
	case Override:
		return "OVERRIDE"
	case NotInAudience:
		return "NOT_IN_AUDIENCE"
	case NotExposed:
		return "NOT_EXPOSED"
	case Assigned:
		return "ASSIGNED"
	}
	return "NO_ENTITY"
}

// Assigner decides treatments for one RUNNING run. Build it once per run
// state (Compile) and share it: it is read-only.
type Assigner struct {
	flagKey    string
	exposure   float64
	overrides  map[string]string
	treatments []appconfig.Treatment // control first
	total      float64
	audience   *featureflag.Rule
	// Salts: one for exposure and one for the choice of treatment, so that
	// raising the exposure never moves an exposed entity to another
	// treatment.
	exposureSalt, choiceSalt string
}

// Compile prepares a run for assignment. The audience rule was checked
// when the definition was written; a rule that no longer parses exposes
// nobody (overrides still apply).
func Compile(run *appconfig.ExperimentRun) *Assigner {
	def := &run.Snapshot
	a := &Assigner{
		flagKey:    def.FlagKey,
		exposure:   run.ExposurePercentage,
		overrides:  run.Overrides,
		treatments: def.AllTreatments(),
	}
	for _, t := range a.treatments {
		a.total += t.Weight
	}
	if r, err := featureflag.ParseRule(def.AudienceRule); err == nil {
		a.audience = r
	}
	salt := run.ApplicationID + "/" + run.DefinitionID + "/" + strconv.Itoa(run.Run)
	a.exposureSalt, a.choiceSalt = salt+"/exposure", salt+"/treatment"
	return a
}

// Assign returns the treatment an entity gets, with the reason; ok is
// false when the entity falls through to the flag as deployed. The
// order is AWS's: an override for the entity, then — when the context
// satisfies the audience rule and the entity hashes inside the exposure —
// a treatment chosen by weight, stable for the run's life.
func (a *Assigner) Assign(entityID string, ctx map[string]string) (t appconfig.Treatment, why Reason, ok bool) {
	i, why := a.AssignIndex(entityID, featureflag.EvalContext{TargetingKey: entityID, Attributes: ctx})
	if i < 0 {
		return t, why, false
	}
	return a.treatments[i], why, true
}

// AssignIndex is Assign for a caller's evaluation context (the audience
// rule may read $targetingKey): the index of the treatment in
// Treatments, or -1 when the entity falls through to the deployed flag.
// It does not allocate.
func (a *Assigner) AssignIndex(entityID string, ctx featureflag.EvalContext) (int, Reason) {
	if entityID == "" {
		return -1, NoEntity
	}
	if key, found := a.overrides[entityID]; found {
		for i := range a.treatments {
			if a.treatments[i].Key == key {
				return i, Override
			}
		}
	}
	if a.audience == nil || !featureflag.EvalRule(a.audience, ctx, a.flagKey) {
		return -1, NotInAudience
	}
	if a.total <= 0 || Bucket(a.exposureSalt, entityID) >= a.exposure {
		return -1, NotExposed
	}
	point := Bucket(a.choiceSalt, entityID) / 100 * a.total
	for i := range a.treatments {
		if point < a.treatments[i].Weight {
			return i, Assigned
		}
		point -= a.treatments[i].Weight
	}
	// Rounding left the point at the very end: the last weighted one.
	for i := len(a.treatments) - 1; i >= 0; i-- {
		if a.treatments[i].Weight > 0 {
			return i, Assigned
		}
	}
	return -1, NotExposed
}

// Treatments are the run's treatments, the control first (shared: do
// not modify).
func (a *Assigner) Treatments() []appconfig.Treatment { return a.treatments }

// FlagKey is the flag the run experiments on.
func (a *Assigner) FlagKey() string { return a.flagKey }

// Variant is the `_variant` value AWS serves for a treatment key:
// `__c__` for the control, `__t1__` … for the treatments.
func Variant(key string) string { return "__" + key + "__" }
