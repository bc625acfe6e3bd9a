package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/store/postgres/pgtest"
	"github.com/appconfigd/appconfigd/internal/store/storetest"
)

var ctx = context.Background()

// EnvDSN names the environment variable with the DSN of a PostgreSQL 15
// server the tests may create databases on (CI sets it).
const EnvDSN = pgtest.EnvDSN

func freshDatabase(t *testing.T) string { return pgtest.FreshDatabase(t) }

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) appconfig.Store {
		s, err := Open(ctx, freshDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Two stores on one database (two replicas) keep InsertCapped's cap: the
// capped INSERT, pipelined after the advisory lock, sees the commits of
// the lock's previous holder.
func TestCappedAcrossStores(t *testing.T) {
	dsn := freshDatabase(t)
	storetest.CappedAcrossStores(t, open(t, dsn), open(t, dsn))
}

func key(kind, id string) appconfig.Key {
	return appconfig.Key{Account: "111111111111", Region: "us-east-1", Kind: kind, ID: id}
}

func recv(t *testing.T, ch <-chan arrival, what string) arrival {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(10 * time.Second):
		t.Fatalf("no notification %s within 10s", what)
		return arrival{}
	}
}

func notify(t *testing.T, s *Store, topic string) {
	t.Helper()
	if err := s.Update(ctx, func(tx appconfig.Tx) error { tx.Notify(topic); return nil }); err != nil {
		t.Fatal(err)
	}
}

// Two stores on one database are two replicas: each sees the other's
// committed notifications, its own exactly once, and no rolled-back ones.
// It also measures how late a topic reaches the other replica.
func TestNotifyAcrossStores(t *testing.T) {
	dsn := freshDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subA, subB := stamped(a.Subscribe(sctx)), stamped(b.Subscribe(sctx))

	_ = b.Update(ctx, func(tx appconfig.Tx) error {
		tx.Notify("rolled-back")
		return errors.New("abort")
	})
	const rounds = 100
	var sinceStart, sinceLocal []time.Duration
	for i := 0; i < rounds; i++ {
		topic := fmt.Sprint("t", i)
		start := time.Now()
		notify(t, b, topic)
		onA := recv(t, subA, "from the other store")
		if onA.topic != topic {
			t.Fatalf("store A got %q, want %q (a rolled-back or duplicate notification?)", onA.topic, topic)
		}
		onB := recv(t, subB, "in-process")
		if onB.topic != topic {
			t.Fatalf("store B got %q, want %q (its own notification echoed back?)", onB.topic, topic)
		}
		sinceStart = append(sinceStart, onA.at.Sub(start))
		sinceLocal = append(sinceLocal, onA.at.Sub(onB.at))
	}
	for _, d := range [][]time.Duration{sinceStart, sinceLocal} {
		slices.Sort(d)
	}
	t.Logf("over %d rounds, arrival on store A after store B's Update began: median %v, p90 %v, max %v; "+
		"relative to B's own in-process delivery after commit: median %v, p90 %v, max %v",
		rounds, sinceStart[rounds/2], sinceStart[rounds*9/10], sinceStart[rounds-1],
		sinceLocal[rounds/2], sinceLocal[rounds*9/10], sinceLocal[rounds-1])

	// Each listener gets notifications in commit order, so an echo of a
	// store's own topic would arrive before the other store's next one.
	// (Wait for both stores at each step: own topics are delivered
	// in-process, and would overtake listener deliveries otherwise.)
	for _, step := range []struct {
		from  *Store
		topic string
	}{{a, "from-a"}, {b, "from-b"}, {a, "end"}} {
		notify(t, step.from, step.topic)
		for name, sub := range map[string]<-chan arrival{"A": subA, "B": subB} {
			if got := recv(t, sub, step.topic).topic; got != step.topic {
				t.Fatalf("store %s got %q, want %q (an echo of its own topic?)", name, got, step.topic)
			}
		}
	}
}

// CreateCapped's topics reach the other replica when it inserted, and
// only then (its pg_notify runs only on the inserted row).
func TestCreateCappedNotifiesAcrossStores(t *testing.T) {
	dsn := freshDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subA := a.Subscribe(sctx)
	q := appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "app"}
	for i, want := range []error{nil, appconfig.ErrCapReached} {
		r := appconfig.Record{Key: key("app", fmt.Sprint("a", i)), Body: []byte(`{}`)}
		if err := b.CreateCapped(ctx, "cap", q, 1, &r, nil, fmt.Sprint("create-", i)); !errors.Is(err, want) {
			t.Fatalf("create %d: %v, want %v", i, err, want)
		}
	}
	notify(t, b, "end")
	var got []string
	for len(got) == 0 || got[len(got)-1] != "end" {
		select {
		case topic := <-subA:
			got = append(got, topic)
		case <-time.After(10 * time.Second):
			t.Fatalf("store A got %v, then nothing", got)
		}
	}
	if fmt.Sprint(got) != "[create-0 end]" {
		t.Fatalf("store A got %v, want [create-0 end]", got)
	}
}

