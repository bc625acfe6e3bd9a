// Package controlplane implements the appconfig (2019-10-09) operations:
// each handler translates wire shapes into a service call and back. No
// business rules live here.
package controlplane

import (
	"context"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/dataplane"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
	"github.com/appconfigd/appconfigd/internal/wire/shape"
)

// ConfigurationGetter serves the deprecated GetConfiguration (the data
// plane implements it).
type ConfigurationGetter interface {
	GetConfiguration(ctx context.Context, sc appconfig.Scope, app, env, profile, clientID, clientVersion string) (dataplane.Configuration, error)
}

// Handler implements acapi.Handler.
type Handler struct {
	svc    *service.Service
	config ConfigurationGetter
}

var _ acapi.Handler = (*Handler)(nil)

// New builds the control-plane handler.
func New(svc *service.Service, config ConfigurationGetter) *Handler {
	return &Handler{svc: svc, config: config}
}

// GetConfiguration is the deprecated read of a deployed configuration.
func (h *Handler) GetConfiguration(ctx context.Context, in *acapi.GetConfigurationRequest) (*acapi.Configuration, error) {
	c, err := h.config.GetConfiguration(ctx, scope(ctx), val(in.Application), val(in.Environment), val(in.Configuration), val(in.ClientId), val(in.ClientConfigurationVersion))
	if err != nil {
		return nil, err
	}
	return &acapi.Configuration{Content: c.Content, ContentType: str(c.ContentType), ConfigurationVersion: str(c.Version)}, nil
}

func scope(ctx context.Context) appconfig.Scope { return wire.ScopeFrom(ctx) }

func val[T any](p *T) T { return shape.Val(p) }

// str returns nil for "" so that unset members encode as null.
func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func i64(n int) *int64 {
	v := int64(n)
	return &v
}

func f64(f float64) *float64 { return &f }

func ts(t time.Time) *shape.Time { return shape.NewTime(t) }

func intPtr(p *int64) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}

func page(maxResults *int64, nextToken *string) appconfig.PageRequest {
	return appconfig.PageRequest{MaxResults: int(val(maxResults)), NextToken: val(nextToken)}
}

func protectionCheck(p *string) appconfig.DeletionProtectionCheck {
	if p == nil || *p == "" {
		return appconfig.ProtectionAccountDefault
	}
	return appconfig.DeletionProtectionCheck(*p)
}
