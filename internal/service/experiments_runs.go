package service

import (
	"context"
	"maps"
	"sort"
	"strings"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Experiment runs: one RUNNING run per definition and per environment,
// profile and flag; the definition is ACTIVE while its run is RUNNING.
// Each run record holds the definition as it was at the start and its own
// event log, so runs survive restarts and replicas like deployments do.

// maxOverrides is the model's limit of treatment overrides per run.
const maxOverrides = 32

// StartExperimentRunInput starts a run.
type StartExperimentRunInput struct {
	Description          string
	ExposurePercentage   float64           // 0 when not given: only overrides are exposed
	Overrides            map[string]string // entity id → treatment key
	Tags                 map[string]string
	DeploymentParameters appconfig.RunDeploymentParameters
}

// UpdateExperimentRunInput changes the members that are not nil; a
// non-nil empty Overrides removes every override.
type UpdateExperimentRunInput struct {
	Description          *string
	ExposurePercentage   *float64
	Overrides            map[string]string
	DeploymentParameters *appconfig.RunDeploymentParameters
}

// StopExperimentRunInput stops a run.
type StopExperimentRunInput struct {
	Result               *appconfig.ExperimentRunResult
	DeploymentParameters *appconfig.RunDeploymentParameters
}

func checkOverrides(def *appconfig.ExperimentDefinition, overrides map[string]string) error {
	if len(overrides) > maxOverrides {
		return appconfig.BadRequest("A run can have at most %d treatment overrides; %d given.", maxOverrides, len(overrides))
	}
	for _, entity := range sortedKeys(overrides) {
		if _, ok := def.Treatment(overrides[entity]); !ok {
			keys := []string{}
			for _, t := range def.AllTreatments() {
				keys = append(keys, t.Key)
			}
			return appconfig.BadRequest("The override of entity %q names treatment %q; the experiment's treatments are %s.", entity, overrides[entity], strings.Join(keys, ", "))
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cloneOverrides(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// appendRunEvent records an event with the run's exposure and overrides
// as they are after it.
func appendRunEvent(run *appconfig.ExperimentRun, typ, desc, by string) {
	run.EventLog = append(run.EventLog, appconfig.ExperimentRunEvent{
		Type: typ, Description: desc, TriggeredBy: by, OccurredAt: run.UpdatedAt,
		ExposurePercentage: run.ExposurePercentage, Overrides: cloneOverrides(run.Overrides),
	})
}

// StartExperimentRun starts the next run of a definition, and its managed
// deployment.
func (s *Service) StartExperimentRun(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, in StartExperimentRunInput) (appconfig.ExperimentRun, error) {
	return againIfStale(func() (appconfig.ExperimentRun, error) { return s.startExperimentRun(ctx, sc, appIdent, defIdent, in) })
}

func (s *Service) startExperimentRun(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, in StartExperimentRunInput) (appconfig.ExperimentRun, error) {
	var run appconfig.ExperimentRun
	if err := checkTagKeys(in.Tags); err != nil {
		return run, err
	}
	var pre appconfig.ExperimentDefinition
	var target runTarget
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
		if err != nil {
			return err
		}
		if pre, _, err = s.resolveDefinition(ctx, tx, sc, app.ID, defIdent, false); err != nil {
			return err
		}
		if err := s.checkStartable(ctx, tx, sc, pre); err != nil {
			return err
		}
		if err := checkOverrides(&pre, in.Overrides); err != nil {
			return err
		}
		target, err = s.loadRunTarget(ctx, tx, sc, pre)
		return err
	})
	if err != nil {
		return run, err
	}
	draft, err := s.prepareManaged(ctx, sc, target, managedDescription(pre, pre.LatestRun+1, "started"), in.DeploymentParameters)
	if err != nil {
		return run, err
	}
	now := s.clock.Now()
	err = s.store.Update(ctx, func(tx appconfig.Tx) error {
		if err := lockExperiments(ctx, tx, sc, pre.ApplicationID); err != nil {
			return err
		}
		def, r, err := s.resolveDefinition(ctx, tx, sc, pre.ApplicationID, pre.ID, true)
		if err != nil {
			return err
		}
		if err := s.checkStartable(ctx, tx, sc, def); err != nil {
			return err
		}
		if err := checkOverrides(&def, in.Overrides); err != nil {
			return err
		}
		def.LatestRun++
		def.Status = appconfig.ExperimentActive
		snapshot := def
		snapshot.Status, snapshot.LatestRun = "", 0
		run = appconfig.ExperimentRun{
			ApplicationID: def.ApplicationID, DefinitionID: def.ID, Run: def.LatestRun, Description: in.Description,
			Status: appconfig.RunRunning, ExposurePercentage: in.ExposurePercentage, Overrides: cloneOverrides(in.Overrides),
			StartedAt: now, UpdatedAt: now, Snapshot: snapshot, DeploymentParameters: in.DeploymentParameters,
		}
		appendRunEvent(&run, appconfig.RunStarted, "Experiment run started", appconfig.TriggeredByUser)
		if err := s.runChanged(ctx, tx, sc, &run, draft, 0); err != nil {
			return err
		}
		// Due at once: the alarm watcher looks at the environment's
		// monitors from the start of the run.
		rec := appconfig.Record{Key: experimentRunKey(sc, def.ApplicationID, def.ID, run.Run), Body: encodeExperimentRun(run), DueAt: now}
		if err := tx.Insert(ctx, &rec); err != nil {
			return err
		}
		r.Body = encodeExperimentDefinition(def)
		if err := tx.Put(ctx, r); err != nil {
			return err
		}
		return s.putTags(ctx, tx, sc, experimentRunParent(def.ApplicationID, def.ID), ExperimentRunARN(sc, def.ApplicationID, def.ID, run.Run), in.Tags)
	})
	if err == nil {
		s.life.Kick()
	}
	return run, err
}

// checkStartable refuses a run of an archived definition, a second
// RUNNING run of a definition or of its environment, profile and flag,
// and a flag that is no longer deployed there.
func (s *Service) checkStartable(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, def appconfig.ExperimentDefinition) error {
	switch def.Status {
	case appconfig.ExperimentArchived:
		return appconfig.Conflict("Experiment definition %s is archived; runs cannot be started.", def.ID)
	case appconfig.ExperimentActive:
		return appconfig.Conflict("Experiment definition %s already has a RUNNING experiment run (run %d).", def.ID, def.LatestRun)
	}
	defs, err := definitionsOf(ctx, tx, sc, def.ApplicationID)
	if err != nil {
		return err
	}
	for _, o := range defs {
		if o.ID != def.ID && o.Status == appconfig.ExperimentActive && o.EnvironmentID == def.EnvironmentID &&
			o.ConfigurationProfileID == def.ConfigurationProfileID && o.FlagKey == def.FlagKey {
			return appconfig.Conflict("Experiment definition %s already has a RUNNING experiment run on flag %s of configuration profile %s in environment %s.", o.ID, def.FlagKey, def.ConfigurationProfileID, def.EnvironmentID)
		}
	}
	prof, _, err := s.resolveProfile(ctx, tx, sc, def.ApplicationID, def.ConfigurationProfileID, false)
	if err != nil {
		return err
	}
	env, _, err := s.resolveEnv(ctx, tx, sc, def.ApplicationID, def.EnvironmentID, false)
	if err != nil {
		return err
	}
	return checkFlagDeployed(ctx, tx, sc, prof, env, def.FlagKey)
}

// loadRun resolves the application and definition and reads a run.
func (s *Service) loadRun(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appIdent, defIdent string, number int, forUpdate bool) (appconfig.ExperimentDefinition, appconfig.Record, appconfig.ExperimentRun, appconfig.Record, error) {
	var run appconfig.ExperimentRun
	app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
	if err != nil {
		return appconfig.ExperimentDefinition{}, appconfig.Record{}, run, appconfig.Record{}, err
	}
	def, dr, err := s.resolveDefinition(ctx, tx, sc, app.ID, defIdent, forUpdate)
	if err != nil {
		return def, dr, run, appconfig.Record{}, err
	}
	rr, err := tx.Get(ctx, experimentRunKey(sc, app.ID, def.ID, number), forUpdate, false)
	if appconfig.IsNotFound(err) {
		return def, dr, run, rr, appconfig.NotFound("ExperimentRun", "Experiment run %d of experiment definition %s not found", number, def.ID)
	}
	if err != nil {
		return def, dr, run, rr, err
	}
	run, err = decodeExperimentRun(rr)
	return def, dr, run, rr, err
}

// GetExperimentRun returns one run.
func (s *Service) GetExperimentRun(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, number int) (appconfig.ExperimentRun, error) {
	var run appconfig.ExperimentRun
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		_, _, run, _, err = s.loadRun(ctx, tx, sc, appIdent, defIdent, number, false)
		return err
	})
	return run, err
}

// UpdateExperimentRun raises the exposure (never lowers it), replaces the
// overrides, or changes the description of a RUNNING run. Each change of
// exposure or overrides is an event, and the change is deployed.
func (s *Service) UpdateExperimentRun(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, number int, in UpdateExperimentRunInput) (appconfig.ExperimentRun, error) {
	return againIfStale(func() (appconfig.ExperimentRun, error) {
		return s.updateExperimentRun(ctx, sc, appIdent, defIdent, number, in)
	})
}

func (s *Service) updateExperimentRun(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, number int, in UpdateExperimentRunInput) (appconfig.ExperimentRun, error) {
	var run appconfig.ExperimentRun
	var draft *managedDraft
	var pre appconfig.ExperimentRun
	err := s.inRun(ctx, sc, appIdent, defIdent, number, func(r appconfig.ExperimentRun, t runTarget) error {
		if err := checkRunUpdate(r, in); err != nil {
			return err
		}
		pre = r
		if !runUpdateChanges(r, in) {
			return nil
		}
		var err error
		draft, err = s.prepareManaged(ctx, sc, t, managedDescription(r.Snapshot, r.Run, "updated"), paramsOr(in.DeploymentParameters, r.DeploymentParameters))
		return err
	})
	if err != nil {
		return run, err
	}
	err = s.store.Update(ctx, func(tx appconfig.Tx) error {
		_, _, r, rr, err := s.loadRun(ctx, tx, sc, pre.ApplicationID, pre.DefinitionID, number, true)
		if err != nil {
			return err
		}
		run = r
		if err := checkRunUpdate(run, in); err != nil {
			return err
		}
		if runUpdateChanges(run, in) && draft == nil {
			return staleDraft{appconfig.Conflict("Experiment run %d of experiment definition %s changed meanwhile; try again.", run.Run, run.DefinitionID)}
		}
		run.UpdatedAt = s.clock.Now()
		setIf(&run.Description, in.Description)
		if in.DeploymentParameters != nil {
			run.DeploymentParameters = *in.DeploymentParameters
		}
		first := len(run.EventLog)
		if in.ExposurePercentage != nil && *in.ExposurePercentage != run.ExposurePercentage {
			run.ExposurePercentage = *in.ExposurePercentage
			appendRunEvent(&run, appconfig.ExposureUpdated, "Experiment run exposure updated", appconfig.TriggeredByUser)
		}
		if in.Overrides != nil && !maps.Equal(in.Overrides, run.Overrides) {
			run.Overrides = cloneOverrides(in.Overrides)
			appendRunEvent(&run, appconfig.OverridesUpdated, "Experiment run treatment overrides updated", appconfig.TriggeredByUser)
		}
		if len(run.EventLog) > first {
			if err := s.runChanged(ctx, tx, sc, &run, draft, first); err != nil {
				return err
			}
		}
		rr.Body = encodeExperimentRun(run)
		return tx.Put(ctx, rr)
	})
	if err == nil && draft != nil {
		s.life.Kick()
	}
	return run, err
}

// checkRunUpdate refuses an update of a run that is not RUNNING, a lower
// exposure and overrides naming no treatment.
func checkRunUpdate(run appconfig.ExperimentRun, in UpdateExperimentRunInput) error {
	if run.Status != appconfig.RunRunning {
		return appconfig.Conflict("Experiment run %d of experiment definition %s is %s and cannot be updated.", run.Run, run.DefinitionID, run.Status)
	}
	if in.ExposurePercentage != nil && *in.ExposurePercentage < run.ExposurePercentage {
		return appconfig.BadRequest("Audience exposure can only be increased (it is %v %%, %v %% asked); to reduce it, stop this run and start a new one.", run.ExposurePercentage, *in.ExposurePercentage)
	}
	if in.Overrides != nil {
		return checkOverrides(&run.Snapshot, in.Overrides)
	}
	return nil
}

// runUpdateChanges reports whether an update changes what clients see:
// the exposure or the overrides.
func runUpdateChanges(run appconfig.ExperimentRun, in UpdateExperimentRunInput) bool {
	return (in.ExposurePercentage != nil && *in.ExposurePercentage != run.ExposurePercentage) ||
		(in.Overrides != nil && !maps.Equal(in.Overrides, run.Overrides))
}

func paramsOr(given *appconfig.RunDeploymentParameters, stored appconfig.RunDeploymentParameters) appconfig.RunDeploymentParameters {
	if given != nil {
		return *given
	}
	return stored
}

// inRun reads a run and what it deploys to in a read transaction, for the
// work done before its write transaction (a managed deployment's
// PRE_START_DEPLOYMENT actions run outside any transaction).
func (s *Service) inRun(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, number int, fn func(appconfig.ExperimentRun, runTarget) error) error {
	var run appconfig.ExperimentRun
	var t runTarget
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		if _, _, run, _, err = s.loadRun(ctx, tx, sc, appIdent, defIdent, number, false); err != nil {
			return err
		}
		t, err = s.loadRunTarget(ctx, tx, sc, run.Snapshot)
		return err
	})
	if err != nil {
		return err
	}
	return fn(run, t)
}

