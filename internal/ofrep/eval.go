package ofrep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/appconfigd/appconfigd/internal/featureflag"
)

// evaluateOne evaluates alone the flag a single evaluation's key names
// (F, or F.attr for one of F's attributes; flag keys have no dot), none
// when the document lacks it.
func evaluateOne(f Flags, key string, ctx map[string]string) []featureflag.Evaluation {
	flag, _, _ := strings.Cut(key, ".")
	if f.Treat != nil {
		if res, ok := f.Treat.Treat(flag, evalContext(ctx)); ok {
			return []featureflag.Evaluation{f.Compiled.EvaluationOfResult(res)}
		}
	}
	if ev, ok := f.Compiled.EvaluationOf(flag, ctx); ok {
		return []featureflag.Evaluation{ev}
	}
	return nil
}

// evaluateAll evaluates every flag, in key order; a flag an experiment
// run owns gives the caller's treatment when it has one (reason SPLIT
// for an assignment, TARGETING_MATCH for an override).
func evaluateAll(f Flags, ctx map[string]string) []featureflag.Evaluation {
	evs := f.Compiled.Evaluations(ctx)
	if f.Treat == nil {
		return evs
	}
	ec := evalContext(ctx)
	for _, flag := range f.Treat.Flags() {
		res, ok := f.Treat.Treat(flag, ec)
		if !ok {
			continue
		}
		for i := range evs {
			if evs[i].Key == flag {
				evs[i] = f.Compiled.EvaluationOfResult(res)
			}
		}
	}
	return evs
}

// evalContext is an OpenFeature context as the evaluator reads it.
func evalContext(ctx map[string]string) featureflag.EvalContext {
	return featureflag.EvalContext{TargetingKey: ctx[featureflag.TargetingKey], Attributes: ctx}
}

// OpenFeature error codes.
const (
	codeParse        = "PARSE_ERROR"
	codeTargetingKey = "TARGETING_KEY_MISSING"
	codeContext      = "INVALID_CONTEXT"
	codeNotFound     = "FLAG_NOT_FOUND"
	codeGeneral      = "GENERAL"
)

// failure is an OFREP evaluation failure.
type failure struct {
	status  int
	code    string
	details string
}

func (f *failure) Error() string { return f.code + ": " + f.details }

// result is one entry of an answer: a success or a per-flag failure.
type result struct {
	Key          string          `json:"key"`
	Value        json.RawMessage `json:"value,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Variant      string          `json:"variant,omitempty"`
	ErrorCode    string          `json:"errorCode,omitempty"`
	ErrorDetails string          `json:"errorDetails,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
}

// parseRequest reads {"context": {...}} into the flat string context that
// AppConfig rules read: strings as they are, numbers as written, booleans
// as true/false; null is absent. The targeting key must be a string.
func parseRequest(body []byte) (map[string]string, error) {
	ctx := map[string]string{}
	if len(bytes.TrimSpace(body)) == 0 {
		return ctx, nil
	}
	// One pass over the body (it was a Decoder, then a second Unmarshal
	// of the context: half of a single evaluation's CPU).
	var req struct {
		Context map[string]json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			if te.Field == "context" {
				return nil, &failure{400, codeContext, "context must be a JSON object"}
			}
			return nil, &failure{400, codeContext, "the request body must be a JSON object with a context object"}
		}
		return nil, &failure{400, codeParse, fmt.Sprintf("the request body is not valid JSON: %v", err)}
	}
	raw := req.Context
	for k, v := range raw {
		var s string
		switch c := firstByte(v); {
		case c == 'n':
			continue
		case c == '"':
			_ = json.Unmarshal(v, &s)
		case c == 't' || c == 'f':
			s = string(v)
		case c == '-' || (c >= '0' && c <= '9'):
			s = string(v)
		default:
			return nil, &failure{400, codeContext, fmt.Sprintf("context key %q holds an object or array; AppConfig rules compare strings, numbers and booleans", k)}
		}
		if k == featureflag.TargetingKey && firstByte(v) != '"' {
			return nil, &failure{400, codeContext, "targetingKey must be a string"}
		}
		if k == featureflag.TargetingKey && len(s) > featureflag.MaxTargetingKey {
			return nil, &failure{400, codeContext, fmt.Sprintf("targetingKey has %d characters; it may have at most %d", len(s), featureflag.MaxTargetingKey)}
		}
		ctx[k] = s
	}
	return ctx, nil
}

func firstByte(v json.RawMessage) byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// flagResults maps one evaluated flag onto OFREP results: the flag itself
// (value: enabled) and one "F.attr" result per served attribute.
func flagResults(ev featureflag.Evaluation, ctx map[string]string, withAttrs bool) []result {
	if ev.UsesTargetingKey && ctx[featureflag.TargetingKey] == "" {
		f := result{Key: ev.Key, ErrorCode: codeTargetingKey, ErrorDetails: "flag " + ev.Key + " has a rule that reads $targetingKey, and the context has no targetingKey"}
		out := []result{f}
		return out
	}
	variant := ev.Variant
	if variant == "" {
		variant = "disabled"
		if ev.Enabled {
			variant = "enabled"
		}
	}
	reason := ev.Reason.String()
	out := []result{{Key: ev.Key, Value: boolJSON(ev.Enabled), Reason: reason, Variant: variant, Metadata: metadata(ev.Attributes)}}
	if withAttrs {
		for _, a := range ev.Attributes {
			out = append(out, result{Key: ev.Key + "." + a.Name, Value: a.JSON, Reason: reason, Variant: variant})
		}
	}
	return out
}

func boolJSON(b bool) json.RawMessage {
	if b {
		return json.RawMessage("true")
	}
	return json.RawMessage("false")
}

// metadata holds a flag's scalar attribute values (OFREP metadata values
// are strings, numbers or booleans; lists are served as F.attr only).
func metadata(attrs []featureflag.Attribute) json.RawMessage {
	var b []byte
	for _, a := range attrs {
		if c := firstByte(a.JSON); c == '[' || c == '{' {
			continue
		}
		if b == nil {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		name, _ := json.Marshal(a.Name)
		b = append(append(append(b, name...), ':'), a.JSON...)
	}
	if b == nil {
		return nil
	}
	return append(b, '}')
}

// single finds key ("F" or "F.attr") among the evaluations.
func single(evs []featureflag.Evaluation, key string, ctx map[string]string) (result, *failure) {
	flag, attr, isAttr := strings.Cut(key, ".")
	for _, ev := range evs {
		if ev.Key != flag {
			continue
		}
		rs := flagResults(ev, ctx, isAttr)
		if rs[0].ErrorCode != "" {
			return result{}, &failure{400, rs[0].ErrorCode, rs[0].ErrorDetails}
		}
		for _, r := range rs {
			if r.Key == key {
				return r, nil
			}
		}
		if !ev.Enabled {
			return result{}, &failure{404, codeNotFound, fmt.Sprintf("flag %s is disabled for this context, so its attribute %s is not served", flag, attr)}
		}
		return result{}, &failure{404, codeNotFound, fmt.Sprintf("flag %s has no attribute %s for this context", flag, attr)}
	}
	return result{}, &failure{404, codeNotFound, fmt.Sprintf("flag %s is not defined in this configuration", flag)}
}
