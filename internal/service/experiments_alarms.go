package service

import (
	"context"
	"log/slog"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/duework"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Alarm stops of experiment runs. A RUNNING run's record is due work
// (Record.DueAt) of a duework.Worker: when it comes due, the watcher reads
// the environment's monitors (as they are now) with the deployment
// runner's AlarmChecker, outside any transaction, and a monitor in ALARM
// or INSUFFICIENT_DATA stops the run with TriggeredBy CLOUDWATCH_ALARM, as
// it rolls a deployment back. The schedule lives in the store, so a
// restart resumes it and, across PostgreSQL replicas, ClaimDue hands a run
// to one process at a time; the stop itself runs under the run's row lock
// and only while it is RUNNING, so it happens once.

// RunWatchConfig tunes the alarm watcher of experiment runs.
type RunWatchConfig struct {
	Alarms deploy.AlarmChecker // nil: monitors are never in alarm
	Logger *slog.Logger
	// Interval is how often a run's monitors are read (default 30s, the
	// deployments' monitor interval).
	Interval time.Duration
	// Lease is how long a claimed run waits before another process may
	// read its monitors again, should this one die (default 2m); it must
	// outlast IOTimeout in wall time.
	Lease time.Duration
	// IOTimeout bounds one reading of a run's monitors (default 25s).
	IOTimeout time.Duration
	// Poll is the longest the watcher sleeps without looking (default 1s).
	Poll time.Duration
	// Batch bounds runs claimed per round (default 256).
	Batch int
}

// RunWatcher stops experiment runs whose environment's monitors alarm.
type RunWatcher struct {
	svc  *Service
	cfg  RunWatchConfig
	work *duework.Worker
}

// NewRunWatcher builds the alarm watcher of s's experiment runs.
func (s *Service) NewRunWatcher(cfg RunWatchConfig) *RunWatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 30 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 2 * time.Minute
	}
	if cfg.IOTimeout <= 0 {
		cfg.IOTimeout = 25 * time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	w := &RunWatcher{svc: s, cfg: cfg}
	// A run starts with its environment's topic: look at once.
	w.work = duework.New(duework.Config{Store: s.store, Clock: s.clock, Logger: cfg.Logger, Kind: appconfig.RecordExperimentRun, Poll: cfg.Poll,
		What: "watching experiment runs' alarms", Wakes: func(t appconfig.Topic) bool { return t.Kind == appconfig.TopicKindEnvironment }})
	return w
}

// Run watches runs until ctx ends.
func (w *RunWatcher) Run(ctx context.Context) { w.work.Run(ctx, w.round) }

// RunDue reads the monitors of every run due now and stops those in
// alarm; it returns how many runs it claimed. Tests on a fake clock call
// it after advancing time.
func (w *RunWatcher) RunDue(ctx context.Context) (int, error) { return w.work.Round(ctx, w.round) }

// watchWorkers bounds concurrent monitor readings (as the runner's do).
const watchWorkers = 32

// watchJob is a claimed run whose monitors are read outside the claim.
type watchJob struct {
	sc       appconfig.Scope
	key      appconfig.Key
	run      appconfig.ExperimentRun
	monitors []appconfig.Monitor
}

func (w *RunWatcher) round(ctx context.Context) (int, error) {
	return duework.Claims(ctx, w.work, w.cfg.Batch, watchWorkers, false, w.claim, func(ctx context.Context, j watchJob) {
		if err := w.evaluate(ctx, j); err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("watching an experiment run's alarms failed", "run", j.key, "err", err)
		}
	})
}

// claim takes a due run inside its claim transaction: a run that is no
// longer RUNNING (or unreadable) leaves the schedule; one whose
// environment has no monitors comes due again an interval later; one with
// monitors is leased (due again at the lease's end, should this process
// die) and returned to read them.
func (w *RunWatcher) claim(ctx context.Context, tx appconfig.Tx, rec appconfig.Record, now time.Time) (*watchJob, error) {
	run, err := decodeExperimentRun(rec)
	if err != nil || run.Status != appconfig.RunRunning {
		if err != nil {
			w.cfg.Logger.Error("unreadable experiment run record", "key", rec.Key, "err", err)
		}
		rec.DueAt = time.Time{}
		return nil, tx.Put(ctx, rec)
	}
	sc := appconfig.Scope{Account: rec.Account, Region: rec.Region}
	env, _, err := records.Environments.Get(ctx, tx, records.EnvironmentKey(sc, run.ApplicationID, run.Snapshot.EnvironmentID), false)
	if err != nil && !appconfig.IsNotFound(err) {
		return nil, err
	}
	if len(env.Monitors) == 0 {
		rec.DueAt = now.Add(w.cfg.Interval)
		return nil, tx.Put(ctx, rec)
	}
	rec.DueAt = now.Add(w.cfg.Lease)
	if err := tx.Put(ctx, rec); err != nil {
		return nil, err
	}
	return &watchJob{sc: sc, key: rec.Key, run: run, monitors: env.Monitors}, nil
}