// CreateCapped calls arriving together share a transaction (group.go);
// one whose statement fails (a NUL byte, which PostgreSQL text refuses)
// fails alone: the others are committed, each cap holds.
func TestCreateCappedGroupFailsAlone(t *testing.T) {
	s := open(t, freshDatabase(t))
	const n = 40
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprint("a", i)
			if i == n/2 {
				id = "bad\x00id"
			}
			account := fmt.Sprint(100000000000 + i%4)
			q := appconfig.Query{Account: account, Region: "us-east-1", Kind: "app"}
			r := appconfig.Record{Key: appconfig.Key{Account: account, Region: "us-east-1", Kind: "app", ID: id}, Body: []byte(`{}`)}
			errs[i] = s.CreateCapped(ctx, "cap|"+account, q, 8, &r, nil, "t")
		}()
	}
	wg.Wait()
	created, capped := 0, 0
	for i, err := range errs {
		switch {
		case i == n/2:
			if err == nil || appconfig.IsConflict(err) || errors.Is(err, appconfig.ErrCapReached) {
				t.Fatalf("the bad record: %v, want a failure of its own", err)
			}
		case err == nil:
			created++
		case errors.Is(err, appconfig.ErrCapReached):
			capped++
		default:
			t.Fatalf("create %d failed with the bad one: %v", i, err)
		}
	}
	// Accounts 0-3 get 10 creators each (9 for the bad one's), capped at 8.
	if created != 32 || capped != n-1-32 {
		t.Fatalf("%d created, %d capped; want 32 and %d", created, capped, n-1-32)
	}
	for a := range 4 {
		var got int
		if err := s.View(ctx, func(tx appconfig.Tx) error {
			var err error
			got, err = tx.Count(ctx, appconfig.Query{Account: fmt.Sprint(100000000000 + a), Region: "us-east-1", Kind: "app"})
			return err
		}); err != nil || got != 8 {
			t.Fatalf("account %d: %d records (%v), want 8", a, got, err)
		}
	}
}

// A group's transaction: members see the earlier members' inserts (the
// cap holds inside the group), and a failing member rolls back the whole
// group (the caller then runs each alone).
func TestCreateGroup(t *testing.T) {
	s := open(t, freshDatabase(t))
	q := appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "app"}
	member := func(id string) *capReq {
		return &capReq{ctx: ctx, lock: "cap", q: q, limit: 2, r: &appconfig.Record{Key: key("app", id), Body: []byte(`{}`)}, topics: []string{"t"}}
	}
	bad := []*capReq{member("x"), member("bad\x00")}
	if err := s.groups.d.createGroup(ctx, bad, groupLockTimeout); err == nil {
		t.Fatal("a group with a failing member committed")
	}
	members := []*capReq{member("a"), member("b"), member("c"), member("a")}
	wantGroup(t, s.groups.d, members, "[a true 0 b true 1 c false 2 a false 2]")
	if members[1].r.Seq <= members[0].r.Seq {
		t.Fatalf("seqs %d, %d", members[0].r.Seq, members[1].r.Seq)
	}
	var n int
	if err := s.View(ctx, func(tx appconfig.Tx) error {
		var err error
		n, err = tx.Count(ctx, q)
		return err
	}); err != nil || n != 2 {
		t.Fatalf("%d records (%v), want 2 (x rolled back)", n, err)
	}
}

