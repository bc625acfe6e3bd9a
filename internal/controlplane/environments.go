package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

func environment(e appconfig.Environment) acapi.Environment {
	out := acapi.Environment{ApplicationId: str(e.ApplicationID), Id: str(e.ID), Name: str(e.Name), Description: str(e.Description), State: str(string(e.State))}
	out.Monitors = []acapi.Monitor{}
	for _, m := range e.Monitors {
		out.Monitors = append(out.Monitors, acapi.Monitor{AlarmArn: str(m.AlarmArn), AlarmRoleArn: str(m.AlarmRoleArn)})
	}
	return out
}

func monitors(in []acapi.Monitor) []appconfig.Monitor {
	if in == nil {
		return nil
	}
	out := make([]appconfig.Monitor, 0, len(in))
	for _, m := range in {
		out = append(out, appconfig.Monitor{AlarmArn: val(m.AlarmArn), AlarmRoleArn: val(m.AlarmRoleArn)})
	}
	return out
}

func (h *Handler) CreateEnvironment(ctx context.Context, in *acapi.CreateEnvironmentRequest) (*acapi.Environment, error) {
	e, err := h.svc.CreateEnvironment(ctx, scope(ctx), val(in.ApplicationId), service.CreateEnvironmentInput{
		Name: val(in.Name), Description: val(in.Description), Monitors: monitors(in.Monitors), Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	out := environment(e)
	return &out, nil
}

func (h *Handler) GetEnvironment(ctx context.Context, in *acapi.GetEnvironmentRequest) (*acapi.Environment, error) {
	e, err := h.svc.GetEnvironment(ctx, scope(ctx), val(in.ApplicationId), val(in.EnvironmentId))
	if err != nil {
		return nil, err
	}
	out := environment(e)
	return &out, nil
}

func (h *Handler) UpdateEnvironment(ctx context.Context, in *acapi.UpdateEnvironmentRequest) (*acapi.Environment, error) {
	e, err := h.svc.UpdateEnvironment(ctx, scope(ctx), val(in.ApplicationId), val(in.EnvironmentId), service.UpdateEnvironmentInput{
		Name: in.Name, Description: in.Description, Monitors: monitors(in.Monitors),
	})
	if err != nil {
		return nil, err
	}
	out := environment(e)
	return &out, nil
}

func (h *Handler) DeleteEnvironment(ctx context.Context, in *acapi.DeleteEnvironmentRequest) error {
	return h.svc.DeleteEnvironment(ctx, scope(ctx), val(in.ApplicationId), val(in.EnvironmentId), protectionCheck(in.DeletionProtectionCheck))
}

func (h *Handler) ListEnvironments(ctx context.Context, in *acapi.ListEnvironmentsRequest) (*acapi.Environments, error) {
	p, err := h.svc.ListEnvironments(ctx, scope(ctx), val(in.ApplicationId), page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.Environments{Items: []acapi.Environment{}, NextToken: str(p.NextToken)}
	for _, e := range p.Items {
		out.Items = append(out.Items, environment(e))
	}
	return out, nil
}
