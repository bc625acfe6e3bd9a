package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

// Operations whose capability has not landed yet answer a clear error.
func notYet(op string) error {
	return appconfig.BadRequest("%s is not supported by this version of appconfigd yet.", op)
}

func (h *Handler) CreateExtension(ctx context.Context, in *acapi.CreateExtensionRequest) (*acapi.Extension, error) {
	return nil, notYet("CreateExtension")
}

func (h *Handler) GetExtension(ctx context.Context, in *acapi.GetExtensionRequest) (*acapi.Extension, error) {
	return nil, notYet("GetExtension")
}

func (h *Handler) UpdateExtension(ctx context.Context, in *acapi.UpdateExtensionRequest) (*acapi.Extension, error) {
	return nil, notYet("UpdateExtension")
}

func (h *Handler) DeleteExtension(ctx context.Context, in *acapi.DeleteExtensionRequest) error {
	return notYet("DeleteExtension")
}

func (h *Handler) ListExtensions(ctx context.Context, in *acapi.ListExtensionsRequest) (*acapi.Extensions, error) {
	return nil, notYet("ListExtensions")
}

func (h *Handler) CreateExtensionAssociation(ctx context.Context, in *acapi.CreateExtensionAssociationRequest) (*acapi.ExtensionAssociation, error) {
	return nil, notYet("CreateExtensionAssociation")
}

func (h *Handler) GetExtensionAssociation(ctx context.Context, in *acapi.GetExtensionAssociationRequest) (*acapi.ExtensionAssociation, error) {
	return nil, notYet("GetExtensionAssociation")
}

func (h *Handler) UpdateExtensionAssociation(ctx context.Context, in *acapi.UpdateExtensionAssociationRequest) (*acapi.ExtensionAssociation, error) {
	return nil, notYet("UpdateExtensionAssociation")
}

func (h *Handler) DeleteExtensionAssociation(ctx context.Context, in *acapi.DeleteExtensionAssociationRequest) error {
	return notYet("DeleteExtensionAssociation")
}

func (h *Handler) ListExtensionAssociations(ctx context.Context, in *acapi.ListExtensionAssociationsRequest) (*acapi.ExtensionAssociations, error) {
	return nil, notYet("ListExtensionAssociations")
}
