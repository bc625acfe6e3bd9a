package featureflag

import (
	"errors"
	"fmt"
	"strings"
)

// ClientView renders what GetLatestConfiguration serves for a stored
// feature-flag document: {"<flagKey>": {"enabled": bool, <attr>: value...}}.
//
//   - every flag defined under flags appears; one without a values entry
//     (or with a non-boolean enabled) is {"enabled": false};
//   - attribute values appear only when the flag is enabled;
//   - names, descriptions, constraints, deprecation and _-metadata are
//     stripped; values entries for undefined flags are dropped;
//   - a multi-variant flag serves its default variant (the last variant,
//     which has no rule) without evaluating any rule and without
//     "_variant": AWS says SDK calls do not get variant data and does not
//     say what they get instead, and the default variant is what a caller
//     without context receives from the Agent.
//
// Output is compact JSON with members sorted by name, so equal documents
// give equal bytes. The document should have passed Validate; ClientView
// does its best with anything that is a JSON object and never panics.
func ClientView(doc []byte) ([]byte, error) {
	return clientView(doc, nil, false)
}

// ClientViewFor is ClientView for a caller context, as the AppConfig Agent
// serves it: a multi-variant flag serves the first variant, in list order,
// whose rule is true for ctx (the default variant when none is), and its
// object gets "_variant": "<variant name>". A rule that fails to parse
// never matches. A nil ctx is an empty context.
func ClientViewFor(doc []byte, ctx map[string]string) ([]byte, error) {
	if ctx == nil {
		ctx = map[string]string{}
	}
	return clientView(doc, ctx, true)
}

func clientView(doc []byte, ctx map[string]string, evaluate bool) ([]byte, error) {
	root, _, err := parseJSON(doc)
	if err != nil {
		return nil, err
	}
	if root.kind != kindObject {
		return nil, errors.New("feature flag document is not a JSON object")
	}
	out := newObject()
	flags, values := root.get("flags"), root.get("values")
	if flags != nil && flags.kind == kindObject {
		for _, key := range flags.keys {
			out.set(key, flagView(key, values.get(key), ctx, evaluate))
		}
	}
	return out.encode(nil), nil
}

func flagView(key string, entry *node, ctx map[string]string, evaluate bool) *node {
	view := newObject()
	view.set("enabled", newBool(false))
	if entry == nil || entry.kind != kindObject {
		return view
	}
	variants := entry.get("_variants")
	if variants == nil || variants.kind != kindArray || len(variants.items) == 0 {
		copyServed(view, entry)
		return view
	}
	chosen := chooseVariant(key, variants.items, ctx, evaluate)
	if chosen == nil {
		return view
	}
	return variantView(chosen, evaluate)
}

// variantView is what a caller gets for a variant: "enabled", its
// attribute values when enabled, and with named its name as "_variant".
func variantView(v *node, named bool) *node {
	view := newObject()
	enabled, _ := v.get("enabled").boolValue()
	view.set("enabled", newBool(enabled))
	if values := v.get("attributeValues"); enabled && values != nil && values.kind == kindObject {
		for i, k := range values.keys {
			if servable(k) {
				view.set(k, values.vals[i])
			}
		}
	}
	if name := v.get("name"); named && name != nil && name.kind == kindString {
		view.set("_variant", name)
	}
	return view
}

// variantRule returns a variant's parsed rule; nil for the default
// variant and for a rule that does not parse (which never matches).
func variantRule(v *node) *Rule {
	if v.kind != kindObject || !hasRule(v) {
		return nil
	}
	src := v.get("rule")
	if src.kind != kindString {
		return nil
	}
	r, err := ParseRule(src.s)
	if err != nil {
		return nil
	}
	return r
}

// copyServed copies enabled and, when enabled, the attribute values of a
// plain values entry into view.
func copyServed(view, entry *node) {
	enabled, _ := entry.get("enabled").boolValue()
	view.set("enabled", newBool(enabled))
	if !enabled {
		return
	}
	for i, k := range entry.keys {
		if servable(k) {
			view.set(k, entry.vals[i])
		}
	}
}

// servable reports whether a member of a values entry or of attributeValues
// is an attribute value a client sees.
func servable(k string) bool {
	return k != reservedAttribute && keyPattern.MatchString(k)
}

// chooseVariant returns the first variant whose rule holds (only when
// evaluate is set), else the default variant: the last variant without a
// rule. nil when there is none.
func chooseVariant(flagKey string, variants []*node, ctx map[string]string, evaluate bool) *node {
	if evaluate {
		for _, v := range variants {
			r := variantRule(v)
			if r == nil {
				continue
			}
			if ok, err := r.Eval(ctx, flagKey); err == nil && ok {
				return v
			}
		}
	}
	for i := len(variants) - 1; i >= 0; i-- {
		if v := variants[i]; v.kind == kindObject && !hasRule(v) {
			return v
		}
	}
	return nil
}

// ParseContextHeaders turns the values of the Context request headers the
// AppConfig Agent accepts into a context map. Each header value holds one
// or more comma-separated key=value pairs; surrounding spaces are trimmed;
// a later pair for the same key wins. A pair without '=' or with an empty
// key is an error.
func ParseContextHeaders(headers []string) (map[string]string, error) {
	ctx := map[string]string{}
	return ctx, ParseContextHeadersInto(ctx, headers)
}

// ParseContextHeadersInto is ParseContextHeaders adding to dst (which a
// caller may reuse, cleared, across requests).
func ParseContextHeadersInto(dst map[string]string, headers []string) error {
	for _, h := range headers {
		for rest := h; rest != ""; {
			var pair string
			pair, rest, _ = strings.Cut(rest, ",")
			pair = strings.TrimSpace(pair)
			if pair == "" {
				continue
			}
			k, v, ok := strings.Cut(pair, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return fmt.Errorf("context %q is not of the form key=value", pair)
			}
			dst[k] = strings.TrimSpace(v)
		}
	}
	return nil
}
