// Package postgres is the shared store for several replicas: PostgreSQL
// through pgx (database/sql via pgx's stdlib for the shared sqlstore code,
// a dedicated pgx connection for LISTEN).
//
// Isolation is READ COMMITTED. The service locks every row it checks before
// writing (Tx.Get with forUpdate → SELECT … FOR UPDATE) and uniqueness comes
// from the records' unique key, so no rule depends on a stronger level.
// Insert is INSERT … ON CONFLICT DO NOTHING (sqlstore): a duplicate key —
// also one inserted concurrently, which Insert waits for — yields Conflict
// without aborting the transaction, so callers that go on after a Conflict
// (fresh-id retries, usage marks) keep a usable transaction.
//
// Cross-process notification: Tx.Notify topics become pg_notify calls
// inside the transaction (PostgreSQL delivers them on commit), prefixed
// with this Store's random origin id. A listener goroutine holds its own
// connection with LISTEN and hands other origins' topics to
// sqlstore.DB.Deliver; its own are skipped because sqlstore already
// delivered them in-process after commit.
package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/store/sqlstore"
)

// Channel is the LISTEN/NOTIFY channel every replica shares.
const Channel = "appconfigd"

// ListenerApplicationName names the listener sessions in pg_stat_activity.
const ListenerApplicationName = "appconfigd-listener"

// migrationLock is the pg_advisory_lock key held while migrating, so that
// replicas starting together migrate one at a time.
const migrationLock int64 = 0x617070636f6e66 // "appconf"

// MaxConns bounds the pool shared by read and write transactions.
const MaxConns = 16

// Store is the PostgreSQL-backed appconfig.Store.
type Store struct {
	*sqlstore.DB
	groups *capGroups
}

// Close implements appconfig.Store: the CreateCapped groups queued are
// answered first.
func (s *Store) Close() error {
	s.groups.close()
	return s.DB.Close()
}

var _ appconfig.Store = (*Store)(nil)

var migrations = []sqlstore.Migration{
	{Version: 1, SQL: `
CREATE TABLE records (
	seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account TEXT NOT NULL,
	region  TEXT NOT NULL,
	kind    TEXT NOT NULL,
	parent  TEXT NOT NULL,
	id      TEXT NOT NULL,
	name    TEXT NOT NULL DEFAULT '',
	body    BYTEA NOT NULL,
	data    BYTEA,
	due_at  BIGINT,
	UNIQUE (account, region, kind, parent, id)
);
CREATE INDEX records_by_parent ON records (account, region, kind, parent, seq);
CREATE INDEX records_by_name ON records (account, region, kind, parent, name);
CREATE INDEX records_due ON records (kind, due_at) WHERE due_at IS NOT NULL;
`},
}

type dialect struct {
	origin string     // this Store's notification prefix: originLen hex digits
	pool   *sql.DB    // the connections of read-write transactions (RunTx)
	groups *capGroups // CreateCapped's group commit (nil: each alone)
}

const originLen = 16

func (dialect) Name() string { return "postgres" }

// StatementReads implements sqlstore.StatementReads: at READ COMMITTED a
// view's statements need no transaction around them (BEGIN and ROLLBACK
// were two round trips of every read).
func (dialect) StatementReads()    {}
func (dialect) ForUpdate() string  { return " FOR UPDATE" }
func (dialect) SkipLocked() string { return " FOR UPDATE SKIP LOCKED" }

// Rebind turns '?' placeholders into $1, $2, … (our SQL never has '?'
// inside string literals).
func (dialect) Rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Notify queues the topic on the channel; PostgreSQL sends it to the
// listeners when (and only if) the transaction commits.
// Lock takes a transaction-scoped advisory lock on a 64-bit hash of name:
// no row to create first, released at commit or rollback.
func (dialect) Lock(ctx context.Context, tx *sql.Tx, name string) error {
	_, err := tx.ExecContext(ctx, lockSQL, name)
	return err
}

func (d dialect) Notify(ctx context.Context, tx *sql.Tx, topic string) error {
	_, err := tx.ExecContext(ctx, notifySQL, d.origin+":"+topic)
	return err
}

// Translate maps PostgreSQL errors to domain errors:
//
//   - 23505 unique violation → Conflict.
//   - 40001 serialization failure, 40P01 deadlock, 55P03 lock not
//     available → Throttled: the transaction lost a race it did not cause
//     and succeeds when retried. Not Conflict: callers read Conflict as
//     "the key exists" (Insert retries with a fresh id, usage marks ignore
//     it) and would go on in an aborted transaction; Throttled surfaces as
//     ThrottlingException, which the AWS SDKs retry with backoff.
//   - connection failures (class 08, 53 insufficient resources, 57P01-03
//     shutdown, failed connects, broken sockets) → Internal "unavailable".
//
// Anything else (and context errors) is returned unchanged; sqlstore wraps
// it as Internal.
func (dialect) Translate(err error) error {
	if err == nil {
		return nil
	}
	var de *appconfig.Error
	if errors.As(err, &de) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return appconfig.Conflict("record already exists")
		case pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "55P03":
			return &appconfig.Error{Kind: appconfig.KindThrottled, Message: "the request raced a concurrent one; retry it", Cause: err}
		case strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "53") ||
			pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03":
			return appconfig.Internal(err, "postgres store unavailable")
		}
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) {
		return appconfig.Internal(err, "postgres store unavailable")
	}
	return err
}

