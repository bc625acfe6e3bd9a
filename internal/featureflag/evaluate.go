package featureflag

import "encoding/json"

// Reason says why an evaluation gave what it gave (the OpenFeature
// resolution reasons that apply to AppConfig flags).
type Reason uint8

const (
	// ReasonStatic: the flag has no variants; every caller gets the same.
	ReasonStatic Reason = iota
	// ReasonTargetingMatch: a variant's rule held for the caller.
	ReasonTargetingMatch
	// ReasonSplit: the rule that held assigns by percentage (split).
	ReasonSplit
	// ReasonDefault: no rule held; the default variant was served.
	ReasonDefault
)

// String is the OpenFeature name of the reason.
func (r Reason) String() string {
	switch r {
	case ReasonTargetingMatch:
		return "TARGETING_MATCH"
	case ReasonSplit:
		return "SPLIT"
	case ReasonDefault:
		return "DEFAULT"
	}
	return "STATIC"
}

// Attribute is one attribute value a caller is served, as compact JSON.
type Attribute struct {
	Name  string
	Value json.RawMessage
}

// Evaluation is one flag evaluated for one caller context: the same
// enabled state and attributes ClientViewFor serves, plus which variant
// was chosen and why.
type Evaluation struct {
	Key     string
	Enabled bool
	// Variant is the chosen variant's name ("" for a flag without variants).
	Variant string
	Reason  Reason
	// Attributes are the served attribute values (only when enabled), in
	// document order.
	Attributes []Attribute
	// UsesTargetingKey is set when one of the flag's rules reads the
	// context key "targetingKey" (so evaluating it without one is a
	// caller's mistake rather than a miss).
	UsesTargetingKey bool
}

// TargetingKey is the context key OpenFeature's targeting key is given to
// rules as ($targetingKey).
const TargetingKey = "targetingKey"

// Evaluate evaluates every flag of a stored feature-flag document for ctx
// (nil: empty), in document order, with the semantics of ClientViewFor.
func Evaluate(doc []byte, ctx map[string]string) ([]Evaluation, error) {
	if ctx == nil {
		ctx = map[string]string{}
	}
	root, _, err := parseJSON(doc)
	if err != nil {
		return nil, err
	}
	flags, values := root.get("flags"), root.get("values")
	if root.kind != kindObject || flags == nil || flags.kind != kindObject {
		return nil, nil
	}
	out := make([]Evaluation, 0, len(flags.keys))
	for _, key := range flags.keys {
		out = append(out, evaluateFlag(key, values.get(key), ctx))
	}
	return out, nil
}

func evaluateFlag(key string, entry *node, ctx map[string]string) Evaluation {
	ev := Evaluation{Key: key, Reason: ReasonStatic}
	if entry == nil || entry.kind != kindObject {
		return ev
	}
	variants := entry.get("_variants")
	if variants == nil || variants.kind != kindArray || len(variants.items) == 0 {
		ev.Enabled, _ = entry.get("enabled").boolValue()
		if ev.Enabled {
			ev.Attributes = servedAttributes(entry)
		}
		return ev
	}
	var chosen *node
	for _, v := range variants.items {
		r := variantRule(v)
		if r == nil {
			continue
		}
		if refers(r.root, TargetingKey) {
			ev.UsesTargetingKey = true
		}
		if chosen != nil {
			continue
		}
		if ok, err := r.Eval(ctx, key); err == nil && ok {
			chosen, ev.Reason = v, ReasonTargetingMatch
			if hasSplit(r.root) {
				ev.Reason = ReasonSplit
			}
		}
	}
	if chosen == nil {
		chosen, ev.Reason = chooseVariant(key, variants.items, ctx, false), ReasonDefault
	}
	if chosen == nil {
		return ev
	}
	if name := chosen.get("name"); name != nil && name.kind == kindString {
		ev.Variant = name.s
	}
	ev.Enabled, _ = chosen.get("enabled").boolValue()
	if values := chosen.get("attributeValues"); ev.Enabled && values != nil && values.kind == kindObject {
		ev.Attributes = servedAttributes(values)
	}
	return ev
}

func servedAttributes(obj *node) []Attribute {
	var out []Attribute
	for i, k := range obj.keys {
		if servable(k) {
			out = append(out, Attribute{Name: k, Value: obj.vals[i].encode(nil)})
		}
	}
	return out
}

// refers reports whether e reads the context key name.
func refers(e *expr, name string) bool {
	if e == nil {
		return false
	}
	if e.kind == eRef && e.name == name {
		return true
	}
	if e.kind == eCall && e.name == "exists" {
		if k := e.named["key"]; k != nil && k.lit.s == name {
			return true
		}
	}
	for _, a := range e.args {
		if refers(a, name) {
			return true
		}
	}
	for _, a := range e.named {
		if refers(a, name) {
			return true
		}
	}
	return false
}

// hasSplit reports whether e contains a split.
func hasSplit(e *expr) bool {
	if e == nil {
		return false
	}
	if e.kind == eCall && e.name == "split" {
		return true
	}
	for _, a := range e.args {
		if hasSplit(a) {
			return true
		}
	}
	return false
}
