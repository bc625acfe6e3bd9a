package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
)

// Hooks let the extension system take part in deployments.
type Hooks interface {
	// OnEvent runs inside the transaction that records ev (the last event
	// of d's log); it may enqueue durable work and fill ev.ActionInvocations.
	OnEvent(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d *appconfig.Deployment, ev *appconfig.DeploymentEvent, point ActionPoint) error
	// Tick runs outside any transaction while the deployment deploys or
	// bakes, every TickInterval, when d.Ticks is set.
	Tick(ctx context.Context, sc appconfig.Scope, d appconfig.Deployment) TickResult
}

// AlarmChecker reads the state of one monitor: "OK", "ALARM" or
// "INSUFFICIENT_DATA" (and "DISABLED" for alarms whose actions are off).
type AlarmChecker interface {
	Check(ctx context.Context, sc appconfig.Scope, m appconfig.Monitor) (string, error)
}

// Config tunes the runner.
type Config struct {
	Store  appconfig.Store
	Clock  clock.Clock
	Logger *slog.Logger
	Hooks  Hooks        // nil: no extensions
	Alarms AlarmChecker // nil: monitors are never in alarm
	// MonitorInterval is how often alarms are evaluated (default 30s).
	MonitorInterval time.Duration
	// TickInterval is the AT_DEPLOYMENT_TICK period (default 60s).
	TickInterval time.Duration
	// Lease bounds how long one process may evaluate a deployment's
	// monitors and ticks before another may take over (default 2m). It
	// must outlast IOTimeout in wall time.
	Lease time.Duration
	// IOTimeout bounds one evaluation's monitor reads and tick
	// invocations, in wall time (default 25s); what has not answered by
	// then counts as failed.
	IOTimeout time.Duration
	// Poll is the longest the runner sleeps without looking at the store,
	// so that it notices deployments started by other processes (default
	// 1s of service time).
	Poll time.Duration
	// Workers bounds concurrent monitor/tick evaluations (default 32).
	Workers int
	// Batch bounds deployments advanced per claim round (default 256).
	Batch int
	// Observe, when set, learns how late each step fired (for metrics).
	Observe func(lateness time.Duration)
}

// Runner advances deployments when they are due.
type Runner struct {
	cfg   Config
	owner string
	wake  chan struct{}
	// rounds serializes RunDue within the process: a caller (a test, or a
	// Kick) waits for the round in progress, evaluations included, and then
	// sees settled state.
	rounds sync.Mutex
}

