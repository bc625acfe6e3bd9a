// Package sqlite is the embedded store: SQLite through modernc.org/sqlite
// (pure Go, so the binary stays static), WAL mode, one writer connection
// with immediate transactions and a pool of readers.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/store/sqlstore"
)

// Store is the SQLite-backed appconfig.Store.
type Store struct {
	*sqlstore.DB
}

var _ appconfig.Store = (*Store)(nil)

var migrations = []sqlstore.Migration{
	{Version: 1, SQL: `
CREATE TABLE records (
	seq     INTEGER PRIMARY KEY,
	account TEXT NOT NULL,
	region  TEXT NOT NULL,
	kind    TEXT NOT NULL,
	parent  TEXT NOT NULL,
	id      TEXT NOT NULL,
	name    TEXT NOT NULL DEFAULT '',
	body    BLOB NOT NULL,
	data    BLOB,
	due_at  INTEGER,
	UNIQUE (account, region, kind, parent, id)
);
CREATE INDEX records_by_parent ON records (account, region, kind, parent, seq);
CREATE INDEX records_by_name ON records (account, region, kind, parent, name);
CREATE INDEX records_due ON records (kind, due_at) WHERE due_at IS NOT NULL;
`},
}

type dialect struct{}

func (dialect) Name() string                                  { return "sqlite" }
func (dialect) Rebind(q string) string                        { return q }
func (dialect) ForUpdate() string                             { return "" }
func (dialect) SkipLocked() string                            { return "" }
func (dialect) Notify(context.Context, *sql.Tx, string) error { return nil }

// Lock is a no-op: the one writer connection serializes transactions.
func (dialect) Lock(context.Context, *sql.Tx, string) error { return nil }

func (dialect) Translate(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return appconfig.Conflict("record already exists")
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return appconfig.Internal(err, "the database is busy")
		}
	}
	return err
}

// Open opens (creating if needed) the database file at path. The special
// path ":memory:" gives a private in-memory database.
func Open(ctx context.Context, path string) (*Store, error) {
	memory := path == ":memory:"
	if !memory {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	// temp_store(MEMORY): the sub-journal of savepoints (one per member
	// of a group commit, one per record ClaimDue hands out) stays in
	// memory instead of a temporary file written with pwrite for every
	// page changed; it only serves ROLLBACK TO inside a live transaction,
	// so durability does not depend on it (the WAL does).
	pragmas := []string{"busy_timeout(10000)", "foreign_keys(on)", "synchronous(NORMAL)", "temp_store(MEMORY)"}
	var base string
	if memory {
		// A named shared-cache memory database, so reader and writer see
		// the same data.
		base = fmt.Sprintf("file:appconfigd-%p?mode=memory&cache=shared", &pragmas)
	} else {
		base = "file:" + (&url.URL{Path: path}).EscapedPath() + "?"
		pragmas = append(pragmas, "journal_mode(WAL)")
	}
	dsn := func(extra ...string) string {
		q := make([]string, 0, len(pragmas)+len(extra))
		for _, p := range pragmas {
			q = append(q, "_pragma="+p)
		}
		q = append(q, extra...)
		sep := "&"
		if strings.HasSuffix(base, "?") {
			sep = ""
		}
		return base + sep + strings.Join(q, "&")
	}
	writer, err := sql.Open("sqlite", dsn("_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One writer: SQLite serializes writers anyway, and queueing in Go is
	// cheaper than spinning on SQLITE_BUSY.
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := sqlstore.Migrate(ctx, writer, dialect{}, migrations); err != nil {
		writer.Close()
		return nil, err
	}
	reader := writer
	if !memory {
		reader, err = sql.Open("sqlite", dsn("_pragma=query_only(1)"))
		if err != nil {
			writer.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		n := runtime.GOMAXPROCS(0) * 2
		reader.SetMaxOpenConns(n)
		reader.SetMaxIdleConns(n)
	}
	db := sqlstore.Open(dialect{}, writer, reader)
	if err := db.Prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// SQLite has one writer: concurrent Updates share commits.
	db.EnableGroupCommit()
	return &Store{DB: db}, nil
}
