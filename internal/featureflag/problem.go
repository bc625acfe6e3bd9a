package featureflag

import (
	"strings"
	"unicode/utf8"
)

// Problem is one validation failure, shaped like AWS's
// InvalidConfigurationDetail so the wire layer can copy it field by field
// into BadRequestException.Details.InvalidConfiguration.
type Problem struct {
	// Constraint names the violated rule in JSON-Schema-keyword style, e.g.
	// "required", "maxLength: 64", "enum: [\"1\"]", "pattern: ^[a-z]...".
	Constraint string
	// Location is the RFC 6901 JSON pointer of the offending node ("" is the
	// whole document). For a missing member it points at where the member
	// should be, e.g. "/values/myFlag/enabled".
	Location string
	// Reason is a human-readable sentence.
	Reason string
	// Type is one of the Type* constants below.
	Type string
	// Value is the offending node rendered as compact JSON, truncated to
	// maxValueLen bytes; empty for a missing member.
	Value string
}

// Problem types. The set is ours (AWS does not publish its values):
const (
	// TypeSyntax: the content is not one well-formed JSON value, nests
	// deeper than 64 levels, or repeats a member name inside one object.
	TypeSyntax = "Syntax"
	// TypeSchema: the document breaks the published AWS.AppConfig.FeatureFlags
	// JSON schema (types, required/additional members, key patterns, lengths,
	// counts, enums).
	TypeSchema = "SchemaValidation"
	// TypeConstraint: an attribute value breaks the constraints its flag
	// declares for that attribute (type, required, pattern, enum, minimum,
	// maximum, element constraints).
	TypeConstraint = "ConstraintViolation"
	// TypeSemantic: a rule that spans members and that the schema cannot
	// express: values for an undefined flag, the reserved attribute name
	// "enabled", a constraint pattern that is not a valid regular expression,
	// duplicate variant names, the default variant not being last.
	TypeSemantic = "SemanticValidation"
	// TypeRule: a variant rule that does not parse or type-check.
	TypeRule = "RuleValidation"
)

// maxProblems caps how many problems Validate reports, so a 2 MB document
// full of mistakes yields a response of bounded size. The first
// maxProblems in document order are kept.
const maxProblems = 100

// maxValueLen bounds Problem.Value.
const maxValueLen = 256

func renderValue(n *node) string {
	if n == nil {
		return ""
	}
	return truncate(string(n.encode(nil)))
}

func truncate(s string) string {
	if len(s) <= maxValueLen {
		return s
	}
	cut := maxValueLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func quoteJSON(s string) string { return string(appendString(nil, s)) }

// excerpt returns a short JSON-quoted slice of raw input around offset, to
// show where malformed JSON went wrong.
func excerpt(data []byte, offset int64) string {
	start := int(offset) - 16
	if start < 0 {
		start = 0
	}
	if start > len(data) {
		start = len(data)
	}
	end := start + 32
	if end > len(data) {
		end = len(data)
	}
	return quoteJSON(strings.ToValidUTF8(string(data[start:end]), "\uFFFD"))
}
