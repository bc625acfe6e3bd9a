package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/store/sqlstore"
)

// Read-write transactions run on the pool's connections through pgx
// directly, so that statements that need no answer of their own travel
// with another one in one pipelined batch (one round trip, one Sync):
//
//   - BEGIN goes with the transaction's first statement (for
//     CreateApplication, the advisory lock of the quota: Tx.Lock still
//     returns only once the lock is held);
//   - the pg_notify calls of the transaction's topics go with COMMIT.
//
//   - Tx.InsertCapped's advisory lock goes with its INSERT … SELECT
//     (LockedQueryRow).
//
// CreateApplication (lock, quota-capped INSERT, notify) thus costs two
// round trips instead of six (BEGIN, lock, COUNT, INSERT, notify, COMMIT
// each alone through database/sql).

const (
	lockSQL   = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
	notifySQL = "SELECT pg_notify('" + Channel + "', $1)"
)

// errCommitRolledBack: COMMIT answered ROLLBACK (the transaction had
// failed before).
var errCommitRolledBack = errors.New("postgres store: commit rolled back (the transaction had failed)")

// RunTx implements sqlstore.TxRunner.
func (d dialect) RunTx(ctx context.Context, body func(sqlstore.TxConn) ([]string, error)) error {
	c, err := d.pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var bodyErr error
	err = c.Raw(func(dc any) error {
		t := &pipeTx{pc: dc.(*stdlib.Conn).Conn()}
		topics, err := body(t)
		if err != nil {
			bodyErr = err
			t.rollback()
			return nil
		}
		if err := t.commit(ctx, d.origin, topics); err != nil {
			t.rollback()
			return err
		}
		return nil
	})
	if bodyErr != nil {
		return bodyErr
	}
	return err
}

// pipeTx is one transaction on one connection.
type pipeTx struct {
	pc    *pgx.Conn
	begun bool // BEGIN sent or queued
}

var _ sqlstore.TxConn = (*pipeTx)(nil)

// prelude is what must go before the next statement: BEGIN if not sent
// yet; nil when nothing.
func (t *pipeTx) prelude() *pgx.Batch {
	if t.begun {
		return nil
	}
	t.begun = true
	b := &pgx.Batch{}
	b.Queue("begin")
	return b
}

// send sends b (the prelude and, last, the caller's statement) and reads
// the prelude's answers; the results are then at the caller's statement.
func (t *pipeTx) send(ctx context.Context, b *pgx.Batch) (pgx.BatchResults, error) {
	br := t.pc.SendBatch(ctx, b)
	for range b.Len() - 1 {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

func (t *pipeTx) QueryRow(ctx context.Context, query string, args ...any) sqlstore.RowScanner {
	b := t.prelude()
	if b == nil {
		return t.pc.QueryRow(ctx, query, args...)
	}
	b.Queue(query, args...)
	br, err := t.send(ctx, b)
	if err != nil {
		return errRow{err}
	}
	return batchRow{row: br.QueryRow(), br: br}
}

func (t *pipeTx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	b := t.prelude()
	if b == nil {
		tag, err := t.pc.Exec(ctx, query, args...)
		return tag.RowsAffected(), err
	}
	b.Queue(query, args...)
	br, err := t.send(ctx, b)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag.RowsAffected(), err
}

func (t *pipeTx) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	b := t.prelude()
	if b == nil {
		rows, err := t.pc.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return &pgRows{Rows: rows}, nil
	}
	b.Queue(query, args...)
	br, err := t.send(ctx, b)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &pgRows{Rows: rows, br: br}, nil
}

// Lock takes the transaction-scoped advisory lock (with BEGIN when it is
// the first statement) and returns once it is held.
func (t *pipeTx) Lock(ctx context.Context, name string) error {
	_, err := t.Exec(ctx, lockSQL, name)
	return err
}

// LockedQueryRow sends the advisory lock and query in one batch (with
// BEGIN when they are the first statements): one round trip. The backend
// runs them in order, so query starts (and, in READ COMMITTED, takes its
// snapshot) only once the lock is held: it sees every transaction that
// held the lock before.
func (t *pipeTx) LockedQueryRow(ctx context.Context, name, query string, args ...any) sqlstore.RowScanner {
	b := t.prelude()
	if b == nil {
		b = &pgx.Batch{}
	}
	b.Queue(lockSQL, name)
	b.Queue(query, args...)
	br, err := t.send(ctx, b)
	if err != nil {
		return errRow{err}
	}
	return batchRow{row: br.QueryRow(), br: br}
}

// commit sends what is pending, the notifications (as few as fit the
// topics, payloads) and COMMIT in one batch.
func (t *pipeTx) commit(ctx context.Context, origin string, topics []string) error {
	if !t.begun && len(topics) == 0 {
		return nil // nothing was sent: no transaction to end
	}
	b := t.prelude()
	if b == nil {
		b = &pgx.Batch{}
	}
	for _, payload := range payloads(origin, topics) {
		b.Queue(notifySQL, payload)
	}
	b.Queue("commit")
	br := t.pc.SendBatch(ctx, b)
	var tag string
	for range b.Len() {
		ct, err := br.Exec()
		if err != nil {
			br.Close()
			return err
		}
		tag = ct.String()
	}
	if err := br.Close(); err != nil {
		return err
	}
	t.begun = false
	if tag == "ROLLBACK" {
		return errCommitRolledBack
	}
	return nil
}

// rollback ends the transaction if one may be open; a connection that
// fails here is closed by pgx and dropped by the pool.
func (t *pipeTx) rollback() {
	if !t.begun || t.pc.IsClosed() {
		return
	}
	t.begun = false
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := t.pc.Exec(ctx, "rollback"); err != nil {
		t.pc.Close(ctx)
	}
}

// CreateCapped implements sqlstore.CappedCreator: with the calls waiting
// at the same time in one transaction (group.go), or alone.
func (d dialect) CreateCapped(ctx context.Context, lock string, q appconfig.Query, limit int, r *appconfig.Record, with []appconfig.Record, topics []string) (inserted bool, counted int, err error) {
	req := &capReq{ctx: ctx, lock: lock, q: q, limit: limit, r: r, with: with, topics: topics}
	if d.groups == nil {
		req.err = d.createAlone(req)
	} else {
		d.groups.submit(req)
	}
	return req.inserted, req.counted, req.err
}

// createAlone runs one CreateCapped in a transaction of its own, under
// its caller's context: a group of one (createGroup). When nothing was
// inserted the transaction commits having written nothing.
func (d dialect) createAlone(req *capReq) error {
	return d.createGroup(req.ctx, []*capReq{req}, "0") // no lock timeout
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// batchRow is the last statement's row of a batch; Scan ends the batch.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

// pgRows adapts pgx.Rows (and its batch, if any) to sqlstore.Rows.
type pgRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *pgRows) Close() error {
	r.Rows.Close()
	if r.br != nil {
		err := r.br.Close()
		r.br = nil
		return err
	}
	return r.Rows.Err()
}
