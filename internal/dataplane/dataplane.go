// Package dataplane implements the appconfigdata (2021-11-11) operations.
package dataplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/wire/gen/dataapi"
)

// Handler implements dataapi.Handler.
type Handler struct{}

var _ dataapi.Handler = (*Handler)(nil)

// New builds the data-plane handler.
func New() *Handler { return &Handler{} }

func (h *Handler) StartConfigurationSession(ctx context.Context, in *dataapi.StartConfigurationSessionRequest) (*dataapi.StartConfigurationSessionResponse, error) {
	return nil, appconfig.BadRequest("StartConfigurationSession is not supported by this version of appconfigd yet.")
}

func (h *Handler) GetLatestConfiguration(ctx context.Context, in *dataapi.GetLatestConfigurationRequest) (*dataapi.GetLatestConfigurationResponse, error) {
	return nil, appconfig.BadRequest("GetLatestConfiguration is not supported by this version of appconfigd yet.")
}
