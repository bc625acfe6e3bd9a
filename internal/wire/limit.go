package wire

import (
	"sync"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per account.
type limiter struct {
	mu      sync.Mutex
	perSec  rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

func newLimiter(perSec float64, burst int) *limiter {
	if burst <= 0 {
		burst = int(perSec)
		if burst < 1 {
			burst = 1
		}
	}
	return &limiter{perSec: rate.Limit(perSec), burst: burst, buckets: map[string]*rate.Limiter{}}
}

func (l *limiter) allow(account string) bool {
	l.mu.Lock()
	b, ok := l.buckets[account]
	if !ok {
		// Bound memory: forget every bucket when too many accounts were
		// seen (a full bucket is what a new account gets anyway).
		if len(l.buckets) >= 100000 {
			clear(l.buckets)
		}
		b = rate.NewLimiter(l.perSec, l.burst)
		l.buckets[account] = b
	}
	l.mu.Unlock()
	return b.Allow()
}
