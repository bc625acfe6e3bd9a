package featureflag

import (
	"fmt"
	"regexp"
	"strconv"
)

// attrSpec is a parsed, schema-valid attribute constraints object.
type attrSpec struct {
	typ         string // "string", "number", "boolean" or "array"
	loc         string // JSON pointer of the constraints object
	required    bool
	pattern     *regexp.Regexp
	patternText string
	enum        []*node
	hasEnum     bool
	min, max    float64
	hasMin      bool
	hasMax      bool
	elem        *attrSpec // array element constraints; nil = any element
}

func formatBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// checkConstraints reports every way value n (already of a schema-valid
// attributeValue shape) breaks spec.
func (v *validator) checkConstraints(spec *attrSpec, n *node, loc string) {
	want := map[string]kind{"string": kindString, "number": kindNumber, "boolean": kindBool, "array": kindArray}[spec.typ]
	if n.kind != want {
		v.add(TypeConstraint, "type: "+spec.typ, loc,
			fmt.Sprintf("The attribute is declared as %s (see %s) but the value is a %s.", spec.typ, spec.loc, n.kind), n)
		return
	}
	switch spec.typ {
	case "string":
		if spec.pattern != nil && !spec.pattern.MatchString(n.s) {
			v.add(TypeConstraint, "pattern: "+spec.patternText, loc,
				"The value does not match the attribute's pattern.", n)
		}
		if spec.hasEnum && !enumContains(spec.enum, n.s) {
			v.add(TypeConstraint, "enum", loc,
				"The value is not one of the attribute's allowed values "+truncate(string((&node{kind: kindArray, items: spec.enum}).encode(nil)))+".", n)
		}
	case "number":
		f, ok := numberValue(n)
		if !ok {
			v.add(TypeConstraint, "type: number", loc, "The number is out of the representable range.", n)
			return
		}
		if spec.hasMin && f < spec.min {
			v.add(TypeConstraint, "minimum: "+formatBound(spec.min), loc,
				fmt.Sprintf("The value is below the attribute's minimum of %s.", formatBound(spec.min)), n)
		}
		if spec.hasMax && f > spec.max {
			v.add(TypeConstraint, "maximum: "+formatBound(spec.max), loc,
				fmt.Sprintf("The value is above the attribute's maximum of %s.", formatBound(spec.max)), n)
		}
	case "array":
		if spec.elem == nil {
			return
		}
		for i, it := range n.items {
			v.checkConstraints(spec.elem, it, index(loc, i))
		}
	}
}

// enumContains matches a string value against enum items. The schema lets a
// string enum list integers too; an integer item matches the string that
// spells it in decimal (e.g. 7 matches "7"), the only way such an item can
// ever be satisfied by a string value.
func enumContains(items []*node, s string) bool {
	for _, it := range items {
		switch it.kind {
		case kindString:
			if it.s == s {
				return true
			}
		case kindNumber:
			want, ok := integerValue(it)
			if !ok {
				continue
			}
			got, err := strconv.ParseFloat(s, 64)
			if err == nil && got == want && strconv.FormatFloat(got, 'f', -1, 64) == s {
				return true
			}
		}
	}
	return false
}
