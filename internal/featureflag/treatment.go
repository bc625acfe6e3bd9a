package featureflag

import (
	"errors"
	"sort"
)

// VariantResult builds what a caller gets for flag key served as a
// variant that is not in the document (an experiment's treatment):
// "enabled", the attribute values when enabled, and "_variant" — the
// same object a document's variant gives (ClientViewFor). attrs maps
// attribute names to JSON values.
func VariantResult(key, variant string, enabled bool, attrs map[string][]byte, reason Reason) (*Result, error) {
	view := newObject()
	view.set("enabled", newBool(enabled))
	if enabled {
		names := make([]string, 0, len(attrs))
		for k := range attrs {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if !servable(k) {
				continue
			}
			v, _, err := parseJSON(attrs[k])
			if err != nil {
				return nil, errors.New("attribute " + k + ": " + err.Error())
			}
			view.set(k, v)
		}
	}
	view.set("_variant", newString(variant))
	return newResult(key, view, variant, reason), nil
}

// Substitution serves Result in place of what the document gives flag
// Key (an experiment's treatment for one caller).
type Substitution struct {
	Key    string
	Result *Result
}

func substitute(subs []Substitution, key string) *Result {
	for i := range subs {
		if subs[i].Key == key {
			return subs[i].Result
		}
	}
	return nil
}

// AppendJSONWith is AppendJSON with some flags' results replaced.
func (c *Compiled) AppendJSONWith(dst []byte, ctx EvalContext, subs []Substitution) []byte {
	if len(subs) == 0 {
		return c.AppendJSON(dst, ctx)
	}
	dst = append(dst, '{')
	for i := range c.flags {
		f := &c.flags[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, f.keyJSON...)
		r := substitute(subs, f.key)
		if r == nil {
			r = f.eval(ctx)
		}
		dst = append(dst, r.JSON...)
	}
	return append(dst, '}')
}

// AppendFlagsJSONWith is AppendFlagsJSON with some flags' results
// replaced; a key the document lacks may be named when subs has it.
func (c *Compiled) AppendFlagsJSONWith(dst []byte, keys []string, ctx EvalContext, subs []Substitution) []byte {
	dst = append(dst, '{')
	for j, k := range keys {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		if r := substitute(subs, k); r != nil {
			dst = append(dst, r.JSON...)
			continue
		}
		dst = append(dst, c.flags[c.index[k]].eval(ctx).JSON...)
	}
	return append(dst, '}')
}

// EvalRule evaluates a rule for a caller (with its targeting key, which
// the rule reads as $targetingKey); false for a nil rule.
func EvalRule(r *Rule, ctx EvalContext, flagKey string) bool {
	if r == nil || r.root == nil {
		return false
	}
	return r.eval(ctx, flagKey)
}

// EvaluationOfResult is the OFREP evaluation of a Result given in place
// of flag key of c (an experiment treatment).
func (c *Compiled) EvaluationOfResult(r *Result) Evaluation {
	return Evaluation{Key: r.Key, Enabled: r.Enabled, Variant: r.Variant, Reason: r.Reason, Attributes: r.Attributes}
}
