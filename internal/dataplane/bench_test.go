package dataplane

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/store/sqlite"
)

func benchToken() *token {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &token{
		Session: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, Seq: 7,
		IssuedAt: now, NotBefore: now.Add(15 * time.Second), MinInterval: 15, Has: 0x1234567890abcdef,
		Account: "123456789012", Region: "us-east-1", App: "abc1234", Env: "def5678", Profile: "ghi9012",
	}
}

// BenchmarkTokenSeal and BenchmarkTokenOpen are the poll-token codec: every
// GetLatestConfiguration opens the token it is given and seals the next.
func BenchmarkTokenSeal(b *testing.B) {
	c := newTokenCodec([]byte("0123456789abcdef0123456789abcdef"))
	t := benchToken()
	b.ReportAllocs()
	for b.Loop() {
		if s := c.seal(t); len(s) == 0 {
			b.Fatal("empty token")
		}
	}
}

func BenchmarkTokenOpen(b *testing.B) {
	c := newTokenCodec([]byte("0123456789abcdef0123456789abcdef"))
	want := benchToken()
	s := c.seal(want)
	b.ReportAllocs()
	for b.Loop() {
		t, err := c.open(s)
		if err != nil || t.Seq != want.Seq || t.Profile != want.Profile {
			b.Fatalf("open: %v %+v", err, t)
		}
	}
}

// BenchmarkServedCacheHit is the served-configuration cache answering a
// poll from memory: the entry is loaded once, then every lookup is a hit,
// from several goroutines at once as polls are.
func BenchmarkServedCacheHit(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	svc := service.New(service.Config{Store: st, Clock: clk})
	app, err := svc.CreateApplication(ctx, testScope, service.CreateApplicationInput{Name: "app"})
	if err != nil {
		b.Fatal(err)
	}
	env, err := svc.CreateEnvironment(ctx, testScope, app.ID, service.CreateEnvironmentInput{Name: "prod"})
	if err != nil {
		b.Fatal(err)
	}
	prof, err := svc.CreateConfigurationProfile(ctx, testScope, app.ID, service.CreateProfileInput{Name: "p", LocationURI: "hosted"})
	if err != nil {
		b.Fatal(err)
	}
	c := newCache(svc, time.Hour, clk.Now)
	k := servedKey{testScope, app.ID, env.ID, prof.ID}
	first, err := c.get(ctx, k)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if e, err := c.get(ctx, k); err != nil || e != first {
				b.Errorf("cache miss or error: %v", err)
				return
			}
		}
	})
}
