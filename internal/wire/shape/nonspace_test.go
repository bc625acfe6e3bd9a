package shape

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// NonSpace stands in for the generated `\S{1,}`: it must agree with RE2 on
// every string, whitespace, non-ASCII and invalid UTF-8 included.
func TestNonSpaceAgreesWithRegexp(t *testing.T) {
	re := regexp.MustCompile(`\S{1,}`)
	alphabet := []byte{' ', '\t', '\n', '\f', '\r', '\v', 'a', '%', 0x00, 0x85, 0xa0, 0xe2, 0x80, 0x83, 0xff}
	cases := []string{"", " ", "\t\n\f\r ", "\v", "a", " a ", "\u00a0", "\u2003", "\xff", "\x00"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(8))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := (NonSpace{}).MatchString(s), re.MatchString(s); got != want {
			t.Fatalf("NonSpace(%q) = %v, regexp says %v", s, got, want)
		}
	}
}
