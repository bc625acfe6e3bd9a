package featureflag

import "testing"

func TestIonView(t *testing.T) {
	doc := `{"version":"1",
	 "flags":{"tiered":{"name":"Tiered","attributes":{"color":{"constraints":{"type":"string"}}}},
	          "plain":{"name":"Plain","attributes":{"n":{"constraints":{"type":"number"}}}},
	          "off":{"name":"Off"},"nov":{"name":"No values"}},
	 "values":{"plain":{"enabled":true,"n":3,"_createdAt":"x"},"off":{"enabled":false},
	   "tiered":{"enabled":true,"_variants":[
	     {"name":"Beta","enabled":true,"rule":"(or (in $user-id [\"a'b\" \"c\\\\d\"]) (and (eq $group \"Tier1\") (split by::$userId pct::1.50 seed::\"2025\")))","attributeValues":{"color":"blue"}},
	     {"name":"Dated","enabled":true,"rule":"(gte $now 2024-01)","attributeValues":{"color":"héllo\u0001"}},
	     {"name":"Broken","enabled":true,"rule":"(eq $a"},
	     {"name":"Off","enabled":false,"rule":"(exists key::\"country\")","attributeValues":{"color":"x"}},
	     {"name":"default","enabled":false}]}}}`
	out, ok, err := IonView([]byte(doc))
	if err != nil || !ok {
		t.Fatalf("IonView: ok=%v err=%v", ok, err)
	}
	// Flags sorted by key; the list without commas gets them, the
	// year-month timestamp gets Ion's T, the context key with a dash is a
	// quoted symbol, the rule that does not parse is left out, a disabled
	// variant carries no attributes, metadata is stripped.
	want := `'nov'::'''{"enabled":false}'''
'off'::'''{"enabled":false}'''
'plain'::'''{"enabled":true,"n":3}'''
'tiered'::[
  [(or (in '$user-id' ["a'b", "c\\d"]) (and (eq $group "Tier1") (split by::$userId pct::1.50 seed::"2025"))), '''{"_variant":"Beta","color":"blue","enabled":true}'''],
  [(gte $now 2024-01T), '''{"_variant":"Dated","color":"héllo\\u0001","enabled":true}'''],
  [(exists key::"country"), '''{"_variant":"Off","enabled":false}'''],
  '''{"_variant":"default","enabled":false}'''
]
`
	if string(out) != want {
		t.Errorf("IonView =\n%s\nwant\n%s", out, want)
	}

	// Without a multi-variant flag the JSON form is served.
	if out, ok, err := IonView([]byte(`{"version":"1","flags":{"a":{"name":"A"}},"values":{"a":{"enabled":true}}}`)); ok || err != nil || out != nil {
		t.Errorf("basic-only document: %q %v %v, want not ok", out, ok, err)
	}
	if _, _, err := IonView([]byte(`[1]`)); err == nil {
		t.Error("a non-object document gave no error")
	}
}

func TestIonEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`it's`:        `'''it\'s'''`,
		`a\b`:         `'''a\\b'''`,
		"tab\tnl\n":   `'''tab\tnl\n'''`,
		"del\x7f":     `'''del\x7f'''`,
		"bad\xffutf8": `'''bad\uFFFDutf8'''`,
		"snow☃ ''' x": `'''snow☃ \'\'\' x'''`,
	} {
		if got := string(appendIonLongString(nil, []byte(in))); got != want {
			t.Errorf("long string %q = %s, want %s", in, got, want)
		}
	}
	// $123 alone would be symbol ID 123 (and $1 the system symbol $ion).
	for in, want := range map[string]string{"$ok_1": "$ok_1", "$a-b": `'$a-b'`, "null": `'null'`, "it's": `'it\'s'`, "$123": `'$123'`, "$1": `'$1'`, "$1a": "$1a"} {
		if got := string(appendIonSymbol(nil, in, false)); got != want {
			t.Errorf("symbol %q = %s, want %s", in, got, want)
		}
	}
}

func TestIonNumbers(t *testing.T) {
	for rule, want := range map[string]string{
		`(eq $n 007)`:                    `(eq $n 7)`,
		`(eq $n 1.5)`:                    `(eq $n 1.5)`,
		`(eq $n 01.5)`:                   `(eq $n 1.5e+00)`,
		`(eq $n 2e3)`:                    `(eq $n 2e3)`,
		`(lt $t 2024-01-02T03:04Z)`:      `(lt $t 2024-01-02T03:04Z)`,
		`(lt $t 2024-01-02T03:04-23:59)`: `(lt $t 2024-01-02T03:04-23:59)`,
	} {
		r, err := ParseRule(rule)
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		if got := string(r.root.appendIon(nil)); got != want {
			t.Errorf("%s as Ion = %s, want %s", rule, got, want)
		}
	}
}

func TestAcceptsIon(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                 false,
		"*/*":              false,
		"application/json": false,
		"application/ion":  false,
		IonContentType:     true,
		"application/ion; type=AWS.AppConfig.FeatureFlags":                true,
		"Application/ION;Type=aws.appconfig.featureflags":                 true,
		`application/ion;type="AWS.AppConfig.FeatureFlags"`:               true,
		"application/ion;type=AWS.AppConfig.FeatureFlags;q=1.0,*/*;q=0.1": true,
		"text/plain, application/ion;type=AWS.AppConfig.FeatureFlags":     true,
		"application/ion;type=AWS.AppConfig.FeatureFlags;q=0":             false,
		"application/ion;type=Other":                                      false,
	} {
		if got := AcceptsIon(accept); got != want {
			t.Errorf("AcceptsIon(%q) = %v, want %v", accept, got, want)
		}
	}
}
