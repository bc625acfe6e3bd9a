// Package push tells open streams when what a profile serves changes.
//
// A Broker follows the store's change topics (Store.Subscribe, which rides
// PostgreSQL's LISTEN/NOTIFY across replicas). For each topic it asks its
// Source, once per watched profile the topic concerns (not once per
// stream), what that profile serves now; when the answer's ID differs from
// the last one it fans an event out to the profile's streams.
//
// Event IDs come from what is served (the Source derives them from the
// deployed version), so every replica gives the same change the same ID
// and a client may resume on any replica with Last-Event-ID. Each profile
// keeps its last few events for replay; an ID that has fallen out of that
// window (or that a replica never saw) is answered with the current state.
//
// Streams never block the broker or each other: each has a small buffer,
// and a stream whose buffer is full is disconnected (the client reconnects
// with Last-Event-ID and is replayed what it missed).
package push

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// Target is one profile in one environment of one scope, by IDs.
type Target struct {
	Scope             appconfig.Scope
	App, Env, Profile string
}

// State is what a Target serves, as streams see it.
type State struct {
	// ID identifies the served configuration; an event is sent when it
	// changes. "" means nothing is deployed.
	ID string
	// ETag is the flag-configuration tag clients send back as
	// ?flagConfigEtag=.
	ETag string
	// Version is the served configuration version.
	Version string
	// Gone is set when the application, environment or profile no longer
	// exists: its streams are ended.
	Gone bool
}

// Source answers what a Target serves.
type Source interface {
	// Refresh drops whatever the Source caches that a topic concerns, so
	// the State calls that follow read what the store holds now.
	Refresh(topic string)
	// State is what t serves now.
	State(ctx context.Context, t Target) (State, error)
}

// Config tunes a Broker.
type Config struct {
	Source Source
	Logger *slog.Logger
	// Buffer is each stream's queue of undelivered events (default 8).
	Buffer int
	// Replay is how many past events each profile keeps (default 32).
	Replay int
	// ResyncEvery is how often Run re-reads every watched profile without
	// a topic (default 15s), the backstop for missed topics.
	ResyncEvery time.Duration
}

// Event is one change, ready to write as an SSE frame.
type Event struct {
	ID    string
	Frame []byte
}

// Stream is one subscriber.
type Stream struct {
	target Target
	ch     chan Event
	// done is closed when the broker ends the stream (slow reader, target
	// gone, shutdown).
	done   chan struct{}
	closed bool // guarded by Broker.mu
}

// Events delivers the stream's events.
func (s *Stream) Events() <-chan Event { return s.ch }

// Done is closed when the broker has ended the stream.
func (s *Stream) Done() <-chan struct{} { return s.done }

type watched struct {
	streams map[*Stream]struct{}
	known   bool // cur holds a State read after the watch began
	cur     State
	ring    []Event
}

// Broker fans store changes out to streams.
type Broker struct {
	cfg Config

	mu      sync.Mutex
	targets map[Target]*watched
	count   int
	closed  bool
}

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("push: broker closed")

// New builds a Broker; Run feeds it.
func New(cfg Config) *Broker {
	if cfg.Buffer <= 0 {
		cfg.Buffer = 8
	}
	if cfg.Replay <= 0 {
		cfg.Replay = 32
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ResyncEvery <= 0 {
		cfg.ResyncEvery = 15 * time.Second
	}
	return &Broker{cfg: cfg, targets: map[Target]*watched{}}
}

// affects reports whether a store topic may change what t serves. It is
// the one place that reads topics.
func affects(topic string, t Target) bool {
	switch topic {
	case appconfig.TopicReset, appconfig.EnvironmentTopic(t.Scope, t.App, t.Env), appconfig.ProfileTopic(t.Scope, t.App, t.Profile):
		return true
	}
	return false
}

// Run follows topics until the channel closes or ctx ends, and resyncs
// every Config.ResyncEvery. Changes are handled one at a time, in order.
func (b *Broker) Run(ctx context.Context, topics <-chan string) {
	tick := time.NewTicker(b.cfg.ResyncEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case topic, ok := <-topics:
			if !ok {
				return
			}
			b.Changed(ctx, topic)
		case <-tick.C:
			b.Resync(ctx)
		}
	}
}

// Changed handles one topic: refresh the Source, re-read every watched
// Target the topic concerns, and send an event where the state moved.
func (b *Broker) Changed(ctx context.Context, topic string) {
	b.mu.Lock()
	var hit []Target
	for t := range b.targets {
		if affects(topic, t) {
			hit = append(hit, t)
		}
	}
	b.mu.Unlock()
	if len(hit) == 0 {
		return
	}
	b.cfg.Source.Refresh(topic)
	for _, t := range hit {
		st, err := b.cfg.Source.State(ctx, t)
		if err != nil {
			b.cfg.Logger.Warn("push: reading what a profile serves", "app", t.App, "env", t.Env, "profile", t.Profile, "err", err)
			continue
		}
		b.update(t, st)
	}
}

