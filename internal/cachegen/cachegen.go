// Package cachegen is the invalidation protocol of appconfigd's
// in-memory caches of store data (the data plane's served-configuration
// cache, the service's extension-association index and its hosted-version
// cache).
//
// A cache fills itself by reading the store outside its lock, and is told
// of changes by change topics that may arrive while such a read is in
// flight. Dropping the entry is then not enough: the read in flight may
// have seen the old data and would store it after the drop. So:
//
//  1. before reading, take a Stamp (under the cache's lock);
//  2. an invalidation drops the entries and calls Invalidate (under the
//     cache's lock);
//  3. after reading, keep the result only if Current(stamp) (under the
//     cache's lock, in the same critical section as the store); answer
//     the caller either way.
//
// Generation has no lock of its own: the cache's lock orders the three
// steps, which is what makes the protocol hold.
package cachegen

// Generation counts invalidations of a whole cache.
type Generation struct{ n uint64 }

// Stamp identifies the generation a read started in.
type Stamp struct{ all, key uint64 }

// Stamp returns the current generation.
func (g *Generation) Stamp() Stamp { return Stamp{all: g.n} }

// Invalidate starts a new generation: reads stamped before are not kept.
func (g *Generation) Invalidate() { g.n++ }

// Current reports whether no invalidation happened since s was taken.
func (g *Generation) Current(s Stamp) bool { return s.all == g.n }

// Keyed counts invalidations per key (a scope, a version) and of the
// whole cache, so that a change to one key does not discard reads of the
// others. Its memory grows with the keys ever invalidated.
type Keyed[K comparable] struct {
	all  Generation
	keys map[K]uint64
}

// Stamp returns the current generation of k.
func (g *Keyed[K]) Stamp(k K) Stamp { return Stamp{all: g.all.n, key: g.keys[k]} }

// Invalidate starts a new generation of k.
func (g *Keyed[K]) Invalidate(k K) {
	if g.keys == nil {
		g.keys = map[K]uint64{}
	}
	g.keys[k]++
}

// InvalidateAll starts a new generation of every key.
func (g *Keyed[K]) InvalidateAll() { g.all.Invalidate() }

// Current reports whether neither k nor the whole cache was invalidated
// since s was taken.
func (g *Keyed[K]) Current(k K, s Stamp) bool { return s.all == g.all.n && s.key == g.keys[k] }
