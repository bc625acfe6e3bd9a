package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

func strategy(s appconfig.DeploymentStrategy) acapi.DeploymentStrategy {
	return acapi.DeploymentStrategy{
		Id: str(s.ID), Name: str(s.Name), Description: str(s.Description),
		DeploymentDurationInMinutes: i64(s.DeploymentDurationInMinutes), FinalBakeTimeInMinutes: i64(s.FinalBakeTimeInMinutes),
		GrowthFactor: f64(s.GrowthFactor), GrowthType: str(s.GrowthType), ReplicateTo: str(s.ReplicateTo),
	}
}

func (h *Handler) CreateDeploymentStrategy(ctx context.Context, in *acapi.CreateDeploymentStrategyRequest) (*acapi.DeploymentStrategy, error) {
	s, err := h.svc.CreateDeploymentStrategy(ctx, scope(ctx), service.CreateStrategyInput{
		Name: val(in.Name), Description: val(in.Description),
		DeploymentDurationInMinutes: int(val(in.DeploymentDurationInMinutes)), FinalBakeTimeInMinutes: int(val(in.FinalBakeTimeInMinutes)),
		GrowthFactor: val(in.GrowthFactor), GrowthType: val(in.GrowthType), ReplicateTo: val(in.ReplicateTo), Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	out := strategy(s)
	return &out, nil
}

func (h *Handler) GetDeploymentStrategy(ctx context.Context, in *acapi.GetDeploymentStrategyRequest) (*acapi.DeploymentStrategy, error) {
	s, err := h.svc.GetDeploymentStrategy(ctx, scope(ctx), val(in.DeploymentStrategyId))
	if err != nil {
		return nil, err
	}
	out := strategy(s)
	return &out, nil
}

func (h *Handler) UpdateDeploymentStrategy(ctx context.Context, in *acapi.UpdateDeploymentStrategyRequest) (*acapi.DeploymentStrategy, error) {
	s, err := h.svc.UpdateDeploymentStrategy(ctx, scope(ctx), val(in.DeploymentStrategyId), service.UpdateStrategyInput{
		Description: in.Description, DeploymentDurationInMinutes: intPtr(in.DeploymentDurationInMinutes),
		FinalBakeTimeInMinutes: intPtr(in.FinalBakeTimeInMinutes), GrowthFactor: in.GrowthFactor, GrowthType: in.GrowthType,
	})
	if err != nil {
		return nil, err
	}
	out := strategy(s)
	return &out, nil
}

func (h *Handler) DeleteDeploymentStrategy(ctx context.Context, in *acapi.DeleteDeploymentStrategyRequest) error {
	return h.svc.DeleteDeploymentStrategy(ctx, scope(ctx), val(in.DeploymentStrategyId))
}

func (h *Handler) ListDeploymentStrategies(ctx context.Context, in *acapi.ListDeploymentStrategiesRequest) (*acapi.DeploymentStrategies, error) {
	p, err := h.svc.ListDeploymentStrategies(ctx, scope(ctx), page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.DeploymentStrategies{Items: []acapi.DeploymentStrategy{}, NextToken: str(p.NextToken)}
	for _, s := range p.Items {
		out.Items = append(out.Items, strategy(s))
	}
	return out, nil
}
