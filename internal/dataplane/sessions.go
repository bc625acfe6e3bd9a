package dataplane

import (
	"encoding/binary"
	"sync"
	"time"
)

// sessions remembers, per live session, the sequence number of the next
// token it may use: that is what makes tokens single use. It keeps two
// generations of maps and drops the older one every tokenLifetime, so a
// session is forgotten between one and two token lifetimes after its last
// poll — never while one of its tokens can still be valid — and memory
// stays proportional to live sessions without per-entry timestamps.
type sessions struct {
	shards [64]sessionShard
}

type sessionShard struct {
	mu      sync.Mutex
	cur     map[[16]byte]uint32
	prev    map[[16]byte]uint32
	rotated time.Time
}

func newSessions(now time.Time) *sessions {
	s := &sessions{}
	for i := range s.shards {
		s.shards[i].cur = map[[16]byte]uint32{}
		s.shards[i].rotated = now
	}
	return s
}

func (s *sessions) shard(id [16]byte) *sessionShard {
	return &s.shards[binary.BigEndian.Uint16(id[14:])%uint16(len(s.shards))]
}

// use consumes seq of session id: it fails when a token of that session
// with this or a later sequence number was used already.
func (s *sessions) use(id [16]byte, seq uint32, now time.Time) bool {
	sh := s.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now.Sub(sh.rotated) >= tokenLifetime {
		sh.prev, sh.cur, sh.rotated = sh.cur, make(map[[16]byte]uint32, len(sh.cur)), now
	}
	next, ok := sh.cur[id]
	if !ok {
		if next, ok = sh.prev[id]; ok {
			// Still alive: move it to the current generation.
			delete(sh.prev, id)
			sh.cur[id] = next
		}
	}
	if ok && seq < next {
		return false
	}
	sh.cur[id] = seq + 1
	return true
}

// release undoes use when the request failed, so the token stays valid.
func (s *sessions) release(id [16]byte, seq uint32) {
	sh := s.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.cur[id] == seq+1 {
		if seq == 0 {
			delete(sh.cur, id)
		} else {
			sh.cur[id] = seq
		}
	}
}

// start registers a new session (its initial token has seq 0).
func (s *sessions) start(id [16]byte) {
	sh := s.shard(id)
	sh.mu.Lock()
	sh.cur[id] = 0
	sh.mu.Unlock()
}

// len counts remembered sessions (for metrics and tests).
func (s *sessions) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.cur) + len(sh.prev)
		sh.mu.Unlock()
	}
	return n
}
