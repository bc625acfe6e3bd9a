package featureflag

import (
	"strconv"
	"testing"
)

// benchRule is a rule of the shape users write: a split rollout among
// users of a plan, or anyone on a tester's address.
const benchRule = `(or (and (eq $plan "pro") (split pct::25 by::$userId)) (ends_with $email "@qa.example.net"))`

// BenchmarkRuleEval is one variant rule evaluated against a caller's
// context (the rule is parsed once, as the served document is).
func BenchmarkRuleEval(b *testing.B) {
	r, err := ParseRule(benchRule)
	if err != nil {
		b.Fatal(err)
	}
	ctx := map[string]string{"plan": "pro", "userId": "user-4711", "email": "kim@example.com"}
	want, err := r.Eval(ctx, "new_nav")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if got, err := r.Eval(ctx, "new_nav"); err != nil || got != want {
			b.Fatalf("Eval = %v, %v; first gave %v", got, err, want)
		}
	}
}

// BenchmarkClientViewFor is a whole feature-flag document evaluated for
// one caller: what the Agent route does per request for a multi-variant
// flag configuration.
func BenchmarkClientViewFor(b *testing.B) {
	d := doc(`{"new_nav":{"name":"New navigation","attributes":{"compact":{"constraints":{"type":"boolean"}}}},
	"promo":{"name":"Promo banner","attributes":{"text":{"constraints":{"type":"string"}}}}}`,
		`{"new_nav":{"_variants":[
		{"name":"Testers","enabled":true,"rule":"(ends_with $email \"@qa.example.net\")","attributeValues":{"compact":true}},
		{"name":"Pro rollout","enabled":true,"rule":`+strconv.Quote(benchRule)+`,"attributeValues":{"compact":false}},
		{"name":"Baseline","enabled":false,"attributeValues":{"compact":false}}]},
	  "promo":{"enabled":true,"text":"Spring sale"}}`)
	ctx := map[string]string{"plan": "free", "userId": "user-4711", "email": "kim@example.com"}
	want, err := ClientViewFor(d, ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := ClientViewFor(d, ctx)
		if err != nil || len(got) != len(want) {
			b.Fatalf("ClientViewFor = %s, %v; first gave %s", got, err, want)
		}
	}
}
