package featureflag

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseRuleErrorsCarryPositions(t *testing.T) {
	cases := []struct {
		src       string
		line, col int
		msg       string
	}{
		{``, 1, 1, "empty rule"},
		{`   `, 1, 1, "empty rule"},
		{`(eq $a`, 1, 7, "missing ')'"},
		{`(foo $a 1)`, 1, 2, `unknown operator "foo"`},
		{`()`, 1, 2, "expected an operator"},
		{`(eq $a 1 2)`, 1, 1, "eq takes 2 operand(s), got 3"},
		{`(not)`, 1, 1, "not takes 1 operand(s), got 0"},
		{`(and)`, 1, 1, "at least one operand"},
		{`(eq "a" 1)`, 1, 9, "cannot compare a string with a number"},
		{`(gt true 1)`, 1, 5, "gt cannot compare a boolean"},
		{`(lt $a [1 2])`, 1, 8, "lt cannot compare a list"},
		{"(and (eq $a 1)\n     42)", 2, 6, "and needs a boolean, not a number"},
		{`(begins_with $a 5)`, 1, 17, "needs a string, not a number"},
		{`(matches in::$a pattern::"(")`, 1, 26, "invalid regular expression"},
		{`(matches in::$a pattern::$p)`, 1, 26, "string literal as pattern::"},
		{`(matches pattern::"x")`, 1, 1, "needs the argument in::"},
		{`(matches $a "x")`, 1, 10, "takes only named arguments"},
		{`(exists key::$country)`, 1, 14, "string literal as key::"},
		{`(split pct::120 by::$id)`, 1, 13, "between 0 and 100"},
		{`(split pct::"10" by::$id)`, 1, 13, "number as pct::"},
		{`(split by::$id)`, 1, 1, "needs the argument pct::"},
		{`(split pct::10 by::5)`, 1, 20, "context references or strings"},
		{`(split pct::10 by::$id seed::7)`, 1, 30, "string literal as seed::"},
		{`(split pct::10 by::$a extra::1)`, 1, 23, "split has no argument extra::"},
		{`(split pct::10 pct::5 by::$a)`, 1, 16, "argument pct:: given twice"},
		{`(eq $a 1 x::2)`, 1, 10, "eq takes no named arguments"},
		{`(in $a "x")`, 1, 8, "needs a list"},
		{`(in $a [$b])`, 1, 9, "list of constants"},
		{`(in $a [1,,2])`, 1, 11, "unexpected ','"},
		{`(in $a [1,])`, 1, 11, "expected a list item after ','"},
		{`(in $a [(eq $a 1)])`, 1, 9, "list items must be literal"},
		{`(in $a [1 2)`, 1, 12, `list items must be literal values or context references, found ")"`},
		{`(eq $a "unterminated)`, 1, 8, "unterminated string"},
		{`(eq $a "bad \q")`, 1, 13, `invalid escape \q`},
		{`(eq $a "\u12")`, 1, 9, `invalid \u escape`},
		{`$a`, 1, 1, "must evaluate to true or false, not a context value"},
		{`"yes"`, 1, 1, "not a string"},
		{`(eq $a 1))`, 1, 10, `unexpected ")" after the end`},
		{`(eq $a 1) (eq $b 2)`, 1, 11, `unexpected "(" after the end`},
		{`(eq $a apple)`, 1, 8, `unexpected word "apple"`},
		{`(eq $a eq)`, 1, 8, "operator eq must follow '('"},
		{`(eq $a 99999999999999999999)`, 1, 8, "does not fit in 64 bits"},
		{`(eq $a 1e999)`, 1, 8, "out of range"},
		{`(eq $a 2024-13)`, 1, 8, "invalid timestamp"},
		{`(eq $a 0000-01)`, 1, 8, "invalid timestamp"},
		{`(eq $a 2024-01-02T03:04+24:00)`, 1, 8, "invalid timestamp"},
		{`(eq $a 2024-01-02T03:04:05-23:60)`, 1, 8, "invalid timestamp"},
		{`(eq $a 12:30)`, 1, 8, `unexpected "12:30"`},
		{`(eq $ 1)`, 1, 5, "'$' must be followed by a context key"},
		{`(exists k-y::"a")`, 1, 9, "invalid argument name"},
		{`(eq $a key::)`, 1, 8, "eq takes no named arguments"},
		{`(eq $a 1`, 1, 9, "missing ')'"},
		{"(and\n\t(eq $ü \"x\")\n\t(gt $ä 1 2))", 3, 2, "gt takes 2 operand(s)"},
		{strings.Repeat("(not ", 65) + "true" + strings.Repeat(")", 65), 1, 321, "nested deeper than 64"},
	}
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			r, err := ParseRule(tc.src)
			if err == nil {
				t.Fatalf("ParseRule accepted %q as %v", tc.src, r)
			}
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is a %T, want *RuleError", err, err)
			}
			if re.Line != tc.line || re.Column != tc.col {
				t.Errorf("position = line %d, column %d; want line %d, column %d (%v)", re.Line, re.Column, tc.line, tc.col, err)
			}
			if !strings.Contains(re.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", re.Msg, tc.msg)
			}
			if want := fmt.Sprintf("line %d, column %d: ", re.Line, re.Column); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want it to start with %q", err.Error(), want)
			}
		})
	}
}

