package featureflag

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// doc wraps a flags and a values object into a version-1 document.
func doc(flags, values string) []byte {
	return []byte(fmt.Sprintf(`{"version":"1","flags":%s,"values":%s}`, flags, values))
}

// styled is a flag definition with one attribute of every constraint shape.
const styled = `{"styled":{"name":"Styled banner","description":"Colours and sizes","attributes":{
	"color":{"description":"hex colour","constraints":{"type":"string","pattern":"^#[0-9a-f]{6}$","required":true}},
	"size":{"constraints":{"type":"number","minimum":1,"maximum":10}},
	"tier":{"constraints":{"type":"string","enum":["gold","silver",7]}},
	"beta":{"constraints":{"type":"boolean","required":false}},
	"tags":{"constraints":{"type":"array","elements":{"type":"string","enum":["a","b"]}}},
	"weights":{"constraints":{"type":"array","required":false,"elements":{"type":"number","minimum":0}}},
	"note":{"description":"no constraints at all"}}}}`

// styledValues builds a values object for styled from extra members.
func styledValues(members string) string {
	return `{"styled":{` + members + `}}`
}

// multi is a four-variant flag in the style of the user guide's example.
const multiFlags = `{"checkout":{"name":"New checkout","attributes":{
	"layout":{"constraints":{"type":"string","enum":["grid","list"],"required":true}}}}}`

const multiValues = `{"checkout":{"_variants":[
	{"name":"Staff","enabled":true,"rule":"(ends_with $email \"@staff.example.net\")","attributeValues":{"layout":"grid"}},
	{"name":"Early adopters","enabled":true,"rule":"(exists key::\"early\")","attributeValues":{"layout":"list"}},
	{"name":"Ten percent","enabled":true,"rule":"(split pct::10 by::$email seed::\"co\")","attributeValues":{"layout":"grid"}},
	{"name":"Everyone else","enabled":false,"attributeValues":{"layout":"list"}}]}}`

