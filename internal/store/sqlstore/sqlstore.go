// Package sqlstore implements appconfig.Store once, over database/sql, for
// every SQL backend. A Dialect supplies what differs: placeholders, row
// locking, migrations, error translation and cross-process notification.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// Dialect is what a backend tells the shared implementation.
type Dialect interface {
	// Name is the backend's name, for errors and logs.
	Name() string
	// Rebind rewrites a query written with '?' placeholders.
	Rebind(query string) string
	// ForUpdate is the clause that locks a selected row ("" if writers
	// are serialized anyway); SkipLocked also skips rows others hold.
	ForUpdate() string
	SkipLocked() string
	// Translate maps a driver error to a domain error (unique violation →
	// Conflict); other errors are returned as they are.
	Translate(err error) error
	// Notify queues topic for other processes inside tx; backends with a
	// single process return nil and rely on in-process delivery.
	Notify(ctx context.Context, tx *sql.Tx, topic string) error
	// Lock takes a lock on name held until tx ends (nil where writers are
	// serialized anyway).
	Lock(ctx context.Context, tx *sql.Tx, name string) error
}

// Migration is one schema step; versions start at 1 and never change.
type Migration struct {
	Version int
	SQL     string
}

// DB is the shared Store implementation.
type DB struct {
	d      Dialect
	writer *sql.DB // read-write transactions
	reader *sql.DB // read-only transactions (may equal writer)
	q      queries
	subsMu sync.Mutex
	subs   map[chan string]struct{}
	// listeners are called synchronously by Deliver (see Listen).
	listeners map[*func(string)]struct{}
	closers   []func() error
	// Prepared statements by handle and text: parsing SQL again for every
	// query cost a fifth of a point read.
	stmts sync.Map // stmtKey → *sql.Stmt
	// writes feeds the group committer (nil: each Update commits alone).
	// closeMu orders sends on writes before Close closes it.
	writes    chan *writeReq
	committed chan struct{}
	closeMu   sync.RWMutex
	closed    bool
}

// writeReq is one Update waiting for the group committer.
type writeReq struct {
	ctx  context.Context
	fn   func(appconfig.Tx) error
	done chan error
}

// maxGroup bounds how many Updates share one commit.
const maxGroup = 64

type stmtKey struct {
	h     *sql.DB
	query string
}

type queries struct {
	get, getData, insert, put, putData, del, nextDue, claim, scanDue, postpone string
}

// Open wraps open database handles. The caller has applied migrations.
func Open(d Dialect, writer, reader *sql.DB) *DB {
	if reader == nil {
		reader = writer
	}
	cols := "seq, account, region, kind, parent, id, name, body, due_at"
	db := &DB{d: d, writer: writer, reader: reader, subs: map[chan string]struct{}{}, listeners: map[*func(string)]struct{}{}}
	key := " WHERE account = ? AND region = ? AND kind = ? AND parent = ? AND id = ?"
	db.q = queries{
		get:     d.Rebind("SELECT " + cols + ", NULL FROM records" + key),
		getData: d.Rebind("SELECT " + cols + ", data FROM records" + key),
		// ON CONFLICT DO NOTHING: a duplicate returns no row instead of an
		// error, because PostgreSQL aborts the whole transaction on any
		// error and callers go on after Insert's Conflict.
		insert:   d.Rebind("INSERT INTO records (account, region, kind, parent, id, name, body, data, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING seq"),
		put:      d.Rebind("UPDATE records SET name = ?, body = ?, due_at = ?" + key),
		putData:  d.Rebind("UPDATE records SET name = ?, body = ?, due_at = ?, data = ?" + key),
		del:      d.Rebind("DELETE FROM records" + key),
		nextDue:  d.Rebind("SELECT MIN(due_at) FROM records WHERE kind = ? AND due_at IS NOT NULL"),
		claim:    d.Rebind("SELECT " + cols + ", NULL FROM records WHERE kind = ? AND due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, seq LIMIT ?" + d.SkipLocked()),
		scanDue:  d.Rebind("SELECT " + cols + ", NULL FROM records WHERE kind = ? AND due_at IS NOT NULL"),
		postpone: d.Rebind("UPDATE records SET due_at = ? WHERE seq = ?"),
	}
	return db
}

// OnClose registers a cleanup run by Close after the handles are closed.
func (db *DB) OnClose(f func() error) { db.closers = append(db.closers, f) }

// Writer is the read-write handle (for backend-specific work).
func (db *DB) Writer() *sql.DB { return db.writer }

