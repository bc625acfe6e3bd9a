package featureflag

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

var (
	t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	t1 = time.Date(2024, 6, 2, 8, 30, 15, 123_456_789, time.FixedZone("CEST", 2*3600))
	t2 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

const (
	t0s = "2024-05-01T12:00:00.000Z"
	t1s = "2024-06-02T06:30:15.123Z" // t1 in UTC, truncated to milliseconds
)

// stamps extracts section/key → [_createdAt, _updatedAt].
func stamps(t *testing.T, out []byte) map[string][2]string {
	t.Helper()
	var d struct {
		Flags  map[string]map[string]any `json:"flags"`
		Values map[string]map[string]any `json:"values"`
	}
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("Stamp output is not JSON: %v\n%s", err, out)
	}
	m := map[string][2]string{}
	for section, entries := range map[string]map[string]map[string]any{"flags": d.Flags, "values": d.Values} {
		for k, e := range entries {
			c, _ := e["_createdAt"].(string)
			u, _ := e["_updatedAt"].(string)
			m[section+"/"+k] = [2]string{c, u}
		}
	}
	return m
}

func mustStamp(t *testing.T, d, prev []byte, now time.Time) []byte {
	t.Helper()
	out, err := Stamp(d, prev, now)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStampNewUnchangedChanged(t *testing.T) {
	v1 := doc(`{"keep":{"name":"Keep"},"edit":{"name":"Edit"},"drop":{"name":"Drop"}}`,
		`{"keep":{"enabled":true},"edit":{"enabled":false},"drop":{"enabled":true}}`)
	first := mustStamp(t, v1, nil, t0)
	for k, s := range stamps(t, first) {
		if s != [2]string{t0s, t0s} {
			t.Errorf("%s: new entry stamped %v, want both %s", k, s, t0s)
		}
	}

	// The user resends with stale or forged timestamps, edits "edit" in both
	// sections, drops "drop" and adds "add".
	v2 := doc(`{"keep":{"name":"Keep","_createdAt":"1999-01-01T00:00:00.000Z"},"edit":{"name":"Edited"},"add":{"name":"Add"}}`,
		`{"keep":{"enabled":true,"_updatedAt":"forged"},"edit":{"enabled":true},"add":{"enabled":false}}`)
	second := mustStamp(t, v2, first, t1)
	want := map[string][2]string{
		"flags/keep":  {t0s, t0s},
		"flags/edit":  {t0s, t1s},
		"flags/add":   {t1s, t1s},
		"values/keep": {t0s, t0s},
		"values/edit": {t0s, t1s},
		"values/add":  {t1s, t1s},
	}
	got := stamps(t, second)
	if len(got) != len(want) {
		t.Errorf("got entries %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s stamped %v, want %v", k, got[k], w)
		}
	}

	// A flag dropped and later re-added is new again.
	third := mustStamp(t, v1, second, t2)
	if s := stamps(t, third)["flags/drop"]; s[0] != "2025-01-01T00:00:00.000Z" {
		t.Errorf("re-added flag keeps an old _createdAt: %v", s)
	}
}

func TestStampTreatsDeprecationAndVariantsAsContent(t *testing.T) {
	before := mustStamp(t, doc(`{"f":{}}`, `{"f":{"_variants":[{"name":"d","enabled":false}]}}`), nil, t0)
	after := mustStamp(t, doc(`{"f":{"_deprecation":{"status":"planned"}}}`, `{"f":{"_variants":[{"name":"d","enabled":true}]}}`), before, t1)
	for k, s := range stamps(t, after) {
		if s != [2]string{t0s, t1s} {
			t.Errorf("%s: changing _deprecation/_variants stamped %v, want [%s %s]", k, s, t0s, t1s)
		}
	}
}

func TestStampDoesNotInventKeys(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"version":"1"}`, `{"version":"1"}`},
		{`{"version":"1","flags":{"a":{}}}`, `{"flags":{"a":{"_createdAt":"` + t0s + `","_updatedAt":"` + t0s + `"}},"version":"1"}`},
		{`{"version":"1","flags":{},"values":{"a":{"enabled":true}}}`, `{"flags":{},"values":{"a":{"_createdAt":"` + t0s + `","_updatedAt":"` + t0s + `","enabled":true}},"version":"1"}`},
		{`{"version":"1","flags":{"a":"oops"}}`, `{"flags":{"a":"oops"},"version":"1"}`},
	}
	for _, tc := range cases {
		if got := mustStamp(t, []byte(tc.in), nil, t0); string(got) != tc.want {
			t.Errorf("Stamp(%s) =\n  %s\nwant\n  %s", tc.in, got, tc.want)
		}
	}
}

func TestStampIsIdempotentAndCompact(t *testing.T) {
	in := []byte(`{
		"values": {"b": {"enabled": true, "n": 1.50, "s": "<&>"}},
		"version": "1",
		"flags": {"b": {"name": "B"}, "a": {"name": "A"}}
	}`)
	out1 := mustStamp(t, in, nil, t0)
	if out2 := mustStamp(t, in, nil, t0); !bytes.Equal(out1, out2) {
		t.Fatalf("same input gave different bytes:\n%s\n%s", out1, out2)
	}
	if out3 := mustStamp(t, out1, out1, t2); !bytes.Equal(out1, out3) {
		t.Fatalf("restamping unchanged content changed it:\n%s\n%s", out1, out3)
	}
	want := `{"flags":{"a":{"_createdAt":"` + t0s + `","_updatedAt":"` + t0s + `","name":"A"},` +
		`"b":{"_createdAt":"` + t0s + `","_updatedAt":"` + t0s + `","name":"B"}},` +
		`"values":{"b":{"_createdAt":"` + t0s + `","_updatedAt":"` + t0s + `","enabled":true,"n":1.50,"s":"<&>"}},"version":"1"}`
	if string(out1) != want {
		t.Errorf("Stamp =\n  %s\nwant\n  %s", out1, want)
	}
	if Validate(out1) != nil {
		t.Errorf("stamped document no longer validates: %v", Validate(out1))
	}
}

func TestStampErrors(t *testing.T) {
	if _, err := Stamp([]byte(`{"version":`), nil, t0); err == nil {
		t.Error("malformed JSON accepted")
	}
	if _, err := Stamp([]byte(`[]`), nil, t0); err == nil {
		t.Error("non-object accepted")
	}
	// An unreadable previous version counts as none.
	out := mustStamp(t, []byte(`{"version":"1","flags":{"a":{}}}`), []byte(`not json`), t0)
	if s := stamps(t, out)["flags/a"]; s != [2]string{t0s, t0s} {
		t.Errorf("got %v", s)
	}
}