// NewRunner builds a runner.
func NewRunner(cfg Config) *Runner {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MonitorInterval <= 0 {
		cfg.MonitorInterval = 30 * time.Second
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = 60 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.IOTimeout <= 0 {
		cfg.IOTimeout = 25 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Runner{cfg: cfg, owner: hex.EncodeToString(b[:]), wake: make(chan struct{}, 1)}
}

// Config returns the effective configuration.
func (r *Runner) Config() Config { return r.cfg }

// Kick asks the runner to look at the store now (e.g. after a start).
func (r *Runner) Kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run advances deployments until ctx ends. One goroutine serves any
// number of deployments: their schedule lives in the store, not in timers.
func (r *Runner) Run(ctx context.Context) {
	// Deployments started or stopped by other processes announce their
	// environment's topic: look at once instead of at the next poll.
	topics := r.cfg.Store.Subscribe(ctx)
	go func() {
		for t := range topics {
			if strings.HasPrefix(t, "env|") || t == appconfig.TopicReset {
				r.Kick()
			}
		}
	}()
	Loop(ctx, r.cfg.Store, appconfig.KindDeployment, r.cfg.Clock, r.cfg.Poll, r.wake, func(ctx context.Context) (int, error) {
		n, err := r.RunDue(ctx)
		if err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("advancing deployments failed", "err", err)
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

type ioJob struct {
	key      appconfig.Key
	sc       appconfig.Scope
	d        appconfig.Deployment
	monitors bool
	ticks    bool
}

// RunDue advances every deployment due now, including the monitor and
// tick evaluations that are due, and returns how many it handled. Tests
// on a fake clock call it directly after advancing time.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	r.rounds.Lock()
	defer r.rounds.Unlock()
	total := 0
	for {
		now := r.cfg.Clock.Now()
		var jobs []ioJob
		n, err := r.cfg.Store.ClaimDue(ctx, appconfig.KindDeployment, now, r.cfg.Batch, func(tx appconfig.Tx, rec appconfig.Record) error {
			d, err := decodeDeployment(rec)
			if err != nil {
				// A corrupt record must not wedge the runner: park it.
				r.cfg.Logger.Error("corrupt deployment record", "key", rec.Key, "err", err)
				rec.DueAt = time.Time{}
				return tx.Put(ctx, rec)
			}
			sc := appconfig.Scope{Account: rec.Account, Region: rec.Region}
			mon, tick := NeedsIO(&d, now)
			if (mon || tick) && (d.LeaseOwner == "" || d.LeaseOwner == r.owner || !now.Before(d.LeaseUntil)) {
				d.LeaseOwner, d.LeaseUntil = r.owner, now.Add(r.cfg.Lease)
				rec.Body, rec.DueAt = encodeDeployment(d), d.LeaseUntil
				if err := tx.Put(ctx, rec); err != nil {
					return err
				}
				jobs = append(jobs, ioJob{key: rec.Key, sc: sc, d: d, monitors: mon, ticks: tick})
				return nil
			}
			if r.cfg.Observe != nil {
				if due := NextWake(&d, now); !due.IsZero() {
					r.cfg.Observe(now.Sub(due))
				}
			}
			return r.apply(ctx, tx, rec, d, now, Observation{})
		})
		total += n
		if err != nil {
			return total, err
		}
		r.runJobs(ctx, jobs)
		if n < r.cfg.Batch && len(jobs) == 0 {
			return total, nil
		}
	}
}

func (r *Runner) runJobs(ctx context.Context, jobs []ioJob) {
	if len(jobs) == 0 {
		return
	}
	sem := make(chan struct{}, r.cfg.Workers)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func(j ioJob) {
			defer func() {
				<-sem
				wg.Done()
			}()
			if err := r.evaluate(ctx, j); err != nil && ctx.Err() == nil {
				r.cfg.Logger.Warn("evaluating deployment monitors failed", "key", j.key, "err", err)
			}
		}(j)
	}
	wg.Wait()
}

// evaluate reads alarms and runs ticks outside any transaction, then
// applies what it learned under the lease it holds.
func (r *Runner) evaluate(ctx context.Context, j ioJob) error {
	var obs Observation
	ioCtx, cancel := context.WithTimeout(ctx, r.cfg.IOTimeout)
	if j.monitors {
		obs.Alarm = r.checkMonitors(ioCtx, j.sc, j.d)
	}
	if j.ticks && r.cfg.Hooks != nil && (obs.Alarm == nil || !obs.Alarm.InAlarm) {
		t := r.cfg.Hooks.Tick(ioCtx, j.sc, j.d)
		obs.Tick = &t
	}
	cancel()
	return r.cfg.Store.Update(ctx, func(tx appconfig.Tx) error {
		rec, err := tx.Get(ctx, j.key, true, false)
		if appconfig.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		d, err := decodeDeployment(rec)
		if err != nil {
			return err
		}
		if d.LeaseOwner != r.owner {
			return nil // another process took over after our lease lapsed
		}
		now := r.cfg.Clock.Now()
		d.LeaseOwner, d.LeaseUntil = "", time.Time{}
		if j.monitors {
			d.NextMonitor = now.Add(r.cfg.MonitorInterval)
		}
		if j.ticks {
			d.NextTick = now.Add(r.cfg.TickInterval)
		}
		if !d.State.Active() || d.State == appconfig.DeploymentRollingBack {
			obs = Observation{} // stopped meanwhile: the observation is moot
		}
		return r.apply(ctx, tx, rec, d, now, obs)
	})
}

func (r *Runner) checkMonitors(ctx context.Context, sc appconfig.Scope, d appconfig.Deployment) *AlarmReport {
	if r.cfg.Alarms == nil {
		return &AlarmReport{}
	}
	for _, m := range d.Monitors {
		state, err := r.cfg.Alarms.Check(ctx, sc, m)
		if err != nil {
			// One retry: a monitor that cannot be read is an error, and
			// AppConfig rolls back on errors (INTERNAL_ERROR).
			state, err = r.cfg.Alarms.Check(ctx, sc, m)
		}
		switch {
		case err != nil:
			return &AlarmReport{InAlarm: true, AlarmArn: m.AlarmArn, State: "ERROR", Err: err,
				Description: "Rollback started: monitor " + m.AlarmArn + " could not be read: " + err.Error()}
		case state == "ALARM" || state == "INSUFFICIENT_DATA":
			return &AlarmReport{InAlarm: true, AlarmArn: m.AlarmArn, State: state,
				Description: "Rollback started by alarm " + m.AlarmArn + " in state " + state}
		}
	}
	return &AlarmReport{}
}

// apply advances d and persists the result inside tx.
func (r *Runner) apply(ctx context.Context, tx appconfig.Tx, rec appconfig.Record, d appconfig.Deployment, now time.Time, obs Observation) error {
	sc := appconfig.Scope{Account: rec.Account, Region: rec.Region}
	next, added := Advance(d, now, obs)
	if err := Persist(ctx, tx, r.cfg.Hooks, sc, rec, d.State, &next, added, now); err != nil {
		return err
	}
	LogTransition(r.cfg.Logger, sc, &next, added)
	return nil
}

// Persist writes a deployment after a transition: it runs the hooks of
// the added events, stores the record with its next wake-up, moves the
// environment's state along, and notifies the data plane. The service
// uses it for starts, stops and reverts; the runner for everything else.
// The hooks may add to d (the invocations of its events): on return d is
// what was stored.
func Persist(ctx context.Context, tx appconfig.Tx, hooks Hooks, sc appconfig.Scope, rec appconfig.Record, prevState appconfig.DeploymentState, d *appconfig.Deployment, added int, now time.Time) error {
	if hooks != nil {
		for i := len(d.EventLog) - added; i < len(d.EventLog); i++ {
			ev := &d.EventLog[i]
			if p := PointFor(ev.EventType); p != "" {
				if err := hooks.OnEvent(ctx, tx, sc, d, ev, p); err != nil {
					return err
				}
			}
		}
	}
	rec.Body = encodeDeployment(*d)
	rec.DueAt = NextWake(d, now)
	if !d.LeaseUntil.IsZero() && d.LeaseUntil.After(rec.DueAt) && d.State.Active() {
		rec.DueAt = d.LeaseUntil
	}
	if err := tx.Put(ctx, rec); err != nil {
		return err
	}
	// The environment's state moves only with the deployment's; what
	// clients are served moves with every event (a new percentage).
	if d.State != prevState {
		if err := setEnvironmentState(ctx, tx, sc, *d); err != nil {
			return err
		}
	}
	if d.State != prevState || added > 0 {
		tx.Notify(appconfig.EnvironmentTopic(sc, d.ApplicationID, d.EnvironmentID))
	}
	return nil
}

func setEnvironmentState(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d appconfig.Deployment) error {
	k := appconfig.EnvironmentKey(sc, d.ApplicationID, d.EnvironmentID)
	rec, err := tx.Get(ctx, k, true, false)
	if appconfig.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var env appconfig.Environment
	if err := json.Unmarshal(rec.Body, &env); err != nil {
		return appconfig.Internal(err, "corrupt environment record %s", k.ID)
	}
	state := appconfig.EnvironmentStateFor(d.State)
	if env.State == state {
		return nil
	}
	env.State = state
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	rec.Body = b
	return tx.Put(ctx, rec)
}

func decodeDeployment(rec appconfig.Record) (appconfig.Deployment, error) {
	var d appconfig.Deployment
	if err := json.Unmarshal(rec.Body, &d); err != nil {
		return d, appconfig.Internal(err, "corrupt deployment record %s", rec.ID)
	}
	return d, nil
}

// DecodeDeployment decodes a deployment record.
func DecodeDeployment(rec appconfig.Record) (appconfig.Deployment, error) {
	return decodeDeployment(rec)
}

func encodeDeployment(d appconfig.Deployment) []byte {
	b, err := json.Marshal(d)
	if err != nil {
		panic(errors.New("encode deployment: " + err.Error()))
	}
	return b
}

// EncodeDeployment encodes a deployment record body.
func EncodeDeployment(d appconfig.Deployment) []byte { return encodeDeployment(d) }
