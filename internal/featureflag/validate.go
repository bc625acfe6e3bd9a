package featureflag

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of the stored (authoring) format. Sources: the published
// AWS.AppConfig.FeatureFlags JSON schema (draft-07) and the user guide
// pages on feature flags and multi-variant flags.
const (
	keyPatternText     = `^[a-z][a-zA-Z\d_-]{0,63}$`
	namePatternText    = `^[^\n]{1,64}$`
	maxNameLen         = 64
	maxDescriptionLen  = 1024
	maxAttributes      = 25
	maxStringValueLen  = 1024
	maxPatternLen      = 1024
	maxEnumItems       = 100
	maxEnumItemLen     = 1024
	maxVariants        = 32
	maxRuleLen         = 16384
	maxAttributeValues = 25
	schemaVersion      = "1"
	reservedAttribute  = "enabled"
)

// keyPattern is what flag keys, attribute keys and attribute-value keys
// must match. Go's \d is ASCII-only, like ECMAScript's.
var keyPattern = regexp.MustCompile(keyPatternText)

// Validate checks a stored feature-flag document and returns every problem
// found in document order (capped at maxProblems), or nil when it is valid.
// Malformed JSON yields exactly one TypeSyntax problem.
//
// Strictness, rule by rule (S = the published schema says so; D = the user
// guide says so; O = our choice where AWS is silent, see the comment at the
// check):
//   - top level: an object with only version (required, the string "1"),
//     flags and values (both optional objects). [S]
//   - flag keys, attribute keys and value keys match keyPatternText. [S]
//   - a flag definition has only name (1–64 characters, no newline),
//     description (≤ 1024), _createdAt/_updatedAt (strings), _deprecation
//     ({status: "planned", date: full-date}, both optional) and attributes;
//     name is optional. [S]
//   - attributes: ≤ 25, each {description, constraints}; the name "enabled"
//     is reserved. [S, D] constraints are optional [S]; when present they
//     are exactly one of the string/number/boolean/array shapes with their
//     own members only; pattern and enum exclude each other; minimum and
//     maximum are integers; enum items are strings (≤ 1024) or integers;
//     array elements take a string or number shape. [S]
//   - enum ≤ 100 items and _variants ≤ 32 items: the schema writes
//     "maxLength" on these arrays, which draft-07 ignores; we enforce the
//     evident intent (maxItems). [O]
//   - a pattern must compile as a Go (RE2) regular expression: AWS does not
//     name its dialect; ECMAScript-only syntax such as look-around is
//     rejected here. [O]
//   - values keys must name a flag defined in flags. [O, as the brief asks;
//     such an entry can never be served]
//   - a values entry has only enabled (boolean), _createdAt/_updatedAt,
//     _variants and attribute values. [S] enabled is required unless the
//     entry has a non-empty _variants list (the schema does not require it,
//     but every documented plain entry has it and the multi-variant example
//     omits it). [O]
//   - attribute values: strings ≤ 1024, numbers, booleans, or arrays whose
//     items are all strings (≤ 1024) or all numbers; an empty array is
//     accepted (strict draft-07 oneOf would reject it, as both branches
//     match — we read that as an accident). [S, O]
//   - an attribute value with no definition in its flag is accepted and
//     served: the schema allows it and there is no constraint to break. [O]
//   - every attribute value with a definition must satisfy its constraints
//     (type, pattern — unanchored search as in JSON Schema —, enum,
//     minimum/maximum inclusive, element constraints for arrays). [D]
//   - required attributes must have a value in every *enabled* plain entry
//     and every *enabled* variant; a disabled flag or variant delivers no
//     attributes, so nothing is required of it. [O]
//   - _variants: each {name (required, 1–64, unique within the flag),
//     enabled (required boolean), rule (≤ 16384 characters, must parse),
//     attributeValues (≤ 25)}; every variant but the last must have a rule
//     and the last (the default variant) must not. An empty or blank rule
//     counts as no rule. [S, D, O for uniqueness]
//   - the same member twice in one object is an error (flag keys and
//     attribute keys must be unique per the user guide). [D]
func Validate(doc []byte) []Problem {
	root, dups, err := parseJSON(doc)
	if err != nil {
		se, _ := err.(*syntaxError)
		p := Problem{
			Constraint: "wellFormedJSON",
			Type:       TypeSyntax,
			Reason:     "The content is not a well-formed JSON document: " + err.Error() + ".",
		}
		if se != nil {
			p.Value = excerpt(doc, se.offset)
		}
		return []Problem{p}
	}
	v := &validator{}
	for _, d := range dups {
		v.add(TypeSyntax, "uniqueKeys", d.location,
			fmt.Sprintf("The member %s appears more than once in the same object.", quoteJSON(d.key)), nil)
	}
	v.document(root)
	if len(v.problems) == 0 {
		return nil
	}
	return v.problems
}

