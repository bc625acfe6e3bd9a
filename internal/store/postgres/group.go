package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/store/sqlstore"
)

// Group commit of CreateCapped. Every transaction that notifies takes,
// at COMMIT, one cluster-wide lock (PostgreSQL serializes notifying
// commits so that the notification queue stays in commit order): with
// one transaction per CreateApplication, commits queue on that lock one
// backend wake-up after the other, whatever the round trips. So the
// CreateCapped calls waiting together share one transaction: BEGIN, the
// members' advisory locks (distinct, sorted, so that two groups never
// wait for each other in a cycle), their capped inserts in arrival order
// (a member sees the earlier members' inserts: the caps hold inside the
// group as across transactions; groupsql.go) and one COMMIT, in one
// pipelined batch. Each caller returns after that COMMIT, as before. If
// the server fails the group's transaction (a member's statement failed,
// a deadlock with another transaction, a lock not had within
// groupLockTimeout), each member runs again alone, under its own
// context, so that a failure is reported only to the member it belongs
// to; a lost connection, after which the COMMIT may have happened, is
// every member's error.

// capCommitters is how many groups may be in flight at once. One: the
// next group gathers while the current one is in flight, and is the
// larger for it. Measured with 16 concurrent creators (the harness's
// workers), two committers halved the groups, and each half's COMMIT
// then queued on the notification lock behind the other's: 15-20 % fewer
// creates per second and 25-45 % more database CPU per create than one.
const capCommitters = 1

// groupLockTimeout bounds how long a group waits for a lock (an advisory
// lock, or a row another transaction is inserting): a lock held long by
// another transaction must hold neither the committer nor the group's
// other members; they run alone instead, each waiting as long as its own
// context allows.
const groupLockTimeout = "1s"

// maxCapGroup bounds the members of one group.
const maxCapGroup = 64

// capGatherRounds bounds how often a committer yields to let more
// callers queue before it sends what it has (sqlstore.Gather).
const capGatherRounds = 4

type capReq struct {
	ctx    context.Context
	lock   string
	q      appconfig.Query
	limit  int
	r      *appconfig.Record
	with   []appconfig.Record // inserted only when r is
	topics []string

	inserted bool
	counted  int
	err      error
	done     chan struct{}
}

type capGroups struct {
	d    dialect
	reqs chan *capReq
	// mu orders sends on reqs before close closes it.
	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup
}

func newCapGroups(d dialect) *capGroups {
	g := &capGroups{d: d, reqs: make(chan *capReq, maxCapGroup)}
	for range capCommitters {
		g.wg.Add(1)
		go g.committer()
	}
	return g
}

// close stops the committers after the queued calls are answered.
func (g *capGroups) close() {
	g.mu.Lock()
	already := g.closed
	g.closed = true
	g.mu.Unlock()
	if !already {
		close(g.reqs)
	}
	g.wg.Wait()
}

// submit queues a call and returns once its group (or itself alone) has
// committed or failed; after close it runs alone.
func (g *capGroups) submit(req *capReq) {
	req.done = make(chan struct{})
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		g.alone(req)
		return
	}
	select {
	case g.reqs <- req:
	case <-req.ctx.Done():
		g.mu.RUnlock()
		req.err = req.ctx.Err()
		return
	}
	g.mu.RUnlock()
	<-req.done
}

func (g *capGroups) alone(req *capReq) {
	req.err = g.d.createAlone(req)
}

func (g *capGroups) committer() {
	defer g.wg.Done()
	batch := make([]*capReq, 0, maxCapGroup)
	for first := range g.reqs {
		batch = sqlstore.Gather(g.reqs, append(batch[:0], first), maxCapGroup, capGatherRounds)
		live := batch[:0]
		for _, req := range batch {
			if err := req.ctx.Err(); err != nil {
				req.err = err
				close(req.done)
				continue
			}
			live = append(live, req)
		}
		if len(live) > 0 {
			g.run(live)
		}
		clear(batch)
	}
}

