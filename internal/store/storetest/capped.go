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

// capped inserts r under a cap of limit records of r's kind and parent,
// with the lock "cap|"+r.Kind.
func capped(s appconfig.Store, limit int, r appconfig.Record) error {
	return s.Update(ctx, func(tx appconfig.Tx) error {
		return tx.InsertCapped(ctx, "cap|"+r.Kind, capQuery(r.Kind, r.Parent), limit, &r)
	})
}

func capQuery(kind, parent string) appconfig.Query {
	return appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: kind, Parent: parent}
}

func count(t *testing.T, s appconfig.Store, q appconfig.Query) int {
	t.Helper()
	var n int
	if err := s.View(ctx, func(tx appconfig.Tx) error {
		var err error
		n, err = tx.Count(ctx, q)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// testInsertCapped: InsertCapped inserts below the cap, answers
// ErrCapReached at it (inserting nothing, leaving the transaction usable)
// and Conflict for an existing key below it; the cap counts only the
// query's records (by name when the query has one).
func testInsertCapped(t *testing.T, s appconfig.Store) {
	for i := range 2 {
		if err := capped(s, 2, appconfig.Record{Key: key("app", "", fmt.Sprint("a", i)), Name: "n", Body: []byte(`{}`)}); err != nil {
			t.Fatalf("insert %d under a cap of 2: %v", i, err)
		}
	}
	r, err := get(t, s, key("app", "", "a1"), false)
	if err != nil || r.Name != "n" || r.Seq <= 0 {
		t.Fatalf("inserted record: %+v, %v", r, err)
	}
	if err := capped(s, 2, appconfig.Record{Key: key("app", "", "a2"), Body: []byte(`{}`)}); !errors.Is(err, appconfig.ErrCapReached) {
		t.Fatalf("third insert under a cap of 2: %v, want ErrCapReached", err)
	}
	if _, err := get(t, s, key("app", "", "a2"), false); !appconfig.IsNotFound(err) {
		t.Fatalf("the capped record was inserted: %v", err)
	}
	if err := capped(s, 3, appconfig.Record{Key: key("app", "", "a0"), Body: []byte(`{}`)}); !appconfig.IsConflict(err) {
		t.Fatalf("existing key under the cap: %v, want Conflict", err)
	}
	// The transaction goes on after ErrCapReached and commits what follows.
	err = s.Update(ctx, func(tx appconfig.Tx) error {
		r := appconfig.Record{Key: key("app", "", "a3"), Body: []byte(`{}`)}
		if err := tx.InsertCapped(ctx, "cap|app", capQuery("app", ""), 2, &r); !errors.Is(err, appconfig.ErrCapReached) {
			return fmt.Errorf("at the cap: %v", err)
		}
		return tx.Insert(ctx, &appconfig.Record{Key: key("env", "", "e1"), Body: []byte(`{}`)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, s, key("env", "", "e1"), false); err != nil {
		t.Fatalf("insert after ErrCapReached not committed: %v", err)
	}
	// Another parent, and a cap by name, without a lock.
	if err := capped(s, 1, appconfig.Record{Key: key("app", "p", "a0"), Body: []byte(`{}`)}); err != nil {
		t.Fatalf("other parent: %v", err)
	}
	byName := capQuery("app", "")
	byName.Name = "other"
	err = s.Update(ctx, func(tx appconfig.Tx) error {
		r := appconfig.Record{Key: key("app", "", "a4"), Name: "other", Body: []byte(`{}`)}
		if err := tx.InsertCapped(ctx, "", byName, 1, &r); err != nil {
			return err
		}
		r = appconfig.Record{Key: key("app", "", "a5"), Name: "other", Body: []byte(`{}`)}
		if err := tx.InsertCapped(ctx, "", byName, 1, &r); !errors.Is(err, appconfig.ErrCapReached) {
			return fmt.Errorf("second named record under a cap of 1: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, capQuery("app", "")); n != 3 {
		t.Fatalf("%d records, want 3", n)
	}
}

// testCreateCapped: Store.CreateCapped is a transaction of InsertCapped
// alone: the same answers, Seq set, and its topics notified only when it
// inserted.
func testCreateCapped(t *testing.T, s appconfig.Store) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := s.Subscribe(sctx)
	var seqs []int64
	for i := range 2 {
		r := appconfig.Record{Key: key("app", "", fmt.Sprint("a", i)), Name: "n", Body: []byte(`{"x":1}`)}
		if err := s.CreateCapped(ctx, "cap|app", capQuery("app", ""), 2, &r, nil, fmt.Sprint("t", i), "both"); err != nil {
			t.Fatalf("create %d under a cap of 2: %v", i, err)
		}
		got, err := get(t, s, r.Key, false)
		if err != nil || got.Seq != r.Seq || r.Seq <= 0 || got.Name != "n" || string(got.Body) != `{"x":1}` {
			t.Fatalf("created record %+v (seq %d), %v", got, r.Seq, err)
		}
		seqs = append(seqs, r.Seq)
	}
	if seqs[1] <= seqs[0] {
		t.Fatalf("seq not increasing: %v", seqs)
	}
	r := appconfig.Record{Key: key("app", "", "a2"), Body: []byte(`{}`)}
	if err := s.CreateCapped(ctx, "cap|app", capQuery("app", ""), 2, &r, nil, "capped"); !errors.Is(err, appconfig.ErrCapReached) {
		t.Fatalf("third create under a cap of 2: %v, want ErrCapReached", err)
	}
	r = appconfig.Record{Key: key("app", "", "a0"), Body: []byte(`{}`)}
	if err := s.CreateCapped(ctx, "cap|app", capQuery("app", ""), 3, &r, nil, "conflict"); !appconfig.IsConflict(err) {
		t.Fatalf("existing key under the cap: %v, want Conflict", err)
	}
	byName := capQuery("app", "")
	byName.Name = "n"
	r = appconfig.Record{Key: key("app", "", "a3"), Name: "other", Body: []byte(`{}`)}
	if err := s.CreateCapped(ctx, "", byName, 3, &r, nil); err != nil {
		t.Fatalf("cap by name, without a lock: %v", err)
	}
	r = appconfig.Record{Key: key("app", "", "a4"), Name: "n", Body: []byte(`{}`)}
	if err := s.CreateCapped(ctx, "", byName, 2, &r, nil); !errors.Is(err, appconfig.ErrCapReached) {
		t.Fatalf("cap by name reached: %v, want ErrCapReached", err)
	}
	if n := count(t, s, capQuery("app", "")); n != 3 {
		t.Fatalf("%d records, want 3", n)
	}
	if err := s.Update(ctx, func(tx appconfig.Tx) error { tx.Notify("end"); return nil }); err != nil {
		t.Fatal(err)
	}
	var topics []string
	for len(topics) == 0 || topics[len(topics)-1] != "end" {
		select {
		case topic := <-ch:
			topics = append(topics, topic)
		case <-time.After(10 * time.Second):
			t.Fatalf("topics %v, then no \"end\"", topics)
		}
	}
	if fmt.Sprint(topics) != "[t0 both t1 both end]" {
		t.Fatalf("topics %v, want those of the two creations only", topics)
	}
}

// testInsertCappedConcurrent: creators racing at the cap never exceed it.
func testInsertCappedConcurrent(t *testing.T, s appconfig.Store) {
	CappedAcrossStores(t, s, s)
}

// CappedAcrossStores checks the cap of InsertCapped between two stores on
// the same data (two replicas; a and b may be the same store):
//
//   - a transaction of b that calls InsertCapped while a transaction of a
//     holds the lock and has inserted the last record allowed, waits for
//     it and then sees that record: ErrCapReached, nothing inserted;
//   - the same with Store.CreateCapped as the second creator;
//   - 24 creators racing on both stores for a cap of 7 insert exactly 7
//     (half of them through Store.CreateCapped).
func CappedAcrossStores(t *testing.T, a, b appconfig.Store) {
	for _, alone := range []bool{false, true} {
		cappedEdge(t, a, b, alone)
	}
	const creators, limit = 24, 7
	errs := make(chan error, creators)
	var wg sync.WaitGroup
	for i := range creators {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := appconfig.Record{Key: key("race", "", fmt.Sprint("r", i)), Body: []byte(`{}`)}
			if i%4 < 2 {
				errs <- s.CreateCapped(ctx, "cap|race", capQuery("race", ""), limit, &r, nil)
				return
			}
			errs <- capped(s, limit, r)
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, appconfig.ErrCapReached):
		default:
			t.Fatalf("racing creator: %v", err)
		}
	}
	if n := count(t, a, capQuery("race", "")); ok != limit || n != limit {
		t.Fatalf("%d creators succeeded and %d records exist under a cap of %d", ok, n, limit)
	}
}

// cappedEdge: a transaction of a holds the lock and has inserted the last
// record allowed; b's creator (InsertCapped in an Update, or CreateCapped
// when alone) must wait for it and then see that record.
func cappedEdge(t *testing.T, a, b appconfig.Store, alone bool) {
	kind := fmt.Sprint("edge", alone)
	inserted, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- a.Update(ctx, func(tx appconfig.Tx) error {
			r := appconfig.Record{Key: key(kind, "", "first"), Body: []byte(`{}`)}
			if err := tx.InsertCapped(ctx, "cap|"+kind, capQuery(kind, ""), 1, &r); err != nil {
				close(inserted)
				return err
			}
			close(inserted)
			<-release
			return nil
		})
	}()
	<-inserted
	var mu sync.Mutex
	firstDone := false
	second := make(chan error, 1)
	go func() {
		r := appconfig.Record{Key: key(kind, "", "second"), Body: []byte(`{}`)}
		var err error
		if alone {
			err = b.CreateCapped(ctx, "cap|"+kind, capQuery(kind, ""), 1, &r, nil)
		} else {
			err = b.Update(ctx, func(tx appconfig.Tx) error {
				return tx.InsertCapped(ctx, "cap|"+kind, capQuery(kind, ""), 1, &r)
			})
		}
		mu.Lock()
		defer mu.Unlock()
		if !firstDone {
			err = fmt.Errorf("the second creator returned (%v) while the other transaction held the lock", err)
		}
		second <- err
	}()
	// Give the second transaction time to reach its lock.
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	firstDone = true
	mu.Unlock()
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; !errors.Is(err, appconfig.ErrCapReached) {
		t.Fatalf("second creator at the cap: %v, want ErrCapReached", err)
	}
	if n := count(t, a, capQuery(kind, "")); n != 1 {
		t.Fatalf("%d records under a cap of 1", n)
	}
}

// testCreateCappedWith: CreateCapped's other records are inserted with
// the capped one and only with it; one that exists fails the whole
// create with Conflict, inserting nothing.
func testCreateCappedWith(t *testing.T, s appconfig.Store) {
	tags := func(id string) []appconfig.Record {
		return []appconfig.Record{{Key: key("tags", id, "arn-"+id), Body: []byte(`{"tags":{}}`), Data: []byte("d")}}
	}
	r := appconfig.Record{Key: key("app", "", "w0"), Body: []byte(`{}`)}
	if err := s.CreateCapped(ctx, "cap|w", capQuery("app", ""), 1, &r, tags("w0"), "t"); err != nil {
		t.Fatal(err)
	}
	got, err := get(t, s, tags("w0")[0].Key, true)
	if err != nil || string(got.Body) != `{"tags":{}}` || string(got.Data) != "d" {
		t.Fatalf("the other record: %+v, %v", got, err)
	}
	r = appconfig.Record{Key: key("app", "", "w1"), Body: []byte(`{}`)}
	if err := s.CreateCapped(ctx, "cap|w", capQuery("app", ""), 1, &r, tags("w1"), "t"); !errors.Is(err, appconfig.ErrCapReached) {
		t.Fatalf("create over the cap: %v, want ErrCapReached", err)
	}
	if _, err := get(t, s, tags("w1")[0].Key, false); !appconfig.IsNotFound(err) {
		t.Fatalf("the capped create's other record: %v, want not found", err)
	}
	// w2's other record has w0's key: nothing of w2 is written.
	r = appconfig.Record{Key: key("app", "", "w2"), Body: []byte(`{}`)}
	if err := s.CreateCapped(ctx, "cap|w", capQuery("app", ""), 5, &r, tags("w0"), "t"); !appconfig.IsConflict(err) {
		t.Fatalf("an other record that exists: %v, want Conflict", err)
	}
	if _, err := get(t, s, r.Key, false); !appconfig.IsNotFound(err) {
		t.Fatalf("the create whose other record existed: %v, want not found", err)
	}
}