type validator struct {
	problems []Problem
}

func (v *validator) add(typ, constraint, loc, reason string, val *node) {
	if len(v.problems) >= maxProblems {
		return
	}
	v.problems = append(v.problems, Problem{
		Constraint: constraint,
		Location:   loc,
		Reason:     reason,
		Type:       typ,
		Value:      renderValue(val),
	})
}

// expect reports a type mismatch and returns false unless n has kind k.
func (v *validator) expect(n *node, k kind, loc string) bool {
	if n.kind == k {
		return true
	}
	v.add(TypeSchema, "type: "+k.String(), loc,
		fmt.Sprintf("Expected a JSON %s, found a %s.", k, n.kind), n)
	return false
}

func (v *validator) extra(n *node, loc, key, where string) {
	v.add(TypeSchema, "additionalProperties", pointer(loc, key),
		fmt.Sprintf("The member %s is not allowed in %s.", quoteJSON(key), where), n)
}

func (v *validator) missing(loc, key, where string) {
	v.add(TypeSchema, "required", pointer(loc, key),
		fmt.Sprintf("%s must have the member %s.", where, quoteJSON(key)), nil)
}

// key checks a flag, attribute or value key against keyPattern.
func (v *validator) key(key, loc, what string) bool {
	if keyPattern.MatchString(key) {
		return true
	}
	v.add(TypeSchema, "pattern: "+keyPatternText, loc,
		fmt.Sprintf("The %s %s must start with a lowercase letter and contain at most 64 letters, digits, '_' or '-'.", what, quoteJSON(key)),
		newString(key))
	return false
}

func (v *validator) maxLen(n *node, loc string, limit int, what string) {
	if c := utf8.RuneCountInString(n.s); c > limit {
		v.add(TypeSchema, "maxLength: "+strconv.Itoa(limit), loc,
			fmt.Sprintf("The %s is %d characters long; the maximum is %d.", what, c, limit), n)
	}
}

func (v *validator) str(n *node, loc string, limit int, what string) {
	if v.expect(n, kindString, loc) && limit > 0 {
		v.maxLen(n, loc, limit, what)
	}
}

// name checks a customer-defined name: 1–64 characters without a newline.
func (v *validator) name(n *node, loc, what string) {
	if !v.expect(n, kindString, loc) {
		return
	}
	switch c := utf8.RuneCountInString(n.s); {
	case c == 0:
		v.add(TypeSchema, "minLength: 1", loc, fmt.Sprintf("The %s must not be empty.", what), n)
	case c > maxNameLen:
		v.add(TypeSchema, "maxLength: "+strconv.Itoa(maxNameLen), loc,
			fmt.Sprintf("The %s is %d characters long; the maximum is %d.", what, c, maxNameLen), n)
	}
	if strings.Contains(n.s, "\n") {
		v.add(TypeSchema, "pattern: "+namePatternText, loc,
			fmt.Sprintf("The %s must not contain a line break.", what), n)
	}
}

// flagDef is what value checking needs to know about one flag definition.
type flagDef struct {
	attrs map[string]*attrSpec // nil spec: defined without usable constraints
	order []string             // attribute names in document order
}

