package deploy

import (
	"hash/maphash"
	"slices"
	"sync"

	appconfig "github.com/appconfigd/appconfigd"
)

// bodyCache remembers, per deployment record, the body this process last
// wrote and what it decodes to, so that the runner's next claim of the
// record skips the JSON decode (about a quarter of a step's CPU at 10,000
// deployments in flight). Entries are addressed by content: a body hit
// only when the stored body hashes (128 bits, length included) to what
// was written, so a body written by another process or a rolled-back
// write simply misses and is decoded. Only active deployments are kept,
// at most maxCached of them.
type bodyCache struct {
	mu   sync.Mutex
	seed [2]maphash.Seed
	m    map[appconfig.Key]cachedBody
}

type cachedBody struct {
	sum   [2]uint64
	size  int
	d     appconfig.Deployment
	lease Lease
}

// maxCached bounds the entries (each a decoded deployment, about 2 KB).
const maxCached = 50000

func newBodyCache() *bodyCache {
	return &bodyCache{seed: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, m: map[appconfig.Key]cachedBody{}}
}

func (c *bodyCache) sum(body []byte) [2]uint64 {
	return [2]uint64{maphash.Bytes(c.seed[0], body), maphash.Bytes(c.seed[1], body)}
}

// put records that k's body is body, decoding to d and lease; a deployment
// that left the active states is dropped instead.
func (c *bodyCache) put(k appconfig.Key, body []byte, d appconfig.Deployment, lease Lease) {
	if c == nil {
		return
	}
	if !d.State.Active() {
		c.mu.Lock()
		delete(c.m, k)
		c.mu.Unlock()
		return
	}
	// The caller keeps d: the cache holds its own event log.
	d.EventLog = slices.Clone(d.EventLog)
	e := cachedBody{sum: c.sum(body), size: len(body), d: d, lease: lease}
	c.mu.Lock()
	if _, ok := c.m[k]; ok || len(c.m) < maxCached {
		c.m[k] = e
	}
	c.mu.Unlock()
}

// get returns what rec's body decodes to when it is the body last put for
// its key. The event log is copied: callers may change theirs.
func (c *bodyCache) get(rec appconfig.Record) (appconfig.Deployment, Lease, bool) {
	if c == nil {
		return appconfig.Deployment{}, Lease{}, false
	}
	c.mu.Lock()
	e, ok := c.m[rec.Key]
	c.mu.Unlock()
	if !ok || e.size != len(rec.Body) || e.sum != c.sum(rec.Body) {
		return appconfig.Deployment{}, Lease{}, false
	}
	e.d.EventLog = slices.Clone(e.d.EventLog)
	return e.d, e.lease, true
}
