package featureflag

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The variant rule language: prefix S-expressions.
//
//	rule     = operand                       (must be a call or true/false)
//	operand  = literal | "$"key | call | list
//	call     = "(" operator { operand | name "::" operand } ")"
//	list     = "[" [ item { [","] item } ] "]"   (items: literals or $refs)
//	literal  = string | integer | float | timestamp | "true" | "false"
//
//   - strings are double-quoted UTF-8 with JSON escapes (\" \\ \/ \b \f \n
//     \r \t \uXXXX);
//   - integers are 64-bit (-7, 42); floats are IEEE-754 doubles (3.14,
//     1.234e-5); a bare four-digit year such as 2024 is an integer;
//   - timestamps follow the W3C date-time note: YYYY-MM, YYYY-MM-DD,
//     YYYY-MM-DDThh:mmTZD, YYYY-MM-DDThh:mm:ssTZD, YYYY-MM-DDThh:mm:ss.sTZD
//     with TZD "Z" or ±hh:mm; a partial timestamp means its first instant
//     in UTC (2024-01 is 2024-01-01T00:00:00Z);
//   - $key reads the caller context; a key is any run of characters up to
//     whitespace or one of ( ) [ ] , ".
//
// Operators (all return a boolean):
//
//	eq ne gt gte lt lte      two operands
//	and or                   one or more boolean operands
//	not                      one boolean operand
//	begins_with ends_with contains   two string operands
//	in                       operand, list of constants
//	matches  in::<string> pattern::"<regexp>"
//	exists   key::"<context key>"
//	split    pct::<0..100> by::<$ref | "string" | list> [seed::"<string>"]
//
// ne is not on the feature-flag rule page but is documented for the
// (same-syntax) experiment audience rules; we accept it.
//
// Static checks at parse time: operator names, arity, named arguments
// (known, not repeated, required ones present), operand types (a boolean
// where a boolean is needed, strings for string operators, no comparison
// between literals of different types, no ordering of booleans), regular
// expressions compile (Go RE2 syntax), pct within 0..100, and the whole
// rule is a call or a boolean literal.
//
// Evaluation against a context (map of strings, as the AppConfig Agent
// receives them from "Context: key=value" headers):
//   - a context value compared with a number, timestamp or boolean literal
//     is parsed as that type first (numbers: 64-bit integer, else float;
//     booleans: "true"/"false" in any case; timestamps: the W3C forms
//     above); if it does not parse the comparison is false;
//   - two context values are compared as numbers when both parse as
//     numbers, else as strings (byte order);
//   - any comparison, string test, in, matches or split that involves a
//     missing context key is false (so "not" of it is true); exists is the
//     way to test presence;
//   - a context value in a boolean position is true only if it is "true"
//     (any case);
//   - matches searches for the pattern anywhere in the value (unanchored,
//     like JSON Schema's pattern); anchor with ^...$ for a full match.
//
// split: bucket = first 8 bytes (big-endian) of
// SHA-256(K + "\x00" + B) mod 10000, where K is the seed when given and the
// flag key otherwise, and B is the by value (list items joined with
// "\x00"). The rule is true when bucket < pct×100. Every split of the same
// flag (or the same seed) over the same value sees the same bucket, so
// successive variants with pct 20 and 25 get 20 % and 5 %; different seeds
// give independent buckets. AWS's own hash is not published, so a given
// user lands in a different bucket here than on AWS.

const maxRuleDepth = 64

// Rule is a parsed, type-checked variant rule.
type Rule struct {
	src  string
	root *expr
}

// String returns the rule's source text.
func (r *Rule) String() string { return r.src }

