package service

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// RunningRuns returns the RUNNING experiment runs on an environment's
// profile (at most one per flag), for the data plane: what a run serves
// is part of what clients of that environment see. Every run transition
// announces the environment's topic (runChanged), so a view that loaded
// them is dropped when they change.
func (s *Service) RunningRuns(ctx context.Context, sc appconfig.Scope, appID, envID, profID string) ([]appconfig.ExperimentRun, error) {
	var out []appconfig.ExperimentRun
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		recs, err := tx.List(ctx, query(sc, appconfig.RecordExperimentDefinition, appID))
		if err != nil {
			return err
		}
		for _, r := range recs {
			d, err := records.ExperimentDefinitions.Decode(r)
			if err != nil {
				return err
			}
			if d.Status != appconfig.ExperimentActive || d.EnvironmentID != envID || d.ConfigurationProfileID != profID || d.LatestRun == 0 {
				continue
			}
			rr, err := tx.Get(ctx, records.ExperimentRunKey(sc, appID, d.ID, d.LatestRun), false, false)
			if appconfig.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			run, err := records.ExperimentRuns.Decode(rr)
			if err != nil {
				return err
			}
			if run.Status == appconfig.RunRunning {
				out = append(out, run)
			}
		}
		return nil
	})
	return out, err
}

// VendedMetrics reports whether the scope's account settings turn the
// vended experiment metrics on.
func (s *Service) VendedMetrics(ctx context.Context, sc appconfig.Scope) (bool, error) {
	st, err := s.GetAccountSettings(ctx, sc)
	return st.VendedMetrics, err
}
