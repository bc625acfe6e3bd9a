// Package pgtest gives tests a fresh PostgreSQL database on the server
// named by APPCONFIGD_TEST_POSTGRES (scripts/pg.sh starts a throwaway
// one; scripts/test.sh and `make test-pg` do it for you). Without it the
// tests skip, naming what is missing, or fail when CI=true (see
// testutil.Need).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/appconfigd/appconfigd/internal/testutil"
	"github.com/jackc/pgx/v5"
)

// EnvDSN names the test server.
const EnvDSN = testutil.EnvPostgres

// ServerDSN returns the test server's DSN.
func ServerDSN(t testing.TB) string {
	t.Helper()
	testutil.Need(t, testutil.Postgres)
	return os.Getenv(EnvDSN)
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
