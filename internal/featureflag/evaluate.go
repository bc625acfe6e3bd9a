package featureflag

// Evaluation is one flag evaluated for an OpenFeature-style caller
// context, as OFREP answers it: the Result of the compiled evaluator plus
// whether the flag's rules read the targeting key (evaluating such a flag
// without one is the caller's mistake rather than a miss).
type Evaluation struct {
	Key     string
	Enabled bool
	// Variant is the chosen variant's name ("" for a flag without variants).
	Variant string
	Reason  Reason
	// Attributes are the served attribute values (only when enabled),
	// sorted by name.
	Attributes       []Attribute
	UsesTargetingKey bool
}

// TargetingKey is the context key OpenFeature's targeting key is given to
// rules as ($targetingKey).
const TargetingKey = "targetingKey"

// MaxTargetingKey is the longest entity ID AppConfig accepts (Agent route
// Entity-Id, OFREP targetingKey): 1–2048 characters.
const MaxTargetingKey = 2048

// Evaluate compiles a stored feature-flag document and evaluates every
// flag for ctx (nil: empty); see Compiled.Evaluations. Callers that serve
// many requests keep the Compiled instead.
func Evaluate(doc []byte, ctx map[string]string) ([]Evaluation, error) {
	c, err := Compile(doc)
	if err != nil {
		return nil, err
	}
	return c.Evaluations(ctx), nil
}

// Evaluations evaluates every flag of c, in key order, for an
// OpenFeature-style context: ctx["targetingKey"] is the entity rules read
// as $targetingKey, the other keys their Context attributes.
func (c *Compiled) Evaluations(ctx map[string]string) []Evaluation {
	rs := c.EvaluateAll(make([]Result, 0, c.Len()), openFeatureContext(ctx))
	out := make([]Evaluation, len(rs))
	for i, r := range rs {
		out[i] = c.evaluation(r)
	}
	return out
}

// EvaluationOf evaluates flag key of c for an OpenFeature-style context
// (see Evaluations); false when the document does not define it.
func (c *Compiled) EvaluationOf(key string, ctx map[string]string) (Evaluation, bool) {
	r, ok := c.Evaluate(key, openFeatureContext(ctx))
	if !ok {
		return Evaluation{}, false
	}
	return c.evaluation(r), true
}

func openFeatureContext(ctx map[string]string) EvalContext {
	return EvalContext{TargetingKey: ctx[TargetingKey], Attributes: ctx}
}

func (c *Compiled) evaluation(r Result) Evaluation {
	return Evaluation{Key: r.Key, Enabled: r.Enabled, Variant: r.Variant, Reason: r.Reason,
		Attributes: r.Attributes, UsesTargetingKey: c.UsesTargetingKey(r.Key)}
}
