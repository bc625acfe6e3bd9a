package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

func extensionOut(sc appconfig.Scope, e appconfig.Extension) *acapi.Extension {
	out := &acapi.Extension{Id: str(e.ID), Name: str(e.Name), VersionNumber: i64(e.VersionNumber), Arn: str(service.ExtensionARNOf(sc, e)),
		Description: str(e.Description), Actions: map[string][]acapi.Action{}, Parameters: map[string]acapi.Parameter{}}
	for point, list := range e.Actions {
		for _, a := range list {
			out.Actions[point] = append(out.Actions[point], acapi.Action{Name: str(a.Name), Description: str(a.Description), Uri: str(a.URI), RoleArn: str(a.RoleArn)})
		}
	}
	for name, p := range e.Parameters {
		required, dynamic := p.Required, p.Dynamic
		out.Parameters[name] = acapi.Parameter{Description: str(p.Description), Required: &required, Dynamic: &dynamic}
	}
	return out
}

func actionsIn(in map[string][]acapi.Action) map[string][]appconfig.ExtensionAction {
	if in == nil {
		return nil
	}
	out := map[string][]appconfig.ExtensionAction{}
	for point, list := range in {
		for _, a := range list {
			out[point] = append(out[point], appconfig.ExtensionAction{Name: val(a.Name), Description: val(a.Description), URI: val(a.Uri), RoleArn: val(a.RoleArn)})
		}
	}
	return out
}

func parametersIn(in map[string]acapi.Parameter) map[string]appconfig.ExtensionParameter {
	if in == nil {
		return nil
	}
	out := map[string]appconfig.ExtensionParameter{}
	for name, p := range in {
		out[name] = appconfig.ExtensionParameter{Description: val(p.Description), Required: val(p.Required), Dynamic: val(p.Dynamic)}
	}
	return out
}

func (h *Handler) CreateExtension(ctx context.Context, in *acapi.CreateExtensionRequest) (*acapi.Extension, error) {
	sc := scope(ctx)
	e, err := h.svc.CreateExtension(ctx, sc, service.ExtensionInput{Name: val(in.Name), Description: val(in.Description),
		Actions: actionsIn(in.Actions), Parameters: parametersIn(in.Parameters), Tags: in.Tags, LatestVersionNumber: intPtr(in.LatestVersionNumber)})
	if err != nil {
		return nil, err
	}
	return extensionOut(sc, e), nil
}

func (h *Handler) GetExtension(ctx context.Context, in *acapi.GetExtensionRequest) (*acapi.Extension, error) {
	sc := scope(ctx)
	e, err := h.svc.GetExtension(ctx, sc, val(in.ExtensionIdentifier), int(val(in.VersionNumber)))
	if err != nil {
		return nil, err
	}
	return extensionOut(sc, e), nil
}

func (h *Handler) UpdateExtension(ctx context.Context, in *acapi.UpdateExtensionRequest) (*acapi.Extension, error) {
	sc := scope(ctx)
	e, err := h.svc.UpdateExtension(ctx, sc, val(in.ExtensionIdentifier), service.UpdateExtensionInput{Description: in.Description,
		Actions: actionsIn(in.Actions), Parameters: parametersIn(in.Parameters), Version: int(val(in.VersionNumber))})
	if err != nil {
		return nil, err
	}
	return extensionOut(sc, e), nil
}

func (h *Handler) DeleteExtension(ctx context.Context, in *acapi.DeleteExtensionRequest) error {
	return h.svc.DeleteExtension(ctx, scope(ctx), val(in.ExtensionIdentifier), int(val(in.VersionNumber)))
}

func (h *Handler) ListExtensions(ctx context.Context, in *acapi.ListExtensionsRequest) (*acapi.Extensions, error) {
	sc := scope(ctx)
	p, err := h.svc.ListExtensions(ctx, sc, val(in.Name), page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.Extensions{Items: []acapi.ExtensionSummary{}, NextToken: str(p.NextToken)}
	for _, e := range p.Items {
		out.Items = append(out.Items, acapi.ExtensionSummary{Id: str(e.ID), Name: str(e.Name), VersionNumber: i64(e.VersionNumber),
			Arn: str(service.ExtensionARNOf(sc, e)), Description: str(e.Description)})
	}
	return out, nil
}

func associationOut(sc appconfig.Scope, a appconfig.ExtensionAssociation) *acapi.ExtensionAssociation {
	params := a.Parameters
	if params == nil {
		params = map[string]string{}
	}
	return &acapi.ExtensionAssociation{Id: str(a.ID), Arn: str(service.AssociationARN(sc, a.ID)), ExtensionArn: str(a.ExtensionArn),
		ResourceArn: str(a.ResourceArn), ExtensionVersionNumber: i64(a.ExtensionVersionNumber), Parameters: params}
}

func (h *Handler) CreateExtensionAssociation(ctx context.Context, in *acapi.CreateExtensionAssociationRequest) (*acapi.ExtensionAssociation, error) {
	sc := scope(ctx)
	a, err := h.svc.CreateExtensionAssociation(ctx, sc, service.AssociationInput{ExtensionIdentifier: val(in.ExtensionIdentifier),
		ExtensionVersion: int(val(in.ExtensionVersionNumber)), ResourceIdentifier: val(in.ResourceIdentifier), Parameters: in.Parameters, Tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return associationOut(sc, a), nil
}

func (h *Handler) GetExtensionAssociation(ctx context.Context, in *acapi.GetExtensionAssociationRequest) (*acapi.ExtensionAssociation, error) {
	sc := scope(ctx)
	a, err := h.svc.GetExtensionAssociation(ctx, sc, val(in.ExtensionAssociationId))
	if err != nil {
		return nil, err
	}
	return associationOut(sc, a), nil
}

func (h *Handler) UpdateExtensionAssociation(ctx context.Context, in *acapi.UpdateExtensionAssociationRequest) (*acapi.ExtensionAssociation, error) {
	sc := scope(ctx)
	a, err := h.svc.UpdateExtensionAssociation(ctx, sc, val(in.ExtensionAssociationId), in.Parameters)
	if err != nil {
		return nil, err
	}
	return associationOut(sc, a), nil
}

func (h *Handler) DeleteExtensionAssociation(ctx context.Context, in *acapi.DeleteExtensionAssociationRequest) error {
	return h.svc.DeleteExtensionAssociation(ctx, scope(ctx), val(in.ExtensionAssociationId))
}

func (h *Handler) ListExtensionAssociations(ctx context.Context, in *acapi.ListExtensionAssociationsRequest) (*acapi.ExtensionAssociations, error) {
	sc := scope(ctx)
	p, err := h.svc.ListExtensionAssociations(ctx, sc, service.AssociationFilter{ResourceArn: val(in.ResourceIdentifier),
		ExtensionIdentifier: val(in.ExtensionIdentifier), ExtensionVersion: int(val(in.ExtensionVersionNumber))}, page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.ExtensionAssociations{Items: []acapi.ExtensionAssociationSummary{}, NextToken: str(p.NextToken)}
	for _, a := range p.Items {
		out.Items = append(out.Items, acapi.ExtensionAssociationSummary{Id: str(a.ID), ExtensionArn: str(a.ExtensionArn), ResourceArn: str(a.ResourceArn)})
	}
	return out, nil
}
