package featureflag

import (
	"reflect"
	"testing"
)

// evalDoc has a split variant, a targeting-key variant and a default.
var evalDoc = doc(`{"exp":{"name":"Experiment","attributes":{"color":{"constraints":{"type":"string"}},"n":{"constraints":{"type":"number"}}}},"off":{"name":"Off"}}`,
	`{"exp":{"_variants":[
		{"name":"pinned","enabled":true,"rule":"(eq $targetingKey \"user-7\")","attributeValues":{"color":"gold","n":7}},
		{"name":"half","enabled":true,"rule":"(split pct::50 by::$userId)","attributeValues":{"color":"blue","n":1.5}},
		{"name":"rest","enabled":false,"attributeValues":{"color":"grey"}}]},
	  "off":{"enabled":false}}`)

func mustCompile(t testing.TB, d []byte) *Compiled {
	t.Helper()
	c, err := Compile(d)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCompiledMatchesClientViewFor(t *testing.T) {
	docs := [][]byte{uiDoc, evalDoc, doc(styled, styledValues(`"enabled":true,"color":"#00ff00","size":5,"tags":["a"]`)),
		[]byte(`{"version":"1","flags":{"a":{}}}`), []byte(`{"flags":{},"values":{}}`)}
	ctxs := []map[string]string{nil, {"email": "x@qa.example.net"}, {"beta": "true"}, {"userId": "u1"}, {"userId": "u2"},
		{"targetingKey": "user-7"}, {"email": "x@example.com", "beta": "TRUE", "userId": "u3"}}
	for i, d := range docs {
		c := mustCompile(t, d)
		for _, ctx := range ctxs {
			want, err := ClientViewFor(d, ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.AppendJSON(nil, EvalContext{Attributes: ctx}); string(got) != string(want) {
				t.Errorf("doc %d ctx %v:\n got %s\nwant %s", i, ctx, got, want)
			}
		}
	}
}

func TestEvaluateReasons(t *testing.T) {
	c := mustCompile(t, evalDoc)
	// Find one user inside the 50 % split and one outside, by the
	// documented hash.
	in, out := "", ""
	for i := 0; in == "" || out == ""; i++ {
		u := "u" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if splitBucket("exp", u) < 5000 {
			in = u
		} else {
			out = u
		}
	}
	cases := []struct {
		name    string
		key     string
		ctx     EvalContext
		enabled bool
		variant string
		reason  Reason
		color   string
	}{
		{"static", "off", EvalContext{}, false, "", ReasonStatic, ""},
		{"targeting key matches", "exp", EvalContext{TargetingKey: "user-7"}, true, "pinned", ReasonTargetingMatch, `"gold"`},
		{"targeting key wins over the attribute", "exp", EvalContext{TargetingKey: "user-8", Attributes: map[string]string{"targetingKey": "user-7"}}, false, "rest", ReasonDefault, ""},
		{"attribute targetingKey without entity", "exp", EvalContext{Attributes: map[string]string{"targetingKey": "user-7"}}, true, "pinned", ReasonTargetingMatch, `"gold"`},
		{"split in", "exp", EvalContext{Attributes: map[string]string{"userId": in}}, true, "half", ReasonSplit, `"blue"`},
		{"split out", "exp", EvalContext{Attributes: map[string]string{"userId": out}}, false, "rest", ReasonDefault, ""},
		{"empty context", "exp", EvalContext{}, false, "rest", ReasonDefault, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := c.Evaluate(tc.key, tc.ctx)
			if !ok {
				t.Fatal("flag not found")
			}
			if r.Key != tc.key || r.Enabled != tc.enabled || r.Variant != tc.variant || r.Reason != tc.reason {
				t.Errorf("got %+v", r)
			}
			a, has := r.Attr("color")
			if has != (tc.color != "") || (has && string(a.JSON) != tc.color) {
				t.Errorf("color = %q %v, want %q", a.JSON, has, tc.color)
			}
		})
	}
	if _, ok := c.Evaluate("nope", EvalContext{}); ok {
		t.Error("undefined flag evaluated")
	}
	if !c.UsesTargetingKey("exp") || c.UsesTargetingKey("off") {
		t.Error("UsesTargetingKey wrong")
	}
}

func TestEvaluateTypedAttributes(t *testing.T) {
	c := mustCompile(t, evalDoc)
	r, _ := c.Evaluate("exp", EvalContext{TargetingKey: "user-7"})
	got := map[string]any{}
	for _, a := range r.Attributes {
		got[a.Name] = a.Value
	}
	if want := map[string]any{"color": "gold", "n": float64(7)}; !reflect.DeepEqual(got, want) {
		t.Errorf("attributes %v, want %v", got, want)
	}
	if string(r.JSON) != `{"_variant":"pinned","color":"gold","enabled":true,"n":7}` {
		t.Errorf("JSON %s", r.JSON)
	}
	if ReasonSplit.String() != "SPLIT" || ReasonStatic.String() != "STATIC" || ReasonDefault.String() != "DEFAULT" || ReasonTargetingMatch.String() != "TARGETING_MATCH" {
		t.Error("reason names")
	}
}

func TestEvaluateAllAndFlags(t *testing.T) {
	c := mustCompile(t, uiDoc)
	ctx := EvalContext{Attributes: map[string]string{"beta": "true"}}
	all := c.EvaluateAll(nil, ctx)
	if len(all) != 2 || all[0].Key != "new_nav" || all[0].Variant != "Opted in" || all[1].Key != "promo" || all[1].Reason != ReasonStatic {
		t.Fatalf("EvaluateAll = %+v", all)
	}
	if got := string(c.AppendFlagsJSON(nil, []string{"promo"}, ctx)); got != `{"promo":{"enabled":true,"text":"Spring sale"}}` {
		t.Errorf("AppendFlagsJSON = %s", got)
	}
	if !reflect.DeepEqual(c.Keys(), []string{"new_nav", "promo"}) || c.Static() != nil || !c.Has("promo") || c.Len() != 2 {
		t.Error("Keys/Static/Has/Len")
	}
	static := mustCompile(t, doc(`{"a":{}}`, `{"a":{"enabled":true}}`))
	if string(static.Static()) != `{"a":{"enabled":true}}` {
		t.Errorf("Static = %s", static.Static())
	}
}

// Evaluation is on the request path: it must not allocate, split included.
func TestEvaluateDoesNotAllocate(t *testing.T) {
	c := mustCompile(t, evalDoc)
	ui := mustCompile(t, uiDoc)
	ctx := EvalContext{TargetingKey: "user-9", Attributes: map[string]string{"userId": "u1", "email": "a@qa.example.net"}}
	buf := make([]byte, 0, 1024)
	n := testing.AllocsPerRun(100, func() {
		_, _ = c.Evaluate("exp", ctx)
		_, _ = ui.Evaluate("new_nav", ctx)
		buf = ui.AppendJSON(buf[:0], ctx)
	})
	if n != 0 {
		t.Errorf("%v allocations per evaluation", n)
	}
}