// Views run statement by statement (no BEGIN/ROLLBACK): they read what
// is committed, and a write or lock inside one is refused rather than
// committed.
func TestViewsRunWithoutTransaction(t *testing.T) {
	s := open(t, freshDatabase(t))
	if err := s.Update(ctx, func(tx appconfig.Tx) error {
		return tx.Insert(ctx, &appconfig.Record{Key: key("app", "a"), Name: "n", Body: []byte(`{}`)})
	}); err != nil {
		t.Fatal(err)
	}
	err := s.View(ctx, func(tx appconfig.Tx) error {
		r, err := tx.Get(ctx, key("app", "a"), false, false)
		if err != nil || r.Name != "n" {
			return fmt.Errorf("get: %+v %v", r, err)
		}
		n, err := tx.Count(ctx, appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "app"})
		if err != nil || n != 1 {
			return fmt.Errorf("count: %d %v", n, err)
		}
		recs, err := tx.List(ctx, appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "app"})
		if err != nil || len(recs) != 1 {
			return fmt.Errorf("list: %v %v", recs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for what, write := range map[string]func(appconfig.Tx) error{
		"insert": func(tx appconfig.Tx) error {
			return tx.Insert(ctx, &appconfig.Record{Key: key("app", "b"), Body: []byte(`{}`)})
		},
		"capped insert": func(tx appconfig.Tx) error {
			return tx.InsertCapped(ctx, "", appconfig.Query{Kind: "app"}, 9, &appconfig.Record{Key: key("app", "c"), Body: []byte(`{}`)})
		},
		"put": func(tx appconfig.Tx) error {
			return tx.Put(ctx, appconfig.Record{Key: key("app", "a"), Name: "changed", Body: []byte(`{}`)})
		},
		"delete": func(tx appconfig.Tx) error { return tx.Delete(ctx, key("app", "a")) },
		"lock":   func(tx appconfig.Tx) error { return tx.Lock(ctx, "x") },
	} {
		if err := s.View(ctx, write); err == nil {
			t.Errorf("%s in a view: no error", what)
		}
	}
	var n int
	if err := s.View(ctx, func(tx appconfig.Tx) error {
		r, err := tx.Get(ctx, key("app", "a"), false, false)
		if err == nil && r.Name != "n" {
			err = fmt.Errorf("a view's put was committed: %+v", r)
		}
		if err == nil {
			n, err = tx.Count(ctx, appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "app"})
		}
		return err
	}); err != nil || n != 1 {
		t.Fatalf("after the refused writes: %d records, %v", n, err)
	}
}

// A CreateCapped whose context is done before its group runs inserts
// nothing and returns the context's error.
func TestCreateCappedCanceled(t *testing.T) {
	s := open(t, freshDatabase(t))
	q := appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "app"}
	for i := range 20 {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		r := appconfig.Record{Key: key("app", fmt.Sprint("a", i)), Body: []byte(`{}`)}
		if err := s.CreateCapped(cctx, "cap", q, 100, &r, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled create: %v", err)
		}
	}
	var n int
	if err := s.View(ctx, func(tx appconfig.Tx) error {
		var err error
		n, err = tx.Count(ctx, q)
		return err
	}); err != nil || n != 0 {
		t.Fatalf("%d records after canceled creates (%v)", n, err)
	}
}

type arrival struct {
	topic string
	at    time.Time
}

// stamped notes when each topic arrived.
func stamped(ch <-chan string) <-chan arrival {
	out := make(chan arrival, 256)
	go func() {
		defer close(out)
		for topic := range ch {
			out <- arrival{topic, time.Now()}
		}
	}()
	return out
}