func TestValidateAcceptsValidDocuments(t *testing.T) {
	cases := []struct {
		name string
		doc  []byte
	}{
		{"empty flags", []byte(`{"version":"1","flags":{},"values":{}}`)},
		{"version only", []byte(`{"version":"1"}`)},
		{"single flag", doc(`{"dark_mode":{"name":"Dark mode"}}`, `{"dark_mode":{"enabled":true}}`)},
		{"flag without a values entry", doc(`{"dark_mode":{"name":"Dark mode"}}`, `{}`)},
		{"flag without a name", doc(`{"dark_mode":{}}`, `{"dark_mode":{"enabled":false}}`)},
		{"attributes of every type", doc(styled, styledValues(
			`"enabled":true,"color":"#00ff00","size":10,"tier":"7","beta":false,"tags":["a","b"],"weights":[0,2.5],"note":"hi"`))},
		{"number at the minimum", doc(styled, styledValues(`"enabled":true,"color":"#000000","size":1`))},
		{"enum string item", doc(styled, styledValues(`"enabled":true,"color":"#000000","tier":"gold"`))},
		{"empty array value", doc(styled, styledValues(`"enabled":true,"color":"#000000","tags":[]`))},
		{"undefined attribute value is allowed", doc(styled, styledValues(`"enabled":true,"color":"#000000","extra":[1,2]`))},
		{"required attribute not needed while disabled", doc(styled, styledValues(`"enabled":false`))},
		{"pattern is a search, not a full match", doc(
			`{"f":{"attributes":{"s":{"constraints":{"type":"string","pattern":"[0-9]"}}}}}`,
			`{"f":{"enabled":true,"s":"abc1def"}}`)},
		{"deprecation", doc(`{"old_banner":{"name":"Old banner","_deprecation":{"status":"planned","date":"2031-02-28"}}}`,
			`{"old_banner":{"enabled":false}}`)},
		{"stamped metadata", doc(`{"a":{"name":"A","_createdAt":"2024-05-01T12:00:00.000Z","_updatedAt":"2024-05-02T12:00:00.000Z"}}`,
			`{"a":{"enabled":true,"_createdAt":"2024-05-01T12:00:00.000Z","_updatedAt":"2024-05-02T12:00:00.000Z"}}`)},
		{"multi-variant with rules", doc(multiFlags, multiValues)},
		{"default variant only", doc(multiFlags, `{"checkout":{"_variants":[{"name":"All","enabled":false}]}}`)},
		{"blank rule counts as no rule", doc(multiFlags, `{"checkout":{"_variants":[{"name":"All","enabled":false,"rule":"  "}]}}`)},
		{"disabled variant needs no required attribute", doc(multiFlags,
			`{"checkout":{"_variants":[{"name":"A","enabled":false,"rule":"(exists key::\"a\")"},{"name":"B","enabled":false}]}}`)},
		{"keys at the pattern's limits", doc(`{"a":{},"z`+strings.Repeat("Z9_-", 15)+`abc":{}}`, `{}`)},
		{"name of 64 multibyte characters", doc(`{"a":{"name":"`+strings.Repeat("é", 64)+`"}}`, `{}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Validate(tc.doc); got != nil {
				t.Fatalf("Validate returned problems for a valid document:\n%s", describe(got))
			}
		})
	}
}

func describe(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s | %s | %s | %s | %s\n", p.Type, p.Location, p.Constraint, p.Reason, p.Value)
	}
	return b.String()
}

func repeatMembers(n int, format string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(format, i, i)
	}
	return strings.Join(parts, ",")
}

// constraintCase is one document that breaks one constraint, with the
// problem Validate must report for it.
type constraintCase struct {
	name       string
	doc        []byte
	typ        string
	location   string
	constraint string
	count      int // expected number of problems; 0 means exactly 1
}

// constraintCases returns the table for TestValidateReportsEachConstraint.
func constraintCases() []constraintCase {
	twentySixAttrs := `{"f":{"attributes":{` + repeatMembers(26, `"a%d":{"description":"%d"}`) + `}}}`
	thirtyThreeVariants := `{"f":{"_variants":[` +
		repeatMembers(32, `{"name":"v%d","enabled":true,"rule":"(eq $n %d)"}`) +
		`,{"name":"default","enabled":false}]}}`
	hundredOneEnum := `{"f":{"attributes":{"s":{"constraints":{"type":"string","enum":[` +
		strings.TrimSuffix(strings.Repeat(`"x",`, 101), ",") + `]}}}}}`
	deep := strings.Repeat("[", 70) + strings.Repeat("]", 70)

	return []constraintCase{
		{"malformed JSON", []byte(`{"version":"1",`), TypeSyntax, "", "wellFormedJSON", 0},
		{"not JSON at all", []byte(`flags: {}`), TypeSyntax, "", "wellFormedJSON", 0},
		{"empty body", []byte(``), TypeSyntax, "", "wellFormedJSON", 0},
		{"trailing data", []byte(`{"version":"1"} {}`), TypeSyntax, "", "wellFormedJSON", 0},
		{"nesting too deep", []byte(deep), TypeSyntax, "", "wellFormedJSON", 0},
		{"duplicate flag key", []byte(`{"version":"1","flags":{"a":{},"a":{}}}`), TypeSyntax, "/flags/a", "uniqueKeys", 0},
		{"top level not an object", []byte(`["version","1"]`), TypeSchema, "", "type: object", 0},
		{"wrong version", []byte(`{"version":"2"}`), TypeSchema, "/version", `enum: ["1"]`, 0},
		{"numeric version", []byte(`{"version":1}`), TypeSchema, "/version", "type: string", 0},
		{"missing version", []byte(`{"flags":{}}`), TypeSchema, "/version", "required", 0},
		{"extra top-level key", []byte(`{"version":"1","flag":{}}`), TypeSchema, "/flag", "additionalProperties", 0},
		{"flags not an object", []byte(`{"version":"1","flags":[]}`), TypeSchema, "/flags", "type: object", 0},
		{"flag key with capital", doc(`{"Banner":{}}`, `{}`), TypeSchema, "/flags/Banner", "pattern: " + keyPatternText, 0},
		{"flag key starting with digit", doc(`{"1st":{}}`, `{}`), TypeSchema, "/flags/1st", "pattern: " + keyPatternText, 0},
		{"flag key too long", doc(`{"a`+strings.Repeat("b", 64)+`":{}}`, `{}`), TypeSchema, "/flags/a" + strings.Repeat("b", 64), "pattern: " + keyPatternText, 0},
		{"flag key with slash is escaped", doc(`{"a/b":{}}`, `{}`), TypeSchema, "/flags/a~1b", "pattern: " + keyPatternText, 0},
		{"name too long", doc(`{"f":{"name":"`+strings.Repeat("n", 65)+`"}}`, `{}`), TypeSchema, "/flags/f/name", "maxLength: 64", 0},
		{"empty name", doc(`{"f":{"name":""}}`, `{}`), TypeSchema, "/flags/f/name", "minLength: 1", 0},
		{"name with newline", doc(`{"f":{"name":"two\nlines"}}`, `{}`), TypeSchema, "/flags/f/name", "pattern: " + namePatternText, 0},
		{"description too long", doc(`{"f":{"description":"`+strings.Repeat("d", 1025)+`"}}`, `{}`), TypeSchema, "/flags/f/description", "maxLength: 1024", 0},
		{"unknown flag member", doc(`{"f":{"label":"x"}}`, `{}`), TypeSchema, "/flags/f/label", "additionalProperties", 0},
		{"deprecation status", doc(`{"f":{"_deprecation":{"status":"done"}}}`, `{}`), TypeSchema, "/flags/f/_deprecation/status", `enum: ["planned"]`, 0},
		{"deprecation impossible date", doc(`{"f":{"_deprecation":{"date":"2030-02-30"}}}`, `{}`), TypeSchema, "/flags/f/_deprecation/date", "format: date", 0},
		{"deprecation extra member", doc(`{"f":{"_deprecation":{"reason":"x"}}}`, `{}`), TypeSchema, "/flags/f/_deprecation/reason", "additionalProperties", 0},
		{"26 attributes", doc(twentySixAttrs, `{}`), TypeSchema, "/flags/f/attributes", "maxProperties: 25", 0},
		{"reserved attribute name", doc(`{"f":{"attributes":{"enabled":{}}}}`, `{}`), TypeSemantic, "/flags/f/attributes/enabled", "reservedName: enabled", 0},
		{"bad attribute key", doc(`{"f":{"attributes":{"Color":{}}}}`, `{}`), TypeSchema, "/flags/f/attributes/Color", "pattern: " + keyPatternText, 0},
		{"constraints without type", doc(`{"f":{"attributes":{"a":{"constraints":{"required":true}}}}}`, `{}`), TypeSchema, "/flags/f/attributes/a/constraints/type", "required", 0},
		{"unknown constraint type", doc(`{"f":{"attributes":{"a":{"constraints":{"type":"date"}}}}}`, `{}`), TypeSchema, "/flags/f/attributes/a/constraints/type", `enum: ["number","string","array","boolean"]`, 0},
		{"pattern and enum both", doc(`{"f":{"attributes":{"a":{"constraints":{"type":"string","pattern":"x","enum":["x"]}}}}}`, `{}`), TypeSchema, "/flags/f/attributes/a/constraints", "not: required [pattern, enum]", 0},
		{"pattern that does not compile", doc(`{"f":{"attributes":{"a":{"constraints":{"type":"string","pattern":"(["}}}}}`, `{}`), TypeSemantic, "/flags/f/attributes/a/constraints/pattern", "validRegex", 0},
		{"fractional minimum", doc(`{"f":{"attributes":{"a":{"constraints":{"type":"number","minimum":1.5}}}}}`, `{}`), TypeSchema, "/flags/f/attributes/a/constraints/minimum", "type: integer", 0},
		{"pattern on a number", doc(`{"f":{"attributes":{"a":{"constraints":{"type":"number","pattern":"1"}}}}}`, `{}`), TypeSchema, "/flags/f/attributes/a/constraints/pattern", "additionalProperties", 0},
		{"boolean array elements", doc(`{"f":{"attributes":{"a":{"constraints":{"type":"array","elements":{"type":"boolean"}}}}}}`, `{}`), TypeSchema, "/flags/f/attributes/a/constraints/elements/type", `enum: ["number","string"]`, 0},
		{"enum item that is an object", doc(`{"f":{"attributes":{"a":{"constraints":{"type":"string","enum":[{}]}}}}}`, `{}`), TypeSchema, "/flags/f/attributes/a/constraints/enum/0", "oneOf: string (maxLength 1024) | integer", 0},
		{"enum over 100 items", doc(hundredOneEnum, `{}`), TypeSchema, "/flags/f/attributes/s/constraints/enum", "maxItems: 100", 0},

		{"value breaks pattern", doc(styled, styledValues(`"enabled":true,"color":"green"`)), TypeConstraint, "/values/styled/color", "pattern: ^#[0-9a-f]{6}$", 0},
		{"value outside enum", doc(styled, styledValues(`"enabled":true,"color":"#000000","tier":"bronze"`)), TypeConstraint, "/values/styled/tier", "enum", 0},
		{"integer enum item is not 7.0", doc(styled, styledValues(`"enabled":true,"color":"#000000","tier":"7.0"`)), TypeConstraint, "/values/styled/tier", "enum", 0},
		{"value below minimum", doc(styled, styledValues(`"enabled":true,"color":"#000000","size":0.5`)), TypeConstraint, "/values/styled/size", "minimum: 1", 0},
		{"value above maximum", doc(styled, styledValues(`"enabled":true,"color":"#000000","size":11`)), TypeConstraint, "/values/styled/size", "maximum: 10", 0},
		{"string where number declared", doc(styled, styledValues(`"enabled":true,"color":"#000000","size":"5"`)), TypeConstraint, "/values/styled/size", "type: number", 0},
		{"number where string declared", doc(styled, styledValues(`"enabled":true,"color":7`)), TypeConstraint, "/values/styled/color", "type: string", 0},
		{"array where boolean declared", doc(styled, styledValues(`"enabled":true,"color":"#000000","beta":[true]`)), TypeSchema, "/values/styled/beta/0", "oneOf: string[] | number[]", 0},
		{"string where boolean declared", doc(styled, styledValues(`"enabled":true,"color":"#000000","beta":"true"`)), TypeConstraint, "/values/styled/beta", "type: boolean", 0},
		{"required attribute missing", doc(styled, styledValues(`"enabled":true,"size":3`)), TypeConstraint, "/values/styled/color", "required", 0},
		{"string value over 1024", doc(styled, styledValues(`"enabled":true,"color":"#000000","note":"`+strings.Repeat("x", 1025)+`"`)), TypeSchema, "/values/styled/note", "maxLength: 1024", 0},
		{"array element over 1024", doc(styled, styledValues(`"enabled":true,"color":"#000000","note":["`+strings.Repeat("x", 1025)+`"]`)), TypeSchema, "/values/styled/note/0", "maxLength: 1024", 0},
		{"mixed array", doc(styled, styledValues(`"enabled":true,"color":"#000000","weights":[1,"2"]`)), TypeSchema, "/values/styled/weights", "oneOf: string[] | number[]", 0},
		{"array element outside enum", doc(styled, styledValues(`"enabled":true,"color":"#000000","tags":["a","c"]`)), TypeConstraint, "/values/styled/tags/1", "enum", 0},
		{"array element below minimum", doc(styled, styledValues(`"enabled":true,"color":"#000000","weights":[3,-1]`)), TypeConstraint, "/values/styled/weights/1", "minimum: 0", 0},
		{"number array where strings declared", doc(styled, styledValues(`"enabled":true,"color":"#000000","tags":[1]`)), TypeConstraint, "/values/styled/tags/0", "type: string", 0},
		{"object value", doc(styled, styledValues(`"enabled":true,"color":"#000000","note":{"a":1}`)), TypeSchema, "/values/styled/note", "oneOf: string | number | boolean | array", 0},
		{"null value", doc(styled, styledValues(`"enabled":true,"color":"#000000","note":null`)), TypeSchema, "/values/styled/note", "oneOf: string | number | boolean | array", 0},
		{"attributeValues outside a variant", doc(`{"f":{}}`, `{"f":{"enabled":true,"attributeValues":{"a":true}}}`), TypeSchema, "/values/f/attributeValues", "oneOf: string | number | boolean | array", 0},
		{"enabled missing", doc(`{"f":{}}`, `{"f":{}}`), TypeSchema, "/values/f/enabled", "required", 0},
		{"enabled not boolean", doc(`{"f":{}}`, `{"f":{"enabled":"true"}}`), TypeSchema, "/values/f/enabled", "type: boolean", 0},
		{"values for undefined flag", doc(`{"f":{}}`, `{"f":{"enabled":true},"ghost":{"enabled":true}}`), TypeSemantic, "/values/ghost", "definedFlag", 0},
		{"values entry not an object", doc(`{"f":{}}`, `{"f":true}`), TypeSchema, "/values/f", "type: object", 0},
		{"values member with bad key", doc(`{"f":{}}`, `{"f":{"enabled":true,"Color":"red"}}`), TypeSchema, "/values/f/Color", "additionalProperties", 0},

		{"33 variants", doc(`{"f":{}}`, thirtyThreeVariants), TypeSchema, "/values/f/_variants", "maxItems: 32", 0},
		{"variants not an array", doc(`{"f":{}}`, `{"f":{"enabled":true,"_variants":{}}}`), TypeSchema, "/values/f/_variants", "type: array", 0},
		{"variant without name", doc(`{"f":{}}`, `{"f":{"_variants":[{"enabled":true}]}}`), TypeSchema, "/values/f/_variants/0/name", "required", 0},
		{"variant without enabled", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"x"}]}}`), TypeSchema, "/values/f/_variants/0/enabled", "required", 0},
		{"variant name too long", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"`+strings.Repeat("v", 65)+`","enabled":true}]}}`), TypeSchema, "/values/f/_variants/0/name", "maxLength: 64", 0},
		{"duplicate variant names", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"x","enabled":true,"rule":"true"},{"name":"x","enabled":false}]}}`), TypeSemantic, "/values/f/_variants/1/name", "unique: name", 0},
		{"unknown variant member", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"x","enabled":true,"weight":1}]}}`), TypeSchema, "/values/f/_variants/0/weight", "additionalProperties", 0},
		{"unparsable rule", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"a","enabled":true,"rule":"(eq $x"},{"name":"b","enabled":false}]}}`), TypeRule, "/values/f/_variants/0/rule", "ruleSyntax", 0},
		{"rule of wrong type", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"a","enabled":true,"rule":"(gt $x \"old\" 3)"},{"name":"b","enabled":false}]}}`), TypeRule, "/values/f/_variants/0/rule", "ruleSyntax", 0},
		{"rule too long", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"a","enabled":true,"rule":"(exists key::\"a\")`+strings.Repeat(" ", 16385)+`"},{"name":"b","enabled":false}]}}`), TypeSchema, "/values/f/_variants/0/rule", "maxLength: 16384", 0},
		{"default variant not last", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"default","enabled":false},{"name":"a","enabled":true,"rule":"(exists key::\"a\")"}]}}`), TypeSemantic, "/values/f/_variants/0", "defaultVariantLast", 2},
		{"no default variant", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"a","enabled":true,"rule":"(exists key::\"a\")"}]}}`), TypeSemantic, "/values/f/_variants/0/rule", "defaultVariantLast", 0},
		{"variant value above maximum", doc(styled, `{"styled":{"_variants":[{"name":"d","enabled":true,"attributeValues":{"color":"#000000","size":99}}]}}`), TypeConstraint, "/values/styled/_variants/0/attributeValues/size", "maximum: 10", 0},
		{"variant required attribute missing", doc(multiFlags, `{"checkout":{"_variants":[{"name":"d","enabled":true,"attributeValues":{}}]}}`), TypeConstraint, "/values/checkout/_variants/0/attributeValues/layout", "required", 0},
		{"variant enabled attribute value", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"d","enabled":true,"attributeValues":{"enabled":false}}]}}`), TypeSemantic, "/values/f/_variants/0/attributeValues/enabled", "reservedName: enabled", 0},
		{"26 variant attribute values", doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"d","enabled":true,"attributeValues":{`+repeatMembers(26, `"a%d":%d`)+`}}]}}`), TypeSchema, "/values/f/_variants/0/attributeValues", "maxProperties: 25", 0},
	}
}

