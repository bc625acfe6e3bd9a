package featureflag

import (
	"encoding/json"
	"errors"
	"sort"
)

// Compiled is a feature-flag document prepared for evaluation: parsed
// once (rules included) when a configuration is loaded, then evaluated
// for any number of callers concurrently. It is immutable; everything a
// Result points to is shared and must not be modified.
//
// Evaluation gives what ClientViewFor gives for the same document and
// context, byte for byte (AppendJSON), and per flag the parts OpenFeature
// evaluation (OFREP) reports: value, variant, reason and attributes.
type Compiled struct {
	flags  []compiledFlag // sorted by key
	index  map[string]int
	static bool // no flag has a rule: every context gets the same answer
	whole  []byte
}

type compiledFlag struct {
	key      string
	keyJSON  []byte // "key": (JSON string and colon)
	plain    *Result
	variants []compiledVariant // nil for a flag without variants
	def      *Result           // the default variant; nil when there is none
	usesTK   bool
}

type compiledVariant struct {
	rule *Rule // nil: no rule, or one that does not parse (never matches)
	res  Result
}

// EvalContext is what a caller tells the evaluator about itself.
type EvalContext struct {
	// TargetingKey is the caller's entity id (the Agent route's Entity-Id
	// header, OFREP's targetingKey). When set, rules read it as
	// $targetingKey, whatever Attributes holds under that name.
	TargetingKey string
	// Attributes are the Context attributes rules read as $name. nil is
	// an empty context. Evaluation never modifies it.
	Attributes map[string]string
}

// Reason says why a flag evaluated as it did (OpenFeature's reasons).
type Reason uint8

const (
	// ReasonStatic: the flag has no variants; its value is fixed.
	ReasonStatic Reason = iota + 1
	// ReasonTargetingMatch: a variant's rule matched the context.
	ReasonTargetingMatch
	// ReasonDefault: no rule matched; the default variant (the last one,
	// without a rule) was served.
	ReasonDefault
	// ReasonSplit: the rule that matched contains a split operator (a
	// percentage split of entities).
	ReasonSplit
)

// String returns the OpenFeature name of the reason.
func (r Reason) String() string {
	switch r {
	case ReasonStatic:
		return "STATIC"
	case ReasonTargetingMatch:
		return "TARGETING_MATCH"
	case ReasonDefault:
		return "DEFAULT"
	case ReasonSplit:
		return "SPLIT"
	}
	return "UNKNOWN"
}

// Attribute is one attribute value a client sees, in JSON and decoded
// (string, float64, bool, []any of those).
type Attribute struct {
	Name  string
	JSON  json.RawMessage
	Value any
}

// Result is one flag evaluated for one caller. Its slices are shared
// with the Compiled it came from: read them, never modify them.
type Result struct {
	Key     string
	Enabled bool
	// Variant is the name of the variant served; "" for a flag without
	// variants (or a multi-variant flag without a default variant that
	// no rule matched).
	Variant string
	Reason  Reason
	// Attributes are the attribute values served, sorted by name; only
	// an enabled flag serves them (as in the client form).
	Attributes []Attribute
	// JSON is the flag's object as the Agent serves it: "enabled", the
	// attributes, and "_variant" for a multi-variant flag.
	JSON []byte
}

// Attr returns the attribute named name.
func (r *Result) Attr(name string) (Attribute, bool) {
	i := sort.Search(len(r.Attributes), func(i int) bool { return r.Attributes[i].Name >= name })
	if i < len(r.Attributes) && r.Attributes[i].Name == name {
		return r.Attributes[i], true
	}
	return Attribute{}, false
}

// Compile prepares a stored feature-flag document for evaluation. Like
// ClientView it accepts any JSON object (a document that passed Validate
// gives the documented results) and fails only on anything else.
func Compile(doc []byte) (*Compiled, error) {
	root, _, err := parseJSON(doc)
	if err != nil {
		return nil, err
	}
	if root.kind != kindObject {
		return nil, errors.New("feature flag document is not a JSON object")
	}
	c := &Compiled{index: map[string]int{}, static: true}
	flags, values := root.get("flags"), root.get("values")
	if flags != nil && flags.kind == kindObject {
		for _, key := range flags.keys {
			if _, dup := c.index[key]; dup {
				continue
			}
			f := compileFlag(key, values.get(key))
			c.static = c.static && f.variants == nil
			c.index[key] = len(c.flags)
			c.flags = append(c.flags, f)
		}
	}
	sort.Slice(c.flags, func(i, j int) bool { return c.flags[i].key < c.flags[j].key })
	for i, f := range c.flags {
		c.index[f.key] = i
	}
	if c.static {
		c.whole = c.AppendJSON(nil, EvalContext{})
	}
	return c, nil
}

