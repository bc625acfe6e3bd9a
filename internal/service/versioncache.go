package service

import (
	"sync"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/cachegen"
)

// versionCache keeps hosted configuration versions in memory. Versions
// are immutable and their numbers never reused, so an entry only goes
// stale when the version is deleted — and deletion announces a topic
// (versionTopic) that every process sharing the store drops it on.
// Entries are keyed by IDs; an application or profile cannot be deleted
// while versions exist under it, so a hit proves the IDs still exist.
type versionCache struct {
	mu       sync.Mutex
	entries  map[versionCacheKey]appconfig.HostedConfigurationVersion
	order    []versionCacheKey
	bytes    int
	maxBytes int
	// gens keeps a read that a deletion overtook from being cached.
	gens cachegen.Keyed[versionCacheKey]
}

type versionCacheKey struct {
	sc        appconfig.Scope
	app, prof string
	number    int
}

func newVersionCache(maxBytes int) *versionCache {
	return &versionCache{entries: map[versionCacheKey]appconfig.HostedConfigurationVersion{}, maxBytes: maxBytes}
}

func (c *versionCache) get(k versionCacheKey) (appconfig.HostedConfigurationVersion, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.entries[k]
	return v, ok
}

// stamp is taken before reading a version from the store, for put.
func (c *versionCache) stamp(k versionCacheKey) cachegen.Stamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gens.Stamp(k)
}

// put keeps a version read since stamp, unless it was deleted meanwhile.
func (c *versionCache) put(k versionCacheKey, v appconfig.HostedConfigurationVersion, stamp cachegen.Stamp) {
	size := len(v.Content) + 256
	if size > c.maxBytes/8 {
		return // too big to be worth evicting others for
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; ok || !c.gens.Current(k, stamp) {
		return
	}
	for c.bytes+size > c.maxBytes && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		if e, ok := c.entries[old]; ok {
			c.bytes -= len(e.Content) + 256
			delete(c.entries, old)
		}
	}
	c.entries[k] = v
	c.order = append(c.order, k)
	c.bytes += size
}

func (c *versionCache) drop(k versionCacheKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens.Invalidate(k)
	if e, ok := c.entries[k]; ok {
		c.bytes -= len(e.Content) + 256
		delete(c.entries, k)
		for i, o := range c.order {
			if o == k {
				c.order = append(c.order[:i], c.order[i+1:]...)
				break
			}
		}
	}
}

// onTopic drops the version a version topic names, or everything on a
// reset.
func (c *versionCache) onTopic(t appconfig.Topic) {
	switch t.Kind {
	case appconfig.TopicKindReset:
		c.mu.Lock()
		clear(c.entries)
		c.order, c.bytes = nil, 0
		c.gens.InvalidateAll()
		c.mu.Unlock()
	case appconfig.TopicKindVersion:
		c.drop(versionCacheKey{sc: t.Scope, app: t.App, prof: t.Profile, number: t.Version})
	}
}
