// Package duework runs work that the store schedules: records of one kind
// carry a due time (appconfig.Record.DueAt), and a Worker claims the due
// ones when their time comes, across every process sharing the store. The
// deployment runner (deployment records), the extension outbox (delivery
// records) and the experiment runs' alarm watcher (run records) are
// Workers, and all three run their rounds through Claims.
//
// The protocol: a Worker sleeps until the earliest due time of its kind
// (at most Poll, so work scheduled by other processes is noticed), or a
// Kick, or a change topic it cares about; then its round claims due
// records with Store.ClaimDue (row-locked: one process per record). Work
// that does I/O outside a transaction takes a lease first: it writes its
// Owner and moves the record's due time to the lease's end, so that
// another process retries the work only if this one dies.
package duework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
)

// Config describes a Worker.
type Config struct {
	Store  appconfig.Store
	Clock  clock.Clock
	Logger *slog.Logger
	// Kind is the record kind whose due times the worker follows.
	Kind string
	// Poll is the longest the worker sleeps without looking (default 1s).
	Poll time.Duration
	// Wakes says which change topics announce new due work (a reset
	// always does).
	Wakes func(appconfig.Topic) bool
	// What names the work in log lines ("advancing deployments").
	What string
}

// Worker runs rounds of due work, one at a time within the process.
type Worker struct {
	cfg   Config
	owner string
	wake  chan struct{}
	// rounds serializes rounds within the process: a caller (a test, or a
	// Kick) waits for the round in progress, I/O included, and then sees
	// settled state.
	rounds sync.Mutex
}

// New builds a worker with a fresh random lease owner id.
func New(cfg Config) *Worker {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Wakes == nil {
		cfg.Wakes = func(appconfig.Topic) bool { return false }
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Worker{cfg: cfg, owner: hex.EncodeToString(b[:]), wake: make(chan struct{}, 1)}
}

// Owner identifies this process in the leases it takes.
func (w *Worker) Owner() string { return w.owner }

// Kick asks the worker to look for due work now.
func (w *Worker) Kick() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Round runs one round of work, after the round in progress, if any.
func (w *Worker) Round(ctx context.Context, round func(context.Context) (int, error)) (int, error) {
	w.rounds.Lock()
	defer w.rounds.Unlock()
	return round(ctx)
}

// Run runs round whenever work is due, until ctx ends. Change topics the
// worker cares about (and resets) wake it at once.
func (w *Worker) Run(ctx context.Context, round func(context.Context) (int, error)) {
	topics := w.cfg.Store.Subscribe(ctx)
	go func() {
		for topic := range topics {
			t, err := appconfig.ParseTopic(topic)
			if err == nil && (t.Kind == appconfig.TopicKindReset || w.cfg.Wakes(t)) {
				w.Kick()
			}
		}
	}()
	Loop(ctx, w.cfg.Store, w.cfg.Kind, w.cfg.Clock, w.cfg.Poll, w.wake, func(ctx context.Context) (int, error) {
		n, err := w.Round(ctx, round)
		if err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn(w.cfg.What+" failed", "err", err)
		}
		return n, err
	})
}

// Loop runs step whenever a record of kind is due, and otherwise sleeps
// until the earliest due record (at most poll, so work scheduled by other
// processes is noticed), a wake-up, or the end of ctx. Looking costs one
// read; step (a write transaction) runs only when something is due. A
// step that handles nothing (an error, or records locked elsewhere) is
// retried after poll, not at once.
func Loop(ctx context.Context, st appconfig.Store, kind string, clk clock.Clock, poll time.Duration, wake <-chan struct{}, step func(context.Context) (int, error)) {
	for ctx.Err() == nil {
		wait := poll
		next, ok, err := st.NextDue(ctx, kind)
		if err == nil && ok {
			if d := next.Sub(clk.Now()); d > 0 {
				wait = min(wait, d)
			} else if n, _ := step(ctx); n > 0 {
				continue // progress: more may be due
			}
		}
		t := clk.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
			t.Stop()
		case <-t.C():
		}
	}
}

// Claims is the round of a Worker whose work has a part inside the claim
// and a part outside any transaction (reading alarms, calling extension
// targets). It claims due records of the worker's kind, batch at a time;
// claim runs inside each record's claim transaction and may hand back a
// job (the record leased, see the package comment) whose run happens
// after the batch's claims commit, at most workers at once. It claims
// again while a batch comes back full, and, with whileJobs, while jobs
// ran (when what a job learns makes its record due at once).
func Claims[J any](ctx context.Context, w *Worker, batch, workers int, whileJobs bool,
	claim func(ctx context.Context, tx appconfig.Tx, rec appconfig.Record, now time.Time) (*J, error),
	run func(context.Context, J)) (int, error) {
	total := 0
	for {
		now := w.cfg.Clock.Now()
		var jobs []J
		n, err := w.cfg.Store.ClaimDue(ctx, w.cfg.Kind, now, batch, func(tx appconfig.Tx, rec appconfig.Record) error {
			job, err := claim(ctx, tx, rec, now)
			if job != nil {
				jobs = append(jobs, *job)
			}
			return err
		})
		total += n
		if err != nil {
			return total, err
		}
		runAll(ctx, jobs, workers, run)
		if n < batch && (!whileJobs || len(jobs) == 0) {
			return total, nil
		}
	}
}

// runAll runs run on every job, at most workers at once, and returns when
// all are done.
func runAll[J any](ctx context.Context, jobs []J, workers int, run func(context.Context, J)) {
	if len(jobs) == 0 {
		return
	}
	sem := make(chan struct{}, max(workers, 1))
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func(j J) {
			defer func() {
				<-sem
				wg.Done()
			}()
			run(ctx, j)
		}(j)
	}
	wg.Wait()
}