// evaluate reads a run's monitors and stops the run on an alarm, or
// schedules the next reading.
func (w *RunWatcher) evaluate(ctx context.Context, j watchJob) error {
	ioCtx, cancel := context.WithTimeout(ctx, w.cfg.IOTimeout)
	report := deploy.CheckMonitors(ioCtx, w.cfg.Alarms, j.sc, j.monitors)
	cancel()
	if report.InAlarm && report.Err != nil {
		// Unlike a rollout, a run is not stopped because a monitor could
		// not be read: it is read again at the next interval.
		w.cfg.Logger.Warn("experiment run monitor could not be read", "run", j.key, "monitor", report.AlarmArn, "err", report.Err)
	}
	if report.InAlarm && report.Err == nil {
		return w.stop(ctx, j, report)
	}
	return w.svc.store.Update(ctx, func(tx appconfig.Tx) error {
		rec, err := tx.Get(ctx, j.key, true, false)
		if appconfig.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		run, err := decodeExperimentRun(rec)
		if err != nil || run.Status != appconfig.RunRunning {
			return err // stopped meanwhile: its stop took it off the schedule
		}
		rec.DueAt = w.svc.clock.Now().Add(w.cfg.Interval)
		return tx.Put(ctx, rec)
	})
}

// stop ends a run on an alarm, with its managed deployment when the
// environment has no deployment in progress (a deployment in progress,
// which the same alarm may be rolling back, would refuse it: the run
// stops without one, and clients get what is deployed from the run's
// record alone).
func (w *RunWatcher) stop(ctx context.Context, j watchJob, report *deploy.AlarmReport) error {
	s := w.svc
	in := StopExperimentRunInput{}
	desc := "Experiment run stopped by alarm " + report.AlarmArn + " in state " + report.State
	var draft *managedDraft
	err := s.inRun(ctx, j.sc, j.run.ApplicationID, j.run.DefinitionID, j.run.Run, func(r appconfig.ExperimentRun, t runTarget) error {
		if r.Status != appconfig.RunRunning {
			return nil
		}
		var err error
		draft, err = s.prepareManaged(ctx, j.sc, t, managedDescription(r.Snapshot, r.Run, "stopped by an alarm"), r.DeploymentParameters)
		if appconfig.IsConflict(err) {
			draft, err = nil, nil
		}
		return err
	})
	if err != nil {
		return err
	}
	attempt := func(draft *managedDraft) error {
		return s.store.Update(ctx, func(tx appconfig.Tx) error {
			def, dr, run, rr, err := s.loadRun(ctx, tx, j.sc, j.run.ApplicationID, j.run.DefinitionID, j.run.Run, true)
			if err != nil || run.Status != appconfig.RunRunning {
				return err // stopped meanwhile, by a user or another replica
			}
			if err := s.stopRun(ctx, tx, j.sc, def, dr, &run, rr, appconfig.TriggeredByCloudWatchAlarm, in, draft); err != nil {
				return err
			}
			// stopRun wrote the generic description; say which alarm.
			run.EventLog[len(run.EventLog)-1].Description = desc
			rr.Body, rr.DueAt = encodeExperimentRun(run), time.Time{}
			w.cfg.Logger.Info("experiment run stopped by an alarm", "application", run.ApplicationID, "definition", run.DefinitionID, "run", run.Run, "monitor", report.AlarmArn, "state", report.State)
			return tx.Put(ctx, rr)
		})
	}
	err = attempt(draft)
	if draft != nil && appconfig.IsConflict(err) {
		// A deployment started meanwhile: stop without a managed one.
		draft, err = nil, attempt(nil)
	}
	if err == nil && draft != nil {
		s.life.Kick()
	}
	return err
}