// Close implements appconfig.Store.
func (db *DB) Close() error {
	var errs []error
	db.closeMu.Lock()
	already := db.closed
	db.closed = true
	db.closeMu.Unlock()
	if already {
		return nil
	}
	if db.writes != nil {
		// Updates queued before now are still run and answered.
		close(db.writes)
		<-db.committed
	}
	db.stmts.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	if db.reader != db.writer {
		errs = append(errs, db.reader.Close())
	}
	errs = append(errs, db.writer.Close())
	for _, f := range db.closers {
		errs = append(errs, f())
	}
	return errors.Join(errs...)
}

// Ping implements appconfig.Store: the store answers and is migrated.
func (db *DB) Ping(ctx context.Context) error {
	var v int
	err := db.reader.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v)
	if err != nil {
		return fmt.Errorf("%s store: %w", db.d.Name(), err)
	}
	return nil
}

// EnableGroupCommit makes concurrent Updates share transactions: a single
// committer runs each waiting Update in its own SAVEPOINT (so one failing
// Update rolls back alone) and commits them together. Worth it where
// writers are serialized anyway (SQLite): one commit's cost is paid once
// per group instead of once per request.
func (db *DB) EnableGroupCommit() {
	db.writes = make(chan *writeReq, maxGroup)
	db.committed = make(chan struct{})
	go db.committer()
}

// Update implements appconfig.Store.
func (db *DB) Update(ctx context.Context, fn func(appconfig.Tx) error) error {
	if db.writes == nil {
		return db.run(ctx, db.writer, false, fn)
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return appconfig.Internal(errStoreClosed, "%s store: closed", db.d.Name())
	}
	select {
	case db.writes <- req:
	case <-ctx.Done():
		db.closeMu.RUnlock()
		return ctx.Err()
	}
	db.closeMu.RUnlock()
	return <-req.done
}

var errStoreClosed = errors.New("store closed")

func (db *DB) committer() {
	defer close(db.committed)
	// The savepoint statements of groups and of ClaimDue, parsed once (a failure leaves them
	// unprepared: they are then parsed per use, as any other text).
	for _, q := range []string{sqlSavepoint, sqlRelease, sqlRollbackTo, sqlClaimSavepoint, sqlClaimRelease, sqlClaimRollbackTo} {
		if st, err := db.writer.PrepareContext(context.Background(), q); err == nil {
			db.stmts.Store(stmtKey{db.writer, q}, st)
		}
	}
	batch := make([]*writeReq, 0, maxGroup)
	for first := range db.writes {
		batch = db.gather(append(batch[:0], first))
		if len(batch) == 1 {
			first.done <- db.runGuarded(first)
			continue
		}
		db.runGroup(batch)
		clear(batch)
	}
}

// gatherRounds bounds how often the committer yields to let more Updates
// arrive before it commits what it has.
const gatherRounds = 4

// gather adds the Updates already queued to batch (Gather).
func (db *DB) gather(batch []*writeReq) []*writeReq {
	return Gather(db.writes, batch, maxGroup, gatherRounds)
}

// Gather adds to batch what is already queued on queue, up to max in
// all, for a committer that commits a group at once. Between at most
// rounds rounds the committer yields the processor: on a server with one
// core (GOMAXPROCS 1) the callers about to queue are runnable but cannot
// run while the committer does, so without yielding it would always find
// the queue empty and commit every call alone, paying a whole commit per
// request. It stops at the first round that brings nothing new (when
// nobody else is runnable a yield costs well under a microsecond) and
// when queue is closed.
func Gather[T any](queue <-chan T, batch []T, max, rounds int) []T {
	for round := 0; round < rounds && len(batch) < max; round++ {
		runtime.Gosched()
		before := len(batch)
	drain:
		for len(batch) < max {
			select {
			case r, ok := <-queue:
				if !ok {
					return batch
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		if len(batch) == before {
			break
		}
	}
	return batch
}

// runGuarded runs one Update alone; a panic becomes its error rather
// than the end of the committer.
func (db *DB) runGuarded(r *writeReq) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = appconfig.Internal(fmt.Errorf("panic: %v", p), "store update panicked")
		}
	}()
	return db.run(r.ctx, db.writer, false, r.fn)
}

