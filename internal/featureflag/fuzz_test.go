package featureflag

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func seedDocuments() [][]byte {
	return [][]byte{
		[]byte(`{"version":"1","flags":{},"values":{}}`),
		doc(styled, styledValues(`"enabled":true,"color":"#00ff00","size":10,"tier":"7","tags":["a"],"weights":[1.5]`)),
		doc(styled, styledValues(`"enabled":true,"color":"red","size":"x","tags":[1,"a"]`)),
		doc(multiFlags, multiValues),
		uiDoc,
		doc(`{"f":{"_deprecation":{"status":"planned","date":"2030-01-01"}}}`, `{"f":{"enabled":false}}`),
		[]byte(`{"version":"1","flags":{"a":{},"a":{}},"x":[[[]]]}`),
		[]byte(`{"version":`),
		[]byte(`[]`),
	}
}

// FuzzValidate: Validate never panics and is deterministic; its problems
// are well formed; a document it accepts can be served and stamped, and
// stamping keeps it valid.
func FuzzValidate(f *testing.F) {
	for _, d := range seedDocuments() {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p1 := Validate(data)
		p2 := Validate(data)
		if !reflect.DeepEqual(p1, p2) {
			t.Fatalf("Validate is not deterministic")
		}
		if len(p1) > maxProblems {
			t.Fatalf("%d problems exceed the cap", len(p1))
		}
		for _, p := range p1 {
			if p.Type == "" || p.Constraint == "" || p.Reason == "" {
				t.Fatalf("incomplete problem %+v", p)
			}
			if p.Location != "" && !strings.HasPrefix(p.Location, "/") {
				t.Fatalf("location %q is not a JSON pointer", p.Location)
			}
			if len(p.Value) > maxValueLen+3 {
				t.Fatalf("value of %d bytes not truncated", len(p.Value))
			}
		}
		if p1 != nil {
			return
		}
		if out, err := ClientView(data); err != nil || !json.Valid(out) {
			t.Fatalf("ClientView of a valid document: %v %s", err, out)
		}
		stamped, err := Stamp(data, nil, time.Unix(0, 0))
		if err != nil {
			t.Fatalf("Stamp of a valid document: %v", err)
		}
		if ps := Validate(stamped); ps != nil {
			t.Fatalf("stamped document invalid:\n%s\n%s", stamped, describe(ps))
		}
	})
}

// FuzzParseRule: ParseRule never panics; errors carry a sane position; a
// parsed rule evaluates without panicking against several contexts.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{
		`(eq $state "Virginia")`,
		`(and (gt $age 65) (not (in $id ["1", "2"])))`,
		`(matches in::$greeting pattern::"h.*y")`,
		`(split pct::10 by::$userId seed::"abc")`,
		`(or (exists key::"c") (lt $t 2012-03-04T05:06:07-08:00) (begins_with $s "\u00e9"))`,
		`(gte $v 1.234e-5)`,
		`(eq $a`,
		`true`,
	} {
		f.Add(s)
	}
	contexts := []map[string]string{
		nil,
		{"state": "Virginia", "age": "70", "id": "2", "greeting": "hey", "userId": "u1", "c": "", "t": "2011-01", "s": "éa", "v": "1", "a": "true"},
		{"age": "x", "t": "nope", "v": "NaN", "a": "1e400"},
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, err := ParseRule(src)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is a %T", err, err)
			}
			if re.Line < 1 || re.Column < 1 || re.Offset < 0 || re.Offset > len(src) {
				t.Fatalf("bad position in %+v", re)
			}
			return
		}
		if r.String() != src {
			t.Fatalf("String() = %q, want %q", r.String(), src)
		}
		if ionText := r.root.appendIon(nil); !utf8.Valid(ionText) || len(ionText) == 0 {
			t.Fatalf("Ion text of %q is %q", src, ionText)
		}
		for _, ctx := range contexts {
			a, err1 := r.Eval(ctx, "flag")
			b, err2 := r.Eval(ctx, "flag")
			if err1 != nil || err2 != nil || a != b {
				t.Fatalf("Eval not deterministic or failed: %v %v %v %v", a, b, err1, err2)
			}
		}
	})
}

// FuzzClientView: ClientView and ClientViewFor never panic, what they
// return is a JSON object of flag objects with a boolean "enabled", and a
// Compiled document evaluates to the same bytes as ClientViewFor.
func FuzzClientView(f *testing.F) {
	for _, d := range seedDocuments() {
		f.Add(d, "email=a@qa.example.net,beta=true")
	}
	f.Fuzz(func(t *testing.T, data []byte, header string) {
		ctx, err := ParseContextHeaders([]string{header})
		if err != nil {
			ctx = nil
		}
		if c, err := Compile(data); err == nil {
			want, _ := ClientViewFor(data, ctx)
			if got := c.AppendJSON(nil, EvalContext{Attributes: ctx}); !bytes.Equal(got, want) {
				t.Fatalf("Compiled.AppendJSON = %s\nClientViewFor = %s", got, want)
			}
		} else if _, verr := ClientViewFor(data, ctx); verr == nil {
			t.Fatalf("Compile fails (%v) where ClientViewFor does not", err)
		}
		if out, ok, err := IonView(data); err == nil && ok && (!utf8.Valid(out) || !bytes.HasPrefix(out, []byte("'"))) {
			t.Fatalf("IonView output is not UTF-8 annotated values: %q", out)
		}
		for _, view := range []func() ([]byte, error){
			func() ([]byte, error) { return ClientView(data) },
			func() ([]byte, error) { return ClientViewFor(data, ctx) },
		} {
			out, err := view()
			if err != nil {
				continue
			}
			var flags map[string]map[string]json.RawMessage
			if err := json.Unmarshal(out, &flags); err != nil {
				t.Fatalf("output is not an object of objects: %v\n%s", err, out)
			}
			for k, fl := range flags {
				e := string(fl["enabled"])
				if e != "true" && e != "false" {
					t.Fatalf("flag %q has enabled = %q", k, e)
				}
				if e == "false" && len(fl) > 2 {
					t.Fatalf("disabled flag %q serves attributes: %s", k, out)
				}
			}
		}
	})
}
