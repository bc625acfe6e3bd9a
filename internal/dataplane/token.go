package dataplane

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
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
	// macs pools keyed HMACs with their buffers: building one per seal
	// and open was a measurable share of a poll, and a pooled buffer keeps
	// the token's bytes off the heap (a slice handed to hash.Hash escapes).
	macs *sync.Pool
	// names interns the account, region and IDs of verified tokens, so
	// opening one allocates no strings for them.
	names *interner
}

// macState is one pooled HMAC with room for a token's bytes and its sum.
type macState struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func newTokenCodec(key []byte) tokenCodec {
	return tokenCodec{key: key, names: &interner{},
		macs: &sync.Pool{New: func() any { return &macState{h: hmac.New(sha256.New, key), buf: make([]byte, 0, 256)} }}}
}

func (c tokenCodec) state() *macState {
	if c.macs == nil { // the zero codec (tests)
		return &macState{h: hmac.New(sha256.New, c.key)}
	}
	return c.macs.Get().(*macState)
}

func (c tokenCodec) release(m *macState) {
	if c.macs != nil && cap(m.buf) <= 1024 {
		c.macs.Put(m)
	}
}

// tag is the MAC of m.buf, in m.sum.
func (m *macState) tag() []byte {
	m.h.Reset()
	m.h.Write(m.buf)
	return m.h.Sum(m.sum[:0])[:tagLen]
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (c tokenCodec) seal(t *token) string {
	m := c.state()
	b := append(m.buf[:0], tokenVersion)
	b = append(b, t.Session[:]...)
	b = binary.BigEndian.AppendUint32(b, t.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(t.IssuedAt.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(t.NotBefore.UnixMilli()))
	b = binary.BigEndian.AppendUint32(b, t.MinInterval)
	b = binary.BigEndian.AppendUint64(b, t.Has)
	b = appendString(b, t.Account)
	b = appendString(b, t.Region)
	b = appendString(b, t.App)
	b = appendString(b, t.Env)
	b = appendString(b, t.Profile)
	m.buf = b
	m.buf = append(m.buf, m.tag()...)
	var out [512]byte
	var s string
	if n := tokenEncoding.EncodedLen(len(m.buf)); n <= len(out) {
		tokenEncoding.Encode(out[:n], m.buf)
		s = string(out[:n])
	} else {
		s = tokenEncoding.EncodeToString(m.buf)
	}
	c.release(m)
	return s
}

func (c tokenCodec) open(s string) (*token, error) {
	t := &token{}
	if err := c.openInto(s, t); err != nil {
		return nil, err
	}
	return t, nil
}

// openInto verifies and decodes s into t. It allocates nothing once the
// token's account, region and IDs have been seen.
func (c tokenCodec) openInto(s string, t *token) error {
	if len(s) == 0 || len(s) > maxTokenLen {
		return errCorrupt
	}
	m := c.state()
	defer c.release(m)
	n := tokenEncoding.DecodedLen(len(s))
	if cap(m.buf) < n {
		m.buf = make([]byte, 0, n)
	}
	// Decode reads s in place (it only reads its source).
	n, err := tokenEncoding.Decode(m.buf[:n], unsafe.Slice(unsafe.StringData(s), len(s)))
	raw := m.buf[:n]
	if err != nil || len(s) != tokenEncoding.EncodedLen(len(raw)) || len(raw) < 1+16+4+8+8+4+8+5+tagLen || raw[0] != tokenVersion {
		return errCorrupt
	}
	var tag [tagLen]byte
	copy(tag[:], raw[len(raw)-tagLen:])
	body := raw[:len(raw)-tagLen]
	m.buf = body
	if !hmac.Equal(m.tag(), tag[:]) {
		return errCorrupt
	}
	p := body[1:]
	copy(t.Session[:], p[:16])
	p = p[16:]
	t.Seq = binary.BigEndian.Uint32(p)
	t.IssuedAt = time.UnixMilli(int64(binary.BigEndian.Uint64(p[4:]))).UTC()
	t.NotBefore = time.UnixMilli(int64(binary.BigEndian.Uint64(p[12:]))).UTC()
	t.MinInterval = binary.BigEndian.Uint32(p[20:])
	t.Has = binary.BigEndian.Uint64(p[24:])
	p = p[32:]
	for _, f := range [...]*string{&t.Account, &t.Region, &t.App, &t.Env, &t.Profile} {
		n, w := binary.Uvarint(p)
		if w <= 0 || n > uint64(len(p)-w) {
			return errCorrupt
		}
		*f = c.names.intern(p[w : w+int(n)])
		p = p[w+int(n):]
	}
	if len(p) != 0 {
		return errCorrupt
	}
	return nil
}

// interner hands out one string per distinct byte sequence it has seen
// (up to maxInterned; then it allocates). Readers take no lock: the map
// is replaced, never changed, when a name is added — names are few and
// come only from tokens whose MAC verified.
type interner struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

const maxInterned = 4096

func (in *interner) intern(b []byte) string {
	if in == nil {
		return string(b)
	}
	if m := in.m.Load(); m != nil {
		if s, ok := (*m)[string(b)]; ok {
			return s
		}
	}
	s := string(b)
	in.mu.Lock()
	defer in.mu.Unlock()
	old := in.m.Load()
	if old != nil && len(*old) >= maxInterned {
		return s
	}
	next := make(map[string]string, 1+lenOf(old))
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	next[s] = s
	in.m.Store(&next)
	return s
}

func lenOf(m *map[string]string) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// bucket maps a session to its stable place in [0, 100) for percentage
// rollouts.
func bucket(session [16]byte) float64 {
	x := binary.BigEndian.Uint64(session[:8])
	return float64(x>>11) / float64(uint64(1)<<53) * 100
}