func (db *DB) runGroup(batch []*writeReq) {
	results := make([]error, len(batch))
	finish := func() {
		for i, r := range batch {
			r.done <- results[i]
		}
	}
	sqlTx, err := db.writer.BeginTx(context.Background(), nil)
	if err != nil {
		for i := range results {
			results[i] = db.wrap(err, "begin")
		}
		finish()
		return
	}
	topics := make([][]string, len(batch))
	// broken: the shared transaction is gone (a savepoint could not be
	// rolled back to), so nothing of the group may be reported as written.
	var broken error
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := db.execIn(sqlTx, sqlSavepoint); err != nil {
			broken = db.wrap(err, "savepoint")
			break
		}
		// A member's statements must not be interrupted by its context:
		// an interrupted write makes SQLite roll back the whole
		// transaction, the other members' work with it.
		t := &tx{db: db, h: db.writer, tx: sqlTx, fixed: context.WithoutCancel(r.ctx)}
		err := callGuarded(r.fn, t)
		if err == nil {
			for _, topic := range t.topics {
				if err = db.d.Notify(t.fixed, sqlTx, topic); err != nil {
					err = db.wrap(err, "notify")
					break
				}
			}
		}
		if err != nil {
			results[i] = err
			if _, rerr := db.execIn(sqlTx, sqlRollbackTo); rerr != nil {
				broken = db.wrap(rerr, "rollback to savepoint")
				break
			}
			if _, rerr := db.execIn(sqlTx, sqlRelease); rerr != nil {
				broken = db.wrap(rerr, "release savepoint")
				break
			}
			continue
		}
		if _, err := db.execIn(sqlTx, sqlRelease); err != nil {
			results[i] = db.wrap(err, "release savepoint")
			broken = results[i]
			break
		}
		topics[i] = t.topics
	}
	if broken != nil {
		_ = sqlTx.Rollback()
		for i := range results {
			if results[i] == nil {
				results[i] = broken
			}
		}
		finish()
		return
	}
	if err := sqlTx.Commit(); err != nil {
		for i := range results {
			if results[i] == nil {
				results[i] = db.wrap(err, "commit")
			}
		}
		finish()
		return
	}
	for i := range batch {
		if results[i] == nil {
			db.publish(topics[i])
		}
	}
	finish()
}

// The savepoint of each member of a group, and of each record ClaimDue
// hands out.
const (
	sqlSavepoint       = "SAVEPOINT w"
	sqlRelease         = "RELEASE SAVEPOINT w"
	sqlRollbackTo      = "ROLLBACK TO SAVEPOINT w"
	sqlClaimSavepoint  = "SAVEPOINT claim"
	sqlClaimRelease    = "RELEASE SAVEPOINT claim"
	sqlClaimRollbackTo = "ROLLBACK TO SAVEPOINT claim"
)

// execIn runs one of the writer's fixed statements without arguments in
// sqlTx, prepared when it could be.
func (db *DB) execIn(sqlTx *sql.Tx, q string) (sql.Result, error) {
	ctx := context.Background()
	if st, ok := db.stmts.Load(stmtKey{db.writer, q}); ok {
		return sqlTx.StmtContext(ctx, st.(*sql.Stmt)).ExecContext(ctx)
	}
	return sqlTx.ExecContext(ctx, q)
}

func callGuarded(fn func(appconfig.Tx) error, t appconfig.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = appconfig.Internal(fmt.Errorf("panic: %v", p), "store update panicked")
		}
	}()
	return fn(t)
}

// View implements appconfig.Store.
func (db *DB) View(ctx context.Context, fn func(appconfig.Tx) error) error {
	return db.run(ctx, db.reader, true, fn)
}

// StatementReads is implemented by a Dialect whose read-only
// transactions may run each statement on its own, without BEGIN and
// ROLLBACK (PostgreSQL at READ COMMITTED: a transaction's statements
// each take a fresh snapshot anyway, so a read-only transaction promises
// nothing more than its statements do alone).
type StatementReads interface{ StatementReads() }

// errWriteInView: a write (or lock) inside View on a backend whose views
// run statement by statement; it would not be rolled back.
var errWriteInView = errors.New("write or lock in a read-only view")

