// Package shape is the small runtime that the generated wire code
// (internal/wire/gen/...) is written against: the raw request handed to a
// binder, the encoded response, ISO-8601 timestamps, and the collector of
// model-constraint violations.
package shape

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Request is an HTTP request after routing: label values (already
// unescaped, in URI-template order), the query, the headers and the body.
type Request struct {
	Labels []string
	// Query is the parsed query string. ParseQuery leaves it nil when the
	// query is one key=value pair with nothing to unescape (a data-plane
	// poll: ?configuration_token=...), which pair holds instead; read the
	// query with QueryValues.
	Query  url.Values
	Header http.Header
	Body   []byte
	// pair is such a single pair: key, value.
	pair    [2]string
	hasPair bool
}

// ParseQuery sets the request's query from a raw query string, with
// url.ParseQuery's result and errors, without building a map for a
// single pair that needs no unescaping ('&', ';', '%' and '+' absent).
func (r *Request) ParseQuery(raw string) error {
	r.Query, r.hasPair = nil, false
	if raw == "" {
		return nil
	}
	if plainPair(raw) {
		k, v, _ := strings.Cut(raw, "=")
		r.pair, r.hasPair = [2]string{k, v}, true
		return nil
	}
	q, err := url.ParseQuery(raw)
	r.Query = q
	return err
}

// plainPair reports whether raw has none of '&', ';', '%' and '+'
// (four vectorised byte scans beat strings.ContainsAny's per-byte set
// lookup on a 150-byte token).
func plainPair(raw string) bool {
	return strings.IndexByte(raw, '&') < 0 && strings.IndexByte(raw, ';') < 0 &&
		strings.IndexByte(raw, '%') < 0 && strings.IndexByte(raw, '+') < 0
}

// QueryValues returns the values of a query parameter and whether it was
// present, as a lookup in url.Values would.
func (r *Request) QueryValues(key string) ([]string, bool) {
	if r.hasPair {
		if r.pair[0] == key {
			return r.pair[1:2:2], true
		}
		return nil, false
	}
	vs, ok := r.Query[key]
	return vs, ok
}

// Response is an encoded operation result. Its headers are written by the
// encoder straight into the ResponseWriter's header map.
type Response struct {
	Status int
	Body   []byte
}

// Operation describes one modeled operation: its name, HTTP binding and
// success status.
type Operation struct {
	Service string
	Name    string
	Method  string
	URI     string
	Success int
	// Segments of the URI path; a label segment is "{Name}".
	Segments []string
}

// BindError reports a request that could not be bound to its input shape
// (malformed JSON, a non-numeric integer header, ...).
type BindError struct{ Message string }

func (e *BindError) Error() string { return e.Message }

// ValidationError lists every model-constraint violation of a request, in
// the wording AWS services use.
type ValidationError struct{ Violations []string }

func (e *ValidationError) Error() string {
	n := len(e.Violations)
	noun := "errors"
	if n == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d validation %s detected: %s", n, noun, strings.Join(e.Violations, "; "))
}

// Violations collects constraint violations during validation.
type Violations struct{ list []string }

// Err returns nil when nothing was recorded.
func (v *Violations) Err() error {
	if len(v.list) == 0 {
		return nil
	}
	return &ValidationError{Violations: v.list}
}

func (v *Violations) add(value, path, constraint string) {
	v.list = append(v.list, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, path, constraint))
}

func quote(s string) string {
	const max = 128
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return "'" + s + "'"
}

// Missing records a required member that is absent.
func (v *Violations) Missing(path string) {
	v.add("null", path, "Member must not be null")
}

