package featureflag

import (
	"reflect"
	"testing"
)

// uiDoc follows the shape of the user guide's multi-variant example, in our
// own words and values.
var uiDoc = doc(`{"new_nav":{"name":"New navigation","attributes":{"compact":{"constraints":{"type":"boolean"}}}},
	"promo":{"name":"Promo banner","attributes":{"text":{"constraints":{"type":"string"}}}}}`,
	`{"new_nav":{"_variants":[
		{"name":"Testers","enabled":true,"rule":"(ends_with $email \"@qa.example.net\")","attributeValues":{"compact":true}},
		{"name":"Opted in","enabled":true,"rule":"(eq $beta true)","attributeValues":{"compact":false}},
		{"name":"Broken","enabled":true,"rule":"(eq $x","attributeValues":{"compact":false}},
		{"name":"Baseline","enabled":false,"attributeValues":{"compact":false}}]},
	  "promo":{"enabled":true,"text":"Spring sale"}}`)

func TestClientView(t *testing.T) {
	cases := []struct {
		name string
		doc  []byte
		want string
	}{
		{"enabled with attributes",
			doc(styled, styledValues(`"enabled":true,"color":"#00ff00","size":5,"tags":["a"]`)),
			`{"styled":{"color":"#00ff00","enabled":true,"size":5,"tags":["a"]}}`},
		{"disabled hides attributes",
			doc(styled, styledValues(`"enabled":false,"color":"#00ff00","size":5`)),
			`{"styled":{"enabled":false}}`},
		{"flag without a values entry is disabled",
			doc(`{"a":{"name":"A"},"b":{"name":"B"}}`, `{"b":{"enabled":true}}`),
			`{"a":{"enabled":false},"b":{"enabled":true}}`},
		{"no values at all",
			[]byte(`{"version":"1","flags":{"a":{}}}`),
			`{"a":{"enabled":false}}`},
		{"metadata, definitions and deprecation stripped",
			doc(`{"a":{"name":"A","description":"d","_createdAt":"2024-01-01T00:00:00.000Z","_deprecation":{"status":"planned"},"attributes":{"n":{"constraints":{"type":"number"}}}}}`,
				`{"a":{"enabled":true,"n":1.50,"_createdAt":"2024-01-01T00:00:00.000Z","_updatedAt":"2024-01-02T00:00:00.000Z"}}`),
			`{"a":{"enabled":true,"n":1.50}}`},
		{"values for undefined flags dropped",
			doc(`{"a":{}}`, `{"a":{"enabled":true},"ghost":{"enabled":true}}`),
			`{"a":{"enabled":true}}`},
		{"empty document",
			[]byte(`{"version":"1","flags":{},"values":{}}`),
			`{}`},
		{"multi-variant serves the default variant without _variant",
			uiDoc,
			`{"new_nav":{"enabled":false},"promo":{"enabled":true,"text":"Spring sale"}}`},
		{"enabled default variant serves its attribute values",
			doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"a","enabled":false,"rule":"true"},{"name":"d","enabled":true,"attributeValues":{"x":"y"}}]}}`),
			`{"f":{"enabled":true,"x":"y"}}`},
		{"html characters are not escaped",
			doc(`{"f":{}}`, `{"f":{"enabled":true,"msg":"<b>Tom & Jerry</b>"}}`),
			`{"f":{"enabled":true,"msg":"<b>Tom & Jerry</b>"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ClientView(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("ClientView =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestClientViewForPicksFirstMatchingVariant(t *testing.T) {
	cases := []struct {
		name string
		ctx  map[string]string
		want string
	}{
		{"no context gets the default variant", nil,
			`{"new_nav":{"_variant":"Baseline","enabled":false},"promo":{"enabled":true,"text":"Spring sale"}}`},
		{"first rule matches", map[string]string{"email": "sam@qa.example.net", "beta": "true"},
			`{"new_nav":{"_variant":"Testers","compact":true,"enabled":true},"promo":{"enabled":true,"text":"Spring sale"}}`},
		{"second rule matches", map[string]string{"email": "sam@example.org", "beta": "true"},
			`{"new_nav":{"_variant":"Opted in","compact":false,"enabled":true},"promo":{"enabled":true,"text":"Spring sale"}}`},
		{"no rule matches", map[string]string{"email": "sam@example.org", "beta": "false"},
			`{"new_nav":{"_variant":"Baseline","enabled":false},"promo":{"enabled":true,"text":"Spring sale"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ClientViewFor(uiDoc, tc.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("ClientViewFor =\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

func TestClientViewRejectsNonDocuments(t *testing.T) {
	for _, d := range []string{``, `{"version":`, `[]`, `"flags"`, `{} {}`} {
		if _, err := ClientView([]byte(d)); err == nil {
			t.Errorf("ClientView(%q) succeeded", d)
		}
		if _, err := ClientViewFor([]byte(d), nil); err == nil {
			t.Errorf("ClientViewFor(%q) succeeded", d)
		}
	}
}

func TestParseContextHeaders(t *testing.T) {
	got, err := ParseContextHeaders([]string{"email=jo@example.org", " country = US , plan=pro", "plan=team", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"email": "jo@example.org", "country": "US", "plan": "team", "empty": ""}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"novalue", "=x", "a=1,b"} {
		if _, err := ParseContextHeaders([]string{bad}); err == nil {
			t.Errorf("ParseContextHeaders(%q) succeeded", bad)
		}
	}
}
