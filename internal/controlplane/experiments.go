package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

// Experiments (AWS 2026): shapes ↔ service calls.

func flagValueIn(in *acapi.FlagValue) appconfig.FlagValue {
	var out appconfig.FlagValue
	if in == nil {
		return out
	}
	out.Enabled = val(in.Enabled)
	if len(in.AttributeValues) > 0 {
		out.Attributes = make(map[string]appconfig.AttributeValue, len(in.AttributeValues))
		for k, v := range in.AttributeValues {
			out.Attributes[k] = appconfig.AttributeValue{String: v.StringValue, Number: v.NumberValue, Bool: v.BooleanValue, Strings: v.StringArray, Numbers: v.NumberArray}
		}
	}
	return out
}

func flagValueOut(v appconfig.FlagValue) *acapi.FlagValue {
	out := &acapi.FlagValue{Enabled: &v.Enabled, AttributeValues: map[string]acapi.AttributeValue{}}
	for k, a := range v.Attributes {
		out.AttributeValues[k] = acapi.AttributeValue{StringValue: a.String, NumberValue: a.Number, BooleanValue: a.Bool, StringArray: a.Strings, NumberArray: a.Numbers}
	}
	return out
}

func treatmentIn(in acapi.TreatmentInput) service.TreatmentInput {
	return service.TreatmentInput{Weight: val(in.Weight), Description: val(in.Description), FlagValue: flagValueIn(in.FlagValue)}
}

func treatmentsIn(in []acapi.TreatmentInput) []service.TreatmentInput {
	if in == nil {
		return nil
	}
	out := make([]service.TreatmentInput, 0, len(in))
	for _, t := range in {
		out = append(out, treatmentIn(t))
	}
	return out
}

func treatmentOut(t appconfig.Treatment) acapi.Treatment {
	return acapi.Treatment{Key: str(t.Key), Weight: f64(t.Weight), Description: str(t.Description), FlagValue: flagValueOut(t.FlagValue)}
}

func treatmentsOut(d appconfig.ExperimentDefinition) (*acapi.Treatment, []acapi.Treatment) {
	c := treatmentOut(d.Control)
	list := make([]acapi.Treatment, 0, len(d.Treatments))
	for _, t := range d.Treatments {
		list = append(list, treatmentOut(t))
	}
	return &c, list
}

func definitionOut(d appconfig.ExperimentDefinition) *acapi.ExperimentDefinition {
	c, list := treatmentsOut(d)
	return &acapi.ExperimentDefinition{
		ApplicationId: str(d.ApplicationID), Id: str(d.ID), Name: str(d.Name), Hypothesis: str(d.Hypothesis),
		Status: str(d.Status), ConfigurationProfileId: str(d.ConfigurationProfileID), EnvironmentId: str(d.EnvironmentID),
		FlagKey: str(d.FlagKey), AudienceRule: str(d.AudienceRule), AudienceDescription: str(d.AudienceDescription),
		LaunchCriteria: str(d.LaunchCriteria), Control: c, Treatments: list, KmsKeyIdentifier: str(d.KmsKeyIdentifier),
		CreatedAt: ts(d.CreatedAt), UpdatedAt: ts(d.UpdatedAt),
	}
}

func snapshotOut(d appconfig.ExperimentDefinition) *acapi.ExperimentDefinitionSnapshot {
	c, list := treatmentsOut(d)
	return &acapi.ExperimentDefinitionSnapshot{
		ApplicationId: str(d.ApplicationID), Id: str(d.ID), Name: str(d.Name), Hypothesis: str(d.Hypothesis),
		ConfigurationProfileId: str(d.ConfigurationProfileID), EnvironmentId: str(d.EnvironmentID),
		FlagKey: str(d.FlagKey), AudienceRule: str(d.AudienceRule), AudienceDescription: str(d.AudienceDescription),
		LaunchCriteria: str(d.LaunchCriteria), Control: c, Treatments: list,
	}
}

// overridesOut omits the member when there are no overrides: the shape is
// a union, and a union with no member set is refused by the SDKs.
func overridesOut(m map[string]string) *acapi.TreatmentOverrides {
	if len(m) == 0 {
		return nil
	}
	return &acapi.TreatmentOverrides{Inline: m}
}

// overridesIn: nil when not given; a non-nil map (maybe empty) when given.
func overridesIn(o *acapi.TreatmentOverrides) map[string]string {
	if o == nil {
		return nil
	}
	if o.Inline == nil {
		return map[string]string{}
	}
	return o.Inline
}

func runParams(p *acapi.DeploymentParameters) *appconfig.RunDeploymentParameters {
	if p == nil {
		return nil
	}
	return &appconfig.RunDeploymentParameters{DynamicExtensionParameters: p.DynamicExtensionParameters, Tags: p.Tags}
}

