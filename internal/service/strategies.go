package service

import (
	"context"
	"strings"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// PredefinedStrategies are AWS's read-only strategies, present in every
// account and region (docs/aws-behavior.md §3).
func PredefinedStrategies() []appconfig.DeploymentStrategy {
	return []appconfig.DeploymentStrategy{
		{ID: "AppConfig.AllAtOnce", Name: "AppConfig.AllAtOnce", Description: "Quick", DeploymentDurationInMinutes: 0, GrowthType: appconfig.GrowthLinear, GrowthFactor: 100, FinalBakeTimeInMinutes: 10, ReplicateTo: "NONE"},
		{ID: "AppConfig.Linear50PercentEvery30Seconds", Name: "AppConfig.Linear50PercentEvery30Seconds", Description: "Test/Demo", DeploymentDurationInMinutes: 1, GrowthType: appconfig.GrowthLinear, GrowthFactor: 50, FinalBakeTimeInMinutes: 1, ReplicateTo: "NONE"},
		{ID: "AppConfig.Canary10Percent20Minutes", Name: "AppConfig.Canary10Percent20Minutes", Description: "AWS Recommended", DeploymentDurationInMinutes: 20, GrowthType: appconfig.GrowthExponential, GrowthFactor: 10, FinalBakeTimeInMinutes: 10, ReplicateTo: "NONE"},
		{ID: "AppConfig.Linear20PercentEvery6Minutes", Name: "AppConfig.Linear20PercentEvery6Minutes", Description: "AWS Recommended", DeploymentDurationInMinutes: 30, GrowthType: appconfig.GrowthLinear, GrowthFactor: 20, FinalBakeTimeInMinutes: 30, ReplicateTo: "NONE"},
	}
}

func predefinedStrategy(id string) (appconfig.DeploymentStrategy, bool) {
	for _, s := range PredefinedStrategies() {
		if s.ID == id {
			return s, true
		}
	}
	return appconfig.DeploymentStrategy{}, false
}

func strategyNotFound(id string) error {
	return appconfig.NotFound("DeploymentStrategy", "DeploymentStrategy with Id %s could not be found.", id)
}

// getStrategy returns a predefined or custom strategy by ID.
func (s *Service) getStrategy(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, id string, forUpdate bool) (appconfig.DeploymentStrategy, appconfig.Record, error) {
	if p, ok := predefinedStrategy(id); ok {
		return p, appconfig.Record{}, nil
	}
	st, r, err := records.Strategies.Get(ctx, tx, records.StrategyKey(sc, id), forUpdate)
	if appconfig.IsNotFound(err) {
		return st, r, strategyNotFound(id)
	}
	return st, r, err
}

// CreateStrategyInput is a new deployment strategy.
type CreateStrategyInput struct {
	Name, Description           string
	DeploymentDurationInMinutes int
	FinalBakeTimeInMinutes      int
	GrowthFactor                float64
	GrowthType, ReplicateTo     string
	Tags                        map[string]string
}

// CreateDeploymentStrategy creates a custom strategy.
func (s *Service) CreateDeploymentStrategy(ctx context.Context, sc appconfig.Scope, in CreateStrategyInput) (appconfig.DeploymentStrategy, error) {
	if in.GrowthType == "" {
		in.GrowthType = appconfig.GrowthLinear
	}
	if in.ReplicateTo == "" {
		in.ReplicateTo = "NONE"
	}
	if strings.HasPrefix(in.Name, "AppConfig.") {
		return appconfig.DeploymentStrategy{}, appconfig.BadRequest("Deployment strategy names starting with \"AppConfig.\" are reserved for predefined strategies.")
	}
	st := appconfig.DeploymentStrategy{
		Name: in.Name, Description: in.Description, DeploymentDurationInMinutes: in.DeploymentDurationInMinutes,
		FinalBakeTimeInMinutes: in.FinalBakeTimeInMinutes, GrowthFactor: in.GrowthFactor, GrowthType: in.GrowthType,
		ReplicateTo: in.ReplicateTo, CreatedAt: s.clock.Now(),
	}
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		q := quota{lock: scopeLock(sc, "deploymentstrategies"), counted: records.StrategiesIn(sc).Query, limit: s.quotas.DeploymentStrategies, exceeded: func() error {
			return appconfig.QuotaExceeded("You have reached the limit of %d deployment strategies in this account and region.", s.quotas.DeploymentStrategies)
		}}
		id, err := insertNewCapped(ctx, tx, q, records.Strategies, records.StrategyKey(sc, ""), in.Name, func(id string) appconfig.DeploymentStrategy {
			st.ID = id
			return st
		})
		if err != nil {
			return err
		}
		st.ID = id
		return s.putTags(ctx, tx, sc, "", StrategyARN(sc, id), in.Tags)
	})
	return st, err
}