// StringLen checks a string's length in characters.
func (v *Violations) StringLen(s, path string, min, max int) {
	n := utf8.RuneCountInString(s)
	if min >= 0 && n < min {
		v.add(quote(s), path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max >= 0 && n > max {
		v.add(quote(s), path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// Len checks the size of a list or map.
func (v *Violations) Len(n int, path string, min, max int) {
	if min >= 0 && n < min {
		v.add(fmt.Sprintf("'[%d items]'", n), path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max >= 0 && n > max {
		v.add(fmt.Sprintf("'[%d items]'", n), path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// Enum checks membership in an enumeration.
func (v *Violations) Enum(s, path string, values []string) {
	for _, e := range values {
		if s == e {
			return
		}
	}
	v.add(quote(s), path, "Member must satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

// Pattern checks a string against a model pattern.
func (v *Violations) Pattern(s, path string, p Matcher, source string) {
	if !p.MatchString(s) {
		v.add(quote(s), path, "Member must satisfy regular expression pattern: "+source)
	}
}

// IntRange checks an integer's bounds; a bound is ignored when its flag is false.
func (v *Violations) IntRange(n int64, path string, hasMin bool, min int64, hasMax bool, max int64) {
	if hasMin && n < min {
		v.add(quote(strconv.FormatInt(n, 10)), path, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if hasMax && n > max {
		v.add(quote(strconv.FormatInt(n, 10)), path, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// FloatRange checks a float's bounds.
func (v *Violations) FloatRange(f float64, path string, hasMin bool, min float64, hasMax bool, max float64) {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if hasMin && f < min {
		v.add(quote(s), path, "Member must have value greater than or equal to "+strconv.FormatFloat(min, 'f', 1, 64))
	}
	if hasMax && f > max {
		v.add(quote(s), path, "Member must have value less than or equal to "+strconv.FormatFloat(max, 'f', 1, 64))
	}
}

// Union checks that exactly one member of a union is set.
func (v *Violations) Union(set int, path string) {
	if set != 1 {
		v.add(fmt.Sprintf("'[%d members set]'", set), path, "Union must have exactly one member set")
	}
}

// Matcher is a compiled model pattern.
type Matcher interface{ MatchString(string) bool }

// NonSpace is the model pattern `\S{1,N}` (an unanchored search, so: the
// value holds at least one character outside RE2's \s, [\t\n\f\r ]),
// without a regular expression: tokens are checked against it on every
// poll. Any byte outside that set belongs to a non-space rune (invalid
// UTF-8 reads as U+FFFD, also \S).
type NonSpace struct{}

// MatchString implements Matcher.
func (NonSpace) MatchString(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t', '\n', '\f', '\r', ' ':
		default:
			return true
		}
	}
	return false
}

// Lookahead emulates a pattern of the form `(?!Not)Then` (optionally
// anchored with ^), which RE2 cannot express: the value must not match Not
// at its start and must match Then at its start.
type Lookahead struct{ Not, Then *regexp.Regexp }

// MatchString implements Matcher.
func (l Lookahead) MatchString(s string) bool {
	return !l.Not.MatchString(s) && l.Then.MatchString(s)
}

// Path joins a parent path and a member name as AWS validation messages
// print them; the generator passes member names already in lower camel
// case, so a top-level member's path is a constant and costs nothing.
func Path(parent, member string) string {
	if parent == "" {
		return member
	}
	return parent + "." + member
}

// Index is the path of the i-th (0-based) element of a list.
func Index(parent string, i int) string {
	return parent + "." + strconv.Itoa(i+1) + ".member"
}

// Key is the path of a map entry.
func Key(parent, key string) string {
	return parent + "." + key
}

// Time is a timestamp encoded as an ISO-8601 string in UTC with
// milliseconds (2021-09-17T21:43:54.205Z), as AWS emits them.
type Time struct{ time.Time }

// TimeFormat is the layout of every timestamp the server emits.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// NewTime wraps t; the zero time gives nil so that it is omitted.
func NewTime(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	return &Time{t}
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeFormat)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeFormat)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts ISO-8601 strings and epoch seconds.
func (t *Time) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		p, err := time.Parse(time.RFC3339Nano, s[1:len(s)-1])
		if err != nil {
			return fmt.Errorf("invalid timestamp %s", s)
		}
		t.Time = p
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("invalid timestamp %s", s)
	}
	sec := int64(f)
	t.Time = time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
	return nil
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// Val dereferences p, giving the zero value for nil.
func Val[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}

// ParseInt parses a bound integer (label, query or header).
func ParseInt(s, what string) (*int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return nil, &BindError{Message: fmt.Sprintf("Invalid value %s for %s: expected an integer", quote(s), what)}
	}
	return &n, nil
}

// ParseBool parses a bound boolean.
func ParseBool(s, what string) (*bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		b := true
		return &b, nil
	case "false":
		b := false
		return &b, nil
	}
	return nil, &BindError{Message: fmt.Sprintf("Invalid value %s for %s: expected true or false", quote(s), what)}
}

// Match finds the operation for method and escaped path among ops. It
// returns the operation's index and its unescaped label values; index -1
// means no route. pathExists reports that some operation has this path
// with another method (so the caller can answer 405-like errors).
func Match(ops []Operation, method, escapedPath string) (index int, labels []string, pathExists bool) {
	p := strings.TrimPrefix(escapedPath, "/")
	p = strings.TrimSuffix(p, "/")
	n := 0 // segments of p, walked in place: routing allocates only the labels
	if p != "" {
		n = strings.Count(p, "/") + 1
	}
	for i := range ops {
		op := &ops[i]
		if len(op.Segments) != n {
			continue
		}
		nlabels, ok := matchSegments(op.Segments, p)
		if !ok {
			continue
		}
		if op.Method != method {
			pathExists = true
			continue
		}
		labels = make([]string, 0, nlabels)
		rest := p
		for _, s := range op.Segments {
			var seg string
			seg, rest, _ = strings.Cut(rest, "/")
			if isLabel(s) {
				v, err := url.PathUnescape(seg)
				if err != nil {
					v = seg
				}
				labels = append(labels, v)
			}
		}
		return i, labels, true
	}
	return -1, nil, pathExists
}

// matchSegments reports whether path (as many segments as want) matches
// the operation's segments, and counts its labels.
func matchSegments(want []string, path string) (nlabels int, ok bool) {
	for _, s := range want {
		var seg string
		seg, path, _ = strings.Cut(path, "/")
		if isLabel(s) {
			nlabels++
			continue
		}
		if s != seg {
			return 0, false
		}
	}
	return nlabels, true
}

func isLabel(s string) bool { return len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' }

// DecodeBody decodes a JSON request body into v; an empty body leaves v
// untouched (every member absent).
func DecodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	// encoding/json replaces invalid UTF-8 with U+FFFD, so a name sent with
	// a bad byte would be stored as another name: refuse it instead.
	if !utf8.Valid(body) {
		return &BindError{Message: fmt.Sprintf("Invalid request body: not valid UTF-8 at offset %d", invalidUTF8At(body))}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return DecodeError(err)
	}
	return nil
}

// invalidUTF8At is the offset of the first byte that is not valid UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// DecodeError turns a JSON decoding error into a BindError with a message
// that names the offending member when it can.
func DecodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return &BindError{Message: fmt.Sprintf("Invalid request body: expected a JSON %s, got %s", te.Type.Kind(), te.Value)}
		}
		return &BindError{Message: fmt.Sprintf("Invalid value for member '%s': expected %s, got %s", field, kindName(te.Type.Kind()), te.Value)}
	case errors.As(err, &se):
		return &BindError{Message: fmt.Sprintf("Invalid JSON in request body at offset %d: %v", se.Offset, se)}
	}
	return &BindError{Message: "Invalid request body: " + err.Error()}
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return k.String()
}

// jsonContentType is shared by every JSON answer's Content-Type header.
// Header values are replaced (Set, a map assignment) or appended to (Add,
// which copies: the capacity is 1), never written in place, so sharing it
// saves an allocation per answer.
var jsonContentType = []string{"application/json"}

// JSONContentType is the value slice of a Content-Type: application/json
// header.
func JSONContentType() []string { return jsonContentType[0:1:1] }
