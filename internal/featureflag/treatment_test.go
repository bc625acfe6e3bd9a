package featureflag

import "testing"

func TestAppendWithSubstitutions(t *testing.T) {
	doc := []byte(`{"version":"1","flags":{"a":{"name":"A"},"b":{"name":"B"}},"values":{"a":{"enabled":true},"b":{"_variants":[{"name":"x","enabled":false}]}}}`)
	c, err := Compile(doc)
	if err != nil {
		t.Fatal(err)
	}
	r, err := VariantResult("b", "__t1__", true, map[string][]byte{"n": []byte("3"), "s": []byte(`"v"`)}, ReasonSplit)
	if err != nil {
		t.Fatal(err)
	}
	subs := []Substitution{{Key: "b", Result: r}}
	if got := string(c.AppendJSONWith(nil, EvalContext{}, subs)); got != `{"a":{"enabled":true},"b":{"_variant":"__t1__","enabled":true,"n":3,"s":"v"}}` {
		t.Fatalf("whole document: %s", got)
	}
	if got := string(c.AppendJSONWith(nil, EvalContext{}, nil)); got != string(c.AppendJSON(nil, EvalContext{})) {
		t.Fatalf("no substitution: %s", got)
	}
	if got := string(c.AppendFlagsJSONWith(nil, []string{"a", "b"}, EvalContext{}, subs)); got != `{"a":{"enabled":true},"b":{"_variant":"__t1__","enabled":true,"n":3,"s":"v"}}` {
		t.Fatalf("two flags: %s", got)
	}
	if r.Attributes[0].Name != "n" || r.Attributes[0].Value != float64(3) || r.Variant != "__t1__" || !r.Enabled {
		t.Fatalf("result %+v", r)
	}
	off, _ := VariantResult("b", "__c__", false, map[string][]byte{"n": []byte("3")}, ReasonSplit)
	if string(off.JSON) != `{"_variant":"__c__","enabled":false}` {
		t.Fatalf("disabled: %s", off.JSON)
	}
}