func (db *DB) run(ctx context.Context, h *sql.DB, readOnly bool, fn func(appconfig.Tx) error) error {
	if r, ok := db.d.(TxRunner); ok && !readOnly {
		return db.runOwn(ctx, r, fn)
	}
	if _, ok := db.d.(StatementReads); ok && readOnly {
		return fn(&tx{db: db, h: h})
	}
	sqlTx, err := h.BeginTx(ctx, &sql.TxOptions{ReadOnly: readOnly && h != db.writer})
	if err != nil {
		return db.wrap(err, "begin")
	}
	t := &tx{db: db, h: h, tx: sqlTx}
	if err := fn(t); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if readOnly {
		_ = sqlTx.Rollback()
		return nil
	}
	for _, topic := range t.topics {
		if err := db.d.Notify(ctx, sqlTx, topic); err != nil {
			_ = sqlTx.Rollback()
			return db.wrap(err, "notify")
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return db.wrap(err, "commit")
	}
	db.publish(t.topics)
	return nil
}

// TxConn is a read-write transaction that a backend runs on its own
// driver (see TxRunner). Statements are written with the dialect's
// placeholders; Lock is Dialect.Lock's statement, which the backend may
// send together with the next one.
type TxConn interface {
	QueryRow(ctx context.Context, query string, args ...any) RowScanner
	Exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	Lock(ctx context.Context, name string) error
	// LockedQueryRow is Lock(name) then QueryRow(query, args...), which
	// the backend may send together; the lock's failure is the row's.
	LockedQueryRow(ctx context.Context, name, query string, args ...any) RowScanner
}

// CappedCreator is implemented by a Dialect that runs a lone capped
// insert (Store.CreateCapped) in one exchange with its database. It
// returns whether r was inserted (and sets r.Seq) and, when not, how many
// records q counted in the same snapshot; the records of with are
// inserted, and topics notified, only when r was inserted (a record of
// with that exists fails the transaction: a unique violation). The
// records' Body is not nil.
type CappedCreator interface {
	CreateCapped(ctx context.Context, lock string, q appconfig.Query, limit int, r *appconfig.Record, with []appconfig.Record, topics []string) (inserted bool, counted int, err error)
}

// CreateCapped implements appconfig.Store.
func (db *DB) CreateCapped(ctx context.Context, lock string, q appconfig.Query, limit int, r *appconfig.Record, with []appconfig.Record, topics ...string) error {
	c, ok := db.d.(CappedCreator)
	if !ok {
		return db.Update(ctx, func(t appconfig.Tx) error {
			if err := t.InsertCapped(ctx, lock, q, limit, r); err != nil {
				return err
			}
			for i := range with {
				if err := t.Insert(ctx, &with[i]); err != nil {
					return err
				}
			}
			for _, topic := range topics {
				t.Notify(topic)
			}
			return nil
		})
	}
	if r.Body == nil {
		r.Body = []byte("{}")
	}
	for i := range with {
		if with[i].Body == nil {
			with[i].Body = []byte("{}")
		}
	}
	inserted, n, err := c.CreateCapped(ctx, lock, q, limit, r, with, topics)
	switch {
	case err != nil:
		err = db.d.Translate(err)
		if appconfig.IsConflict(err) {
			return appconfig.Conflict("%s %s already exists", r.Kind, r.ID)
		}
		return db.wrap(err, "insert")
	case inserted:
		db.publish(topics)
		return nil
	case n >= limit:
		return appconfig.ErrCapReached
	default:
		return appconfig.Conflict("%s %s already exists", r.Kind, r.ID)
	}
}

// TxRunner is implemented by a Dialect that runs read-write transactions
// itself, to save round trips (PostgreSQL: BEGIN and locks travel with
// the next statement, notifications with COMMIT). RunTx runs body in a
// transaction; when body returns nil it sends body's topics as
// cross-process notifications inside the transaction and commits, else it
// rolls back and returns body's error unchanged.
type TxRunner interface {
	RunTx(ctx context.Context, body func(TxConn) (topics []string, err error)) error
}

func (db *DB) runOwn(ctx context.Context, r TxRunner, fn func(appconfig.Tx) error) error {
	var fnErr error
	var topics []string
	err := r.RunTx(ctx, func(c TxConn) ([]string, error) {
		t := &tx{db: db, c: c}
		if fnErr = fn(t); fnErr != nil {
			return nil, fnErr
		}
		topics = t.topics
		return topics, nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		// A connection, BEGIN, notification or COMMIT failure.
		return db.wrap(err, "transaction")
	}
	db.publish(topics)
	return nil
}

func (db *DB) wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	err = db.d.Translate(err)
	var de *appconfig.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return appconfig.Internal(err, "%s store: %s failed", db.d.Name(), what)
}

// ClaimDue implements appconfig.Store.
func (db *DB) ClaimDue(ctx context.Context, kind string, now time.Time, limit int, fn func(appconfig.Tx, appconfig.Record) error) (int, error) {
	// Records are claimed in batches, one transaction per batch and a
	// savepoint per record: a failing record rolls back alone and is
	// postponed by claimRetry, so it cannot hold back the records due
	// after it; a batch pays for one commit, not one per record.
	n := 0
	for n < limit {
		batch := min(limit-n, claimBatch)
		got := 0
		var fnErr error
		err := db.Update(ctx, func(t appconfig.Tx) error {
			tt := t.(*tx)
			rows, err := tt.query(ctx, db.q.claim, kind, now.UnixNano(), batch)
			if err != nil {
				return db.wrap(err, "claim")
			}
			var recs []appconfig.Record
			for rows.Next() {
				r, err := scanRecord(rows)
				if err != nil {
					rows.Close()
					return db.wrap(err, "claim")
				}
				recs = append(recs, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return db.wrap(err, "claim")
			}
			for _, r := range recs {
				if _, err := tt.exec(ctx, sqlClaimSavepoint); err != nil {
					return db.wrap(err, "savepoint")
				}
				mark := len(tt.topics)
				if err := fn(t, r); err != nil {
					if _, rerr := tt.exec(ctx, sqlClaimRollbackTo); rerr != nil {
						return db.wrap(rerr, "rollback to savepoint")
					}
					tt.topics = tt.topics[:mark]
					if fnErr == nil {
						fnErr = fmt.Errorf("%s %s/%s: %w", r.Kind, r.Parent, r.ID, err)
					}
					if _, perr := tt.exec(ctx, db.q.postpone, now.Add(claimRetry).UnixNano(), r.Seq); perr != nil {
						return db.wrap(perr, "postpone")
					}
				}
				if _, err := tt.exec(ctx, sqlClaimRelease); err != nil {
					return db.wrap(err, "release savepoint")
				}
				got++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += got
		if fnErr != nil {
			return n, fnErr
		}
		if got < batch {
			break
		}
	}
	return n, nil
}

// claimBatch bounds the records claimed in one transaction.
const claimBatch = 64

// claimRetry is how long (on the caller's clock) a record whose handling
// failed waits before it is offered again.
const claimRetry = 30 * time.Second

// NextDue implements appconfig.Store.
func (db *DB) NextDue(ctx context.Context, kind string) (time.Time, bool, error) {
	var due sql.NullInt64
	if err := db.reader.QueryRowContext(ctx, db.q.nextDue, kind).Scan(&due); err != nil {
		return time.Time{}, false, db.wrap(err, "next due")
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, due.Int64).UTC(), true, nil
}

// ScanDue implements appconfig.Store.
func (db *DB) ScanDue(ctx context.Context, kind string, fn func(appconfig.Record) error) error {
	rows, err := db.reader.QueryContext(ctx, db.q.scanDue, kind)
	if err != nil {
		return db.wrap(err, "scan due")
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return db.wrap(err, "scan due")
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return db.wrap(rows.Err(), "scan due")
}

// Wipe implements appconfig.Store.
func (db *DB) Wipe(ctx context.Context, keep ...string) error {
	return db.Update(ctx, func(t appconfig.Tx) error {
		q := "DELETE FROM records"
		args := make([]any, 0, len(keep))
		for i, k := range keep {
			if i == 0 {
				q += " WHERE kind NOT IN (?"
			} else {
				q += ", ?"
			}
			args = append(args, k)
		}
		if len(keep) > 0 {
			q += ")"
		}
		_, err := t.(*tx).exec(ctx, db.d.Rebind(q), args...)
		return db.wrap(err, "wipe")
	})
}

// Subscribe implements appconfig.Store for this process; backends with
// cross-process notification feed Deliver as well.
func (db *DB) Subscribe(ctx context.Context) <-chan string {
	ch := make(chan string, 256)
	db.subsMu.Lock()
	db.subs[ch] = struct{}{}
	db.subsMu.Unlock()
	go func() {
		<-ctx.Done()
		db.subsMu.Lock()
		delete(db.subs, ch)
		db.subsMu.Unlock()
		close(ch)
	}()
	return ch
}

// Listen calls fn with every topic Subscribe would deliver, until stop is
// called: those of this process's commits before the committing Update
// returns (so a cache invalidated by fn never answers from before a write
// the caller has seen acknowledged), other processes' as they arrive.
// Unlike a subscription it never misses a topic. fn must be quick, must
// not block and must not call the store.
func (db *DB) Listen(fn func(topic string)) (stop func()) {
	db.subsMu.Lock()
	db.listeners[&fn] = struct{}{}
	db.subsMu.Unlock()
	return func() {
		db.subsMu.Lock()
		delete(db.listeners, &fn)
		db.subsMu.Unlock()
	}
}

// Deliver hands topics to this process's listeners, then to its
// subscribers; a subscriber that is not keeping up misses topics rather
// than blocking the store (the subscribers also refresh periodically).
func (db *DB) Deliver(topics ...string) {
	db.subsMu.Lock()
	defer db.subsMu.Unlock()
	for fn := range db.listeners {
		for _, t := range topics {
			(*fn)(t)
		}
	}
	for ch := range db.subs {
		for _, t := range topics {
			select {
			case ch <- t:
			default:
			}
		}
	}
}

func (db *DB) publish(topics []string) {
	if len(topics) == 0 {
		return
	}
	db.Deliver(topics...)
}

type tx struct {
	db *DB
	h  *sql.DB
	// tx is the transaction; nil when c is set, and in a view run
	// statement by statement (StatementReads: statements go to h).
	tx *sql.Tx
	// c, when set, is the backend's own transaction (TxRunner); h and tx
	// are then unused.
	c      TxConn
	topics []string
	// fixed, when set, replaces the context of every statement (see
	// runGroup).
	fixed context.Context
}

func (t *tx) ctx(ctx context.Context) context.Context {
	if t.fixed != nil {
		return t.fixed
	}
	return ctx
}

// stmt returns query bound to the transaction, prepared once at Open when
// it is one of the store's fixed statements. (Preparing lazily could wait
// forever for the connection the transaction itself holds.)
func (t *tx) stmt(ctx context.Context, query string) *sql.Stmt {
	ctx = t.ctx(ctx)
	if s, ok := t.db.stmts.Load(stmtKey{t.h, query}); ok {
		if t.tx == nil {
			return s.(*sql.Stmt)
		}
		return t.tx.StmtContext(ctx, s.(*sql.Stmt))
	}
	return nil
}

// statementView reports a view run statement by statement.
func (t *tx) statementView() bool { return t.tx == nil && t.c == nil }

func (t *tx) queryRow(ctx context.Context, query string, args ...any) RowScanner {
	ctx = t.ctx(ctx)
	if t.c != nil {
		return t.c.QueryRow(ctx, query, args...)
	}
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	if t.tx == nil {
		return t.h.QueryRowContext(ctx, query, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// exec runs a statement and returns the number of rows it affected.
func (t *tx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx = t.ctx(ctx)
	if t.c != nil {
		return t.c.Exec(ctx, query, args...)
	}
	if t.statementView() {
		return 0, errWriteInView
	}
	var res sql.Result
	var err error
	if st := t.stmt(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = t.tx.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func (t *tx) query(ctx context.Context, query string, args ...any) (Rows, error) {
	ctx = t.ctx(ctx)
	if t.c != nil {
		return t.c.Query(ctx, query, args...)
	}
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	if t.tx == nil {
		return t.h.QueryContext(ctx, query, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// RowScanner is one row of a query's answer.
type RowScanner interface{ Scan(dest ...any) error }

// Rows are a query's answer, row by row (*sql.Rows is one).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

func scanRecord(row RowScanner) (appconfig.Record, error) {
	var r appconfig.Record
	var due sql.NullInt64
	var data []byte
	if err := row.Scan(&r.Seq, &r.Account, &r.Region, &r.Kind, &r.Parent, &r.ID, &r.Name, &r.Body, &due, &data); err != nil {
		return r, err
	}
	if due.Valid {
		r.DueAt = time.Unix(0, due.Int64).UTC()
	}
	if data != nil {
		r.Data = data
	}
	return r, nil
}

func dueArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func notFound(k appconfig.Key) error {
	return appconfig.NotFound(k.Kind, "%s %s not found", k.Kind, k.ID)
}

func (t *tx) Get(ctx context.Context, k appconfig.Key, forUpdate, withData bool) (appconfig.Record, error) {
	q := t.db.q.get
	if withData {
		q = t.db.q.getData
	}
	if forUpdate {
		q += t.db.d.ForUpdate()
	}
	r, err := scanRecord(t.queryRow(ctx, q, k.Account, k.Region, k.Kind, k.Parent, k.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound(k)
	}
	if err != nil {
		return r, t.db.wrap(err, "get")
	}
	return r, nil
}

func (t *tx) Insert(ctx context.Context, r *appconfig.Record) error {
	if t.statementView() {
		return t.db.wrap(errWriteInView, "insert")
	}
	body := r.Body
	if body == nil {
		body = []byte("{}")
	}
	err := t.queryRow(ctx, t.db.q.insert, r.Account, r.Region, r.Kind, r.Parent, r.ID, r.Name, body, r.Data, dueArg(r.DueAt)).Scan(&r.Seq)
	if err != nil {
		err = t.db.d.Translate(err)
		if errors.Is(err, sql.ErrNoRows) || appconfig.IsConflict(err) { // no row: the key exists
			return appconfig.Conflict("%s %s already exists", r.Kind, r.ID)
		}
		return t.db.wrap(err, "insert")
	}
	return nil
}

func (t *tx) InsertCapped(ctx context.Context, lock string, q appconfig.Query, limit int, r *appconfig.Record) error {
	if t.statementView() {
		return t.db.wrap(errWriteInView, "insert")
	}
	body := r.Body
	if body == nil {
		body = []byte("{}")
	}
	args := []any{r.Account, r.Region, r.Kind, r.Parent, r.ID, r.Name, body, r.Data, dueArg(r.DueAt), q.Account, q.Region, q.Kind, q.Parent}
	if q.Name != "" {
		args = append(args, q.Name)
	}
	args = append(args, limit)
	query := cappedInsertSQL(t.db.d, q.Name != "")
	var row RowScanner
	switch {
	case lock == "":
		row = t.queryRow(ctx, query, args...)
	case t.c != nil:
		row = t.c.LockedQueryRow(t.ctx(ctx), lock, query, args...)
	default:
		if err := t.Lock(ctx, lock); err != nil {
			return err
		}
		row = t.queryRow(ctx, query, args...)
	}
	err := row.Scan(&r.Seq)
	if err == nil {
		return nil
	}
	err = t.db.d.Translate(err)
	if appconfig.IsConflict(err) {
		return appconfig.Conflict("%s %s already exists", r.Kind, r.ID)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return t.db.wrap(err, "insert")
	}
	// Nothing inserted: the cap, or the key exists. The lock is held, so
	// the count is the one the insert saw.
	n, err := t.Count(ctx, q)
	if err != nil {
		return err
	}
	if n >= limit {
		return appconfig.ErrCapReached
	}
	return appconfig.Conflict("%s %s already exists", r.Kind, r.ID)
}

func (t *tx) Put(ctx context.Context, r appconfig.Record) error {
	var n int64
	var err error
	if r.Data != nil {
		n, err = t.exec(ctx, t.db.q.putData, r.Name, r.Body, dueArg(r.DueAt), r.Data, r.Account, r.Region, r.Kind, r.Parent, r.ID)
	} else {
		n, err = t.exec(ctx, t.db.q.put, r.Name, r.Body, dueArg(r.DueAt), r.Account, r.Region, r.Kind, r.Parent, r.ID)
	}
	if err != nil {
		return t.db.wrap(err, "put")
	}
	if n == 0 {
		return notFound(r.Key)
	}
	return nil
}

func (t *tx) Delete(ctx context.Context, k appconfig.Key) error {
	n, err := t.exec(ctx, t.db.q.del, k.Account, k.Region, k.Kind, k.Parent, k.ID)
	if err != nil {
		return t.db.wrap(err, "delete")
	}
	if n == 0 {
		return notFound(k)
	}
	return nil
}

// listSQL is the text of a List query; its shape depends only on which
// filters are set, so every shape is prepared at Open.
func listSQL(d Dialect, name, after, desc, limit, data bool) string {
	cols := "NULL"
	if data {
		cols = "data"
	}
	q := "SELECT seq, account, region, kind, parent, id, name, body, due_at, " + cols + " FROM records WHERE account = ? AND region = ? AND kind = ? AND parent = ?"
	if name {
		q += " AND name = ?"
	}
	if after {
		if desc {
			q += " AND seq < ?"
		} else {
			q += " AND seq > ?"
		}
	}
	q += " ORDER BY seq"
	if desc {
		q += " DESC"
	}
	if limit {
		q += " LIMIT ?"
	}
	return d.Rebind(q)
}

func countSQL(d Dialect, name bool) string {
	q := "SELECT COUNT(*) FROM records WHERE account = ? AND region = ? AND kind = ? AND parent = ?"
	if name {
		q += " AND name = ?"
	}
	return d.Rebind(q)
}

// cappedInsertSQL is Insert's statement made conditional on the count of
// the records of a Query (by name when name is set) being below a limit:
// one statement, so the count and the insert share one snapshot.
func cappedInsertSQL(d Dialect, name bool) string {
	q := "INSERT INTO records (account, region, kind, parent, id, name, body, data, due_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM records WHERE account = ? AND region = ? AND kind = ? AND parent = ?"
	if name {
		q += " AND name = ?"
	}
	// The WHERE before ON CONFLICT also keeps SQLite from reading ON as a
	// join constraint.
	return d.Rebind(q + ") < ? ON CONFLICT DO NOTHING RETURNING seq")
}

func deleteAllSQL(d Dialect) string {
	return d.Rebind("DELETE FROM records WHERE account = ? AND region = ? AND kind = ? AND parent = ?")
}

// Prepare prepares every fixed statement on both handles. Backends call
// it once, after migrating.
func (db *DB) Prepare(ctx context.Context) error {
	texts := []string{db.q.get, db.q.getData, db.q.insert, db.q.put, db.q.putData, db.q.del, db.q.claim, deleteAllSQL(db.d), countSQL(db.d, false), countSQL(db.d, true), cappedInsertSQL(db.d, false), cappedInsertSQL(db.d, true)}
	for _, name := range []bool{false, true} {
		for _, after := range []bool{false, true} {
			for _, desc := range []bool{false, true} {
				for _, limit := range []bool{false, true} {
					for _, data := range []bool{false, true} {
						texts = append(texts, listSQL(db.d, name, after, desc, limit, data))
					}
				}
			}
		}
	}
	for _, h := range []*sql.DB{db.writer, db.reader} {
		for _, q := range texts {
			if _, ok := db.stmts.Load(stmtKey{h, q}); ok {
				continue
			}
			st, err := h.PrepareContext(ctx, q)
			if err != nil {
				return fmt.Errorf("%s: prepare %q: %w", db.d.Name(), q, err)
			}
			db.stmts.Store(stmtKey{h, q}, st)
		}
	}
	return nil
}

func (t *tx) List(ctx context.Context, q appconfig.Query) ([]appconfig.Record, error) {
	args := []any{q.Account, q.Region, q.Kind, q.Parent}
	if q.Name != "" {
		args = append(args, q.Name)
	}
	if q.AfterSeq > 0 {
		args = append(args, q.AfterSeq)
	}
	if q.Limit > 0 {
		args = append(args, q.Limit)
	}
	rows, err := t.query(ctx, listSQL(t.db.d, q.Name != "", q.AfterSeq > 0, q.Desc, q.Limit > 0, q.WithData), args...)
	if err != nil {
		return nil, t.db.wrap(err, "list")
	}
	defer rows.Close()
	var out []appconfig.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, t.db.wrap(err, "list")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, t.db.wrap(err, "list")
	}
	return out, nil
}

func (t *tx) Count(ctx context.Context, q appconfig.Query) (int, error) {
	args := []any{q.Account, q.Region, q.Kind, q.Parent}
	if q.Name != "" {
		args = append(args, q.Name)
	}
	var n int
	if err := t.queryRow(ctx, countSQL(t.db.d, q.Name != ""), args...).Scan(&n); err != nil {
		return 0, t.db.wrap(err, "count")
	}
	return n, nil
}

func (t *tx) DeleteAll(ctx context.Context, q appconfig.Query) (int, error) {
	n, err := t.exec(ctx, deleteAllSQL(t.db.d), q.Account, q.Region, q.Kind, q.Parent)
	if err != nil {
		return 0, t.db.wrap(err, "delete")
	}
	return int(n), nil
}

func (t *tx) Lock(ctx context.Context, name string) error {
	if t.statementView() {
		return t.db.wrap(errWriteInView, "lock")
	}
	if t.c != nil {
		return t.db.wrap(t.c.Lock(t.ctx(ctx), name), "lock")
	}
	return t.db.wrap(t.db.d.Lock(t.ctx(ctx), t.tx, name), "lock")
}

func (t *tx) Notify(topic string) {
	if slices.Contains(t.topics, topic) {
		return
	}
	t.topics = append(t.topics, topic)
}

// Migrate applies the migrations newer than the recorded schema version,
// each in its own transaction.
func Migrate(ctx context.Context, h *sql.DB, d Dialect, migrations []Migration) error {
	if _, err := h.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)"); err != nil {
		return fmt.Errorf("%s: create schema_migrations: %w", d.Name(), err)
	}
	var current sql.NullInt64
	if err := h.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("%s: read schema version: %w", d.Name(), err)
	}
	for _, m := range migrations {
		if current.Valid && int64(m.Version) <= current.Int64 {
			continue
		}
		t, err := h.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, m.SQL); err != nil {
			_ = t.Rollback()
			return fmt.Errorf("%s: migration %d: %w", d.Name(), m.Version, err)
		}
		if _, err := t.ExecContext(ctx, d.Rebind("INSERT INTO schema_migrations (version) VALUES (?)"), m.Version); err != nil {
			_ = t.Rollback()
			if appconfig.IsConflict(d.Translate(err)) {
				// Another process applied it concurrently.
				continue
			}
			return fmt.Errorf("%s: record migration %d: %w", d.Name(), m.Version, err)
		}
		if err := t.Commit(); err != nil {
			if appconfig.IsConflict(d.Translate(err)) {
				continue
			}
			return fmt.Errorf("%s: commit migration %d: %w", d.Name(), m.Version, err)
		}
	}
	return nil
}
