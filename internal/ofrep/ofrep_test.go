package ofrep

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/appconfigd/appconfigd/internal/featureflag"
)

func TestMatch(t *testing.T) {
	p := "/applications/a%20b/environments/e/configurations/c"
	cases := []struct {
		method, path, accept string
		op, key              string
	}{
		{"POST", p + "/ofrep/v1/evaluate/flags/x", "", "single", "x"},
		{"POST", p + "/ofrep/v1/evaluate/flags/x.attr", "", "single", "x.attr"},
		{"POST", p + "/ofrep/v1/evaluate/flags", "", "bulk", ""},
		{"GET", p + "/ofrep/v1/configuration", "", "configuration", ""},
		{"GET", p, "text/event-stream", "stream", ""},
		{"GET", p, "application/json", "", ""},
		{"GET", p + "?flag=x", "", "", ""},
		{"POST", p + "/ofrep/v2/evaluate/flags", "", "", ""},
		{"GET", "/applications/a/environments/e", "", "", ""},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		rt, ok := match(r)
		if ok != (tc.op != "") || rt.op != tc.op || rt.key != tc.key || (ok && rt.app != "a b") {
			t.Errorf("%s %s: %+v %v", tc.method, tc.path, rt, ok)
		}
	}
}

func TestParseRequest(t *testing.T) {
	ctx, err := parseRequest([]byte(`{"context":{"targetingKey":"u","n":1.50,"b":true,"s":"x","z":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"targetingKey": "u", "n": "1.50", "b": "true", "s": "x"}
	if len(ctx) != len(want) {
		t.Fatalf("%v", ctx)
	}
	for k, v := range want {
		if ctx[k] != v {
			t.Fatalf("%s = %q in %v", k, ctx[k], ctx)
		}
	}
	for body, code := range map[string]string{
		`{"context":`:                    codeParse,
		`{} {}`:                          codeParse,
		`[1]`:                            codeContext,
		`{"context":"x"}`:                codeContext,
		`{"context":{"a":[1]}}`:          codeContext,
		`{"context":{"targetingKey":1}}`: codeContext,
	} {
		_, err := parseRequest([]byte(body))
		f, ok := err.(*failure)
		if !ok || f.code != code || f.status != http.StatusBadRequest {
			t.Errorf("%s: %v, want %s", body, err, code)
		}
	}
	if ctx, err := parseRequest(nil); err != nil || len(ctx) != 0 {
		t.Fatalf("empty body: %v %v", ctx, err)
	}
}

func TestFlagResults(t *testing.T) {
	ev := featureflag.Evaluation{Key: "f", Enabled: true, Variant: "v", Reason: featureflag.ReasonSplit,
		Attributes: []featureflag.Attribute{{Name: "n", JSON: json.RawMessage("2")}, {Name: "l", JSON: json.RawMessage(`["a"]`)}}}
	rs := flagResults(ev, map[string]string{}, true)
	got, _ := json.Marshal(rs)
	want := `[{"key":"f","value":true,"reason":"SPLIT","variant":"v","metadata":{"n":2}},` +
		`{"key":"f.n","value":2,"reason":"SPLIT","variant":"v"},{"key":"f.l","value":["a"],"reason":"SPLIT","variant":"v"}]`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	ev.UsesTargetingKey = true
	if rs := flagResults(ev, map[string]string{}, true); len(rs) != 1 || rs[0].ErrorCode != codeTargetingKey {
		t.Fatalf("%+v", rs)
	}
	if !matchesETag(`W/"a", "b"`, `"b"`) || matchesETag(`"a"`, `"b"`) {
		t.Fatal("matchesETag")
	}
}