// Open connects to the database at dsn (a postgres:// URL or libpq
// keyword/value string), applies migrations, prepares the statements and
// starts listening for other processes' notifications.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	origin, err := newOrigin()
	if err != nil {
		return nil, err
	}
	d := dialect{origin: origin}

	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(MaxConns)
	pool.SetMaxIdleConns(MaxConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, cfg, pool, d); err != nil {
		pool.Close()
		return nil, err
	}
	// LISTEN before the store is handed out, so no commit after Open
	// returns can be missed.
	lcfg := cfg.Copy()
	if lcfg.RuntimeParams == nil {
		lcfg.RuntimeParams = map[string]string{}
	}
	lcfg.RuntimeParams["application_name"] = ListenerApplicationName
	l := &listener{cfg: lcfg, origin: origin, log: slog.Default(), done: make(chan struct{})}
	conn, err := l.connect(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: listen: %w", err)
	}
	// The reader is the writer: PostgreSQL runs concurrent transactions.
	d.pool = pool
	d.groups = newCapGroups(d)
	db := sqlstore.Open(d, pool, pool)
	if err := db.Prepare(ctx); err != nil {
		conn.Close(ctx)
		d.groups.close()
		db.Close()
		return nil, err
	}
	l.deliver = db.Deliver
	lctx, cancel := context.WithCancel(context.Background())
	go l.run(lctx, conn)
	db.OnClose(func() error {
		cancel()
		<-l.done
		return nil
	})
	return &Store{DB: db, groups: d.groups}, nil
}

func newOrigin() (string, error) {
	var b [originLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("postgres: no randomness for the origin id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// migrate runs the migrations under a session advisory lock held on a
// connection of its own: replicas starting together wait for each other
// (CREATE TABLE IF NOT EXISTS alone is not safe against a concurrent
// creator), and closing that connection releases the lock even if
// migrating failed halfway.
func migrate(ctx context.Context, cfg *pgx.ConnConfig, pool *sql.DB, d dialect) error {
	lock, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: connect: %w", err)
	}
	defer lock.Close(context.WithoutCancel(ctx))
	if _, err := lock.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	return sqlstore.Migrate(ctx, pool, d, migrations)
}

// listener feeds other processes' notifications to this process's
// subscribers.
type listener struct {
	cfg     *pgx.ConnConfig
	origin  string
	deliver func(topics ...string)
	log     *slog.Logger
	done    chan struct{}
}

const (
	// listenIdle is how long the listener waits for a notification before
	// pinging the server, so a silently dead connection is noticed.
	listenIdle  = 30 * time.Second
	pingTimeout = 10 * time.Second
	minBackoff  = 100 * time.Millisecond
	maxBackoff  = 5 * time.Second
)

func (l *listener) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, l.cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

// run listens on conn until ctx ends, reconnecting with exponential
// backoff when the connection fails. Notifications committed while no
// connection listens are lost, so after a reconnect subscribers get
// appconfig.TopicReset: caches drop everything, loops look for due work.
func (l *listener) run(ctx context.Context, conn *pgx.Conn) {
	defer close(l.done)
	backoff := minBackoff
	for {
		if conn != nil {
			err := l.listen(ctx, conn)
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn.Close(cctx)
			cancel()
			conn = nil
			if ctx.Err() != nil {
				return
			}
			l.log.Warn("postgres store: notification listener lost its connection; reconnecting", "err", err)
			backoff = minBackoff
		}
		t := clock.Real{}.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		var err error
		if conn, err = l.connect(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			l.log.Warn("postgres store: notification listener cannot reconnect", "err", err, "retry_in", backoff)
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		l.log.Info("postgres store: notification listener reconnected")
		l.deliver(appconfig.TopicReset)
	}
}

// listen delivers notifications from conn until it fails or ctx ends.
func (l *listener) listen(ctx context.Context, conn *pgx.Conn) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, listenIdle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if n != nil {
			l.handle(n.Payload)
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !pgconn.Timeout(err) || conn.IsClosed() {
			return err
		}
		// Idle: make sure the server is still there.
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
}

func (l *listener) handle(payload string) {
	if len(payload) <= originLen || payload[originLen] != ':' {
		l.log.Warn("postgres store: ignoring a notification not sent by appconfigd", "payload", payload)
		return
	}
	if payload[:originLen] == l.origin {
		return // delivered in-process already
	}
	// A transaction sends its topics packed, several to a notification
	// (payloads, groupsql.go).
	l.deliver(splitTopics(payload[originLen+1:])...)
}