func TestRuleOperators(t *testing.T) {
	cases := []struct {
		rule string
		ctx  map[string]string
		want bool
	}{
		// literals and context booleans
		{`true`, nil, true},
		{`false`, nil, false},
		{`(and $beta)`, map[string]string{"beta": "TRUE"}, true},
		{`(and $beta)`, map[string]string{"beta": "yes"}, false},
		// eq / ne on strings, numbers, booleans and timestamps
		{`(eq $state "Virginia")`, map[string]string{"state": "Virginia"}, true},
		{`(eq $state "Virginia")`, map[string]string{"state": "virginia"}, false},
		{`(eq $state "Virginia")`, nil, false},
		{`(ne $state "Virginia")`, map[string]string{"state": "Ohio"}, true},
		{`(ne $state "Virginia")`, nil, false},
		{`(eq $age 65)`, map[string]string{"age": "65"}, true},
		{`(eq $age 65)`, map[string]string{"age": "65.0"}, true},
		{`(eq $age 65)`, map[string]string{"age": "sixty-five"}, false},
		{`(eq $beta true)`, map[string]string{"beta": "True"}, true},
		{`(eq $beta false)`, map[string]string{"beta": "true"}, false},
		{`(eq (exists key::"a") true)`, map[string]string{"a": ""}, true},
		{`(eq $q "say \"hi\"\n\u00e9")`, map[string]string{"q": "say \"hi\"\né"}, true},
		{`(eq $q "\ud83d\ude00")`, map[string]string{"q": "😀"}, true},
		{`(eq $name "Ḽơᶉëᶆ ȋṕšᶙṁ")`, map[string]string{"name": "Ḽơᶉëᶆ ȋṕšᶙṁ"}, true},
		{`(eq 1 1.0)`, nil, true},
		{`(eq "a" "a")`, nil, true},
		// ordering
		{`(gt $age 65)`, map[string]string{"age": "66"}, true},
		{`(gt $age 65)`, map[string]string{"age": "65"}, false},
		{`(gte $age 65)`, map[string]string{"age": "65"}, true},
		{`(lt $age 65)`, map[string]string{"age": "-7"}, true},
		{`(lte $age 65)`, map[string]string{"age": "65.5"}, false},
		{`(lt $age 65)`, map[string]string{"age": "young"}, false},
		{`(lt $age 65)`, nil, false},
		{`(lt $v 1.234e-5)`, map[string]string{"v": "0.000001"}, true},
		{`(gt $a $b)`, map[string]string{"a": "10", "b": "9"}, true}, // numeric when both parse
		{`(gt $a $b)`, map[string]string{"a": "b", "b": "a"}, true},  // else strings
		{`(lt $name "m")`, map[string]string{"name": "alice"}, true},
		{`(gt $v 9223372036854775806)`, map[string]string{"v": "9223372036854775807"}, true},
		// timestamps, partial and with offsets
		{`(gte $signup 2024-01)`, map[string]string{"signup": "2024-01-01T00:00:00Z"}, true},
		{`(gt $signup 2024-01)`, map[string]string{"signup": "2023-12-31"}, false},
		{`(lt $signup 2024-01-15)`, map[string]string{"signup": "2024-01"}, true},
		{`(eq $at 2012-03-04T05:06:07-08:00)`, map[string]string{"at": "2012-03-04T13:06:07Z"}, true},
		{`(eq $at 2012-03-04T05:06-08:00)`, map[string]string{"at": "2012-03-04T13:06:00.000Z"}, true},
		{`(lt $at 2012-03-04T05:06:07.5Z)`, map[string]string{"at": "2012-03-04T05:06:07.25Z"}, true},
		{`(lt $at 2030-01-01)`, map[string]string{"at": "yesterday"}, false},
		// logic
		{`(and (eq $a "1") (eq $b "2"))`, map[string]string{"a": "1", "b": "2"}, true},
		{`(and (eq $a "1") (eq $b "2"))`, map[string]string{"a": "1"}, false},
		{`(or (eq $a "1") (eq $b "2"))`, map[string]string{"b": "2"}, true},
		{`(or (eq $a "1") (eq $b "2") (eq $c "3"))`, map[string]string{"c": "4"}, false},
		{`(not (eq $state "Virginia"))`, map[string]string{"state": "Ohio"}, true},
		{`(not (eq $state "Virginia"))`, nil, true},
		// string operators
		{`(begins_with $state "Vir")`, map[string]string{"state": "Virginia"}, true},
		{`(begins_with $state "vir")`, map[string]string{"state": "Virginia"}, false},
		{`(ends_with $email "example.org")`, map[string]string{"email": "jo@example.org"}, true},
		{`(ends_with $email "example.org")`, nil, false},
		{`(contains $promo "WIN")`, map[string]string{"promo": "BIGWIN24"}, true},
		{`(contains $promo "WIN")`, map[string]string{"promo": "win"}, false},
		// in
		{`(in $userId ["123", "456"])`, map[string]string{"userId": "456"}, true},
		{`(in $userId ["123" "456"])`, map[string]string{"userId": "789"}, false},
		{`(in $n [1 2 3])`, map[string]string{"n": "2"}, true},
		{`(in $userId [])`, map[string]string{"userId": "1"}, false},
		{`(in $userId ["1"])`, nil, false},
		// matches
		{`(matches in::$greeting pattern::"h.*y")`, map[string]string{"greeting": "oh, hey!"}, true},
		{`(matches in::$greeting pattern::"^h.*y$")`, map[string]string{"greeting": "oh, hey!"}, false},
		{`(matches pattern::"^[0-9]+$" in::$id)`, map[string]string{"id": "0042"}, true},
		{`(matches in::$greeting pattern::"h")`, nil, false},
		// exists
		{`(exists key::"country")`, map[string]string{"country": ""}, true},
		{`(exists key::"country")`, map[string]string{"region": "eu"}, false},
		// split edges
		{`(split pct::0 by::$id)`, map[string]string{"id": "x"}, false},
		{`(split pct::100 by::$id)`, map[string]string{"id": "x"}, true},
		{`(split pct::100 by::$id)`, nil, false},
		{`(split pct::100 by::[$a $b])`, map[string]string{"a": "1"}, false},
		{`(split pct::100 by::"constant")`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			r, err := ParseRule(tc.rule)
			if err != nil {
				t.Fatalf("ParseRule: %v", err)
			}
			got, err := r.Eval(tc.ctx, "flag")
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if got != tc.want {
				t.Errorf("Eval(%v) = %v, want %v", tc.ctx, got, tc.want)
			}
		})
	}
}