// StopExperimentRun stops a RUNNING run at the user's request, with its
// managed deployment.
func (s *Service) StopExperimentRun(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, number int, in StopExperimentRunInput) (appconfig.ExperimentRun, error) {
	return againIfStale(func() (appconfig.ExperimentRun, error) {
		return s.stopExperimentRun(ctx, sc, appIdent, defIdent, number, in)
	})
}

func (s *Service) stopExperimentRun(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, number int, in StopExperimentRunInput) (appconfig.ExperimentRun, error) {
	var run appconfig.ExperimentRun
	var draft *managedDraft
	var pre appconfig.ExperimentRun
	err := s.inRun(ctx, sc, appIdent, defIdent, number, func(r appconfig.ExperimentRun, t runTarget) error {
		if r.Status != appconfig.RunRunning {
			return appconfig.Conflict("Experiment run %d of experiment definition %s is already %s.", r.Run, r.DefinitionID, r.Status)
		}
		pre = r
		var err error
		draft, err = s.prepareManaged(ctx, sc, t, managedDescription(r.Snapshot, r.Run, "stopped"), paramsOr(in.DeploymentParameters, r.DeploymentParameters))
		return err
	})
	if err != nil {
		return run, err
	}
	err = s.store.Update(ctx, func(tx appconfig.Tx) error {
		def, dr, r, rr, err := s.loadRun(ctx, tx, sc, pre.ApplicationID, pre.DefinitionID, number, true)
		if err != nil {
			return err
		}
		run = r
		return s.stopRun(ctx, tx, sc, def, dr, &run, rr, appconfig.TriggeredByUser, in, draft)
	})
	if err == nil && draft != nil {
		s.life.Kick()
	}
	return run, err
}

