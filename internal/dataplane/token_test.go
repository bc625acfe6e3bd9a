package dataplane

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

var codec = newTokenCodec([]byte("0123456789abcdef0123456789abcdef"))

func sample() *token {
	return &token{Session: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, Seq: 7,
		IssuedAt: time.UnixMilli(1_700_000_000_123).UTC(), NotBefore: time.UnixMilli(1_700_000_015_123).UTC(),
		MinInterval: 15, Has: 0xfeedface, Account: "123456789012", Region: "eu-west-1", App: "abc1234", Env: "env1234", Profile: "prof123"}
}

func TestTokenRoundTrip(t *testing.T) {
	in := sample()
	s := codec.seal(in)
	if len(s) > 300 {
		t.Fatalf("token of %d characters", len(s))
	}
	out, err := codec.open(s)
	if err != nil {
		t.Fatal(err)
	}
	if *out != *in {
		t.Fatalf("round trip changed the token:\n%+v\n%+v", in, out)
	}
}

func TestTokenTamperingIsDetected(t *testing.T) {
	s := codec.seal(sample())
	raw, _ := base64.RawURLEncoding.DecodeString(s)
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		if _, err := codec.open(base64.RawURLEncoding.EncodeToString(b)); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	other := newTokenCodec([]byte("another key, another replica set"))
	if _, err := other.open(s); err == nil {
		t.Fatal("a token verified under another key")
	}
	for _, bad := range []string{"", "!!!", "AAAA", s[:len(s)-1], s + "A"} {
		if _, err := codec.open(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

const urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// A token has exactly one spelling: every other character at any place
// (including the last one, whose low bits carry no data) is refused, so
// a used token cannot be spent again under another spelling.
func TestTokenHasOneSpelling(t *testing.T) {
	s := codec.seal(sample())
	for i := range s {
		for _, c := range []byte(urlAlphabet + "=+/. \n") {
			if c == s[i] {
				continue
			}
			v := s[:i] + string(c) + s[i+1:]
			if _, err := codec.open(v); err == nil {
				t.Fatalf("character %d changed from %q to %q still opens", i, s[i], c)
			}
		}
	}
	for _, v := range []string{s + "=", s + "==", s + "\n", "\n" + s, s[:10] + "\r\n" + s[10:]} {
		if _, err := codec.open(v); err == nil {
			t.Fatalf("%q opens", v)
		}
	}
}

// lastCharTwin is s with its last character replaced by the one whose
// unused low bits differ: the spelling a non-strict decoder accepted.
func lastCharTwin(s string) string {
	i := strings.IndexByte(urlAlphabet, s[len(s)-1])
	return s[:len(s)-1] + string(urlAlphabet[i^1])
}

func FuzzTokenOpen(f *testing.F) {
	f.Add(codec.seal(sample()))
	f.Add(lastCharTwin(codec.seal(sample())))
	f.Add(codec.seal(sample()) + "=")
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := codec.open(s)
		if err != nil {
			return
		}
		// Anything that opens must re-seal to a token that opens the same,
		// and to the very string that opened (one spelling per token).
		resealed := codec.seal(tok)
		again, err := codec.open(resealed)
		if err != nil || *again != *tok {
			t.Fatalf("re-sealed token differs: %v", err)
		}
		if resealed != s {
			t.Fatalf("%q opens but the token's spelling is %q", s, resealed)
		}
	})
}

func TestSessionsAreSingleUse(t *testing.T) {
	now := time.Unix(0, 0)
	s := newSessions(now)
	id := [16]byte{9}
	s.start(id)
	if !s.use(id, 0, now) {
		t.Fatal("initial token refused")
	}
	if s.use(id, 0, now) {
		t.Fatal("initial token used twice")
	}
	if !s.use(id, 1, now) || s.use(id, 1, now) {
		t.Fatal("second token not single use")
	}
	// A failed request gives the token back.
	if !s.use(id, 2, now) {
		t.Fatal("third token refused")
	}
	s.release(id, 2)
	if !s.use(id, 2, now) {
		t.Fatal("released token refused")
	}
	// Sessions survive one rotation, and are forgotten after two.
	now = now.Add(tokenLifetime)
	if s.use(id, 2, now) {
		t.Fatal("used token accepted after one rotation")
	}
	if s.len() != 1 {
		t.Fatalf("%d sessions remembered", s.len())
	}
	now = now.Add(2 * tokenLifetime)
	s.use([16]byte{1}, 0, now)
	s.use([16]byte{1}, 1, now.Add(tokenLifetime))
	if n := s.len(); n != 1 {
		t.Fatalf("%d sessions remembered after they expired", n)
	}
}

func TestBucketIsUniform(t *testing.T) {
	counts := make([]int, 10)
	const n = 100000
	for i := 0; i < n; i++ {
		var id [16]byte
		for j := range id {
			id[j] = byte((i*131 + j*7919) * (i + 1) >> (j % 8))
		}
		id[0], id[1], id[2], id[3] = byte(i), byte(i>>8), byte(i>>16), byte(i*97)
		b := bucket(sha(id))
		if b < 0 || b >= 100 {
			t.Fatalf("bucket %v out of range", b)
		}
		counts[int(b/10)]++
	}
	for i, c := range counts {
		if c < n/10*95/100 || c > n/10*105/100 {
			t.Fatalf("decile %d has %d of %d", i, c, n)
		}
	}
}