func TestNilRuleEvalIsAnError(t *testing.T) {
	var r *Rule
	if _, err := r.Eval(nil, "f"); err == nil {
		t.Fatal("Eval on a nil rule should fail")
	}
}

func TestSplitDistribution(t *testing.T) {
	for _, tc := range []struct {
		rule string
		pct  float64
	}{
		{`(split pct::20 by::$id)`, 20},
		{`(split pct::20 by::$id seed::"abc")`, 20},
		{`(split pct::2.5 by::$id)`, 2.5},
		{`(split pct::75 by::[$id $region])`, 75},
	} {
		r, err := ParseRule(tc.rule)
		if err != nil {
			t.Fatal(err)
		}
		hits := 0
		const n = 10000
		for i := 0; i < n; i++ {
			ok, _ := r.Eval(map[string]string{"id": fmt.Sprintf("user-%d", i), "region": "eu"}, "banner")
			if ok {
				hits++
			}
		}
		share := 100 * float64(hits) / n
		if share < tc.pct-2 || share > tc.pct+2 {
			t.Errorf("%s matched %.2f%% of ids, want %.0f%% ± 2", tc.rule, share, tc.pct)
		}
	}
}

func TestSplitIsDeterministicAndScoped(t *testing.T) {
	unseeded, _ := ParseRule(`(split pct::50 by::$id)`)
	seeded, _ := ParseRule(`(split pct::50 by::$id seed::"shared")`)
	otherSeed, _ := ParseRule(`(split pct::50 by::$id seed::"other")`)
	sameAcrossFlags, differsAcrossFlags, seedsDiffer := 0, 0, 0
	for i := 0; i < 2000; i++ {
		ctx := map[string]string{"id": fmt.Sprintf("u%d", i)}
		a1, _ := unseeded.Eval(ctx, "flag_a")
		a2, _ := unseeded.Eval(ctx, "flag_a")
		if a1 != a2 {
			t.Fatal("split is not deterministic")
		}
		b, _ := unseeded.Eval(ctx, "flag_b")
		if a1 != b {
			differsAcrossFlags++
		}
		s1, _ := seeded.Eval(ctx, "flag_a")
		s2, _ := seeded.Eval(ctx, "flag_b")
		if s1 == s2 {
			sameAcrossFlags++
		}
		o, _ := otherSeed.Eval(ctx, "flag_a")
		if o != s1 {
			seedsDiffer++
		}
	}
	if sameAcrossFlags != 2000 {
		t.Errorf("a seeded split should agree across flags for every id; agreed for %d of 2000", sameAcrossFlags)
	}
	if differsAcrossFlags < 700 || differsAcrossFlags > 1300 {
		t.Errorf("an unseeded split should be independent per flag (~1000 of 2000 differ), %d differ", differsAcrossFlags)
	}
	if seedsDiffer < 700 || seedsDiffer > 1300 {
		t.Errorf("different seeds should be independent (~1000 of 2000 differ), %d differ", seedsDiffer)
	}
}

