package benchutil

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvPostgres names a PostgreSQL server to use instead of starting one
// (the variable the store's tests use).
const EnvPostgres = "APPCONFIGD_TEST_POSTGRES"

// Postgres is the PostgreSQL cluster a benchmark runs appconfigd on:
// either a throwaway one the tool started with scripts/pg.sh (stopped
// and removed by Stop), or the server $APPCONFIGD_TEST_POSTGRES names
// (left running; the databases the tool created on it are dropped).
type Postgres struct {
	DSN      string // the cluster's admin DSN (database postgres)
	Version  string // server_version
	Settings string // the settings that matter for write cost
	Owned    bool   // started by the tool
	dir      string // scripts/pg.sh's directory when owned
	script   string
	keep     bool

	mu      sync.Mutex
	created []string
	// postmaster is the cluster's parent process when it runs on this
	// machine and /proc shows it (0 otherwise): its CPU plus its
	// children's is the database's CPU.
	postmaster int
}

// StartPostgres starts a throwaway cluster with scripts/pg.sh in a fresh
// temporary directory, or uses $APPCONFIGD_TEST_POSTGRES when it is set.
// keep leaves the owned cluster's directory in place (stopped).
func StartPostgres(ctx context.Context, keep bool) (*Postgres, error) {
	p := &Postgres{keep: keep}
	if dsn := os.Getenv(EnvPostgres); dsn != "" {
		Logf("PostgreSQL: using $%s", EnvPostgres)
		p.DSN = dsn
	} else {
		root, err := ModuleRoot()
		if err != nil {
			return nil, err
		}
		p.script = filepath.Join(root, "scripts", "pg.sh")
		// Directly under the system temp directory: pg.sh hands the
		// directory to the postgres user when run as root, and that user
		// must be able to reach it (the tools' own temp directories are
		// private), and the unix socket path must stay short.
		if p.dir, err = os.MkdirTemp("", "acbench-pg-"); err != nil {
			return nil, err
		}
		Logf("PostgreSQL: starting a throwaway cluster in %s (scripts/pg.sh)", p.dir)
		cmd := exec.CommandContext(ctx, "bash", p.script, "start", p.dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			os.RemoveAll(p.dir)
			return nil, fmt.Errorf("scripts/pg.sh start: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export "+EnvPostgres+"="); ok {
				p.DSN = v
			}
		}
		if p.DSN == "" {
			p.stopCluster()
			return nil, fmt.Errorf("scripts/pg.sh start printed no %s line: %q", EnvPostgres, out)
		}
		p.Owned = true
	}
	conn, err := p.connect(ctx)
	if err != nil {
		p.Stop()
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&p.Version); err != nil {
		p.Stop()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT name, setting, COALESCE(unit, '') FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections') ORDER BY name")
	if err == nil {
		var parts []string
		for rows.Next() {
			var name, setting, unit string
			if rows.Scan(&name, &setting, &unit) == nil {
				if unit == "8kB" && name == "shared_buffers" {
					var n int
					fmt.Sscan(setting, &n)
					setting, unit = fmt.Sprint(n*8/1024), "MB"
				}
				parts = append(parts, name+"="+setting+unit)
			}
		}
		rows.Close()
		p.Settings = strings.Join(parts, ", ")
	}
	// The postmaster is the parent of our backend, when it is local.
	var backend int
	if conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend) == nil {
		if comm(backend) == "postgres" {
			if pp := ppid(backend); pp > 1 && comm(pp) == "postgres" {
				p.postmaster = pp
			}
		}
	}
	if p.postmaster == 0 {
		Logf("PostgreSQL: the server's processes are not visible here; database CPU will be n/a")
	}
	Logf("PostgreSQL %s ready (%s)", p.Version, p.Settings)
	return p, nil
}

func (p *Postgres) connect(ctx context.Context) (*pgx.Conn, error) {
	c, err := pgx.Connect(ctx, p.DSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return c, nil
}

// CreateDatabase creates a fresh, empty database (name prefix plus a
// random suffix) and returns its DSN.
func (p *Postgres) CreateDatabase(ctx context.Context, prefix string) (string, error) {
	var b [4]byte
	rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	conn, err := p.connect(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("postgres: create database %s: %w", name, err)
	}
	p.mu.Lock()
	p.created = append(p.created, name)
	p.mu.Unlock()
	return withDatabase(p.DSN, name)
}

func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil // keyword/value form: the last value wins
}

// CPU is the database's CPU time so far: the postmaster's, its live
// children's (backends, background workers) and the children that have
// ended (the postmaster's cutime/cstime).
func (p *Postgres) CPU() (time.Duration, bool) {
	if p == nil || p.postmaster == 0 {
		return 0, false
	}
	total, ok := ProcCPUWithChildren(p.postmaster)
	if !ok {
		return 0, false
	}
	for _, c := range ChildPids(p.postmaster) {
		if d, ok := ProcCPU(c); ok {
			total += d
		}
	}
	return total, true
}

// Explain runs EXPLAIN (ANALYZE, BUFFERS) of query in database dsn and
// returns the plan's text. It runs it twice on one connection, each time
// in a transaction it rolls back (an explained INSERT leaves nothing
// behind), and returns the second plan: the first pays for the new
// connection's catalog and plan caches, which appconfigd's pooled
// connections have warm.
func Explain(ctx context.Context, dsn, query string, args ...any) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var lines []string
	for range 2 {
		lines = lines[:0]
		tx, err := conn.Begin(ctx)
		if err != nil {
			return "", err
		}
		rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
		if err != nil {
			tx.Rollback(context.WithoutCancel(ctx))
			return "", err
		}
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				rows.Close()
				tx.Rollback(context.WithoutCancel(ctx))
				return "", err
			}
			lines = append(lines, l)
		}
		rows.Close()
		err = rows.Err()
		tx.Rollback(context.WithoutCancel(ctx))
		if err != nil {
			return "", err
		}
	}
	return strings.Join(lines, "\n"), nil
}

// QueryString runs a one-value query in database dsn.
func QueryString(ctx context.Context, dsn, query string, args ...any) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var v string
	err = conn.QueryRow(ctx, query, args...).Scan(&v)
	return v, err
}

// Stop drops the databases created on a server the tool did not start,
// or stops the throwaway cluster and removes its directory (unless
// kept). Call it after the appconfigd servers have stopped.
func (p *Postgres) Stop() {
	if p == nil {
		return
	}
	if !p.Owned {
		p.mu.Lock()
		names := p.created
		p.created = nil
		p.mu.Unlock()
		if len(names) == 0 || p.DSN == "" {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := p.connect(ctx)
		if err != nil {
			Logf("PostgreSQL: cannot drop the benchmark's databases: %v", err)
			return
		}
		defer conn.Close(ctx)
		for _, n := range names {
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
				Logf("PostgreSQL: drop database %s: %v", n, err)
			}
		}
		return
	}
	p.stopCluster()
}

func (p *Postgres) stopCluster() {
	if p.dir == "" {
		return
	}
	Logf("PostgreSQL: stopping the throwaway cluster")
	cmd := exec.Command("bash", p.script, "stop", p.dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		Logf("PostgreSQL: scripts/pg.sh stop %s: %v", p.dir, err)
		return
	}
	if p.keep {
		Logf("kept %s (stopped; scripts/pg.sh start %s restarts it)", p.dir, p.dir)
	} else {
		os.RemoveAll(p.dir)
	}
	p.dir = ""
}
