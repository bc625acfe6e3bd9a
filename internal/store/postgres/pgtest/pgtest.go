// Package pgtest gives tests a fresh PostgreSQL database on the server
// named by APPCONFIGD_TEST_POSTGRES (scripts/pg.sh starts a throwaway
// one; scripts/test.sh does it for the whole suite). Without it, tests
// fail with the instructions — they are never skipped.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the test server.
const EnvDSN = "APPCONFIGD_TEST_POSTGRES"

var explainOnce sync.Once

// ServerDSN returns the test server's DSN.
func ServerDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		explained := true
		explainOnce.Do(func() { explained = false })
		if explained {
			t.Fatal(EnvDSN + " is not set (see the first failure for how to start a server)")
		}
		t.Fatal(EnvDSN + ` is not set: the PostgreSQL tests need a PostgreSQL 15 server. Start a throwaway one with
	eval "$(scripts/pg.sh start /tmp/appconfigd-pg)"
(from the repository root; it prints the export line), run the tests again, and stop it with
	scripts/pg.sh stop /tmp/appconfigd-pg`)
	}
	return dsn
}

// FreshDatabase creates an empty database for t, dropped when t ends, and
// returns its DSN. A database rather than a schema keeps each test's
// NOTIFY traffic and advisory locks to itself.
func FreshDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	server := ServerDSN(t)
	var b [6]byte
	rand.Read(b[:])
	name := "appconfigd_test_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Fatalf("connect to %s=%s: %v", EnvDSN, server, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return WithDatabase(t, server, name)
}

// WithDatabase returns dsn pointing at another database.
func WithDatabase(t testing.TB, dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", EnvDSN, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name // keyword/value form: the last value wins
}
