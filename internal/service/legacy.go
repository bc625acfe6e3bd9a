package service

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Generic helpers, removed once every area uses the typed accessors.

func encode(kind string, v any) []byte { return records.Encode(kind, v) }

func decode[T any](r appconfig.Record) (T, error) { return records.Decode[T](r) }

func getDoc[T any](ctx context.Context, tx appconfig.Tx, k appconfig.Key, forUpdate bool) (T, appconfig.Record, error) {
	r, err := tx.Get(ctx, k, forUpdate, false)
	if err != nil {
		var z T
		return z, r, err
	}
	v, err := decode[T](r)
	return v, r, err
}