func runOut(r appconfig.ExperimentRun) *acapi.ExperimentRun {
	out := &acapi.ExperimentRun{
		ApplicationId: str(r.ApplicationID), ExperimentDefinitionId: str(r.DefinitionID), Run: i64(r.Run),
		Description: str(r.Description), Status: str(r.Status), ExposurePercentage: f64(r.ExposurePercentage),
		TreatmentOverrides: overridesOut(r.Overrides), StartedAt: ts(r.StartedAt), UpdatedAt: ts(r.UpdatedAt),
		ExperimentDefinitionSnapshot: snapshotOut(r.Snapshot),
	}
	if !r.EndedAt.IsZero() {
		out.EndedAt = ts(r.EndedAt)
	}
	if r.Result != nil {
		out.Result = &acapi.ExperimentRunResult{ExecutiveSummary: str(r.Result.ExecutiveSummary), ReasonsToLaunch: str(r.Result.ReasonsToLaunch), ReasonsNotToLaunch: str(r.Result.ReasonsNotToLaunch)}
	}
	return out
}

func (h *Handler) CreateExperimentDefinition(ctx context.Context, in *acapi.CreateExperimentDefinitionRequest) (*acapi.ExperimentDefinition, error) {
	in2 := service.CreateExperimentDefinitionInput{
		Name: val(in.Name), Hypothesis: val(in.Hypothesis), ProfileIdent: val(in.ConfigurationProfileIdentifier),
		EnvIdent: val(in.EnvironmentIdentifier), FlagKey: val(in.FlagKey), AudienceRule: val(in.AudienceRule),
		AudienceDescription: val(in.AudienceDescription), LaunchCriteria: val(in.LaunchCriteria),
		Treatments: treatmentsIn(in.Treatments), Tags: in.Tags,
	}
	if in.Control != nil {
		in2.Control = treatmentIn(*in.Control)
	}
	d, err := h.svc.CreateExperimentDefinition(ctx, scope(ctx), val(in.ApplicationIdentifier), in2)
	if err != nil {
		return nil, err
	}
	return definitionOut(d), nil
}

func (h *Handler) GetExperimentDefinition(ctx context.Context, in *acapi.GetExperimentDefinitionRequest) (*acapi.ExperimentDefinition, error) {
	d, err := h.svc.GetExperimentDefinition(ctx, scope(ctx), val(in.ApplicationIdentifier), val(in.ExperimentDefinitionIdentifier))
	if err != nil {
		return nil, err
	}
	return definitionOut(d), nil
}

func (h *Handler) UpdateExperimentDefinition(ctx context.Context, in *acapi.UpdateExperimentDefinitionRequest) (*acapi.ExperimentDefinition, error) {
	up := service.UpdateExperimentDefinitionInput{
		Hypothesis: in.Hypothesis, AudienceRule: in.AudienceRule, AudienceDescription: in.AudienceDescription,
		LaunchCriteria: in.LaunchCriteria, Treatments: treatmentsIn(in.Treatments),
	}
	if in.Control != nil {
		c := treatmentIn(*in.Control)
		up.Control = &c
	}
	d, err := h.svc.UpdateExperimentDefinition(ctx, scope(ctx), val(in.ApplicationIdentifier), val(in.ExperimentDefinitionIdentifier), up)
	if err != nil {
		return nil, err
	}
	return definitionOut(d), nil
}

func (h *Handler) DeleteExperimentDefinition(ctx context.Context, in *acapi.DeleteExperimentDefinitionRequest) error {
	return h.svc.DeleteExperimentDefinition(ctx, scope(ctx), val(in.ApplicationIdentifier), val(in.ExperimentDefinitionIdentifier), val(in.DeleteType))
}

