package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

// The experiment operations (added to the model in June 2026) are routed
// and validated like every other operation, but appconfigd does not run
// experiments: they answer a BadRequestException saying so.
func experimentsUnsupported(op string) error {
	return appconfig.BadRequest("%s: experiments are not supported by appconfigd.", op)
}

func (h *Handler) CreateExperimentDefinition(ctx context.Context, in *acapi.CreateExperimentDefinitionRequest) (*acapi.ExperimentDefinition, error) {
	return nil, experimentsUnsupported("CreateExperimentDefinition")
}

func (h *Handler) GetExperimentDefinition(ctx context.Context, in *acapi.GetExperimentDefinitionRequest) (*acapi.ExperimentDefinition, error) {
	return nil, experimentsUnsupported("GetExperimentDefinition")
}

func (h *Handler) UpdateExperimentDefinition(ctx context.Context, in *acapi.UpdateExperimentDefinitionRequest) (*acapi.ExperimentDefinition, error) {
	return nil, experimentsUnsupported("UpdateExperimentDefinition")
}

func (h *Handler) DeleteExperimentDefinition(ctx context.Context, in *acapi.DeleteExperimentDefinitionRequest) error {
	return experimentsUnsupported("DeleteExperimentDefinition")
}

func (h *Handler) ListExperimentDefinitions(ctx context.Context, in *acapi.ListExperimentDefinitionsRequest) (*acapi.ExperimentDefinitions, error) {
	return nil, experimentsUnsupported("ListExperimentDefinitions")
}

func (h *Handler) StartExperimentRun(ctx context.Context, in *acapi.StartExperimentRunRequest) (*acapi.ExperimentRun, error) {
	return nil, experimentsUnsupported("StartExperimentRun")
}

func (h *Handler) GetExperimentRun(ctx context.Context, in *acapi.GetExperimentRunRequest) (*acapi.ExperimentRun, error) {
	return nil, experimentsUnsupported("GetExperimentRun")
}

func (h *Handler) UpdateExperimentRun(ctx context.Context, in *acapi.UpdateExperimentRunRequest) (*acapi.ExperimentRun, error) {
	return nil, experimentsUnsupported("UpdateExperimentRun")
}

func (h *Handler) StopExperimentRun(ctx context.Context, in *acapi.StopExperimentRunRequest) (*acapi.ExperimentRun, error) {
	return nil, experimentsUnsupported("StopExperimentRun")
}

func (h *Handler) ListExperimentRuns(ctx context.Context, in *acapi.ListExperimentRunsRequest) (*acapi.ExperimentRuns, error) {
	return nil, experimentsUnsupported("ListExperimentRuns")
}

func (h *Handler) ListExperimentRunEvents(ctx context.Context, in *acapi.ListExperimentRunEventsRequest) (*acapi.ExperimentRunEvents, error) {
	return nil, experimentsUnsupported("ListExperimentRunEvents")
}
