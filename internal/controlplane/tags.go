package controlplane

import (
	"context"

	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

func (h *Handler) TagResource(ctx context.Context, in *acapi.TagResourceRequest) error {
	return h.svc.TagResource(ctx, scope(ctx), val(in.ResourceArn), in.Tags)
}

func (h *Handler) UntagResource(ctx context.Context, in *acapi.UntagResourceRequest) error {
	return h.svc.UntagResource(ctx, scope(ctx), val(in.ResourceArn), in.TagKeys)
}

func (h *Handler) ListTagsForResource(ctx context.Context, in *acapi.ListTagsForResourceRequest) (*acapi.ResourceTags, error) {
	tags, err := h.svc.ListTagsForResource(ctx, scope(ctx), val(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	return &acapi.ResourceTags{Tags: tags}, nil
}