func (h *Handler) ListExperimentDefinitions(ctx context.Context, in *acapi.ListExperimentDefinitionsRequest) (*acapi.ExperimentDefinitions, error) {
	p, err := h.svc.ListExperimentDefinitions(ctx, scope(ctx), service.ExperimentFilter{
		Application: val(in.ApplicationIdentifier), Profile: val(in.ConfigurationProfileIdentifier),
		Environment: val(in.EnvironmentIdentifier), Status: val(in.Status),
	}, page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.ExperimentDefinitions{Items: []acapi.ExperimentDefinitionSummary{}, NextToken: str(p.NextToken)}
	for _, d := range p.Items {
		out.Items = append(out.Items, acapi.ExperimentDefinitionSummary{
			ApplicationId: str(d.ApplicationID), Id: str(d.ID), Name: str(d.Name), Hypothesis: str(d.Hypothesis),
			Status: str(d.Status), ConfigurationProfileId: str(d.ConfigurationProfileID), EnvironmentId: str(d.EnvironmentID),
			FlagKey: str(d.FlagKey), CreatedAt: ts(d.CreatedAt), UpdatedAt: ts(d.UpdatedAt),
		})
	}
	return out, nil
}

func (h *Handler) StartExperimentRun(ctx context.Context, in *acapi.StartExperimentRunRequest) (*acapi.ExperimentRun, error) {
	start := service.StartExperimentRunInput{
		Description: val(in.Description), ExposurePercentage: val(in.ExposurePercentage),
		Overrides: overridesIn(in.TreatmentOverrides), Tags: in.Tags,
	}
	if p := runParams(in.DeploymentParameters); p != nil {
		start.DeploymentParameters = *p
	}
	r, err := h.svc.StartExperimentRun(ctx, scope(ctx), val(in.ApplicationIdentifier), val(in.ExperimentDefinitionIdentifier), start)
	if err != nil {
		return nil, err
	}
	return runOut(r), nil
}

func (h *Handler) GetExperimentRun(ctx context.Context, in *acapi.GetExperimentRunRequest) (*acapi.ExperimentRun, error) {
	r, err := h.svc.GetExperimentRun(ctx, scope(ctx), val(in.ApplicationIdentifier), val(in.ExperimentDefinitionIdentifier), int(val(in.Run)))
	if err != nil {
		return nil, err
	}
	return runOut(r), nil
}

func (h *Handler) UpdateExperimentRun(ctx context.Context, in *acapi.UpdateExperimentRunRequest) (*acapi.ExperimentRun, error) {
	r, err := h.svc.UpdateExperimentRun(ctx, scope(ctx), val(in.ApplicationIdentifier), val(in.ExperimentDefinitionIdentifier), int(val(in.Run)), service.UpdateExperimentRunInput{
		Description: in.Description, ExposurePercentage: in.ExposurePercentage,
		Overrides: overridesIn(in.TreatmentOverrides), DeploymentParameters: runParams(in.DeploymentParameters),
	})
	if err != nil {
		return nil, err
	}
	return runOut(r), nil
}

func (h *Handler) StopExperimentRun(ctx context.Context, in *acapi.StopExperimentRunRequest) (*acapi.ExperimentRun, error) {
	stop := service.StopExperimentRunInput{DeploymentParameters: runParams(in.DeploymentParameters)}
	if res := in.Result; res != nil {
		stop.Result = &appconfig.ExperimentRunResult{ExecutiveSummary: val(res.ExecutiveSummary), ReasonsToLaunch: val(res.ReasonsToLaunch), ReasonsNotToLaunch: val(res.ReasonsNotToLaunch)}
	}
	r, err := h.svc.StopExperimentRun(ctx, scope(ctx), val(in.ApplicationIdentifier), val(in.ExperimentDefinitionIdentifier), int(val(in.Run)), stop)
	if err != nil {
		return nil, err
	}
	return runOut(r), nil
}

func (h *Handler) ListExperimentRuns(ctx context.Context, in *acapi.ListExperimentRunsRequest) (*acapi.ExperimentRuns, error) {
	p, err := h.svc.ListExperimentRuns(ctx, scope(ctx), val(in.ApplicationIdentifier), val(in.ExperimentDefinitionIdentifier), val(in.Status), page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.ExperimentRuns{Items: []acapi.ExperimentRunSummary{}, NextToken: str(p.NextToken)}
	for _, r := range p.Items {
		s := acapi.ExperimentRunSummary{
			ExperimentDefinitionId: str(r.DefinitionID), Run: i64(r.Run), Description: str(r.Description),
			Status: str(r.Status), StartedAt: ts(r.StartedAt), UpdatedAt: ts(r.UpdatedAt),
		}
		if !r.EndedAt.IsZero() {
			s.EndedAt = ts(r.EndedAt)
		}
		out.Items = append(out.Items, s)
	}
	return out, nil
}

func (h *Handler) ListExperimentRunEvents(ctx context.Context, in *acapi.ListExperimentRunEventsRequest) (*acapi.ExperimentRunEvents, error) {
	p, err := h.svc.ListExperimentRunEvents(ctx, scope(ctx), val(in.ApplicationIdentifier), val(in.ExperimentDefinitionIdentifier), int(val(in.Run)), page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.ExperimentRunEvents{Items: []acapi.ExperimentRunEvent{}, NextToken: str(p.NextToken)}
	for _, e := range p.Items {
		out.Items = append(out.Items, acapi.ExperimentRunEvent{
			EventType: str(e.Type), Description: str(e.Description), TriggeredBy: str(e.TriggeredBy),
			OccurredAt: ts(e.OccurredAt), ExposurePercentage: f64(e.ExposurePercentage),
			TreatmentOverrides: overridesOut(e.Overrides), AssociatedDeployment: str(e.AssociatedDeployment),
		})
	}
	return out, nil
}