// RuleError is a parse or type error in a rule, with its position.
type RuleError struct {
	Offset int // byte offset into the rule text
	Line   int // 1-based
	Column int // 1-based, in characters
	Msg    string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// ---- values ----

type vkind uint8

const (
	vMissing vkind = iota
	vString
	vInt
	vFloat
	vBool
	vTime
	vList
)

func (k vkind) String() string {
	return [...]string{"missing value", "string", "integer", "float", "boolean", "timestamp", "list"}[k]
}

type value struct {
	kind vkind
	s    string
	i    int64
	f    float64
	b    bool
	t    time.Time
	list []value
	ctx  bool // a string read from the caller context
}

// ---- lexer ----

type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
	tLiteral
	tRef
	tIdent
	tNamed
)

type token struct {
	kind tokKind
	pos  int
	text string // raw source text of the token
	val  value  // tLiteral
	name string // tRef, tIdent, tNamed
}

var (
	identPattern     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	intPattern       = regexp.MustCompile(`^-?[0-9]+$`)
	floatPattern     = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	timestampPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2}))?)?$`)
)

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDelim(c byte) bool {
	return isSpace(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '"'
}

type lexer struct {
	src string
	pos int
}

func (l *lexer) errAt(pos int, format string, args ...any) *RuleError {
	return newRuleError(l.src, pos, fmt.Sprintf(format, args...))
}

func newRuleError(src string, pos int, msg string) *RuleError {
	if pos > len(src) {
		pos = len(src)
	}
	line := 1 + strings.Count(src[:pos], "\n")
	col := 1 + utf8.RuneCountInString(src[strings.LastIndexByte(src[:pos], '\n')+1:pos])
	return &RuleError{Offset: pos, Line: line, Column: col, Msg: msg}
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[start]
	if k := punctuation(c); k != tEOF {
		l.pos++
		return token{kind: k, pos: start, text: string(c)}, nil
	}
	if c == '"' {
		return l.str()
	}
	for l.pos < len(l.src) && !isDelim(l.src[l.pos]) {
		if strings.HasPrefix(l.src[l.pos:], "::") {
			name := l.src[start:l.pos]
			if !identPattern.MatchString(name) {
				return token{}, l.errAt(start, "invalid argument name %q before '::'", name)
			}
			l.pos += 2
			return token{kind: tNamed, pos: start, text: name + "::", name: name}, nil
		}
		l.pos++
	}
	word := l.src[start:l.pos]
	tok := token{pos: start, text: word}
	switch {
	case word == "true" || word == "false":
		tok.kind, tok.val = tLiteral, value{kind: vBool, b: word == "true"}
	case strings.HasPrefix(word, "$"):
		if len(word) == 1 {
			return token{}, l.errAt(start, "'$' must be followed by a context key")
		}
		tok.kind, tok.name = tRef, word[1:]
	case intPattern.MatchString(word):
		i, err := strconv.ParseInt(word, 10, 64)
		if err != nil {
			return token{}, l.errAt(start, "integer %s does not fit in 64 bits", word)
		}
		tok.kind, tok.val = tLiteral, value{kind: vInt, i: i}
	case floatPattern.MatchString(word):
		f, err := strconv.ParseFloat(word, 64)
		if err != nil || math.IsInf(f, 0) {
			return token{}, l.errAt(start, "number %s is out of range", word)
		}
		tok.kind, tok.val = tLiteral, value{kind: vFloat, f: f}
	case timestampPattern.MatchString(word):
		t, ok := parseTimestamp(word)
		if !ok {
			return token{}, l.errAt(start, "invalid timestamp %s", word)
		}
		tok.kind, tok.val = tLiteral, value{kind: vTime, t: t}
	case identPattern.MatchString(word):
		tok.kind, tok.name = tIdent, word
	default:
		return token{}, l.errAt(start, "unexpected %q", word)
	}
	return tok, nil
}

func punctuation(c byte) tokKind {
	switch c {
	case '(':
		return tLParen
	case ')':
		return tRParen
	case '[':
		return tLBrack
	case ']':
		return tRBrack
	case ',':
		return tComma
	}
	return tEOF
}

// simpleEscape decodes the one-character JSON escapes.
func simpleEscape(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

func (l *lexer) str() (token, error) {
	start := l.pos
	l.pos++ // opening quote
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '"':
			l.pos++
			return token{kind: tLiteral, pos: start, text: l.src[start:l.pos], val: value{kind: vString, s: b.String()}}, nil
		case '\\':
			if l.pos+1 >= len(l.src) {
				return token{}, l.errAt(start, "unterminated string")
			}
			esc := l.src[l.pos+1]
			if r, ok := simpleEscape(esc); ok {
				b.WriteByte(r)
				l.pos += 2
				continue
			}
			if esc != 'u' {
				return token{}, l.errAt(l.pos, "invalid escape \\%c in string", esc)
			}
			r, n, ok := l.unicodeEscape(l.pos)
			if !ok {
				return token{}, l.errAt(l.pos, "invalid \\u escape in string")
			}
			b.WriteRune(r)
			l.pos += n
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return token{}, l.errAt(start, "unterminated string")
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at pos.
func (l *lexer) unicodeEscape(pos int) (rune, int, bool) {
	hex4 := func(at int) (rune, bool) {
		if at+6 > len(l.src) || l.src[at] != '\\' || l.src[at+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(l.src[at+2:at+6], 16, 16)
		return rune(v), err == nil
	}
	r, ok := hex4(pos)
	if !ok {
		return 0, 0, false
	}
	if utf16.IsSurrogate(r) {
		if r2, ok := hex4(pos + 6); ok {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12, true
			}
		}
		return utf8.RuneError, 6, true
	}
	return r, 6, true
}

// parseTimestamp reads the W3C date-time forms listed above. Partial forms
// denote their first instant in UTC.
func parseTimestamp(s string) (time.Time, bool) {
	if !timestampPattern.MatchString(s) {
		return time.Time{}, false
	}
	var layout string
	switch {
	case len(s) == len("2006-01"):
		layout = "2006-01"
	case len(s) == len("2006-01-02"):
		layout = "2006-01-02"
	case s[16] == ':':
		layout = "2006-01-02T15:04:05Z07:00" // fractional seconds are accepted by time.Parse
	default:
		layout = "2006-01-02T15:04Z07:00"
	}
	t, err := time.Parse(layout, s)
	if err != nil || t.Year() < 1 {
		return time.Time{}, false // Ion, which rules are, has no year 0
	}
	// Offsets beyond ±23:59, which time.Parse takes, are not Ion either.
	if n := len(s); layout != "2006-01" && layout != "2006-01-02" && s[n-1] != 'Z' {
		h, m := s[n-5:n-3], s[n-2:]
		if h > "23" || m > "59" {
			return time.Time{}, false
		}
	}
	return t, true
}

// ---- parser ----

type exprKind uint8

const (
	eLit exprKind = iota
	eRef
	eCall
	eList
)

type expr struct {
	kind  exprKind
	pos   int
	lit   value            // eLit
	text  string           // eLit: source text
	name  string           // eRef: context key; eCall: operator
	args  []*expr          // eCall positional operands; eList items
	named map[string]*expr // eCall named operands
	order []string         // eCall: named operands in source order
	re    *regexp.Regexp   // matches
	limit float64          // split: buckets below this match (pct×100)
}

// stype is an operand's static type.
type stype uint8

const (
	sAny stype = iota // a context value: a string that may parse as anything
	sBool
	sString
	sNumber
	sTime
	sList
)

func (t stype) String() string {
	return [...]string{"context value", "boolean", "string", "number", "timestamp", "list"}[t]
}

func (e *expr) stype() stype {
	switch e.kind {
	case eRef:
		return sAny
	case eCall:
		return sBool
	case eList:
		return sList
	}
	switch e.lit.kind {
	case vBool:
		return sBool
	case vString:
		return sString
	case vInt, vFloat:
		return sNumber
	default:
		return sTime
	}
}

// namedArgs lists the named arguments an operator takes; nil for operators
// that take only positional operands.
func namedArgs(op string) map[string]bool {
	switch op {
	case "matches":
		return map[string]bool{"in": true, "pattern": true}
	case "exists":
		return map[string]bool{"key": true}
	case "split":
		return map[string]bool{"pct": true, "by": true, "seed": true}
	}
	return nil
}

func knownOperator(op string) bool {
	switch op {
	case "eq", "ne", "gt", "gte", "lt", "lte", "and", "or", "not",
		"begins_with", "ends_with", "contains", "in", "matches", "exists", "split":
		return true
	}
	return false
}

type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errAt(pos int, format string, args ...any) error {
	return p.lex.errAt(pos, format, args...)
}

// ParseRule parses and type-checks a variant rule. Errors are *RuleError
// values whose message carries the line and column.
func ParseRule(src string) (*Rule, error) {
	p := &parser{lex: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, p.errAt(0, "empty rule")
	}
	root, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errAt(p.tok.pos, "unexpected %q after the end of the rule", p.tok.text)
	}
	if t := root.stype(); t != sBool {
		return nil, p.errAt(root.pos, "a rule must evaluate to true or false, not a %s", t)
	}
	return &Rule{src: src, root: root}, nil
}

func (p *parser) operand() (*expr, error) {
	t := p.tok
	switch t.kind {
	case tLParen:
		return p.call()
	case tLBrack:
		return p.list()
	case tLiteral:
		return &expr{kind: eLit, pos: t.pos, lit: t.val, text: t.text}, p.advance()
	case tRef:
		return &expr{kind: eRef, pos: t.pos, name: t.name}, p.advance()
	case tIdent:
		if knownOperator(t.name) {
			return nil, p.errAt(t.pos, "operator %s must follow '('", t.name)
		}
		return nil, p.errAt(t.pos, "unexpected word %q (strings must be in double quotes)", t.name)
	case tNamed:
		return nil, p.errAt(t.pos, "unexpected named argument %s", t.text)
	case tEOF:
		return nil, p.errAt(t.pos, "unexpected end of rule, expected an operand")
	default:
		return nil, p.errAt(t.pos, "unexpected %q, expected an operand", t.text)
	}
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxRuleDepth {
		return p.errAt(pos, "expression nested deeper than %d levels", maxRuleDepth)
	}
	return nil
}

func (p *parser) call() (*expr, error) {
	open := p.tok.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tIdent {
		if p.tok.kind == tEOF {
			return nil, p.errAt(p.tok.pos, "unexpected end of rule, expected an operator")
		}
		return nil, p.errAt(p.tok.pos, "expected an operator after '(', found %q", p.tok.text)
	}
	op := p.tok.name
	if !knownOperator(op) {
		return nil, p.errAt(p.tok.pos, "unknown operator %q", op)
	}
	e := &expr{kind: eCall, pos: open, name: op}
	allowed := namedArgs(op)
	if err := p.advance(); err != nil {
		return nil, err
	}
	for p.tok.kind != tRParen {
		switch p.tok.kind {
		case tEOF:
			return nil, p.errAt(p.tok.pos, "unexpected end of rule, missing ')' for the %s opened at offset %d", op, open)
		case tNamed:
			name, at := p.tok.name, p.tok.pos
			if !allowed[name] {
				if allowed == nil {
					return nil, p.errAt(at, "%s takes no named arguments", op)
				}
				return nil, p.errAt(at, "%s has no argument %s::", op, name)
			}
			if _, dup := e.named[name]; dup {
				return nil, p.errAt(at, "argument %s:: given twice", name)
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
			arg, err := p.operand()
			if err != nil {
				return nil, err
			}
			if e.named == nil {
				e.named = map[string]*expr{}
			}
			e.named[name] = arg
			e.order = append(e.order, name)
		default:
			if allowed != nil {
				return nil, p.errAt(p.tok.pos, "%s takes only named arguments (name::value)", op)
			}
			arg, err := p.operand()
			if err != nil {
				return nil, err
			}
			e.args = append(e.args, arg)
		}
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return e, p.check(e)
}

func (p *parser) list() (*expr, error) {
	open := p.tok.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	e := &expr{kind: eList, pos: open}
	if err := p.advance(); err != nil {
		return nil, err
	}
	afterItem := false
	for p.tok.kind != tRBrack {
		switch p.tok.kind {
		case tEOF:
			return nil, p.errAt(p.tok.pos, "unexpected end of rule, missing ']'")
		case tComma:
			if !afterItem {
				return nil, p.errAt(p.tok.pos, "unexpected ',' in list")
			}
			afterItem = false
			if err := p.advance(); err != nil {
				return nil, err
			}
			if p.tok.kind == tRBrack {
				return nil, p.errAt(p.tok.pos, "expected a list item after ','")
			}
		case tLiteral, tRef:
			item, err := p.operand()
			if err != nil {
				return nil, err
			}
			e.args = append(e.args, item)
			afterItem = true
		default:
			return nil, p.errAt(p.tok.pos, "list items must be literal values or context references, found %q", p.tok.text)
		}
	}
	return e, p.advance()
}

// check type-checks one call.
func (p *parser) check(e *expr) error {
	c := callCheck{p: p, e: e}
	switch e.name {
	case "eq", "ne", "gt", "gte", "lt", "lte":
		return c.comparison()
	case "and", "or":
		return c.connective()
	case "not":
		return c.negation()
	case "begins_with", "ends_with", "contains":
		return c.stringTest()
	case "in":
		return c.membership()
	case "matches":
		return c.matches()
	case "exists":
		return c.exists()
	case "split":
		return c.split()
	}
	return nil
}

// callCheck type-checks the operands of one call e; its errors name the
// operator.
type callCheck struct {
	p *parser
	e *expr
}

// arity requires exactly n positional operands.
func (c callCheck) arity(n int) error {
	if len(c.e.args) != n {
		return c.p.errAt(c.e.pos, "%s takes %d operand(s), got %d", c.e.name, n, len(c.e.args))
	}
	return nil
}

// want reports operand a as not being what when ok is false.
func (c callCheck) want(a *expr, ok bool, what string) error {
	if ok {
		return nil
	}
	return c.p.errAt(a.pos, "%s needs %s, not a %s", c.e.name, what, a.stype())
}

// boolish requires a boolean or a context value.
func (c callCheck) boolish(a *expr) error {
	t := a.stype()
	return c.want(a, t == sBool || t == sAny, "a boolean")
}

// stringish requires a string or a context value.
func (c callCheck) stringish(a *expr) error {
	t := a.stype()
	return c.want(a, t == sString || t == sAny, "a string")
}

// need returns the named argument name, which must be present.
func (c callCheck) need(name string) (*expr, error) {
	a := c.e.named[name]
	if a == nil {
		return nil, c.p.errAt(c.e.pos, "%s needs the argument %s::", c.e.name, name)
	}
	return a, nil
}

// comparison checks eq ne gt gte lt lte: two comparable operands, no lists,
// no ordering of booleans, no literals of different types.
func (c callCheck) comparison() error {
	e := c.e
	if err := c.arity(2); err != nil {
		return err
	}
	a, b := e.args[0], e.args[1]
	ordered := e.name != "eq" && e.name != "ne"
	for _, x := range e.args {
		t := x.stype()
		if t == sList || (ordered && t == sBool) {
			return c.p.errAt(x.pos, "%s cannot compare a %s", e.name, t)
		}
	}
	if ta, tb := a.stype(), b.stype(); ta != sAny && tb != sAny && ta != tb {
		return c.p.errAt(b.pos, "%s cannot compare a %s with a %s", e.name, ta, tb)
	}
	return nil
}

// connective checks and, or: one or more boolean operands.
func (c callCheck) connective() error {
	if len(c.e.args) == 0 {
		return c.p.errAt(c.e.pos, "%s needs at least one operand", c.e.name)
	}
	for _, a := range c.e.args {
		if err := c.boolish(a); err != nil {
			return err
		}
	}
	return nil
}

// negation checks not: one boolean operand.
func (c callCheck) negation() error {
	if err := c.arity(1); err != nil {
		return err
	}
	return c.boolish(c.e.args[0])
}

// stringTest checks begins_with ends_with contains: two string operands.
func (c callCheck) stringTest() error {
	if err := c.arity(2); err != nil {
		return err
	}
	for _, a := range c.e.args {
		if err := c.stringish(a); err != nil {
			return err
		}
	}
	return nil
}

// membership checks in: a single value and a list of constants.
func (c callCheck) membership() error {
	e := c.e
	if err := c.arity(2); err != nil {
		return err
	}
	if t := e.args[0].stype(); t == sList {
		return c.p.errAt(e.args[0].pos, "in needs a single value as its first operand, not a list")
	}
	l := e.args[1]
	if l.kind != eList {
		return c.p.errAt(l.pos, "in needs a list [ ... ] as its second operand, not a %s", l.stype())
	}
	for _, it := range l.args {
		if it.kind != eLit {
			return c.p.errAt(it.pos, "in needs a list of constants; context references are not allowed")
		}
	}
	return nil
}

// matches checks in:: (a string) and pattern:: (a string literal that
// compiles), and keeps the compiled pattern.
func (c callCheck) matches() error {
	in, err := c.need("in")
	if err != nil {
		return err
	}
	if err := c.stringish(in); err != nil {
		return err
	}
	pat, err := c.need("pattern")
	if err != nil {
		return err
	}
	if pat.kind != eLit || pat.lit.kind != vString {
		return c.p.errAt(pat.pos, "matches needs a string literal as pattern::")
	}
	re, rerr := regexp.Compile(pat.lit.s)
	if rerr != nil {
		return c.p.errAt(pat.pos, "invalid regular expression: %v", rerr)
	}
	c.e.re = re
	return nil
}

// exists checks key:: (a string literal).
func (c callCheck) exists() error {
	key, err := c.need("key")
	if err != nil {
		return err
	}
	if key.kind != eLit || key.lit.kind != vString {
		return c.p.errAt(key.pos, "exists needs a string literal as key::")
	}
	return nil
}

// split checks pct:: (and sets the bucket limit), by:: and seed::.
func (c callCheck) split() error {
	if err := c.splitPct(); err != nil {
		return err
	}
	if err := c.splitBy(); err != nil {
		return err
	}
	if seed := c.e.named["seed"]; seed != nil && (seed.kind != eLit || seed.lit.kind != vString) {
		return c.p.errAt(seed.pos, "split needs a string literal as seed::")
	}
	return nil
}

// splitPct checks pct:: is a number literal in 0..100 and sets e.limit to
// the matching bucket count.
func (c callCheck) splitPct() error {
	pct, err := c.need("pct")
	if err != nil {
		return err
	}
	if pct.kind != eLit || (pct.lit.kind != vInt && pct.lit.kind != vFloat) {
		return c.p.errAt(pct.pos, "split needs a number as pct::")
	}
	share := pct.lit.f
	if pct.lit.kind == vInt {
		share = float64(pct.lit.i)
	}
	if share < 0 || share > 100 {
		return c.p.errAt(pct.pos, "split pct:: must be between 0 and 100")
	}
	// Round away binary noise so 76.73 means exactly 7673 buckets.
	c.e.limit = math.Round(share*100*1e6) / 1e6
	return nil
}

// splitBy checks by:: is a context reference, a string, or a non-empty
// list of them.
func (c callCheck) splitBy() error {
	by, err := c.need("by")
	if err != nil {
		return err
	}
	items := []*expr{by}
	if by.kind == eList {
		if len(by.args) == 0 {
			return c.p.errAt(by.pos, "split by:: needs at least one value")
		}
		items = by.args
	}
	for _, it := range items {
		if t := it.stype(); t != sAny && t != sString {
			return c.p.errAt(it.pos, "split by:: needs context references or strings, not a %s", t)
		}
	}
	return nil
}

// ---- evaluation ----

// Eval evaluates the rule against a caller context. flagKey scopes split
// hashes that have no seed. The error is non-nil only for a nil Rule:
// parsing already guarantees a boolean result.
func (r *Rule) Eval(ctx map[string]string, flagKey string) (bool, error) {
	if r == nil || r.root == nil {
		return false, errors.New("featureflag: evaluating a nil rule")
	}
	return r.eval(EvalContext{Attributes: ctx}, flagKey), nil
}

// eval evaluates a non-nil rule; it allocates only for a split over a
// very long by:: value.
func (r *Rule) eval(ctx EvalContext, flagKey string) bool {
	ev := evaluator{ctx: ctx.Attributes, tk: ctx.TargetingKey, flagKey: flagKey}
	return ev.truth(r.root)
}

// TargetingKeyAttribute is the context key under which rules read the
// caller's entity id (EvalContext.TargetingKey): $targetingKey.
const TargetingKeyAttribute = "targetingKey"

type evaluator struct {
	ctx     map[string]string
	tk      string // the targeting key; "" leaves $targetingKey to ctx
	flagKey string
}

// get reads a context key; $targetingKey is the targeting key when set.
func (ev evaluator) get(name string) (string, bool) {
	if ev.tk != "" && name == TargetingKeyAttribute {
		return ev.tk, true
	}
	s, ok := ev.ctx[name]
	return s, ok
}

func (ev evaluator) value(e *expr) value {
	switch e.kind {
	case eLit:
		return e.lit
	case eRef:
		s, ok := ev.get(e.name)
		if !ok {
			return value{kind: vMissing}
		}
		return value{kind: vString, s: s, ctx: true}
	case eList:
		l := make([]value, len(e.args))
		for i, a := range e.args {
			l[i] = ev.value(a)
		}
		return value{kind: vList, list: l}
	default:
		return value{kind: vBool, b: ev.truth(e)}
	}
}

func (ev evaluator) truth(e *expr) bool {
	switch e.kind {
	case eLit:
		return e.lit.kind == vBool && e.lit.b
	case eRef:
		s, ok := ev.get(e.name)
		return ok && strings.EqualFold(s, "true")
	case eList:
		return false
	}
	switch e.name {
	case "and":
		for _, a := range e.args {
			if !ev.truth(a) {
				return false
			}
		}
		return true
	case "or":
		for _, a := range e.args {
			if ev.truth(a) {
				return true
			}
		}
		return false
	case "not":
		return !ev.truth(e.args[0])
	case "eq", "ne", "gt", "gte", "lt", "lte":
		c, ok := compareValues(ev.value(e.args[0]), ev.value(e.args[1]))
		if !ok {
			return false
		}
		switch e.name {
		case "eq":
			return c == 0
		case "ne":
			return c != 0
		case "gt":
			return c > 0
		case "gte":
			return c >= 0
		case "lt":
			return c < 0
		default:
			return c <= 0
		}
	case "begins_with", "ends_with", "contains":
		a, b := ev.value(e.args[0]), ev.value(e.args[1])
		if a.kind != vString || b.kind != vString {
			return false
		}
		switch e.name {
		case "begins_with":
			return strings.HasPrefix(a.s, b.s)
		case "ends_with":
			return strings.HasSuffix(a.s, b.s)
		default:
			return strings.Contains(a.s, b.s)
		}
	case "in":
		x := ev.value(e.args[0])
		for _, it := range e.args[1].args {
			if c, ok := compareValues(x, ev.value(it)); ok && c == 0 {
				return true
			}
		}
		return false
	case "matches":
		in := ev.value(e.named["in"])
		return in.kind == vString && e.re.MatchString(in.s)
	case "exists":
		_, ok := ev.get(e.named["key"].lit.s)
		return ok
	case "split":
		key := ev.flagKey
		if seed := e.named["seed"]; seed != nil {
			key = seed.lit.s
		}
		b, ok := ev.splitBucket(key, e.named["by"])
		return ok && float64(b) < e.limit
	}
	return false
}

// splitBucket hashes key and the by:: value (list items joined with NUL)
// into a bucket, as splitBucket does, without building the input string
// on the heap for usual sizes; false when a referenced context key is
// missing.
func (ev evaluator) splitBucket(key string, by *expr) (uint64, bool) {
	var buf [256]byte
	b := append(append(buf[:0], key...), 0)
	one := [1]*expr{by}
	items := one[:]
	if by.kind == eList {
		items = by.args
	}
	for i, it := range items {
		v := ev.value(it)
		if v.kind != vString {
			return 0, false
		}
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, v.s...)
	}
	sum := sha256.Sum256(b)
	return binary.BigEndian.Uint64(sum[:8]) % 10000, true
}

// splitBucket maps (hash key, by value) to a bucket in [0, 10000).
func splitBucket(key, by string) uint64 {
	sum := sha256.Sum256([]byte(key + "\x00" + by))
	return binary.BigEndian.Uint64(sum[:8]) % 10000
}

// compareValues orders a and b; ok is false when they are not comparable
// (a missing context key, a list, a context string that does not parse as
// the other side's type, or mismatched literal types).
func compareValues(a, b value) (int, bool) {
	if a.kind == vMissing || b.kind == vMissing || a.kind == vList || b.kind == vList {
		return 0, false
	}
	switch {
	case a.ctx && b.ctx:
		if na, ok := parseNumber(a.s); ok {
			if nb, ok := parseNumber(b.s); ok {
				a, b = na, nb
			}
		}
	case a.ctx:
		var ok bool
		if a, ok = coerce(a.s, b.kind); !ok {
			return 0, false
		}
	case b.ctx:
		var ok bool
		if b, ok = coerce(b.s, a.kind); !ok {
			return 0, false
		}
	}
	isNum := func(v value) bool { return v.kind == vInt || v.kind == vFloat }
	switch {
	case isNum(a) && isNum(b):
		if a.kind == vInt && b.kind == vInt {
			return cmpOrdered(a.i, b.i), true
		}
		return cmpOrdered(asFloat(a), asFloat(b)), true
	case a.kind == vString && b.kind == vString:
		return strings.Compare(a.s, b.s), true
	case a.kind == vBool && b.kind == vBool:
		if a.b == b.b {
			return 0, true
		}
		if b.b {
			return -1, true
		}
		return 1, true
	case a.kind == vTime && b.kind == vTime:
		return a.t.Compare(b.t), true
	}
	return 0, false
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func asFloat(v value) float64 {
	if v.kind == vInt {
		return float64(v.i)
	}
	return v.f
}

func parseNumber(s string) (value, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return value{kind: vInt, i: i}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return value{}, false
	}
	return value{kind: vFloat, f: f}, true
}

// coerce parses a context string as the type of the other operand.
func coerce(s string, k vkind) (value, bool) {
	switch k {
	case vInt, vFloat:
		return parseNumber(s)
	case vBool:
		switch {
		case strings.EqualFold(s, "true"):
			return value{kind: vBool, b: true}, true
		case strings.EqualFold(s, "false"):
			return value{kind: vBool}, true
		}
		return value{}, false
	case vTime:
		t, ok := parseTimestamp(s)
		return value{kind: vTime, t: t}, ok
	case vString:
		return value{kind: vString, s: s}, true
	}
	return value{}, false
}
