package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/store/storetest"
)

func TestConformanceFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) appconfig.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "db", "appconfigd.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) appconfig.Store {
		s, err := Open(context.Background(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Two stores on one file (two processes) keep InsertCapped's cap.
func TestCappedAcrossStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	var stores [2]appconfig.Store
	for i := range stores {
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	storetest.CappedAcrossStores(t, stores[0], stores[1])
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	k := appconfig.Key{Account: "1", Region: "r", Kind: "app", ID: "x"}
	if err := s.Update(ctx, func(tx appconfig.Tx) error {
		return tx.Insert(ctx, &appconfig.Record{Key: k, Body: []byte(`{"a":1}`)})
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx appconfig.Tx) error {
		r, err := tx.Get(ctx, k, false, false)
		if err == nil && string(r.Body) != `{"a":1}` {
			t.Errorf("body %s", r.Body)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Listen hears a commit's topics before the Update returns, never a
// rolled-back transaction's, and nothing after stop.
func TestListenIsSynchronous(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var heard []string
	stop := s.Listen(func(topic string) { heard = append(heard, topic) })
	notify := func(topic string, fail bool) {
		_ = s.Update(ctx, func(tx appconfig.Tx) error {
			tx.Notify(topic)
			if fail {
				return appconfig.BadRequest("no")
			}
			return nil
		})
	}
	notify("a", false)
	if len(heard) != 1 || heard[0] != "a" {
		t.Fatalf("after the first commit heard %q", heard)
	}
	notify("rolled-back", true)
	notify("b", false)
	stop()
	notify("c", false)
	if len(heard) != 2 || heard[1] != "b" {
		t.Fatalf("heard %q, want [a b]", heard)
	}
}

// BenchmarkCreate is the store's share of CreateApplication on a file
// database (WAL, group commit), from parallel goroutines.
func BenchmarkCreate(b *testing.B) {
	storetest.BenchCreate(b, func(b *testing.B) appconfig.Store {
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "appconfigd.db"))
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
		s, err := Open(context.Background(), filepath.Join(b.TempDir(), "appconfigd.db"))
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}

// The savepoints' sub-journal is kept in memory (temp_store=MEMORY, 2) on
// the writer, where the savepoints are.
func TestTempStoreInMemory(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	if err := s.Writer().QueryRowContext(context.Background(), "PRAGMA temp_store").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != 2 {
		t.Fatalf("temp_store = %d, want 2 (MEMORY)", v)
	}
}
