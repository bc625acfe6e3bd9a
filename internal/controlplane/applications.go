package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

func application(a appconfig.Application) acapi.Application {
	return acapi.Application{Id: str(a.ID), Name: str(a.Name), Description: str(a.Description)}
}

func (h *Handler) CreateApplication(ctx context.Context, in *acapi.CreateApplicationRequest) (*acapi.Application, error) {
	a, err := h.svc.CreateApplication(ctx, scope(ctx), service.CreateApplicationInput{Name: val(in.Name), Description: val(in.Description), Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	out := application(a)
	return &out, nil
}

func (h *Handler) GetApplication(ctx context.Context, in *acapi.GetApplicationRequest) (*acapi.Application, error) {
	a, err := h.svc.GetApplication(ctx, scope(ctx), val(in.ApplicationId))
	if err != nil {
		return nil, err
	}
	out := application(a)
	return &out, nil
}

func (h *Handler) UpdateApplication(ctx context.Context, in *acapi.UpdateApplicationRequest) (*acapi.Application, error) {
	a, err := h.svc.UpdateApplication(ctx, scope(ctx), val(in.ApplicationId), service.UpdateApplicationInput{Name: in.Name, Description: in.Description})
	if err != nil {
		return nil, err
	}
	out := application(a)
	return &out, nil
}

func (h *Handler) DeleteApplication(ctx context.Context, in *acapi.DeleteApplicationRequest) error {
	return h.svc.DeleteApplication(ctx, scope(ctx), val(in.ApplicationId))
}

func (h *Handler) ListApplications(ctx context.Context, in *acapi.ListApplicationsRequest) (*acapi.Applications, error) {
	p, err := h.svc.ListApplications(ctx, scope(ctx), page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.Applications{Items: []acapi.Application{}, NextToken: str(p.NextToken)}
	for _, a := range p.Items {
		out.Items = append(out.Items, application(a))
	}
	return out, nil
}
