package dataplane

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"sync"
	"time"
)

// token is the state of a configuration session, carried by the client:
// the server can answer a poll from it and memory, without a store write.
// Tokens are opaque (base64url), authenticated with an HMAC under a key
// kept in the store (so every replica verifies them), and single use
// (seq, checked against the session table).
type token struct {
	Session     [16]byte
	Seq         uint32
	IssuedAt    time.Time
	NotBefore   time.Time
	MinInterval uint32 // the session's RequiredMinimumPollIntervalInSeconds (0: none)
	Has         uint64 // fingerprint of the content the client holds (0: none)
	Account     string
	Region      string
	App         string
	Env         string
	Profile     string
}

const (
	tokenVersion = 1
	tagLen       = 16
	maxTokenLen  = 8192
)

var errCorrupt = errors.New("corrupted token")

// tokenEncoding is the one spelling of a token. Strict: the unused low
// bits of the last character must be zero, so no two strings decode to
// the same token (a single-use token cannot be reused under another
// spelling). Decoding also refuses padding, newlines and any character
// outside the URL alphabet; the decoder skips \r and \n, so open also
// requires the string to be exactly as long as the encoding of what it
// decoded to.
var tokenEncoding = base64.RawURLEncoding.Strict()

type tokenCodec struct {
	key []byte
	// macs pools keyed HMACs: building one per seal and open was a
	// measurable share of a poll.
	macs *sync.Pool
}

func newTokenCodec(key []byte) tokenCodec {
	return tokenCodec{key: key, macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

func (c tokenCodec) tag(b []byte) []byte {
	if c.macs == nil {
		m := hmac.New(sha256.New, c.key)
		m.Write(b)
		return m.Sum(nil)[:tagLen]
	}
	m := c.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(b)
	var sum [sha256.Size]byte
	out := m.Sum(sum[:0])[:tagLen]
	c.macs.Put(m)
	return out
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (c tokenCodec) seal(t *token) string {
	b := make([]byte, 0, 160)
	b = append(b, tokenVersion)
	b = append(b, t.Session[:]...)
	b = binary.BigEndian.AppendUint32(b, t.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(t.IssuedAt.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(t.NotBefore.UnixMilli()))
	b = binary.BigEndian.AppendUint32(b, t.MinInterval)
	b = binary.BigEndian.AppendUint64(b, t.Has)
	for _, s := range []string{t.Account, t.Region, t.App, t.Env, t.Profile} {
		b = appendString(b, s)
	}
	b = append(b, c.tag(b)...)
	return tokenEncoding.EncodeToString(b)
}

func (c tokenCodec) open(s string) (*token, error) {
	if len(s) == 0 || len(s) > maxTokenLen {
		return nil, errCorrupt
	}
	raw, err := tokenEncoding.DecodeString(s)
	if err != nil || len(s) != tokenEncoding.EncodedLen(len(raw)) || len(raw) < 1+16+4+8+8+4+8+5+tagLen || raw[0] != tokenVersion {
		return nil, errCorrupt
	}
	body, tag := raw[:len(raw)-tagLen], raw[len(raw)-tagLen:]
	if !hmac.Equal(c.tag(body), tag) {
		return nil, errCorrupt
	}
	t := &token{}
	p := body[1:]
	copy(t.Session[:], p[:16])
	p = p[16:]
	t.Seq = binary.BigEndian.Uint32(p)
	t.IssuedAt = time.UnixMilli(int64(binary.BigEndian.Uint64(p[4:]))).UTC()
	t.NotBefore = time.UnixMilli(int64(binary.BigEndian.Uint64(p[12:]))).UTC()
	t.MinInterval = binary.BigEndian.Uint32(p[20:])
	t.Has = binary.BigEndian.Uint64(p[24:])
	p = p[32:]
	fields := []*string{&t.Account, &t.Region, &t.App, &t.Env, &t.Profile}
	for _, f := range fields {
		n, w := binary.Uvarint(p)
		if w <= 0 || n > uint64(len(p)-w) {
			return nil, errCorrupt
		}
		*f = string(p[w : w+int(n)])
		p = p[w+int(n):]
	}
	if len(p) != 0 {
		return nil, errCorrupt
	}
	return t, nil
}

// bucket maps a session to its stable place in [0, 100) for percentage
// rollouts.
func bucket(session [16]byte) float64 {
	x := binary.BigEndian.Uint64(session[:8])
	return float64(x>>11) / float64(uint64(1)<<53) * 100
}