// Replicas share due work: every due record is handled exactly once,
// whichever store claims it.
func TestClaimDueAcrossStores(t *testing.T) {
	dsn := freshDatabase(t)
	stores := []*Store{open(t, dsn), open(t, dsn)}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 60
	err := stores[0].Update(ctx, func(tx appconfig.Tx) error {
		for i := 0; i < n; i++ {
			if err := tx.Insert(ctx, &appconfig.Record{Key: key("dep", fmt.Sprint(i)), Body: []byte(`{}`), DueAt: base}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	handled := map[string][]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		s := w % len(stores)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, err := stores[s].ClaimDue(ctx, "dep", base, 3, func(tx appconfig.Tx, r appconfig.Record) error {
					mu.Lock()
					handled[r.ID] = append(handled[r.ID], s)
					mu.Unlock()
					// A second claim of the same record would conflict here.
					if err := tx.Insert(ctx, &appconfig.Record{Key: key("done", r.ID), Body: []byte(`{}`)}); err != nil {
						return err
					}
					r.DueAt = time.Time{} // handled: rescheduled to never, as the runners do
					return tx.Put(ctx, r)
				})
				if err != nil {
					t.Error(err)
					return
				}
				if k == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	perStore := make([]int, len(stores))
	for id, by := range handled {
		if len(by) != 1 {
			t.Errorf("record %s handled %d times (by stores %v)", id, len(by), by)
		}
		perStore[by[0]]++
	}
	if len(handled) != n {
		t.Fatalf("handled %d of %d records", len(handled), n)
	}
	if _, ok, err := stores[1].NextDue(ctx, "dep"); ok || err != nil {
		t.Fatalf("records still due after the claims (err %v)", err)
	}
	t.Logf("records handled per store: %v", perStore)
}

// PostgreSQL aborts a transaction on any error; a duplicate Insert must
// not, because callers go on after a Conflict (fresh-id retries, usage
// marks) — also when the duplicate was inserted concurrently and Insert
// had to wait for it.
func TestInsertConflictKeepsTransactionUsable(t *testing.T) {
	dsn := freshDatabase(t)
	s := open(t, dsn)
	ins := func(tx appconfig.Tx, id string) error {
		return tx.Insert(ctx, &appconfig.Record{Key: key("app", id), Body: []byte(`{}`)})
	}
	if err := s.Update(ctx, func(tx appconfig.Tx) error { return ins(tx, "a") }); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, func(tx appconfig.Tx) error {
		if err := ins(tx, "a"); !appconfig.IsConflict(err) {
			return fmt.Errorf("duplicate insert: %v, want Conflict", err)
		}
		return ins(tx, "b")
	})
	if err != nil {
		t.Fatal(err)
	}

	// Concurrent: T1 inserts "c" and holds its transaction open; T2's
	// insert of "c" waits for it, then conflicts, then goes on.
	inserted, release := make(chan struct{}), make(chan struct{})
	t1 := make(chan error, 1)
	go func() {
		t1 <- s.Update(ctx, func(tx appconfig.Tx) error {
			if err := ins(tx, "c"); err != nil {
				close(inserted)
				return err
			}
			close(inserted)
			<-release
			return nil
		})
	}()
	<-inserted
	t2 := make(chan error, 1)
	go func() {
		t2 <- s.Update(ctx, func(tx appconfig.Tx) error {
			if err := ins(tx, "c"); !appconfig.IsConflict(err) {
				return fmt.Errorf("concurrent duplicate insert: %v, want Conflict", err)
			}
			return ins(tx, "d")
		})
	}()
	waitForLockWaiters(t, dsn, 1)
	close(release)
	if err := <-t1; err != nil {
		t.Fatal(err)
	}
	if err := <-t2; err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx appconfig.Tx) error {
		for _, id := range []string{"a", "b", "c", "d"} {
			if _, err := tx.Get(ctx, key("app", id), false, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitForLockWaiters waits until n sessions of the database wait on a lock.
func waitForLockWaiters(t *testing.T, dsn string, n int) {
	t.Helper()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting int
		err := c.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions wait on a lock after 10s, want %d", waiting, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A deadlock victim gets a retryable (Throttled) error, not Internal and
// not Conflict; the other transaction commits.
func TestDeadlockIsRetryable(t *testing.T) {
	dsn := freshDatabase(t)
	s := open(t, dsn)
	err := s.Update(ctx, func(tx appconfig.Tx) error {
		for _, id := range []string{"x", "y"} {
			if err := tx.Insert(ctx, &appconfig.Record{Key: key("app", id), Body: []byte(`{}`)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var both sync.WaitGroup
	both.Add(2)
	lockBoth := func(first, second string) error {
		return s.Update(ctx, func(tx appconfig.Tx) error {
			if _, err := tx.Get(ctx, key("app", first), true, false); err != nil {
				return err
			}
			both.Done()
			both.Wait() // each holds one row and now asks for the other's
			_, err := tx.Get(ctx, key("app", second), true, false)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- lockBoth("x", "y") }()
	go func() { errs <- lockBoth("y", "x") }()
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("want exactly one deadlock victim, got %v and %v", e1, e2)
	}
	victim := errors.Join(e1, e2)
	if appconfig.KindOf(victim) != appconfig.KindThrottled {
		t.Fatalf("deadlock victim's error %v has kind %v, want Throttled", victim, appconfig.KindOf(victim))
	}
}

// The listener comes back after its connection is killed.
func TestListenerReconnects(t *testing.T) {
	dsn := freshDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subA := a.Subscribe(sctx)

	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var killed int
	err = c.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", ListenerApplicationName).Scan(&killed)
	if err != nil {
		t.Fatal(err)
	}
	if killed != 2 {
		t.Fatalf("terminated %d listener sessions, want the 2 stores'", killed)
	}
	// Notifications sent before the listener is back are lost: keep
	// sending until one arrives. The reconnect itself is announced first
	// with TopicReset, so caches drop what they may have missed.
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	reset := false
	for i := 0; ; i++ {
		notify(t, b, fmt.Sprint("after-", i))
		select {
		case topic := <-subA:
			if topic == appconfig.TopicReset && !reset {
				reset = true
				continue
			}
			if !strings.HasPrefix(topic, "after-") {
				t.Fatalf("unexpected topic %q", topic)
			}
			if !reset {
				t.Fatalf("topic %q arrived before the reconnect's %q", topic, appconfig.TopicReset)
			}
			t.Logf("listener back after %d notifications", i+1)
			return
		case <-deadline:
			t.Fatal("store A's listener did not come back within 20s")
		case <-tick.C:
		}
	}
}

// Replicas starting together migrate one at a time.
func TestConcurrentOpen(t *testing.T) {
	dsn := freshDatabase(t)
	const n = 4
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			s, err := Open(ctx, dsn)
			if err == nil {
				err = s.Ping(ctx)
				s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	_, err := Open(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5")
	if err == nil {
		t.Fatal("Open succeeded without a server")
	}
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                             "SELECT 1",
		"SELECT a FROM t WHERE b = ?":          "SELECT a FROM t WHERE b = $1",
		"INSERT INTO t VALUES (?, ?, ?)":       "INSERT INTO t VALUES ($1, $2, $3)",
		"UPDATE t SET a = ? WHERE k IN (?, ?)": "UPDATE t SET a = $1 WHERE k IN ($2, $3)",
		strings.Repeat("?,", 11) + "?":         "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12",
	} {
		if got := (dialect{}).Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTranslate(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, Message: "m"}) }
	for _, tc := range []struct {
		err  error
		want appconfig.ErrorKind
		same bool // returned unchanged
	}{
		{err: pg("23505"), want: appconfig.KindConflict},
		{err: pg("40001"), want: appconfig.KindThrottled},
		{err: pg("40P01"), want: appconfig.KindThrottled},
		{err: pg("55P03"), want: appconfig.KindThrottled},
		{err: pg("08006"), want: appconfig.KindInternal},
		{err: pg("57P01"), want: appconfig.KindInternal},
		{err: pg("42P01"), want: appconfig.KindInternal, same: true},
		{err: context.Canceled, want: appconfig.KindInternal, same: true},
		{err: appconfig.NotFound("app", "gone"), want: appconfig.KindNotFound, same: true},
	} {
		got := (dialect{}).Translate(tc.err)
		if appconfig.KindOf(got) != tc.want || (tc.same && got != tc.err) {
			t.Errorf("Translate(%v) = %v (kind %v), want kind %v (unchanged: %v)", tc.err, got, appconfig.KindOf(got), tc.want, tc.same)
		}
	}
	if (dialect{}).Translate(nil) != nil {
		t.Error("Translate(nil) is not nil")
	}
}

// BenchmarkCreate is the store's share of CreateApplication, from
// parallel goroutines (needs APPCONFIGD_TEST_POSTGRES).
func BenchmarkCreate(b *testing.B) {
	storetest.BenchCreate(b, func(b *testing.B) appconfig.Store {
		s, err := Open(ctx, pgtest.FreshDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// BenchmarkCreateCapped is the same through Store.CreateCapped, as
// CreateApplication without tags runs now.
func BenchmarkCreateCapped(b *testing.B) {
	storetest.BenchCreateCapped(b, func(b *testing.B) appconfig.Store {
		s, err := Open(ctx, pgtest.FreshDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// BenchmarkView is a view of one point read, from parallel goroutines.
func BenchmarkView(b *testing.B) {
	storetest.BenchView(b, func(b *testing.B) appconfig.Store {
		s, err := Open(ctx, pgtest.FreshDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
