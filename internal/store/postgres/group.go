package postgres

import (
	"context"
	"errors"
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
// wait for each other in a cycle), each member's capped statement in
// arrival order (a member sees the earlier members' inserts: the caps
// hold inside the group as across transactions) and one COMMIT, in one
// pipelined batch. Each caller returns after that COMMIT, as before. If
// the server fails the group's transaction (a member's statement failed,
// a deadlock with another transaction), each member runs again alone, so
// that a failure is reported only to the member it belongs to; a lost
// connection, after which the COMMIT may have happened, is every
// member's error.

// capCommitters is how many groups may be in flight at once: one is
// gathered and sent while the other waits for its answer.
const capCommitters = 2

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
	req.inserted, req.counted, req.err = g.d.createAlone(req.ctx, req.lock, req.q, req.limit, req.r, req.topics)
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
		switch {
		case len(live) == 1:
			g.alone(live[0])
		case len(live) > 1:
			err := g.d.createGroup(context.Background(), live)
			if err == nil {
				break
			}
			// Run each alone again only when the server said the
			// transaction failed (nothing of it committed); after a
			// connection failure the COMMIT may have happened, and a
			// second insert of a member would create it twice.
			var pe *pgconn.PgError
			retry := errors.As(err, &pe) || errors.Is(err, errCommitRolledBack)
			for _, req := range live {
				if retry {
					g.alone(req)
				} else {
					req.err = err
				}
			}
		}
		for _, req := range live {
			close(req.done)
		}
		clear(batch)
	}
}

// createGroup runs the members in one transaction and one pipelined
// batch (BEGIN, their advisory locks, their capped statements in order,
// COMMIT: one round trip), and sets their results; on error nothing was
// committed. The backend runs the statements in order, so each capped
// statement's snapshot is taken once the locks are held.
func (d dialect) createGroup(ctx context.Context, members []*capReq) error {
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
	return c.Raw(func(dc any) error {
		t := &pipeTx{pc: dc.(*stdlib.Conn).Conn()}
		b := t.prelude()
		for _, l := range locks {
			b.Queue(lockSQL, l)
		}
		for _, m := range members {
			sql, args := d.cappedCreate(m.q, m.limit, m.r, m.topics)
			b.Queue(sql, args...)
		}
		b.Queue("commit")
		if err := t.runGroup(ctx, b, len(locks)+1, members); err != nil {
			t.rollback()
			return err
		}
		return nil
	})
}

// runGroup sends b (skip statements without answers, a capped statement
// per member, COMMIT) and sets the members' results once COMMIT
// succeeded.
func (t *pipeTx) runGroup(ctx context.Context, b *pgx.Batch, skip int, members []*capReq) error {
	br := t.pc.SendBatch(ctx, b)
	for range skip {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	type answer struct {
		n   int64
		seq *int64
	}
	answers := make([]answer, len(members))
	for i := range members {
		var notes int64
		if err := br.QueryRow().Scan(&answers[i].n, &answers[i].seq, &notes); err != nil {
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
	for i, m := range members {
		m.counted = int(answers[i].n)
		if answers[i].seq != nil {
			m.inserted, m.r.Seq = true, *answers[i].seq
		}
	}
	return nil
}