func (v *validator) document(root *node) {
	if !v.expect(root, kindObject, "") {
		return
	}
	for i, k := range root.keys {
		switch k {
		case "version", "flags", "values":
		default:
			v.extra(root.vals[i], "", k, "the top level of a feature flag document")
		}
	}
	if ver := root.get("version"); ver == nil {
		v.missing("", "version", "A feature flag document")
	} else if v.expect(ver, kindString, "/version") && ver.s != schemaVersion {
		v.add(TypeSchema, `enum: ["1"]`, "/version",
			`The only supported feature flag schema version is "1".`, ver)
	}

	defs := map[string]*flagDef{}
	if flags := root.get("flags"); flags != nil && v.expect(flags, kindObject, "/flags") {
		for i, k := range flags.keys {
			defs[k] = v.flagDefinition(k, flags.vals[i], pointer("/flags", k))
		}
	}
	if values := root.get("values"); values != nil && v.expect(values, kindObject, "/values") {
		for i, k := range values.keys {
			loc := pointer("/values", k)
			def, defined := defs[k]
			if v.key(k, loc, "flag key") && !defined {
				v.add(TypeSemantic, "definedFlag", loc,
					fmt.Sprintf("The values entry %s has no flag definition of that key under /flags.", quoteJSON(k)),
					values.vals[i])
			}
			v.valueEntry(values.vals[i], loc, def)
		}
	}
}

func (v *validator) flagDefinition(key string, n *node, loc string) *flagDef {
	def := &flagDef{attrs: map[string]*attrSpec{}}
	v.key(key, loc, "flag key")
	if !v.expect(n, kindObject, loc) {
		return def
	}
	for i, k := range n.keys {
		m, mloc := n.vals[i], pointer(loc, k)
		switch k {
		case "name":
			v.name(m, mloc, "flag name")
		case "description":
			v.str(m, mloc, maxDescriptionLen, "flag description")
		case "_createdAt", "_updatedAt":
			v.str(m, mloc, 0, "")
		case "_deprecation":
			v.deprecation(m, mloc)
		case "attributes":
			v.attributes(m, mloc, def)
		default:
			v.extra(m, loc, k, "a flag definition")
		}
	}
	return def
}

func (v *validator) deprecation(n *node, loc string) {
	if !v.expect(n, kindObject, loc) {
		return
	}
	for i, k := range n.keys {
		m, mloc := n.vals[i], pointer(loc, k)
		switch k {
		case "status":
			if v.expect(m, kindString, mloc) && m.s != "planned" {
				v.add(TypeSchema, `enum: ["planned"]`, mloc, `The only deprecation status is "planned".`, m)
			}
		case "date":
			if v.expect(m, kindString, mloc) && !isFullDate(m.s) {
				v.add(TypeSchema, "format: date", mloc, "The deprecation date must be a calendar date written YYYY-MM-DD.", m)
			}
		default:
			v.extra(m, loc, k, "_deprecation")
		}
	}
}

