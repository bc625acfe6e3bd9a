package service

import (
	"context"
	"sync"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/records"
)

// usageTracker records when environments and profiles were last read by
// the data plane, for deletion protection. Reads mark memory; a flush
// writes all marks in one transaction, so polling costs no store write.
type usageTracker struct {
	s        *Service
	interval time.Duration
	mu       sync.Mutex
	pending  map[usageMark]time.Time
}

type usageMark struct {
	sc  appconfig.Scope
	key string
}

func newUsageTracker(s *Service, interval time.Duration) *usageTracker {
	return &usageTracker{s: s, interval: interval, pending: map[usageMark]time.Time{}}
}

func usageKey(kind, app, id string) string { return kind + "/" + app + "/" + id }

// RecordUsage marks an environment and a configuration profile as used
// now. It is cheap: a map write, flushed in batches.
func (s *Service) RecordUsage(sc appconfig.Scope, appID, envID, profileID string) {
	now := s.clock.Now()
	u := s.usage
	u.mu.Lock()
	u.pending[usageMark{sc, usageKey("environment", appID, envID)}] = now
	u.pending[usageMark{sc, usageKey("configurationprofile", appID, profileID)}] = now
	u.mu.Unlock()
}

func (u *usageTracker) run(ctx context.Context) {
	for clock.Sleep(u.s.clock, u.interval, ctx.Done()) {
		if err := u.flush(ctx); err != nil && ctx.Err() == nil {
			u.s.log.Warn("flushing usage marks failed", "err", err)
		}
	}
	// Last flush on the way out, with a fresh context.
	if err := u.flush(context.Background()); err != nil {
		u.s.log.Warn("flushing usage marks failed", "err", err)
	}
}

func (u *usageTracker) flush(ctx context.Context) error {
	u.mu.Lock()
	batch := u.pending
	u.pending = map[usageMark]time.Time{}
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := u.s.store.Update(ctx, func(tx appconfig.Tx) error {
		for m, t := range batch {
			k := records.UsageKey(m.sc, m.key)
			old, r, err := records.Usages.Get(ctx, tx, k, true)
			switch {
			case appconfig.IsNotFound(err):
				if _, err := records.Usages.Insert(ctx, tx, k, "", records.Usage{LastUsed: t}); err != nil && !appconfig.IsConflict(err) {
					return err
				}
			case err != nil:
				return err
			default:
				if old.LastUsed.After(t) {
					continue
				}
				if err := records.Usages.Put(ctx, tx, r, records.Usage{LastUsed: t}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		// Put the marks back so a later flush retries them.
		u.mu.Lock()
		for m, t := range batch {
			if cur, ok := u.pending[m]; !ok || cur.Before(t) {
				u.pending[m] = t
			}
		}
		u.mu.Unlock()
	}
	return err
}

// lastUsed is the latest use, pending or stored.
func (u *usageTracker) lastUsed(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, k string) (time.Time, error) {
	u.mu.Lock()
	last := u.pending[usageMark{sc, k}]
	u.mu.Unlock()
	doc, _, err := records.Usages.Get(ctx, tx, records.UsageKey(sc, k), false)
	if appconfig.IsNotFound(err) {
		return last, nil
	}
	if err != nil {
		return last, err
	}
	if doc.LastUsed.After(last) {
		last = doc.LastUsed
	}
	return last, nil
}
