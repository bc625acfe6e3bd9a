package server

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/records"
)

// serviceClock returns the real clock when time was never scaled, else a
// scaled clock anchored in the store (re-anchored when the factor changes).
func serviceClock(ctx context.Context, st appconfig.Store, factor float64) (clock.Clock, error) {
	wall := clock.Real{}.Now()
	var out clock.Clock
	err := st.Update(ctx, func(tx appconfig.Tx) error {
		a, rec, err := records.ClockAnchors.Get(ctx, tx, records.ClockAnchorKey, true)
		exists := err == nil
		if err != nil && !appconfig.IsNotFound(err) {
			return err
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
			a = records.ClockAnchor{Base: now, WallBase: wall, Factor: factor}
		default:
			a = records.ClockAnchor{Base: wall, WallBase: wall, Factor: factor}
		}
		out = &clock.Scaled{Base: a.Base, WallBase: a.WallBase, Factor: a.Factor}
		if exists {
			return records.ClockAnchors.Put(ctx, tx, rec, a)
		}
		_, err = records.ClockAnchors.Insert(ctx, tx, records.ClockAnchorKey, "", a)
		return err
	})
	return out, err
}
