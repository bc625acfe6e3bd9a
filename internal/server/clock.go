package server

import (
	"context"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/records"
)

// clockAnchor makes a scaled service clock continuous across restarts:
// service time = Base + Factor × (wall − WallBase). Deployment wake-ups
// are stored in service time, so a restart must not move it backwards.
type clockAnchor struct {
	Base     time.Time `json:"base"`
	WallBase time.Time `json:"wallBase"`
	Factor   float64   `json:"factor"`
}

var anchorKey = records.MetaKey("clock")

// serviceClock returns the real clock when time was never scaled, else a
// scaled clock anchored in the store (re-anchored when the factor changes).
func serviceClock(ctx context.Context, st appconfig.Store, factor float64) (clock.Clock, error) {
	wall := clock.Real{}.Now()
	var out clock.Clock
	err := st.Update(ctx, func(tx appconfig.Tx) error {
		rec, err := tx.Get(ctx, anchorKey, true, false)
		exists := err == nil
		if err != nil && !appconfig.IsNotFound(err) {
			return err
		}
		var a clockAnchor
		if exists {
			if a, err = records.Decode[clockAnchor](rec); err != nil {
				return err
			}
		}
		switch {
		case !exists && factor == 1:
			out = clock.Real{}
			return nil
		case exists && a.Factor == factor:
			out = &clock.Scaled{Base: a.Base, WallBase: a.WallBase, Factor: a.Factor}
			return nil
		case exists:
			now := (&clock.Scaled{Base: a.Base, WallBase: a.WallBase, Factor: a.Factor}).Now()
			a = clockAnchor{Base: now, WallBase: wall, Factor: factor}
		default:
			a = clockAnchor{Base: wall, WallBase: wall, Factor: factor}
		}
		out = &clock.Scaled{Base: a.Base, WallBase: a.WallBase, Factor: a.Factor}
		body := records.Encode(appconfig.RecordMeta, a)
		if exists {
			rec.Body = body
			return tx.Put(ctx, rec)
		}
		rec = appconfig.Record{Key: anchorKey, Body: body}
		return tx.Insert(ctx, &rec)
	})
	return out, err
}
