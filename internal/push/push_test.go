package push

import (
	"context"
	"strconv"
	"sync"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
)

type fakeSource struct {
	mu       sync.Mutex
	states   map[Target]State
	reads    int
	refreshs []string
}

func (f *fakeSource) Refresh(topic string) {
	f.mu.Lock()
	f.refreshs = append(f.refreshs, topic)
	f.mu.Unlock()
}

func (f *fakeSource) State(_ context.Context, t Target) (State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.states[t], nil
}

func (f *fakeSource) set(t Target, id string) {
	f.mu.Lock()
	f.states[t] = State{ID: id, ETag: id, Version: id}
	f.mu.Unlock()
}

var (
	sc   = appconfig.Scope{Account: "123456789012", Region: "us-east-1"}
	tgt  = Target{Scope: sc, App: "a", Env: "e", Profile: "p"}
	tgt2 = Target{Scope: sc, App: "a", Env: "e2", Profile: "p"}
)

func envTopic(t Target) string { return appconfig.EnvironmentTopic(t.Scope, t.App, t.Env) }

func TestBrokerFanOutOncePerTarget(t *testing.T) {
	src := &fakeSource{states: map[Target]State{}}
	src.set(tgt, "v1")
	b := New(Config{Source: src})
	var streams []*Stream
	for i := 0; i < 50; i++ {
		s, first, err := b.Subscribe(context.Background(), tgt, "")
		if err != nil || len(first) != 1 || first[0].ID != "v1" {
			t.Fatalf("subscribe: %v %v", first, err)
		}
		streams = append(streams, s)
	}
	other, _, _ := b.Subscribe(context.Background(), tgt2, "")
	src.reads = 0
	src.set(tgt, "v2")
	b.Changed(context.Background(), envTopic(tgt))
	if src.reads != 1 {
		t.Fatalf("%d state reads for one target", src.reads)
	}
	for _, s := range streams {
		if ev := <-s.Events(); ev.ID != "v2" {
			t.Fatalf("got %s", ev.ID)
		}
	}
	select {
	case ev := <-other.Events():
		t.Fatalf("another environment's stream got %s", ev.ID)
	default:
	}
	// A topic that changes nothing sends nothing.
	b.Changed(context.Background(), envTopic(tgt))
	select {
	case ev := <-streams[0].Events():
		t.Fatalf("unchanged state sent %s", ev.ID)
	default:
	}
	if b.Streams() != 51 {
		t.Fatalf("streams %d", b.Streams())
	}
}

func TestBrokerSlowReaderDisconnectedOthersServed(t *testing.T) {
	src := &fakeSource{states: map[Target]State{}}
	src.set(tgt, "v0")
	b := New(Config{Source: src, Buffer: 2})
	slow, _, _ := b.Subscribe(context.Background(), tgt, "x")
	fast, _, _ := b.Subscribe(context.Background(), tgt, "x")
	var got []string
	for i := 1; i <= 5; i++ {
		src.set(tgt, "v"+strconv.Itoa(i))
		b.Changed(context.Background(), envTopic(tgt))
		got = append(got, (<-fast.Events()).ID)
	}
	if len(got) != 5 || got[4] != "v5" {
		t.Fatalf("fast reader got %v", got)
	}
	select {
	case <-slow.Done():
	default:
		t.Fatal("slow reader still connected")
	}
	// It resumes with Last-Event-ID and gets what it missed, in order.
	_, missed, _ := b.Subscribe(context.Background(), tgt, "v2")
	if len(missed) != 3 || missed[0].ID != "v3" || missed[2].ID != "v5" {
		t.Fatalf("replay %v", missed)
	}
	// An id never seen here gets the current state; the current id nothing.
	if _, r, _ := b.Subscribe(context.Background(), tgt, "zzz"); len(r) != 1 || r[0].ID != "v5" {
		t.Fatalf("unknown id replay %v", r)
	}
	if _, r, _ := b.Subscribe(context.Background(), tgt, "v5"); len(r) != 0 {
		t.Fatalf("up-to-date replay %v", r)
	}
}

func TestBrokerGoneAndClose(t *testing.T) {
	src := &fakeSource{states: map[Target]State{}}
	src.set(tgt, "v1")
	b := New(Config{Source: src})
	s, _, _ := b.Subscribe(context.Background(), tgt, "")
	src.mu.Lock()
	src.states[tgt] = State{Gone: true}
	src.mu.Unlock()
	b.Changed(context.Background(), appconfig.TopicReset)
	<-s.Done()
	s2, _, _ := b.Subscribe(context.Background(), tgt2, "")
	b.Close()
	<-s2.Done()
	if _, _, err := b.Subscribe(context.Background(), tgt2, ""); err != ErrClosed {
		t.Fatalf("after close: %v", err)
	}
	if b.Streams() != 0 {
		t.Fatalf("streams %d", b.Streams())
	}
	b.Unsubscribe(s2) // idempotent
}

func TestEventFrame(t *testing.T) {
	ev := MakeEvent(State{ID: "3-abc", ETag: "3-abc", Version: "3"})
	want := "id: 3-abc\nevent: message\ndata: {\"type\":\"refetchEvaluation\",\"etag\":\"3-abc\",\"version\":\"3\"}\n\n"
	if string(ev.Frame) != want {
		t.Fatalf("frame %q", ev.Frame)
	}
}

// Resync finds a change whose topic was missed.
func TestBrokerResync(t *testing.T) {
	src := &fakeSource{states: map[Target]State{}}
	src.set(tgt, "v1")
	b := New(Config{Source: src})
	s, _, _ := b.Subscribe(context.Background(), tgt, "")
	src.set(tgt, "v2")
	b.Resync(context.Background())
	if ev := <-s.Events(); ev.ID != "v2" {
		t.Fatalf("got %s", ev.ID)
	}
}