// GetDeploymentStrategy returns a strategy.
func (s *Service) GetDeploymentStrategy(ctx context.Context, sc appconfig.Scope, id string) (appconfig.DeploymentStrategy, error) {
	var st appconfig.DeploymentStrategy
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		st, _, err = s.getStrategy(ctx, tx, sc, id, false)
		return err
	})
	return st, err
}

// UpdateStrategyInput changes the members that are not nil.
type UpdateStrategyInput struct {
	Description                 *string
	DeploymentDurationInMinutes *int
	FinalBakeTimeInMinutes      *int
	GrowthFactor                *float64
	GrowthType                  *string
}

// UpdateDeploymentStrategy changes a custom strategy; running deployments
// keep the parameters they copied at start.
func (s *Service) UpdateDeploymentStrategy(ctx context.Context, sc appconfig.Scope, id string, in UpdateStrategyInput) (appconfig.DeploymentStrategy, error) {
	if _, ok := predefinedStrategy(id); ok {
		return appconfig.DeploymentStrategy{}, appconfig.BadRequest("Cannot update predefined Deployment Strategy %s", id)
	}
	var st appconfig.DeploymentStrategy
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		var r appconfig.Record
		var err error
		st, r, err = s.getStrategy(ctx, tx, sc, id, true)
		if err != nil {
			return err
		}
		if in.Description != nil {
			st.Description = *in.Description
		}
		if in.DeploymentDurationInMinutes != nil {
			st.DeploymentDurationInMinutes = *in.DeploymentDurationInMinutes
		}
		if in.FinalBakeTimeInMinutes != nil {
			st.FinalBakeTimeInMinutes = *in.FinalBakeTimeInMinutes
		}
		if in.GrowthFactor != nil {
			st.GrowthFactor = *in.GrowthFactor
		}
		if in.GrowthType != nil {
			st.GrowthType = *in.GrowthType
		}
		return records.Strategies.Put(ctx, tx, r, st)
	})
	return st, err
}

// DeleteDeploymentStrategy deletes a custom strategy.
func (s *Service) DeleteDeploymentStrategy(ctx context.Context, sc appconfig.Scope, id string) error {
	if _, ok := predefinedStrategy(id); ok {
		return appconfig.BadRequest("Cannot delete predefined Deployment Strategy %s.", id)
	}
	return s.store.Update(ctx, func(tx appconfig.Tx) error {
		err := tx.Delete(ctx, records.StrategyKey(sc, id))
		if appconfig.IsNotFound(err) {
			return strategyNotFound(id)
		}
		if err != nil {
			return err
		}
		return deleteTags(ctx, tx, sc, "", StrategyARN(sc, id))
	})
}

// ListDeploymentStrategies lists the account's strategies, then the
// predefined ones.
func (s *Service) ListDeploymentStrategies(ctx context.Context, sc appconfig.Scope, p appconfig.PageRequest) (appconfig.Page[appconfig.DeploymentStrategy], error) {
	var page appconfig.Page[appconfig.DeploymentStrategy]
	phase, seq, err := parseToken(p.NextToken, appconfig.RecordDeploymentStrategy)
	if err != nil {
		return page, err
	}
	size := pageSize(p)
	predefinedFrom := 0
	if phase == "" {
		err = s.store.View(ctx, func(tx appconfig.Tx) error {
			q := records.StrategiesIn(sc).Query
			q.AfterSeq, q.Limit = seq, size+1
			recs, err := tx.List(ctx, q)
			if err != nil {
				return err
			}
			for i, r := range recs {
				if i == size {
					page.NextToken = makeToken(appconfig.RecordDeploymentStrategy, "", recs[i-1].Seq)
					return nil
				}
				st, err := records.Strategies.Decode(r)
				if err != nil {
					return err
				}
				page.Items = append(page.Items, st)
			}
			return nil
		})
		if err != nil || page.NextToken != "" {
			return page, err
		}
	} else {
		if phase != "p" {
			return page, appconfig.BadRequest("The NextToken is not valid for this request.")
		}
		predefinedFrom = int(seq)
	}
	pre := PredefinedStrategies()
	if predefinedFrom > len(pre) {
		return page, appconfig.BadRequest("The NextToken is not valid for this request.")
	}
	for i := predefinedFrom; i < len(pre); i++ {
		if len(page.Items) == size {
			page.NextToken = makeToken(appconfig.RecordDeploymentStrategy, "p", int64(i))
			break
		}
		page.Items = append(page.Items, pre[i])
	}
	return page, nil
}