func compileFlag(key string, entry *node) compiledFlag {
	f := compiledFlag{key: key, keyJSON: append(appendString(nil, key), ':')}
	var variants *node
	if entry != nil && entry.kind == kindObject {
		variants = entry.get("_variants")
	}
	if variants == nil || variants.kind != kindArray || len(variants.items) == 0 {
		f.plain = newResult(key, flagView(key, entry, nil, false), "", ReasonStatic)
		return f
	}
	def := chooseVariant(key, variants.items, nil, false)
	f.variants = make([]compiledVariant, 0, len(variants.items))
	for _, v := range variants.items {
		if v.kind != kindObject {
			continue
		}
		name := ""
		if n := v.get("name"); n != nil && n.kind == kindString {
			name = n.s
		}
		cv := compiledVariant{rule: variantRule(v)}
		reason := ReasonTargetingMatch
		switch {
		case v == def:
			reason = ReasonDefault
		case cv.rule != nil:
			f.usesTK = f.usesTK || cv.rule.root.refers(TargetingKeyAttribute)
			if cv.rule.root.uses("split") {
				reason = ReasonSplit
			}
		}
		cv.res = *newResult(key, variantView(v, true), name, reason)
		f.variants = append(f.variants, cv)
		if v == def {
			f.def = &f.variants[len(f.variants)-1].res
		}
	}
	if f.def == nil {
		f.def = newResult(key, flagView(key, nil, nil, false), "", ReasonDefault)
	}
	return f
}

// newResult builds a Result from the flag object a client sees.
func newResult(key string, view *node, variant string, reason Reason) *Result {
	r := &Result{Key: key, Variant: variant, Reason: reason, JSON: view.encode(nil)}
	r.Enabled, _ = view.get("enabled").boolValue()
	for i, k := range view.keys {
		if k == "enabled" || k == "_variant" {
			continue
		}
		a := Attribute{Name: k, JSON: view.vals[i].encode(nil)}
		_ = json.Unmarshal(a.JSON, &a.Value)
		r.Attributes = append(r.Attributes, a)
	}
	sort.Slice(r.Attributes, func(i, j int) bool { return r.Attributes[i].Name < r.Attributes[j].Name })
	return r
}

// Len is the number of flags.
func (c *Compiled) Len() int { return len(c.flags) }

// Keys returns the flag keys in order (a new slice).
func (c *Compiled) Keys() []string {
	out := make([]string, len(c.flags))
	for i, f := range c.flags {
		out[i] = f.key
	}
	return out
}

// Has reports whether the document defines flag key.
func (c *Compiled) Has(key string) bool {
	_, ok := c.index[key]
	return ok
}

// UsesTargetingKey reports whether a rule of flag key reads
// $targetingKey (so OFREP can answer TARGETING_KEY_MISSING without one).
func (c *Compiled) UsesTargetingKey(key string) bool {
	i, ok := c.index[key]
	return ok && c.flags[i].usesTK
}

// Evaluate evaluates flag key for ctx; false when the document does not
// define it. A flag without variants is STATIC; a multi-variant flag
// serves the first variant, in list order, whose rule holds
// (TARGETING_MATCH, or SPLIT when that rule splits), else its default
// variant (DEFAULT). It does not allocate, except for a split over a
// very long by:: value.
func (c *Compiled) Evaluate(key string, ctx EvalContext) (Result, bool) {
	i, ok := c.index[key]
	if !ok {
		return Result{}, false
	}
	return *c.flags[i].eval(ctx), true
}

func (f *compiledFlag) eval(ctx EvalContext) *Result {
	if f.variants == nil {
		return f.plain
	}
	for i := range f.variants {
		v := &f.variants[i]
		if v.rule != nil && v.rule.eval(ctx, f.key) {
			return &v.res
		}
	}
	return f.def
}

// EvaluateAll appends every flag, in key order, evaluated for ctx to dst.
func (c *Compiled) EvaluateAll(dst []Result, ctx EvalContext) []Result {
	for i := range c.flags {
		dst = append(dst, *c.flags[i].eval(ctx))
	}
	return dst
}

// AppendJSON appends the whole document as the Agent serves it for ctx
// (what ClientViewFor returns) to dst.
func (c *Compiled) AppendJSON(dst []byte, ctx EvalContext) []byte {
	if c.whole != nil {
		return append(dst, c.whole...)
	}
	dst = append(dst, '{')
	for i := range c.flags {
		f := &c.flags[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, f.keyJSON...)
		dst = append(dst, f.eval(ctx).JSON...)
	}
	return append(dst, '}')
}

// Static returns the answer every context gets when no flag has
// variants (shared: do not modify), else nil.
func (c *Compiled) Static() []byte { return c.whole }

// AppendFlagsJSON appends the object of the named flags evaluated for
// ctx, members sorted by key, to dst; keys must be sorted, without
// duplicates, and all defined (Has).
func (c *Compiled) AppendFlagsJSON(dst []byte, keys []string, ctx EvalContext) []byte {
	dst = append(dst, '{')
	for j, k := range keys {
		f := &c.flags[c.index[k]]
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, f.keyJSON...)
		dst = append(dst, f.eval(ctx).JSON...)
	}
	return append(dst, '}')
}

// refers reports whether e reads context key name.
func (e *expr) refers(name string) bool {
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
	return e.any(func(x *expr) bool { return x.refers(name) })
}

// uses reports whether e calls operator op.
func (e *expr) uses(op string) bool {
	if e == nil {
		return false
	}
	if e.kind == eCall && e.name == op {
		return true
	}
	return e.any(func(x *expr) bool { return x.uses(op) })
}

func (e *expr) any(f func(*expr) bool) bool {
	for _, a := range e.args {
		if f(a) {
			return true
		}
	}
	for _, a := range e.named {
		if f(a) {
			return true
		}
	}
	return false
}
