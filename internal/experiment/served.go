package experiment

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/featureflag"
)

// Served is what the RUNNING runs of one environment's profile serve,
// ready for the data plane: per flag, the assigner and each treatment's
// answer. It is immutable and shared.
type Served struct {
	runs []*ServedRun
	// Tag identifies the runs' state (run, exposure, overrides, update
	// time): it changes with each start, update and stop, and is the same
	// on every replica.
	Tag string
	// Count is set when the account's settings turn VendedMetrics on:
	// treatments returned are counted (ServedRun.Counters).
	Count bool
}

// ServedRun is one RUNNING run as served.
type ServedRun struct {
	Run      *appconfig.ExperimentRun
	Assigner *Assigner
	// Assigned and Overridden are the answers per treatment (index of
	// Assigner.Treatments), with reason SPLIT and TARGETING_MATCH.
	Assigned, Overridden []*featureflag.Result
	// Counters, when the data plane sets them, count treatments returned
	// (per treatment index).
	Counters []Counter
}

// Counter counts (a Prometheus counter).
type Counter interface{ Inc() }

// Hit is one treatment served to an entity.
type Hit struct {
	Run    *ServedRun
	Index  int // into Run.Assigner.Treatments()
	Reason Reason
	Result *featureflag.Result
}

// TreatmentKey is the key of the treatment served.
func (h Hit) TreatmentKey() string { return h.Run.Assigner.treatments[h.Index].Key }

// NewServed prepares runs (nil when there are none).
func NewServed(runs []appconfig.ExperimentRun) *Served {
	if len(runs) == 0 {
		return nil
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Snapshot.FlagKey < runs[j].Snapshot.FlagKey })
	s := &Served{}
	sum := sha256.New()
	for i := range runs {
		run := &runs[i]
		a := Compile(run)
		sr := &ServedRun{Run: run, Assigner: a}
		for _, t := range a.treatments {
			attrs := attributeJSON(t.FlagValue.Attributes)
			res, err := featureflag.VariantResult(a.flagKey, Variant(t.Key), t.FlagValue.Enabled, attrs, featureflag.ReasonSplit)
			if err != nil {
				res, _ = featureflag.VariantResult(a.flagKey, Variant(t.Key), t.FlagValue.Enabled, nil, featureflag.ReasonSplit)
			}
			over := *res
			over.Reason = featureflag.ReasonTargetingMatch
			sr.Assigned = append(sr.Assigned, res)
			sr.Overridden = append(sr.Overridden, &over)
		}
		s.runs = append(s.runs, sr)
		state, _ := json.Marshal(struct {
			App, Def string
			Run      int
			Exposure float64
			Over     map[string]string
			Updated  int64
		}{run.ApplicationID, run.DefinitionID, run.Run, run.ExposurePercentage, run.Overrides, run.UpdatedAt.UnixNano()})
		sum.Write(state)
		sum.Write([]byte{0})
	}
	s.Tag = "x" + hex.EncodeToString(sum.Sum(nil)[:8])
	return s
}

// attributeJSON renders a treatment's attribute values as JSON.
func attributeJSON(m map[string]appconfig.AttributeValue) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		var x any
		switch {
		case v.String != nil:
			x = *v.String
		case v.Number != nil:
			x = *v.Number
		case v.Bool != nil:
			x = *v.Bool
		case v.Strings != nil:
			x = v.Strings
		case v.Numbers != nil:
			x = v.Numbers
		default:
			continue
		}
		b, err := json.Marshal(x)
		if err == nil {
			out[k] = b
		}
	}
	return out
}

// Runs are the served runs, by flag key.
func (s *Served) Runs() []*ServedRun { return s.runs }

// Run returns the run on flag key, nil when none.
func (s *Served) Run(flag string) *ServedRun {
	for _, r := range s.runs {
		if r.Assigner.flagKey == flag {
			return r
		}
	}
	return nil
}

// Treat decides what flag gives a caller under its run: ok is false when
// no run owns the flag or the caller falls through to the flag as
// deployed.
func (s *Served) Treat(flag string, ctx featureflag.EvalContext) (Hit, bool) {
	r := s.Run(flag)
	if r == nil {
		return Hit{}, false
	}
	return r.Treat(ctx)
}

// Treat decides what the run's flag gives a caller (its targeting key
// is the entity).
func (r *ServedRun) Treat(ctx featureflag.EvalContext) (Hit, bool) {
	i, why := r.Assigner.AssignIndex(ctx.TargetingKey, ctx)
	if i < 0 {
		return Hit{}, false
	}
	res := r.Assigned[i]
	if why == Override {
		res = r.Overridden[i]
	}
	return Hit{Run: r, Index: i, Reason: why, Result: res}, true
}

// RunNumber is the run's number as text (the assignment log's form).
func (r *ServedRun) RunNumber() string { return strconv.Itoa(r.Run.Run) }