func TestValidateReportsEachConstraint(t *testing.T) {
	for _, tc := range constraintCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := Validate(tc.doc)
			want := tc.count
			if want == 0 {
				want = 1
			}
			if len(got) != want {
				t.Errorf("got %d problems, want %d:\n%s", len(got), want, describe(got))
			}
			for _, p := range got {
				if p.Location == tc.location && p.Constraint == tc.constraint {
					if p.Type != tc.typ {
						t.Errorf("problem at %s has type %q, want %q", p.Location, p.Type, tc.typ)
					}
					if p.Reason == "" {
						t.Errorf("problem at %s has no reason", p.Location)
					}
					return
				}
			}
			t.Errorf("no problem with location %q and constraint %q among:\n%s", tc.location, tc.constraint, describe(got))
		})
	}
}

func TestValidateReportsEveryProblemInDocumentOrder(t *testing.T) {
	d := doc(`{"Bad":{"name":""},"good":{"attributes":{"enabled":{}}}}`,
		`{"good":{"enabled":1},"ghost":{"enabled":true}}`)
	want := []struct{ loc, constraint string }{
		{"/flags/Bad", "pattern: " + keyPatternText},
		{"/flags/Bad/name", "minLength: 1"},
		{"/flags/good/attributes/enabled", "reservedName: enabled"},
		{"/values/good/enabled", "type: boolean"},
		{"/values/ghost", "definedFlag"},
	}
	got := Validate(d)
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), describe(got))
	}
	for i, w := range want {
		if got[i].Location != w.loc || got[i].Constraint != w.constraint {
			t.Errorf("problem %d = %s %s, want %s %s", i, got[i].Location, got[i].Constraint, w.loc, w.constraint)
		}
	}
	if again := Validate(d); !reflect.DeepEqual(got, again) {
		t.Errorf("Validate is not deterministic")
	}
}