// run sends a group and answers its members. A group of one runs under
// its member's context; a larger one under none (its members' contexts
// were live when it was gathered), both waiting at most groupLockTimeout
// for a lock. When the server failed the transaction (nothing of it
// committed), each member runs again alone, in a goroutine of its own and
// without the timeout, so that the committer goes on with the next group
// while a member waits for a lock; after a connection failure the COMMIT
// may have happened, and a second insert of a member would create it
// twice, so every member gets the error.
func (g *capGroups) run(live []*capReq) {
	ctx := context.Background()
	if len(live) == 1 {
		ctx = live[0].ctx
	}
	err := g.d.createGroup(ctx, live, groupLockTimeout)
	var pe *pgconn.PgError
	retry := errors.As(err, &pe) || errors.Is(err, errCommitRolledBack)
	for _, req := range live {
		if !retry {
			req.err = err
			close(req.done)
			continue
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			g.alone(req)
			close(req.done)
		}()
	}
}

// createGroup runs the members in one transaction and one pipelined
// batch (BEGIN, their advisory locks, their waves of capped inserts in
// order, COMMIT: one round trip, groupsql.go), and sets their results; on
// error nothing was committed. The backend runs the statements in order,
// so each wave's snapshot is taken once the locks are held.
func (d dialect) createGroup(ctx context.Context, members []*capReq, lockTimeout string) error {
	c, err := d.pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var locks []string
	for _, m := range members {
		if m.lock != "" {
			locks = append(locks, m.lock)
		}
	}
	slices.Sort(locks)
	locks = slices.Compact(locks)
	ws := waves(members)
	return c.Raw(func(dc any) error {
		t := &pipeTx{pc: dc.(*stdlib.Conn).Conn()}
		b := t.prelude()
		// The waves' plan does not depend on the arguments' values: a
		// custom plan per execution cost more planning than executing.
		b.Queue(groupSettingsSQL, lockTimeout)
		skip := 2
		if len(locks) > 0 {
			b.Queue(groupLockSQL, locks)
			skip++
		}
		for _, w := range ws {
			b.Queue(groupInsertSQL, d.waveArgs(w)...)
		}
		b.Queue("commit")
		if err := t.runGroup(ctx, b, skip, ws); err != nil {
			t.rollback()
			return err
		}
		return nil
	})
}

// runGroup sends b (skip statements without answers, a statement per
// wave, COMMIT) and sets the members' results once COMMIT succeeded.
func (t *pipeTx) runGroup(ctx context.Context, b *pgx.Batch, skip int, ws [][]*capReq) error {
	br := t.pc.SendBatch(ctx, b)
	for range skip {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	answers := make([][]waveAnswer, len(ws))
	for i, w := range ws {
		var err error
		if answers[i], err = readWave(br, len(w)); err != nil {
			br.Close()
			return err
		}
	}
	ct, err := br.Exec()
	if err != nil {
		br.Close()
		return err
	}
	if err := br.Close(); err != nil {
		return err
	}
	t.begun = false
	if ct.String() != "COMMIT" {
		return errCommitRolledBack
	}
	for i, w := range ws {
		for j, m := range w {
			a := answers[i][j]
			m.counted = int(a.n)
			if a.seq != nil {
				m.inserted, m.r.Seq = true, *a.seq
			}
		}
	}
	return nil
}

// waveAnswer is one member's row of a wave: its count, and its seq when
// it was inserted.
type waveAnswer struct {
	n   int64
	seq *int64
}

// readWave reads a wave's answer: one row per member, in order.
func readWave(br pgx.BatchResults, members int) ([]waveAnswer, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]waveAnswer, 0, members)
	for rows.Next() {
		var ord, notes int64
		var a waveAnswer
		if err := rows.Scan(&ord, &a.n, &a.seq, &notes); err != nil {
			return nil, err
		}
		if ord != int64(len(out)+1) {
			return nil, fmt.Errorf("postgres store: group answer %d out of order (want %d)", ord, len(out)+1)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) != members {
		return nil, fmt.Errorf("postgres store: group answered %d of %d members", len(out), members)
	}
	return out, nil
}
