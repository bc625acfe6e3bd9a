package deploy

import (
	"context"
	"errors"
	"log/slog"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/duework"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Hooks let the extension system take part in deployments.
type Hooks interface {
	// OnEvent runs inside the transaction that records ev (the last event
	// of d's log); it may enqueue durable work and fill ev.ActionInvocations.
	OnEvent(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, d *appconfig.Deployment, ev *appconfig.DeploymentEvent, point appconfig.ActionPoint) error
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
	// Batch bounds deployments advanced per claim round (default 1024;
	// the store claims them 64 per transaction).
	Batch int
	// Observe, when set, learns how late each step fired (for metrics).
	Observe func(lateness time.Duration)
	// Lag is how late a claimed step may be before new starts wait for
	// the round to end (default Poll/10; see Lifecycle.Admit).
	Lag time.Duration
}

// Runner advances deployments when they are due.
type Runner struct {
	cfg  Config
	work *duework.Worker
	life *Lifecycle
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
		cfg.Batch = 1024
	}
	if cfg.Lag <= 0 {
		cfg.Lag = cfg.Poll / 10
	}
	r := &Runner{cfg: cfg}
	// Deployments started or stopped by other processes announce their
	// environment's topic: look at once instead of at the next poll.
	r.work = duework.New(duework.Config{Store: cfg.Store, Clock: cfg.Clock, Logger: cfg.Logger, Kind: appconfig.RecordDeployment, Poll: cfg.Poll,
		What: "advancing deployments", Wakes: func(t appconfig.Topic) bool { return t.Kind == appconfig.TopicKindEnvironment }})
	r.life = NewLifecycle(cfg.Hooks, r.work.Kick, cfg.Logger)
	r.life.starts = newGate(cfg.Clock, cfg.Poll)
	return r
}

// Lifecycle is the lifecycle the runner applies its steps through; the
// service starts and stops deployments through the same one.
func (r *Runner) Lifecycle() *Lifecycle { return r.life }

// Alarms is the runner's monitor reader (nil: monitors never alarm); the
// experiment runs' alarm watcher shares it.
func (r *Runner) Alarms() AlarmChecker { return r.cfg.Alarms }

// Kick asks the runner to look at the store now (e.g. after a start).
func (r *Runner) Kick() { r.work.Kick() }

// Run advances deployments until ctx ends. One goroutine serves any
// number of deployments: their schedule lives in the store, not in timers.
func (r *Runner) Run(ctx context.Context) {
	defer r.life.starts.reopen()
	r.work.Run(ctx, r.round)
}

type ioJob struct {
	sc       appconfig.Scope
	d        appconfig.Deployment
	monitors bool
	ticks    bool
}

// RunDue advances every deployment due now, including the monitor and
// tick evaluations that are due, and returns how many it handled. Tests
// on a fake clock call it directly after advancing time.
func (r *Runner) RunDue(ctx context.Context) (int, error) { return r.work.Round(ctx, r.round) }

func (r *Runner) round(ctx context.Context) (int, error) {
	// claim closes the starts' gate when it finds a step late; the round
	// reopens it when nothing more is due, and so does the I/O of monitor
	// and tick evaluations (waiting on alarms and extensions, not on the
	// core, it is no reason to hold starts).
	defer r.life.starts.reopen()
	return duework.Claims(ctx, r.work, r.cfg.Batch, r.cfg.Workers, true, r.claim, func(ctx context.Context, j ioJob) {
		r.life.starts.reopen()
		if err := r.evaluate(ctx, j); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("evaluating deployment monitors failed", "key", RecordKey(j.sc, j.d), "err", err)
		}
	})
}

// claim handles one due record inside its claim transaction: it takes the
// lease for monitor and tick evaluations that are due (returning the job
// to run outside the transaction), or applies the engine's step.
func (r *Runner) claim(ctx context.Context, tx appconfig.Tx, rec appconfig.Record, now time.Time) (*ioJob, error) {
	// The claim query returned the whole record: decode it, unless it is
	// the body this process last wrote (then its decoded form is at hand).
	d, lease, ok := r.life.bodies.get(rec)
	var err error
	if !ok {
		d, lease, err = decodeRecord(rec)
	}
	if errors.Is(err, records.ErrNewerVersion) {
		// A newer replica's record: fail the claim, which postpones it,
		// and leave it to a process that can read it.
		return nil, err
	}
	if err != nil {
		// A corrupt record must not wedge the runner: park it.
		r.cfg.Logger.Error("corrupt deployment record", "key", rec.Key, "err", err)
		return nil, r.life.park(ctx, tx, rec)
	}
	sc := appconfig.Scope{Account: rec.Account, Region: rec.Region}
	mon, tick := NeedsIO(&d, now)
	if (mon || tick) && (lease.Owner == "" || lease.Owner == r.work.Owner() || !now.Before(lease.Until)) {
		lease = Lease{Owner: r.work.Owner(), Until: now.Add(r.cfg.Lease)}
		if err := r.life.takeLease(ctx, tx, sc, d, lease); err != nil {
			return nil, err
		}
		return &ioJob{sc: sc, d: d, monitors: mon, ticks: tick}, nil
	}
	if now.Sub(rec.DueAt) > r.cfg.Lag {
		r.life.starts.close()
	}
	if r.cfg.Observe != nil {
		if due := NextWake(&d, now); !due.IsZero() {
			r.cfg.Observe(now.Sub(due))
		}
	}
	_, err = r.life.Advance(ctx, tx, sc, d, lease, now, Observation{})
	return nil, err
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
		rec, err := tx.Get(ctx, RecordKey(j.sc, j.d), true, false)
		if appconfig.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		d, lease, err := decodeRecord(rec)
		if err != nil {
			return err
		}
		if lease.Owner != r.work.Owner() {
			return nil // another process took over after our lease lapsed
		}
		now := r.cfg.Clock.Now()
		if j.monitors {
			d.NextMonitor = now.Add(r.cfg.MonitorInterval)
		}
		if j.ticks {
			d.NextTick = now.Add(r.cfg.TickInterval)
		}
		if !d.State.Active() || d.State == appconfig.DeploymentRollingBack {
			obs = Observation{} // stopped meanwhile: the observation is moot
		}
		_, err = r.life.Advance(ctx, tx, j.sc, d, Lease{}, now, obs)
		return err
	})
}

func (r *Runner) checkMonitors(ctx context.Context, sc appconfig.Scope, d appconfig.Deployment) *AlarmReport {
	return CheckMonitors(ctx, r.cfg.Alarms, sc, d.Monitors)
}

// CheckMonitors reads monitors in order with alarms (nil: never in alarm)
// and reports the first in ALARM or INSUFFICIENT_DATA, or that could not
// be read after one retry. A deployment rolls back on any of these; the
// experiment runs' alarm watcher reads monitors through it too.
func CheckMonitors(ctx context.Context, alarms AlarmChecker, sc appconfig.Scope, monitors []appconfig.Monitor) *AlarmReport {
	if alarms == nil {
		return &AlarmReport{}
	}
	for _, m := range monitors {
		state, err := alarms.Check(ctx, sc, m)
		if err != nil {
			// One retry: a monitor that cannot be read is an error, and
			// AppConfig rolls back on errors (INTERNAL_ERROR).
			state, err = alarms.Check(ctx, sc, m)
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