func TestValidateProblemValues(t *testing.T) {
	got := Validate(doc(styled, styledValues(`"enabled":true,"color":"#000000","note":{"b":1,"a":"<x>"}`)))
	if len(got) != 1 || got[0].Value != `{"a":"<x>","b":1}` {
		t.Fatalf("want the object rendered as compact sorted JSON, got:\n%s", describe(got))
	}
	long := Validate(doc(styled, styledValues(`"enabled":true,"color":"#000000","note":"`+strings.Repeat("é", 2000)+`"`)))
	if len(long) != 1 || len(long[0].Value) > maxValueLen+3 || !strings.HasSuffix(long[0].Value, "...") {
		t.Fatalf("long value not truncated: %d bytes", len(long[0].Value))
	}
	if !strings.HasPrefix(long[0].Value, `"éé`) {
		t.Fatalf("truncation broke a character: %q", long[0].Value[:8])
	}
	missing := Validate(doc(`{"f":{}}`, `{"f":{}}`))
	if len(missing) != 1 || missing[0].Value != "" {
		t.Fatalf("a missing member should have no value:\n%s", describe(missing))
	}
	syntax := Validate([]byte(`{"version": "1", oops}`))
	if len(syntax) != 1 || !strings.Contains(syntax[0].Value, "oops") {
		t.Fatalf("syntax problem should quote the text near the error:\n%s", describe(syntax))
	}
}

func TestValidateCapsProblems(t *testing.T) {
	many := `{` + repeatMembers(150, `"Bad%d":{"name":"%d"}`) + `}`
	got := Validate(doc(many, `{}`))
	if len(got) != maxProblems {
		t.Fatalf("got %d problems, want the cap of %d", len(got), maxProblems)
	}
	if got[0].Location != "/flags/Bad0" || got[maxProblems-1].Location != fmt.Sprintf("/flags/Bad%d", maxProblems-1) {
		t.Fatalf("the cap should keep the first problems in document order: %s … %s", got[0].Location, got[maxProblems-1].Location)
	}
}