func isFullDate(s string) bool {
	if len(s) != len("2006-01-02") {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func (v *validator) attributes(n *node, loc string, def *flagDef) {
	if !v.expect(n, kindObject, loc) {
		return
	}
	if len(n.keys) > maxAttributes {
		v.add(TypeSchema, "maxProperties: "+strconv.Itoa(maxAttributes), loc,
			fmt.Sprintf("A flag has %d attributes; the maximum is %d.", len(n.keys), maxAttributes), nil)
	}
	for i, k := range n.keys {
		m, mloc := n.vals[i], pointer(loc, k)
		if v.key(k, mloc, "attribute key") && k == reservedAttribute {
			v.add(TypeSemantic, "reservedName: enabled", mloc,
				`"enabled" is reserved and cannot be an attribute name.`, newString(k))
		}
		def.order = append(def.order, k)
		def.attrs[k] = nil
		if !v.expect(m, kindObject, mloc) {
			continue
		}
		for j, ak := range m.keys {
			am, aloc := m.vals[j], pointer(mloc, ak)
			switch ak {
			case "description":
				v.str(am, aloc, maxDescriptionLen, "attribute description")
			case "constraints":
				def.attrs[k] = v.constraints(am, aloc, false)
			default:
				v.extra(am, mloc, ak, "an attribute definition")
			}
		}
	}
}

// enumItemOK reports whether an enum item is a string (≤ 1024) or an
// integer — the only items the schema admits.
func enumItemOK(n *node) bool {
	switch n.kind {
	case kindString:
		return utf8.RuneCountInString(n.s) <= maxEnumItemLen
	case kindNumber:
		_, ok := integerValue(n)
		return ok
	}
	return false
}

// integerValue parses a JSON number that is a mathematical integer (JSON
// Schema draft-07 counts 2.0 as an integer).
func integerValue(n *node) (float64, bool) {
	f, ok := numberValue(n)
	if !ok || f != math.Trunc(f) {
		return 0, false
	}
	return f, true
}

func numberValue(n *node) (float64, bool) {
	if n == nil || n.kind != kindNumber {
		return 0, false
	}
	f, err := strconv.ParseFloat(n.s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// constraints checks one constraints object and returns the usable spec,
// or nil when its type cannot be determined (value checks are then skipped
// rather than piling up follow-on errors).
func (v *validator) constraints(n *node, loc string, element bool) *attrSpec {
	if !v.expect(n, kindObject, loc) {
		return nil
	}
	allowedTypes := `enum: ["number","string","array","boolean"]`
	if element {
		allowedTypes = `enum: ["number","string"]`
	}
	t := n.get("type")
	if t == nil {
		v.missing(loc, "type", "A constraints object")
		return nil
	}
	tloc := pointer(loc, "type")
	if !v.expect(t, kindString, tloc) {
		return nil
	}
	var members map[string]bool
	switch t.s {
	case "string":
		members = map[string]bool{"type": true, "required": true, "pattern": true, "enum": true}
	case "number":
		members = map[string]bool{"type": true, "required": true, "minimum": true, "maximum": true}
	case "boolean":
		members = map[string]bool{"type": true, "required": true}
	case "array":
		members = map[string]bool{"type": true, "required": true, "elements": true}
	}
	if members == nil || (element && (t.s == "boolean" || t.s == "array")) {
		what := "an attribute"
		if element {
			what = "array elements"
		}
		v.add(TypeSchema, allowedTypes, tloc, fmt.Sprintf("%s is not a constraint type for %s.", quoteJSON(t.s), what), t)
		return nil
	}
	spec := &attrSpec{typ: t.s, loc: loc}
	for i, k := range n.keys {
		m, mloc := n.vals[i], pointer(loc, k)
		if !members[k] {
			v.extra(m, loc, k, fmt.Sprintf("%s constraints", t.s))
			continue
		}
		switch k {
		case "required":
			if v.expect(m, kindBool, mloc) {
				spec.required = m.b
			}
		case "pattern":
			if !v.expect(m, kindString, mloc) {
				continue
			}
			v.maxLen(m, mloc, maxPatternLen, "pattern")
			re, err := regexp.Compile(m.s)
			if err != nil {
				v.add(TypeSemantic, "validRegex", mloc, "The pattern is not a valid regular expression: "+err.Error()+".", m)
				continue
			}
			spec.pattern, spec.patternText = re, m.s
		case "enum":
			if !v.expect(m, kindArray, mloc) {
				continue
			}
			if len(m.items) > maxEnumItems {
				v.add(TypeSchema, "maxItems: "+strconv.Itoa(maxEnumItems), mloc,
					fmt.Sprintf("The enum has %d items; the maximum is %d.", len(m.items), maxEnumItems), nil)
			}
			ok := true
			for j, it := range m.items {
				if !enumItemOK(it) {
					ok = false
					v.add(TypeSchema, "oneOf: string (maxLength 1024) | integer", index(mloc, j),
						"An enum item must be a string of at most 1024 characters or an integer.", it)
				}
			}
			if ok {
				spec.enum = m.items
				spec.hasEnum = true
			}
		case "minimum", "maximum":
			f, ok := integerValue(m)
			if !ok {
				v.add(TypeSchema, "type: integer", mloc, fmt.Sprintf("The %s must be an integer.", k), m)
				continue
			}
			if k == "minimum" {
				spec.min, spec.hasMin = f, true
			} else {
				spec.max, spec.hasMax = f, true
			}
		case "elements":
			spec.elem = v.constraints(m, mloc, true)
		}
	}
	if n.has("pattern") && n.has("enum") {
		v.add(TypeSchema, "not: required [pattern, enum]", loc,
			"A string constraint may have a pattern or an enum, not both.", nil)
	}
	return spec
}

func (v *validator) valueEntry(n *node, loc string, def *flagDef) {
	if !v.expect(n, kindObject, loc) {
		return
	}
	variants := n.get("_variants")
	multi := variants != nil && variants.kind == kindArray && len(variants.items) > 0
	for i, k := range n.keys {
		m, mloc := n.vals[i], pointer(loc, k)
		switch k {
		case "enabled":
			v.expect(m, kindBool, mloc)
		case "_createdAt", "_updatedAt":
			v.expect(m, kindString, mloc)
		case "_variants":
			v.variants(m, mloc, def)
		default:
			if !keyPattern.MatchString(k) {
				v.extra(m, loc, k, "a values entry (attribute keys must match "+keyPatternText+")")
				continue
			}
			v.attributeValue(k, m, mloc, def)
		}
	}
	if multi {
		return
	}
	enabled := n.get("enabled")
	if enabled == nil {
		v.missing(loc, "enabled", "A values entry without variants")
		return
	}
	if on, _ := enabled.boolValue(); on {
		v.requiredAttributes(n, loc, def)
	}
}

// requiredAttributes reports required attributes that have no value in
// container (a plain values entry or a variant's attributeValues).
func (v *validator) requiredAttributes(container *node, loc string, def *flagDef) {
	if def == nil {
		return
	}
	for _, name := range def.order {
		spec := def.attrs[name]
		if spec == nil || !spec.required || container.has(name) {
			continue
		}
		v.add(TypeConstraint, "required", pointer(loc, name),
			fmt.Sprintf("The attribute %s is required when the flag is enabled.", quoteJSON(name)), nil)
	}
}

// attributeValue checks one attribute value against the schema's
// attributeValue shape and then against its flag's constraints.
func (v *validator) attributeValue(name string, n *node, loc string, def *flagDef) {
	if name == reservedAttribute {
		v.add(TypeSemantic, "reservedName: enabled", loc,
			`"enabled" is reserved and cannot be an attribute value.`, n)
		return
	}
	if !v.valueShape(n, loc) || def == nil {
		return
	}
	if spec := def.attrs[name]; spec != nil {
		v.checkConstraints(spec, n, loc)
	}
}

// valueShape enforces the schema's attributeValue: a string ≤ 1024, a
// number, a boolean, or an array of only strings (≤ 1024) or only numbers.
func (v *validator) valueShape(n *node, loc string) bool {
	switch n.kind {
	case kindString:
		if utf8.RuneCountInString(n.s) > maxStringValueLen {
			v.maxLen(n, loc, maxStringValueLen, "attribute value")
			return false
		}
		return true
	case kindNumber, kindBool:
		return true
	case kindArray:
		ok := true
		var first *node // first string or number item
		for i, it := range n.items {
			if it.kind != kindString && it.kind != kindNumber {
				v.add(TypeSchema, "oneOf: string[] | number[]", index(loc, i),
					fmt.Sprintf("An array attribute value may hold strings or numbers, not a %s.", it.kind), it)
				ok = false
				continue
			}
			if first == nil {
				first = it
			} else if it.kind != first.kind {
				v.add(TypeSchema, "oneOf: string[] | number[]", loc,
					"An array attribute value must hold only strings or only numbers, not both.", n)
				return false
			}
			if it.kind == kindString && utf8.RuneCountInString(it.s) > maxStringValueLen {
				v.maxLen(it, index(loc, i), maxStringValueLen, "array element")
				ok = false
			}
		}
		return ok
	default:
		v.add(TypeSchema, "oneOf: string | number | boolean | array", loc,
			fmt.Sprintf("An attribute value must be a string, number, boolean or array, not %s.", n.kind), n)
		return false
	}
}

func (v *validator) variants(n *node, loc string, def *flagDef) {
	if !v.expect(n, kindArray, loc) {
		return
	}
	if len(n.items) > maxVariants {
		v.add(TypeSchema, "maxItems: "+strconv.Itoa(maxVariants), loc,
			fmt.Sprintf("A flag has %d variants; the maximum is %d.", len(n.items), maxVariants), nil)
	}
	names := map[string]int{}
	last := len(n.items) - 1
	for i, it := range n.items {
		vloc := index(loc, i)
		if !v.expect(it, kindObject, vloc) {
			continue
		}
		for j, k := range it.keys {
			m, mloc := it.vals[j], pointer(vloc, k)
			switch k {
			case "name":
				v.name(m, mloc, "variant name")
				if m.kind == kindString {
					if prev, dup := names[m.s]; dup {
						v.add(TypeSemantic, "unique: name", mloc,
							fmt.Sprintf("Variant %d has the same name as variant %d.", i, prev), m)
					} else {
						names[m.s] = i
					}
				}
			case "enabled":
				v.expect(m, kindBool, mloc)
			case "rule":
				v.rule(m, mloc)
			case "attributeValues":
				v.variantValues(m, mloc, def)
			default:
				v.extra(m, vloc, k, "a variant")
			}
		}
		if !it.has("name") {
			v.missing(vloc, "name", "A variant")
		}
		if !it.has("enabled") {
			v.missing(vloc, "enabled", "A variant")
		}
		if on, _ := it.get("enabled").boolValue(); on {
			av := it.get("attributeValues")
			if av == nil {
				av = newObject()
			}
			if av.kind == kindObject {
				v.requiredAttributes(av, pointer(vloc, "attributeValues"), def)
			}
		}
		switch hasRule := hasRule(it); {
		case i < last && !hasRule:
			v.add(TypeSemantic, "defaultVariantLast", vloc,
				"Only the last variant, the default variant, may be without a rule.", nil)
		case i == last && hasRule:
			v.add(TypeSemantic, "defaultVariantLast", pointer(vloc, "rule"),
				"The last variant is the default variant and must not have a rule.", it.get("rule"))
		}
	}
}

// hasRule reports whether a variant carries a rule; a missing, empty or
// blank rule string means "no rule" (the default variant).
func hasRule(variant *node) bool {
	r := variant.get("rule")
	if r == nil {
		return false
	}
	return r.kind != kindString || strings.TrimSpace(r.s) != ""
}

func (v *validator) rule(n *node, loc string) {
	if !v.expect(n, kindString, loc) {
		return
	}
	if utf8.RuneCountInString(n.s) > maxRuleLen {
		v.maxLen(n, loc, maxRuleLen, "rule")
		return
	}
	if strings.TrimSpace(n.s) == "" {
		return
	}
	if _, err := ParseRule(n.s); err != nil {
		v.add(TypeRule, "ruleSyntax", loc, "The rule is not valid: "+err.Error()+".", n)
	}
}

func (v *validator) variantValues(n *node, loc string, def *flagDef) {
	if !v.expect(n, kindObject, loc) {
		return
	}
	if len(n.keys) > maxAttributeValues {
		v.add(TypeSchema, "maxProperties: "+strconv.Itoa(maxAttributeValues), loc,
			fmt.Sprintf("A variant has %d attribute values; the maximum is %d.", len(n.keys), maxAttributeValues), nil)
	}
	for i, k := range n.keys {
		m, mloc := n.vals[i], pointer(loc, k)
		if !v.key(k, mloc, "attribute key") {
			continue
		}
		v.attributeValue(k, m, mloc, def)
	}
}
