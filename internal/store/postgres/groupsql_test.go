package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	appconfig "github.com/appconfigd/appconfigd"
)

// A group of members in several scopes: members that cannot change each
// other's count share a statement (a wave), the others follow in later
// waves; every column round-trips; the other replica gets the inserted
// members' topics, each once, and no capped member's.
func TestGroupWaves(t *testing.T) {
	dsn := freshDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subA := a.Subscribe(sctx)
	due := time.Unix(1700000000, 123456789)
	member := func(account, id string, limit int, topics ...string) *capReq {
		k := appconfig.Key{Account: account, Region: "us-east-1", Kind: "app", ID: id}
		q := appconfig.Query{Account: account, Region: "us-east-1", Kind: "app"}
		r := &appconfig.Record{Key: k, Name: "n-" + id, Body: []byte(`{"id":"` + id + `"}`)}
		if id == "d1" {
			r.Data, r.DueAt = []byte("payload"), due
		}
		tags := appconfig.Record{Key: appconfig.Key{Account: account, Region: "us-east-1", Kind: "tags", Parent: id, ID: "arn-" + id}, Body: []byte(`{}`)}
		return &capReq{ctx: ctx, lock: "cap|" + account, q: q, limit: limit, r: r, with: []appconfig.Record{tags}, topics: topics}
	}
	members := []*capReq{
		member("100000000001", "a1", 2, "t-a1", "shared"),
		member("100000000002", "b1", 1, "t-b1"),
		member("100000000001", "a2", 2, "t-a2", "shared"), // sees a1: second wave
		member("100000000003", "d1", 5, "t-d1"),
		member("100000000002", "b2", 1, "t-b2"), // capped by b1
		member("100000000001", "a3", 2, "t-a3"), // capped by a1 and a2: third wave
	}
	var sizes []int
	for _, w := range waves(members) {
		sizes = append(sizes, len(w))
	}
	if fmt.Sprint(sizes) != "[2 3 1]" {
		t.Fatalf("waves of %v members, want [2 3 1]", sizes)
	}
	wantGroup(t, b.groups.d, members, "[a1 true 0 b1 true 0 a2 true 1 d1 true 0 b2 false 1 a3 false 2]")
	for _, m := range members {
		var rec appconfig.Record
		err := a.View(ctx, func(tx appconfig.Tx) error {
			// Each member's other record is there when it is.
			_, err := tx.Get(ctx, m.with[0].Key, false, false)
			if m.inserted != (err == nil) {
				return fmt.Errorf("%s (inserted %v): its other record: %v", m.r.ID, m.inserted, err)
			}
			rec, err = tx.Get(ctx, m.r.Key, false, true)
			return err
		})
		if !m.inserted {
			if !appconfig.IsNotFound(err) {
				t.Fatalf("capped %s: %v, want not found", m.r.ID, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Seq != m.r.Seq || rec.Name != m.r.Name || string(rec.Body) != string(m.r.Body) ||
			string(rec.Data) != string(m.r.Data) || !rec.DueAt.Equal(m.r.DueAt) {
			t.Fatalf("%s read back as %+v, want %+v", m.r.ID, rec, *m.r)
		}
	}
	notify(t, b, "end")
	var topics []string
	for len(topics) == 0 || topics[len(topics)-1] != "end" {
		select {
		case topic := <-subA:
			topics = append(topics, topic)
		case <-time.After(10 * time.Second):
			t.Fatalf("store A got %v, then nothing", topics)
		}
	}
	topics = topics[:len(topics)-1]
	slices.Sort(topics)
	if want := "[shared shared t-a1 t-a2 t-b1 t-d1]"; fmt.Sprint(topics) != want {
		t.Fatalf("store A got %v, want %s (one notification per wave, inserted members only)", topics, want)
	}
}

// A wave's topics fit one notification: members whose topics would not
// start a new wave.
func TestWavesBoundTopics(t *testing.T) {
	long := strings.Repeat("x", 1000)
	var members []*capReq
	for i := range 20 {
		account := fmt.Sprint(100000000000 + i)
		members = append(members, &capReq{
			q: appconfig.Query{Account: account, Kind: "app"},
			r: &appconfig.Record{Key: appconfig.Key{Account: account, Kind: "app", ID: "x"}}, topics: []string{long},
		})
	}
	for _, w := range waves(members) {
		n := 0
		for _, m := range w {
			n += len(m.topics[0]) + len(topicSep)
		}
		if n > maxWaveTopicBytes || len(w) == 0 {
			t.Fatalf("a wave of %d members has %d bytes of topics", len(w), n)
		}
	}
	s := open(t, freshDatabase(t))
	if err := s.groups.d.createGroup(ctx, members, groupLockTimeout); err != nil {
		t.Fatalf("20 KB of topics in one group: %v", err)
	}
}

// A group waits at most groupLockTimeout for a lock another transaction
// holds; through submit its members then run alone, and wait under their
// own contexts until the lock is free, while the creates that need other
// locks go on.
func TestGroupLockTimeout(t *testing.T) {
	dsn := freshDatabase(t)
	s, other := open(t, dsn), open(t, dsn)
	q := appconfig.Query{Account: "111111111111", Region: "us-east-1", Kind: "app"}
	member := func(id string) *capReq {
		return &capReq{ctx: ctx, lock: "cap", q: q, limit: 10, r: &appconfig.Record{Key: key("app", id), Body: []byte(`{}`)}}
	}
	held, release := make(chan struct{}), make(chan struct{})
	holderDone := make(chan error, 1)
	go func() {
		holderDone <- other.Update(ctx, func(tx appconfig.Tx) error {
			if err := tx.Lock(ctx, "cap"); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	err := s.groups.d.createGroup(ctx, []*capReq{member("a"), member("b")}, groupLockTimeout)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "55P03" {
		t.Fatalf("group under a held lock: %v, want lock_not_available (55P03)", err)
	}
	// Through the committer: the group fails, each member runs alone and
	// waits for the lock (longer than the group's timeout).
	results := make(chan error, 2)
	for _, id := range []string{"c", "d"} {
		go func() {
			r := appconfig.Record{Key: key("app", id), Body: []byte(`{}`)}
			results <- s.CreateCapped(ctx, "cap", q, 10, &r, nil)
		}()
	}
	// Past the group's timeout c and d wait alone; the committer is free.
	select {
	case err := <-results:
		t.Fatalf("a create returned while the lock was held: %v", err)
	case <-time.After(1500 * time.Millisecond):
	}
	eDone := make(chan error, 1)
	go func() {
		r := appconfig.Record{Key: key("app", "e"), Body: []byte(`{}`)}
		eDone <- s.CreateCapped(ctx, "another", q, 10, &r, nil)
	}()
	select {
	case err := <-eDone:
		if err != nil {
			t.Fatalf("a create under another lock, while c and d wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a create under another lock waited for c and d's lock")
	}
	select {
	case err := <-results:
		t.Fatalf("a create returned while the lock was held: %v", err)
	default:
	}
	close(release)
	for range 2 {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if err := <-holderDone; err != nil {
		t.Fatal(err)
	}
}

// A transaction's topics travel packed in as few notifications as fit
// PostgreSQL's payload limit, and reach the other replica in order.
func TestNotifyPacksTopics(t *testing.T) {
	big1, big2 := strings.Repeat("x", 4000), strings.Repeat("y", 4000)
	topics := []string{"t1", big1, big2, "t3", "t4"}
	if got := payloads("o", topics); len(got) != 2 || got[0] != "o:t1\n"+big1 || got[1] != "o:"+big2+"\nt3\nt4" {
		t.Fatalf("payloads: %d of them, starting %.20q", len(got), got)
	}
	dsn := freshDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subA := a.Subscribe(sctx)
	if err := b.Update(ctx, func(tx appconfig.Tx) error {
		for _, topic := range topics {
			tx.Notify(topic)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, want := range topics {
		select {
		case got := <-subA:
			if got != want {
				t.Fatalf("store A got %.20q, want %.20q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("store A got nothing, want %.20q", want)
		}
	}
}

// wantGroup runs members as one group on d and checks each member's
// outcome ("ID inserted counted", in order) against want.
func wantGroup(t *testing.T, d dialect, members []*capReq, want string) {
	t.Helper()
	if err := d.createGroup(ctx, members, groupLockTimeout); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range members {
		got = append(got, fmt.Sprint(m.r.ID, " ", m.inserted, " ", m.counted))
	}
	if fmt.Sprint(got) != want {
		t.Fatalf("members %v, want %s", got, want)
	}
}