// variantShares serves doc to 10 000 callers and counts the variants served.
func variantShares(t *testing.T, d []byte, flag string) map[string]float64 {
	t.Helper()
	counts := map[string]float64{}
	const n = 10000
	for i := 0; i < n; i++ {
		out, err := ClientViewFor(d, map[string]string{"uniqueId": fmt.Sprintf("id-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		var view map[string]map[string]any
		if err := json.Unmarshal(out, &view); err != nil {
			t.Fatal(err)
		}
		counts[view[flag]["_variant"].(string)] += 100.0 / n
	}
	return counts
}

func splitDoc(ruleA, ruleB string) []byte {
	return doc(`{"exp":{}}`, fmt.Sprintf(`{"exp":{"_variants":[
		{"name":"A","enabled":true,"rule":%q},
		{"name":"B","enabled":true,"rule":%q},
		{"name":"C","enabled":false}]}}`, ruleA, ruleB))
}

func TestSuccessiveSplitsOverlapUnlessSeedsDiffer(t *testing.T) {
	cases := []struct {
		name         string
		ruleA, ruleB string
		want         map[string]float64
	}{
		{"same percentage, same hash", `(split by::$uniqueId pct::20)`, `(split by::$uniqueId pct::20)`,
			map[string]float64{"A": 20, "B": 0, "C": 80}},
		{"larger second split takes the difference", `(split by::$uniqueId pct::20)`, `(split by::$uniqueId pct::25)`,
			map[string]float64{"A": 20, "B": 5, "C": 75}},
		{"different seeds are independent", `(split by::$uniqueId pct::20 seed::"seed_one")`, `(split by::$uniqueId pct::25 seed::"seed_two")`,
			map[string]float64{"A": 20, "B": 20, "C": 60}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := variantShares(t, splitDoc(tc.ruleA, tc.ruleB), "exp")
			for v, want := range tc.want {
				if got[v] < want-2 || got[v] > want+2 {
					t.Errorf("variant %s served to %.2f%%, want %.0f%% ± 2 (all: %v)", v, got[v], want, got)
				}
			}
		})
	}
}

// TestSplitBucketsAreStable pins the documented hash (first 8 bytes of
// SHA-256(key "\x00" by) mod 10000): changing it would move every user to
// a different bucket on upgrade.
func TestSplitBucketsAreStable(t *testing.T) {
	cases := []struct {
		key, by string
		bucket  uint64
	}{
		{"banner", "user-1", 7673},
		{"banner", "user-2", 2575},
		{"abc", "user-1", 7590},
		{"checkout", "a@example.org", 5839},
	}
	for _, tc := range cases {
		if got := splitBucket(tc.key, tc.by); got != tc.bucket {
			t.Errorf("splitBucket(%q, %q) = %d, want %d", tc.key, tc.by, got, tc.bucket)
		}
	}
	// The boundary: bucket 7673 is inside pct 76.74 and outside pct 76.73.
	in, _ := ParseRule(`(split pct::76.74 by::$id)`)
	out, _ := ParseRule(`(split pct::76.73 by::$id)`)
	ctx := map[string]string{"id": "user-1"}
	if ok, _ := in.Eval(ctx, "banner"); !ok {
		t.Error("bucket 7673 should be inside pct 76.74")
	}
	if ok, _ := out.Eval(ctx, "banner"); ok {
		t.Error("bucket 7673 should be outside pct 76.73")
	}
	seeded, _ := ParseRule(`(split pct::75.91 by::$id seed::"abc")`)
	if ok, _ := seeded.Eval(ctx, "any_flag"); !ok {
		t.Error("a seed replaces the flag key in the hash (bucket 7590)")
	}
}
