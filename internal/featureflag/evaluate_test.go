package featureflag

import (
	"encoding/json"
	"reflect"
	"testing"
)

var evalSplitDoc = doc(`{"exp":{"attributes":{"n":{"constraints":{"type":"number"}}}},"plain":{}}`,
	`{"exp":{"_variants":[
		{"name":"staff","enabled":true,"rule":"(ends_with $email \"@corp.example\")","attributeValues":{"n":1}},
		{"name":"half","enabled":true,"rule":"(split pct::50 by::$targetingKey)","attributeValues":{"n":2}},
		{"name":"rest","enabled":false,"attributeValues":{"n":3}}]},
	  "plain":{"enabled":false}}`)

func TestEvaluationsForOpenFeature(t *testing.T) {
	cases := []struct {
		name    string
		doc     []byte
		ctx     map[string]string
		key     string
		enabled bool
		variant string
		reason  Reason
		attrs   string
	}{
		{"static enabled", uiDoc, nil, "promo", true, "", ReasonStatic, `{"text":"Spring sale"}`},
		{"static disabled", evalSplitDoc, nil, "plain", false, "", ReasonStatic, `{}`},
		{"default variant", uiDoc, nil, "new_nav", false, "Baseline", ReasonDefault, `{}`},
		{"targeting match", uiDoc, map[string]string{"email": "a@qa.example.net"}, "new_nav", true, "Testers", ReasonTargetingMatch, `{"compact":true}`},
		{"second rule", uiDoc, map[string]string{"beta": "true"}, "new_nav", true, "Opted in", ReasonTargetingMatch, `{"compact":false}`},
		{"targeting before split", evalSplitDoc, map[string]string{"email": "x@corp.example", "targetingKey": "u"}, "exp", true, "staff", ReasonTargetingMatch, `{"n":1}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := Evaluate(tc.doc, tc.ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ev *Evaluation
			for i := range evs {
				if evs[i].Key == tc.key {
					ev = &evs[i]
				}
			}
			if ev == nil {
				t.Fatalf("no evaluation of %s in %+v", tc.key, evs)
			}
			attrs := map[string]json.RawMessage{}
			for _, a := range ev.Attributes {
				attrs[a.Name] = a.JSON
			}
			var want map[string]json.RawMessage
			_ = json.Unmarshal([]byte(tc.attrs), &want)
			if ev.Enabled != tc.enabled || ev.Variant != tc.variant || ev.Reason != tc.reason || !reflect.DeepEqual(attrs, want) {
				t.Fatalf("got %+v (attrs %s), want enabled=%v variant=%q reason=%v attrs=%s", ev, attrs, tc.enabled, tc.variant, tc.reason, tc.attrs)
			}
		})
	}
}

// Split: some targeting keys land in "half" (SPLIT), the others get the
// default; a rule reading $targetingKey is flagged.
func TestEvaluateSplit(t *testing.T) {
	seen := map[Reason]int{}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		evs, err := Evaluate(evalSplitDoc, map[string]string{"targetingKey": k})
		if err != nil {
			t.Fatal(err)
		}
		ev := evs[0]
		if !ev.UsesTargetingKey || evs[1].UsesTargetingKey {
			t.Fatalf("UsesTargetingKey: %+v", evs)
		}
		switch ev.Reason {
		case ReasonSplit:
			if ev.Variant != "half" || !ev.Enabled {
				t.Fatalf("split gave %+v", ev)
			}
		case ReasonDefault:
			if ev.Variant != "rest" || ev.Enabled {
				t.Fatalf("default gave %+v", ev)
			}
		default:
			t.Fatalf("unexpected %+v", ev)
		}
		seen[ev.Reason]++
	}
	if seen[ReasonSplit] == 0 || seen[ReasonDefault] == 0 {
		t.Fatalf("12 keys all landed on one side: %v", seen)
	}
}

// Evaluate serves exactly what ClientViewFor serves.
func TestEvaluateAgreesWithClientView(t *testing.T) {
	for _, ctx := range []map[string]string{nil, {"email": "a@qa.example.net"}, {"beta": "TRUE"}, {"targetingKey": "zz"}, {"targetingKey": "q", "email": "b@corp.example"}} {
		for _, d := range [][]byte{uiDoc, evalSplitDoc} {
			view, err := ClientViewFor(d, ctx)
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]map[string]any
			if err := json.Unmarshal(view, &want); err != nil {
				t.Fatal(err)
			}
			evs, _ := Evaluate(d, ctx)
			got := map[string]map[string]any{}
			for _, ev := range evs {
				m := map[string]any{"enabled": ev.Enabled}
				if ev.Variant != "" {
					m["_variant"] = ev.Variant
				}
				for _, a := range ev.Attributes {
					var v any
					_ = json.Unmarshal(a.JSON, &v)
					m[a.Name] = v
				}
				got[ev.Key] = m
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ctx %v: Evaluate %v, ClientViewFor %v", ctx, got, want)
			}
		}
	}
}
