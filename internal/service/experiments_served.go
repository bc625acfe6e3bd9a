package service

import (
	"context"
	"strconv"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// RunningRuns returns the RUNNING experiment runs on an environment's
// profile (at most one per flag), for the data plane: what a run serves
// is part of what clients of that environment see. Every run transition
// announces the environment's topic (runChanged), so a view that loaded
// them is dropped when they change.
//
// history names the runs ever started there (each definition's latest
// run and its status; "" when none): it changes with every start and
// stop, so a tag built on it never repeats an earlier state's.
func (s *Service) RunningRuns(ctx context.Context, sc appconfig.Scope, appID, envID, profID string) (out []appconfig.ExperimentRun, history string, err error) {
	err = s.store.View(ctx, func(tx appconfig.Tx) error {
		defs, err := records.ExperimentDefinitionsOf(sc, appID).All(ctx, tx)
		if err != nil {
			return err
		}
		for _, d := range defs {
			if d.EnvironmentID != envID || d.ConfigurationProfileID != profID || d.LatestRun == 0 {
				continue
			}
			history += d.ID + ":" + strconv.Itoa(d.LatestRun) + ":" + d.Status + ";"
			if d.Status != appconfig.ExperimentActive {
				continue
			}
			run, _, err := records.ExperimentRuns.Get(ctx, tx, records.ExperimentRunKey(sc, appID, d.ID, d.LatestRun), false)
			if appconfig.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if run.Status == appconfig.RunRunning {
				out = append(out, run)
			}
		}
		return nil
	})
	return out, history, err
}

// VendedMetrics reports whether the scope's account settings turn the
// vended experiment metrics on.
func (s *Service) VendedMetrics(ctx context.Context, sc appconfig.Scope) (bool, error) {
	st, err := s.GetAccountSettings(ctx, sc)
	return st.VendedMetrics, err
}