// stopRun ends a RUNNING run (DONE, EndedAt, the result), starts its
// managed deployment (draft; nil: none) and puts its definition back to
// IDLE. by is USER for StopExperimentRun, CLOUDWATCH_ALARM for the alarm
// watcher.
func (s *Service) stopRun(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, def appconfig.ExperimentDefinition, dr appconfig.Record, run *appconfig.ExperimentRun, rr appconfig.Record, by string, in StopExperimentRunInput, draft *managedDraft) error {
	if run.Status != appconfig.RunRunning {
		return appconfig.Conflict("Experiment run %d of experiment definition %s is already %s.", run.Run, run.DefinitionID, run.Status)
	}
	now := s.clock.Now()
	run.Status, run.UpdatedAt, run.EndedAt = appconfig.RunDone, now, now
	if in.Result != nil {
		res := *in.Result
		run.Result = &res
	}
	if in.DeploymentParameters != nil {
		run.DeploymentParameters = *in.DeploymentParameters
	}
	appendRunEvent(run, appconfig.RunStopped, "Experiment run stopped", by)
	if err := s.runChanged(ctx, tx, sc, run, draft, len(run.EventLog)-1); err != nil {
		return err
	}
	rr.Body = encodeExperimentRun(*run)
	rr.DueAt = time.Time{} // nothing left for the alarm watcher
	if err := tx.Put(ctx, rr); err != nil {
		return err
	}
	if def.Status == appconfig.ExperimentActive && def.LatestRun == run.Run {
		def.Status = appconfig.ExperimentIdle
		dr.Body = encodeExperimentDefinition(def)
		if err := tx.Put(ctx, dr); err != nil {
			return err
		}
	}
	return nil
}