// Resync re-reads every watched Target without a topic: the backstop for
// topics a slow subscriber missed (the Source's own caches expire). Call
// it from the goroutine that calls Changed (Run does), so that states are
// applied in the order they were read.
func (b *Broker) Resync(ctx context.Context) {
	b.mu.Lock()
	all := make([]Target, 0, len(b.targets))
	for t := range b.targets {
		all = append(all, t)
	}
	b.mu.Unlock()
	for _, t := range all {
		if st, err := b.cfg.Source.State(ctx, t); err == nil {
			b.update(t, st)
		}
	}
}

func (b *Broker) update(t Target, st State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.targets[t]
	if w == nil {
		return
	}
	if st.Gone {
		for s := range w.streams {
			b.end(w, s)
		}
		delete(b.targets, t)
		return
	}
	changed := w.known && st.ID != w.cur.ID
	w.cur, w.known = st, true
	if !changed {
		return
	}
	ev := MakeEvent(st)
	w.ring = append(w.ring, ev)
	if len(w.ring) > b.cfg.Replay {
		w.ring = append(w.ring[:0:0], w.ring[len(w.ring)-b.cfg.Replay:]...)
	}
	for s := range w.streams {
		select {
		case s.ch <- ev:
		default:
			b.end(w, s) // a slow reader: it reconnects and is replayed
		}
	}
}

// end closes s (b.mu held).
func (b *Broker) end(w *watched, s *Stream) {
	if s.closed {
		return
	}
	s.closed = true
	delete(w.streams, s)
	b.count--
	close(s.done)
}

// MakeEvent renders the refetchEvaluation event of a state.
func MakeEvent(st State) Event {
	data, _ := json.Marshal(struct {
		Type    string `json:"type"`
		ETag    string `json:"etag,omitempty"`
		Version string `json:"version,omitempty"`
	}{"refetchEvaluation", st.ETag, st.Version})
	id := st.ID
	if id == "" {
		id = "none"
	}
	frame := make([]byte, 0, len(id)+len(data)+24)
	frame = append(frame, "id: "...)
	frame = append(frame, id...)
	frame = append(frame, "\nevent: message\ndata: "...)
	frame = append(frame, data...)
	frame = append(frame, "\n\n"...)
	return Event{ID: id, Frame: frame}
}

// Subscribe opens a stream on t and returns the events to send first.
// lastEventID is the last event a resuming client saw: it gets the events
// after it (the current state alone when that ID is unknown here and
// differs from it). A new client ("") gets the current state.
func (b *Broker) Subscribe(ctx context.Context, t Target, lastEventID string) (*Stream, []Event, error) {
	s := &Stream{target: t, ch: make(chan Event, b.cfg.Buffer), done: make(chan struct{})}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, nil, ErrClosed
	}
	w := b.targets[t]
	if w == nil {
		w = &watched{streams: map[*Stream]struct{}{}}
		b.targets[t] = w
	}
	w.streams[s] = struct{}{}
	b.count++
	known := w.known
	b.mu.Unlock()
	if !known {
		st, err := b.cfg.Source.State(ctx, t)
		if err != nil {
			b.Unsubscribe(s)
			return nil, nil, err
		}
		b.mu.Lock()
		if !w.known {
			w.cur, w.known = st, true
		}
		b.mu.Unlock()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if lastEventID == "" {
		// A new client: it may have read the configuration just before a
		// change it would otherwise never hear of, so it first gets the
		// current state (a conditional re-fetch, a 304 when nothing moved).
		if w.cur.ID == "" {
			return s, nil, nil
		}
		return s, []Event{MakeEvent(w.cur)}, nil
	}
	return s, replay(w, lastEventID), nil
}

// replay is what a client that saw lastEventID missed (b.mu held).
func replay(w *watched, lastEventID string) []Event {
	for i := len(w.ring) - 1; i >= 0; i-- {
		if w.ring[i].ID == lastEventID {
			return append([]Event(nil), w.ring[i+1:]...)
		}
	}
	if cur := MakeEvent(w.cur); cur.ID != lastEventID {
		return []Event{cur}
	}
	return nil
}

// Unsubscribe ends a stream (idempotent).
func (b *Broker) Unsubscribe(s *Stream) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.targets[s.target]
	if w == nil {
		if !s.closed {
			s.closed = true
			close(s.done)
		}
		return
	}
	b.end(w, s)
	if len(w.streams) == 0 {
		delete(b.targets, s.target)
	}
}

// Streams counts open streams.
func (b *Broker) Streams() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.count
}

// Close ends every stream and refuses new ones (server shutdown).
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for t, w := range b.targets {
		for s := range w.streams {
			b.end(w, s)
		}
		delete(b.targets, t)
	}
}
