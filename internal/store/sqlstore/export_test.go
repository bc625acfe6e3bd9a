package sqlstore

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
)

// ExecInTx runs raw SQL inside a transaction handed to an Update's fn,
// as the store itself would (tests only).
func ExecInTx(ctx context.Context, t appconfig.Tx, query string) error {
	tt := t.(*tx)
	_, err := tt.tx.ExecContext(tt.ctx(ctx), query)
	return err
}

// QueuedWrites counts the Updates waiting for the group committer.
func (db *DB) QueuedWrites() int { return len(db.writes) }