// ListExperimentRuns lists a definition's runs, newest first, optionally
// of one status.
func (s *Service) ListExperimentRuns(ctx context.Context, sc appconfig.Scope, appIdent, defIdent, status string, p appconfig.PageRequest) (appconfig.Page[appconfig.ExperimentRun], error) {
	var page appconfig.Page[appconfig.ExperimentRun]
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
		if err != nil {
			return err
		}
		def, _, err := s.resolveDefinition(ctx, tx, sc, app.ID, defIdent, false)
		if err != nil {
			return err
		}
		q := records.ExperimentRunsOf(sc, app.ID, def.ID).Query
		q.Desc = true
		page, err = listPage(ctx, tx, q, p, func(r appconfig.Record) (appconfig.ExperimentRun, bool, error) {
			run, err := decodeExperimentRun(r)
			return run, status == "" || run.Status == status, err
		})
		return err
	})
	return page, err
}

const runEventsToken = "experimentrunevent"

// ListExperimentRunEvents lists a run's events, newest first.
func (s *Service) ListExperimentRunEvents(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, number int, p appconfig.PageRequest) (appconfig.Page[appconfig.ExperimentRunEvent], error) {
	var page appconfig.Page[appconfig.ExperimentRunEvent]
	_, skip, err := parseToken(p.NextToken, runEventsToken)
	if err != nil {
		return page, err
	}
	var run appconfig.ExperimentRun
	err = s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		_, _, run, _, err = s.loadRun(ctx, tx, sc, appIdent, defIdent, number, false)
		return err
	})
	if err != nil {
		return page, err
	}
	size := pageSize(p)
	for i := len(run.EventLog) - 1 - int(skip); i >= 0 && len(page.Items) < size; i-- {
		page.Items = append(page.Items, run.EventLog[i])
	}
	if next := int(skip) + len(page.Items); next < len(run.EventLog) {
		page.NextToken = makeToken(runEventsToken, "", int64(next))
	}
	return page, nil
}
