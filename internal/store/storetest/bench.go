package storetest

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
)

// BenchFactory returns a new, empty store for a benchmark; the benchmark
// closes it.
type BenchFactory func(b *testing.B) appconfig.Store

// BenchCreate measures the store's share of CreateApplication as it was
// before Store.CreateCapped (and is still for a creation with tags, but
// for InsertCapped): one write transaction that takes the scope lock,
// counts the account's records of the kind (the quota), inserts one and
// queues a notification topic — from parallel goroutines, as the HTTP
// server's requests arrive. It checks that every insert landed.
func BenchCreate(b *testing.B, newStore BenchFactory) {
	benchCreate(b, newStore, func(ctx context.Context, s appconfig.Store, account string, r *appconfig.Record) error {
		return s.Update(ctx, func(tx appconfig.Tx) error {
			if err := tx.Lock(ctx, "scope|"+account+"|us-east-1|applications"); err != nil {
				return err
			}
			q := appconfig.Query{Account: account, Region: "us-east-1", Kind: "application"}
			if _, err := tx.Count(ctx, q); err != nil {
				return err
			}
			if err := tx.Insert(ctx, r); err != nil {
				return err
			}
			tx.Notify("names|" + account)
			return nil
		})
	})
}

// BenchCreateCapped is BenchCreate through Store.CreateCapped, as
// CreateApplication without tags does now.
func BenchCreateCapped(b *testing.B, newStore BenchFactory) {
	benchCreate(b, newStore, func(ctx context.Context, s appconfig.Store, account string, r *appconfig.Record) error {
		q := appconfig.Query{Account: account, Region: "us-east-1", Kind: "application"}
		return s.CreateCapped(ctx, "scope|"+account+"|us-east-1|applications", q, 100, r, nil, "names|"+account)
	})
}

func benchCreate(b *testing.B, newStore BenchFactory, create func(ctx context.Context, s appconfig.Store, account string, r *appconfig.Record) error) {
	s := newStore(b)
	defer s.Close()
	ctx := context.Background()
	body := []byte(`{"Id":"x","Name":"bench","Description":"","CreatedAt":"2026-01-01T00:00:00Z"}`)
	var n atomic.Int64
	// 16 goroutines per GOMAXPROCS, like the harness's 16 workers: with
	// -cpu 1 they still arrive together, as on a server pinned to one core.
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			account := strconv.FormatInt(100000000000+i%1000, 10)
			r := appconfig.Record{Key: appconfig.Key{Account: account, Region: "us-east-1", Kind: "application", ID: "a" + strconv.FormatInt(i, 36)}, Name: "bench", Body: body}
			err := create(ctx, s, account, &r)
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	total := 0
	err := s.View(ctx, func(tx appconfig.Tx) error {
		for a := range 1000 {
			c, err := tx.Count(ctx, appconfig.Query{Account: strconv.Itoa(100000000000 + a), Region: "us-east-1", Kind: "application"})
			if err != nil {
				return err
			}
			total += c
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if int64(total) != n.Load() {
		b.Fatalf("%d records after %d inserts", total, n.Load())
	}
}

// BenchView measures a view of one point read (an uncached Get of the
// service) from parallel goroutines.
func BenchView(b *testing.B, newStore BenchFactory) {
	s := newStore(b)
	defer s.Close()
	ctx := context.Background()
	k := appconfig.Key{Account: "111111111111", Region: "us-east-1", Kind: "application", ID: "a1"}
	if err := s.Update(ctx, func(tx appconfig.Tx) error {
		return tx.Insert(ctx, &appconfig.Record{Key: k, Name: "bench", Body: []byte(`{}`)})
	}); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := s.View(ctx, func(tx appconfig.Tx) error {
				r, err := tx.Get(ctx, k, false, false)
				if err == nil && r.Name != "bench" {
					err = errors.New("wrong record")
				}
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}
