// Package storetest is the conformance suite every appconfig.Store backend
// must pass. A backend's test calls Run with a constructor of empty stores.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// Factory returns a new, empty store; the suite closes it.
type Factory func(t *testing.T) appconfig.Store

// Run runs every conformance test.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, appconfig.Store)
	}{
		{"InsertGet", testInsertGet},
		{"InsertDuplicateConflicts", testInsertDuplicate},
		{"PutAndDelete", testPutDelete},
		{"ScopesAreIsolated", testScopes},
		{"ListOrderAndPaging", testList},
		{"ListByName", testListByName},
		{"CountAndDeleteAll", testCountDeleteAll},
		{"DataLoadedOnlyOnRequest", testData},
		{"RollbackOnError", testRollback},
		{"ClaimDue", testClaimDue},
		{"ClaimDueFailureDoesNotBlock", testClaimDueFailureDoesNotBlock},
		{"ConcurrentInsertsOneWinner", testConcurrentInserts},
		{"ConcurrentClaimsExactlyOnce", testConcurrentClaims},
		{"ConcurrentUpdatesFailAlone", testConcurrentFailures},
		{"NotifyAfterCommit", testNotify},
		{"LockSerializes", testLock},
		{"InsertCapped", testInsertCapped},
		{"InsertCappedConcurrent", testInsertCappedConcurrent},
		{"CreateCapped", testCreateCapped},
		{"CreateCappedWith", testCreateCappedWith},
		{"ScanDueAndWipe", testScanWipe},
		{"Ping", func(t *testing.T, s appconfig.Store) {
			if err := s.Ping(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

func key(kind, parent, id string) appconfig.Key {
	return appconfig.Key{Account: "111111111111", Region: "us-east-1", Kind: kind, Parent: parent, ID: id}
}

func insert(t *testing.T, s appconfig.Store, r appconfig.Record) appconfig.Record {
	t.Helper()
	err := s.Update(ctx, func(tx appconfig.Tx) error { return tx.Insert(ctx, &r) })
	if err != nil {
		t.Fatalf("insert %v: %v", r.Key, err)
	}
	return r
}

func get(t *testing.T, s appconfig.Store, k appconfig.Key, withData bool) (appconfig.Record, error) {
	t.Helper()
	var r appconfig.Record
	err := s.View(ctx, func(tx appconfig.Tx) error {
		var err error
		r, err = tx.Get(ctx, k, false, withData)
		return err
	})
	return r, err
}

func testInsertGet(t *testing.T, s appconfig.Store) {
	due := time.Date(2026, 3, 4, 5, 6, 7, 8000, time.UTC)
	a := insert(t, s, appconfig.Record{Key: key("app", "", "a1"), Name: "first", Body: []byte(`{"x":1}`), DueAt: due})
	b := insert(t, s, appconfig.Record{Key: key("app", "", "a2"), Name: "second", Body: []byte(`{}`)})
	if a.Seq <= 0 || b.Seq <= a.Seq {
		t.Fatalf("seq not increasing: %d then %d", a.Seq, b.Seq)
	}
	r, err := get(t, s, a.Key, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "first" || string(r.Body) != `{"x":1}` || r.Seq != a.Seq || !r.DueAt.Equal(due) || r.Key != a.Key {
		t.Fatalf("got %+v", r)
	}
	if _, err := get(t, s, key("app", "", "missing"), false); !appconfig.IsNotFound(err) {
		t.Fatalf("missing record: %v", err)
	}
}

func testInsertDuplicate(t *testing.T, s appconfig.Store) {
	insert(t, s, appconfig.Record{Key: key("app", "", "a1"), Body: []byte(`{}`)})
	err := s.Update(ctx, func(tx appconfig.Tx) error {
		return tx.Insert(ctx, &appconfig.Record{Key: key("app", "", "a1"), Body: []byte(`{}`)})
	})
	if !appconfig.IsConflict(err) {
		t.Fatalf("duplicate insert: %v", err)
	}
	// Same id under another parent or kind is a different record.
	insert(t, s, appconfig.Record{Key: key("app", "p", "a1"), Body: []byte(`{}`)})
	insert(t, s, appconfig.Record{Key: key("env", "", "a1"), Body: []byte(`{}`)})
}

func testPutDelete(t *testing.T, s appconfig.Store) {
	r := insert(t, s, appconfig.Record{Key: key("app", "", "a1"), Name: "n", Body: []byte(`{"v":1}`), Data: []byte("payload"), DueAt: time.Unix(100, 0)})
	r.Name, r.Body, r.DueAt, r.Data = "m", []byte(`{"v":2}`), time.Time{}, nil
	if err := s.Update(ctx, func(tx appconfig.Tx) error { return tx.Put(ctx, r) }); err != nil {
		t.Fatal(err)
	}
	got, err := get(t, s, r.Key, true)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "m" || string(got.Body) != `{"v":2}` || !got.DueAt.IsZero() || string(got.Data) != "payload" || got.Seq != r.Seq {
		t.Fatalf("after put: %+v", got)
	}
	err = s.Update(ctx, func(tx appconfig.Tx) error {
		return tx.Put(ctx, appconfig.Record{Key: key("app", "", "nope"), Body: []byte(`{}`)})
	})
	if !appconfig.IsNotFound(err) {
		t.Fatalf("put of a missing record: %v", err)
	}
	if err := s.Update(ctx, func(tx appconfig.Tx) error { return tx.Delete(ctx, r.Key) }); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, s, r.Key, false); !appconfig.IsNotFound(err) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.Update(ctx, func(tx appconfig.Tx) error { return tx.Delete(ctx, r.Key) }); !appconfig.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
}

func testScopes(t *testing.T, s appconfig.Store) {
	k1 := key("app", "", "a1")
	k2 := k1
	k2.Account = "222222222222"
	k3 := k1
	k3.Region = "eu-west-1"
	insert(t, s, appconfig.Record{Key: k1, Name: "one", Body: []byte(`{"n":1}`)})
	insert(t, s, appconfig.Record{Key: k2, Name: "one", Body: []byte(`{"n":2}`)})
	for _, k := range []appconfig.Key{k1, k2} {
		r, err := get(t, s, k, false)
		if err != nil || r.Account != k.Account {
			t.Fatalf("get %v: %+v %v", k, r, err)
		}
	}
	if _, err := get(t, s, k3, false); !appconfig.IsNotFound(err) {
		t.Fatalf("other region sees record: %v", err)
	}
	var n int
	s.View(ctx, func(tx appconfig.Tx) error {
		rs, err := tx.List(ctx, appconfig.Query{Account: k2.Account, Region: k2.Region, Kind: "app"})
		n = len(rs)
		return err
	})
	if n != 1 {
		t.Fatalf("account 2 lists %d records", n)
	}
}

func list(t *testing.T, s appconfig.Store, q appconfig.Query) []string {
	t.Helper()
	var ids []string
	err := s.View(ctx, func(tx appconfig.Tx) error {
		rs, err := tx.List(ctx, q)
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func testList(t *testing.T, s appconfig.Store) {
	var seqs []int64
	for i := 0; i < 7; i++ {
		r := insert(t, s, appconfig.Record{Key: key("ver", "app/prof", fmt.Sprint(i)), Body: []byte(`{}`)})
		seqs = append(seqs, r.Seq)
	}
	insert(t, s, appconfig.Record{Key: key("ver", "app/other", "x"), Body: []byte(`{}`)})
	q := appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "ver", Parent: "app/prof", Limit: 3}
	if got := fmt.Sprint(list(t, s, q)); got != "[0 1 2]" {
		t.Fatalf("first page %s", got)
	}
	q.AfterSeq = seqs[2]
	if got := fmt.Sprint(list(t, s, q)); got != "[3 4 5]" {
		t.Fatalf("second page %s", got)
	}
	q.AfterSeq, q.Desc = 0, true
	if got := fmt.Sprint(list(t, s, q)); got != "[6 5 4]" {
		t.Fatalf("descending %s", got)
	}
	q.AfterSeq = seqs[4]
	if got := fmt.Sprint(list(t, s, q)); got != "[3 2 1]" {
		t.Fatalf("descending second page %s", got)
	}
	q.Limit, q.AfterSeq, q.Desc = 0, 0, false
	if got := len(list(t, s, q)); got != 7 {
		t.Fatalf("unlimited list gave %d", got)
	}
}

func testListByName(t *testing.T, s appconfig.Store) {
	insert(t, s, appconfig.Record{Key: key("env", "a1", "e1"), Name: "prod", Body: []byte(`{}`)})
	insert(t, s, appconfig.Record{Key: key("env", "a1", "e2"), Name: "beta", Body: []byte(`{}`)})
	insert(t, s, appconfig.Record{Key: key("env", "a2", "e3"), Name: "prod", Body: []byte(`{}`)})
	base := appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "env", Parent: "a1"}
	q := base
	q.Name = "prod"
	if got := fmt.Sprint(list(t, s, q)); got != "[e1]" {
		t.Fatalf("by name %s", got)
	}
	q.Parent = "a2"
	if got := fmt.Sprint(list(t, s, q)); got != "[e3]" {
		t.Fatalf("by name, other parent %s", got)
	}
	q.Name = "My App/with spaces ✓"
	if got := list(t, s, q); len(got) != 0 {
		t.Fatalf("unknown name %v", got)
	}
}

func testCountDeleteAll(t *testing.T, s appconfig.Store) {
	for i := 0; i < 5; i++ {
		insert(t, s, appconfig.Record{Key: key("env", "a1", fmt.Sprint(i)), Body: []byte(`{}`)})
	}
	insert(t, s, appconfig.Record{Key: key("env", "a2", "z"), Body: []byte(`{}`)})
	q := appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "env", Parent: "a1"}
	var n, deleted int
	err := s.Update(ctx, func(tx appconfig.Tx) error {
		var err error
		if n, err = tx.Count(ctx, q); err != nil {
			return err
		}
		deleted, err = tx.DeleteAll(ctx, q)
		return err
	})
	if err != nil || n != 5 || deleted != 5 {
		t.Fatalf("count %d deleted %d err %v", n, deleted, err)
	}
	q.Parent = "a2"
	s.View(ctx, func(tx appconfig.Tx) error { n, err = tx.Count(ctx, q); return err })
	if n != 1 {
		t.Fatalf("left %d records, want the other parent's 1", n)
	}
}

func testData(t *testing.T, s appconfig.Store) {
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	r := insert(t, s, appconfig.Record{Key: key("ver", "p", "1"), Body: []byte(`{}`), Data: big})
	got, err := get(t, s, r.Key, false)
	if err != nil || got.Data != nil {
		t.Fatalf("data loaded without asking: %d bytes, %v", len(got.Data), err)
	}
	got, err = get(t, s, r.Key, true)
	if err != nil || string(got.Data) != string(big) {
		t.Fatalf("data round trip failed: %d bytes, %v", len(got.Data), err)
	}
	empty := insert(t, s, appconfig.Record{Key: key("ver", "p", "2"), Body: []byte(`{}`), Data: []byte{}})
	got, _ = get(t, s, empty.Key, true)
	if len(got.Data) != 0 {
		t.Fatalf("empty data came back as %q", got.Data)
	}
}

func testRollback(t *testing.T, s appconfig.Store) {
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx appconfig.Tx) error {
		if err := tx.Insert(ctx, &appconfig.Record{Key: key("app", "", "a1"), Body: []byte(`{}`)}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error not returned: %v", err)
	}
	if _, err := get(t, s, key("app", "", "a1"), false); !appconfig.IsNotFound(err) {
		t.Fatalf("insert survived rollback: %v", err)
	}
}

func testClaimDue(t *testing.T, s appconfig.Store) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, offset := range []time.Duration{3, 1, 2, 10} {
		insert(t, s, appconfig.Record{Key: key("dep", "", fmt.Sprint(i)), Body: []byte(`{}`), DueAt: base.Add(offset * time.Minute)})
	}
	insert(t, s, appconfig.Record{Key: key("other", "", "x"), Body: []byte(`{}`), DueAt: base})
	next, ok, err := s.NextDue(ctx, "dep")
	if err != nil || !ok || !next.Equal(base.Add(time.Minute)) {
		t.Fatalf("next due %v %v %v", next, ok, err)
	}
	var order []string
	n, err := s.ClaimDue(ctx, "dep", base.Add(5*time.Minute), 10, func(tx appconfig.Tx, r appconfig.Record) error {
		order = append(order, r.ID)
		r.DueAt = time.Time{} // handled: no longer due
		return tx.Put(ctx, r)
	})
	if err != nil || n != 3 || fmt.Sprint(order) != "[1 2 0]" {
		t.Fatalf("claimed %d %v %v", n, order, err)
	}
	next, ok, _ = s.NextDue(ctx, "dep")
	if !ok || !next.Equal(base.Add(10*time.Minute)) {
		t.Fatalf("next due after claims %v %v", next, ok)
	}
	// An error rolls back that record's work (see also
	// testClaimDueFailureDoesNotBlock).
	boom := errors.New("boom")
	_, err = s.ClaimDue(ctx, "dep", base.Add(time.Hour), 10, func(tx appconfig.Tx, r appconfig.Record) error {
		r.DueAt = time.Time{}
		if err := tx.Put(ctx, r); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("claim error %v", err)
	}
	if _, ok, _ := s.NextDue(ctx, "dep"); !ok {
		t.Fatal("failed claim was committed")
	}
}

func testConcurrentInserts(t *testing.T, s appconfig.Store) {
	const writers = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := s.Update(ctx, func(tx appconfig.Tx) error {
				return tx.Insert(ctx, &appconfig.Record{Key: key("ver", "p", "1"), Body: []byte(fmt.Sprintf(`{"w":%d}`, i))})
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case appconfig.IsConflict(err):
				conflicts++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 || conflicts != writers-1 {
		t.Fatalf("%d inserts won, %d conflicted", wins, conflicts)
	}
}

func testConcurrentClaims(t *testing.T, s appconfig.Store) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 40
	for i := 0; i < n; i++ {
		insert(t, s, appconfig.Record{Key: key("dep", "", fmt.Sprint(i)), Body: []byte(`{}`), DueAt: base})
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, err := s.ClaimDue(ctx, "dep", base, 5, func(tx appconfig.Tx, r appconfig.Record) error {
					mu.Lock()
					seen[r.ID]++
					mu.Unlock()
					return tx.Delete(ctx, r.Key)
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
	if len(seen) != n {
		t.Fatalf("handled %d of %d records", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("record %s handled %d times", id, c)
		}
	}
}

// A record whose handling fails is rolled back and postponed; the records
// due after it are still handled, and the failure is reported.
func testClaimDueFailureDoesNotBlock(t *testing.T, s appconfig.Store) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	insert(t, s, appconfig.Record{Key: key("dep", "", "bad"), Body: []byte(`{"v":1}`), DueAt: base.Add(time.Minute)})
	insert(t, s, appconfig.Record{Key: key("dep", "", "good"), Body: []byte(`{"v":1}`), DueAt: base.Add(2 * time.Minute)})
	boom := errors.New("boom")
	now := base.Add(5 * time.Minute)
	var seen []string
	_, err := s.ClaimDue(ctx, "dep", now, 10, func(tx appconfig.Tx, r appconfig.Record) error {
		seen = append(seen, r.ID)
		r.Body, r.DueAt = []byte(`{"v":2}`), time.Time{}
		if err := tx.Put(ctx, r); err != nil {
			return err
		}
		if r.ID == "bad" {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || fmt.Sprint(seen) != "[bad good]" {
		t.Fatalf("claim: err %v, handled %v; want boom after handling [bad good]", err, seen)
	}
	good, _ := get(t, s, key("dep", "", "good"), false)
	if string(good.Body) != `{"v":2}` || !good.DueAt.IsZero() {
		t.Fatalf("the record after the failing one was not handled: %s due %v", good.Body, good.DueAt)
	}
	bad, _ := get(t, s, key("dep", "", "bad"), false)
	if string(bad.Body) != `{"v":1}` {
		t.Fatalf("the failing record's work was kept: %s", bad.Body)
	}
	if !bad.DueAt.After(now) {
		t.Fatalf("the failing record is due again at once (%v): it would be retried in a loop", bad.DueAt)
	}
	n, err := s.ClaimDue(ctx, "dep", now, 10, func(appconfig.Tx, appconfig.Record) error { return boom })
	if err != nil || n != 0 {
		t.Fatalf("claim right after: %d %v; want nothing due", n, err)
	}
	next, ok, _ := s.NextDue(ctx, "dep")
	if !ok || !next.Equal(bad.DueAt) {
		t.Fatalf("next due %v %v; want the postponed record at %v", next, ok, bad.DueAt)
	}
}

// Two transactions taking the same named lock run one after the other;
// another name does not wait.
func testLock(t *testing.T, s appconfig.Store) {
	var mu sync.Mutex
	var order []string
	note := func(what string) {
		mu.Lock()
		order = append(order, what)
		mu.Unlock()
	}
	locked, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- s.Update(ctx, func(tx appconfig.Tx) error {
			if err := tx.Lock(ctx, "quota|a"); err != nil {
				return err
			}
			close(locked)
			<-release
			note("first ends")
			return nil
		})
	}()
	<-locked
	second := make(chan error, 1)
	go func() {
		second <- s.Update(ctx, func(tx appconfig.Tx) error {
			if err := tx.Lock(ctx, "quota|a"); err != nil {
				return err
			}
			note("second holds")
			return nil
		})
	}()
	// Give the second transaction time to reach its Lock (if it got the
	// lock anyway, it would note before the first ends).
	time.Sleep(100 * time.Millisecond)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(order) != "[first ends second holds]" {
		t.Fatalf("order %v: the second transaction held the lock while the first did", order)
	}
	if err := s.Update(ctx, func(tx appconfig.Tx) error { return tx.Lock(ctx, "quota|b") }); err != nil {
		t.Fatal(err)
	}
}

func testNotify(t *testing.T, s appconfig.Store) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := s.Subscribe(sctx)
	_ = s.Update(ctx, func(tx appconfig.Tx) error {
		tx.Notify("rolled-back")
		return errors.New("abort")
	})
	err := s.Update(ctx, func(tx appconfig.Tx) error {
		tx.Notify("committed")
		return tx.Insert(ctx, &appconfig.Record{Key: key("app", "", "a"), Body: []byte(`{}`)})
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case topic := <-ch:
		if topic != "committed" {
			t.Fatalf("got topic %q (a rolled-back transaction notified?)", topic)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after commit")
	}
}

func testScanWipe(t *testing.T, s appconfig.Store) {
	insert(t, s, appconfig.Record{Key: key("dep", "a/e", "1"), Body: []byte(`{}`), DueAt: time.Unix(10, 0)})
	insert(t, s, appconfig.Record{Key: key("dep", "a/e", "2"), Body: []byte(`{}`)})
	insert(t, s, appconfig.Record{Key: key("meta", "", "keep"), Body: []byte(`{}`)})
	var due []string
	if err := s.ScanDue(ctx, "dep", func(r appconfig.Record) error { due = append(due, r.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(due) != "[1]" {
		t.Fatalf("due records %v", due)
	}
	if err := s.Wipe(ctx, "meta"); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, s, key("dep", "a/e", "2"), false); !appconfig.IsNotFound(err) {
		t.Fatalf("record survived the wipe: %v", err)
	}
	if _, err := get(t, s, key("meta", "", "keep"), false); err != nil {
		t.Fatalf("kept kind was wiped: %v", err)
	}
}

// testConcurrentFailures: among concurrent Updates (which a backend may
// group into one commit), the ones that fail leave nothing behind and do
// not take the others down.
func testConcurrentFailures(t *testing.T, s appconfig.Store) {
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = s.Update(ctx, func(tx appconfig.Tx) error {
				if err := tx.Insert(ctx, &appconfig.Record{Key: key("w", "", fmt.Sprint(i)), Body: []byte(`{}`)}); err != nil {
					return err
				}
				tx.Notify(fmt.Sprint("topic-", i))
				if i%2 == 1 {
					return fmt.Errorf("writer %d fails", i)
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		_, err := get(t, s, key("w", "", fmt.Sprint(i)), false)
		switch {
		case i%2 == 0 && (errs[i] != nil || err != nil):
			t.Fatalf("writer %d: update %v, read %v", i, errs[i], err)
		case i%2 == 1 && (errs[i] == nil || !appconfig.IsNotFound(err)):
			t.Fatalf("failed writer %d left its record (update %v, read %v)", i, errs[i], err)
		}
	}
}
