package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

func deployment(d appconfig.Deployment) *acapi.Deployment {
	out := &acapi.Deployment{
		ApplicationId: str(d.ApplicationID), EnvironmentId: str(d.EnvironmentID), DeploymentNumber: i64(d.DeploymentNumber),
		ConfigurationProfileId: str(d.ConfigurationProfileID), ConfigurationName: str(d.ConfigurationName),
		ConfigurationLocationUri: str(d.ConfigurationLocationURI), ConfigurationVersion: str(d.ConfigurationVersion),
		VersionLabel: str(d.VersionLabel), DeploymentStrategyId: str(d.DeploymentStrategyID),
		DeploymentDurationInMinutes: i64(d.DeploymentDurationInMinutes), GrowthType: str(d.GrowthType),
		GrowthFactor: f64(d.GrowthFactor), FinalBakeTimeInMinutes: i64(d.FinalBakeTimeInMinutes),
		Description: str(d.Description), State: str(string(d.State)), PercentageComplete: f64(d.PercentageComplete),
		StartedAt: ts(d.StartedAt), CompletedAt: ts(d.CompletedAt), KmsKeyArn: str(d.KmsKeyArn), KmsKeyIdentifier: str(d.KmsKeyIdentifier),
		EventLog: []acapi.DeploymentEvent{}, AppliedExtensions: []acapi.AppliedExtension{},
	}
	// The log is kept oldest first and shown newest first, as AWS does.
	for i := len(d.EventLog) - 1; i >= 0; i-- {
		ev := d.EventLog[i]
		e := acapi.DeploymentEvent{EventType: str(ev.EventType), TriggeredBy: str(ev.TriggeredBy), Description: str(ev.Description), OccurredAt: ts(ev.OccurredAt), ActionInvocations: []acapi.ActionInvocation{}}
		for _, inv := range ev.ActionInvocations {
			e.ActionInvocations = append(e.ActionInvocations, acapi.ActionInvocation{
				ExtensionIdentifier: str(inv.ExtensionIdentifier), ActionName: str(inv.ActionName), Uri: str(inv.URI),
				RoleArn: str(inv.RoleArn), ErrorMessage: str(inv.ErrorMessage), ErrorCode: str(inv.ErrorCode), InvocationId: str(inv.InvocationID),
			})
		}
		out.EventLog = append(out.EventLog, e)
	}
	for _, a := range d.AppliedExtensions {
		out.AppliedExtensions = append(out.AppliedExtensions, acapi.AppliedExtension{
			ExtensionId: str(a.ExtensionID), ExtensionAssociationId: str(a.ExtensionAssociationID), VersionNumber: i64(a.VersionNumber), Parameters: a.Parameters,
		})
	}
	return out
}

func (h *Handler) StartDeployment(ctx context.Context, in *acapi.StartDeploymentRequest) (*acapi.Deployment, error) {
	d, err := h.svc.StartDeployment(ctx, scope(ctx), val(in.ApplicationId), val(in.EnvironmentId), service.StartDeploymentInput{
		DeploymentStrategyID: val(in.DeploymentStrategyId), ConfigurationProfileID: val(in.ConfigurationProfileId),
		ConfigurationVersion: val(in.ConfigurationVersion), Description: val(in.Description), Tags: in.Tags,
		KmsKeyIdentifier: val(in.KmsKeyIdentifier), DynamicParameters: in.DynamicExtensionParameters,
		LatestDeploymentNumber: intPtr(in.LatestDeploymentNumber),
	})
	if err != nil {
		return nil, err
	}
	return deployment(d), nil
}

func (h *Handler) GetDeployment(ctx context.Context, in *acapi.GetDeploymentRequest) (*acapi.Deployment, error) {
	d, err := h.svc.GetDeployment(ctx, scope(ctx), val(in.ApplicationId), val(in.EnvironmentId), int(val(in.DeploymentNumber)))
	if err != nil {
		return nil, err
	}
	return deployment(d), nil
}

func (h *Handler) StopDeployment(ctx context.Context, in *acapi.StopDeploymentRequest) (*acapi.Deployment, error) {
	d, err := h.svc.StopDeployment(ctx, scope(ctx), val(in.ApplicationId), val(in.EnvironmentId), int(val(in.DeploymentNumber)), val(in.AllowRevert))
	if err != nil {
		return nil, err
	}
	return deployment(d), nil
}

func (h *Handler) ListDeployments(ctx context.Context, in *acapi.ListDeploymentsRequest) (*acapi.Deployments, error) {
	p, err := h.svc.ListDeployments(ctx, scope(ctx), val(in.ApplicationId), val(in.EnvironmentId), page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.Deployments{Items: []acapi.DeploymentSummary{}, NextToken: str(p.NextToken)}
	for _, d := range p.Items {
		out.Items = append(out.Items, acapi.DeploymentSummary{
			DeploymentNumber: i64(d.DeploymentNumber), ConfigurationName: str(d.ConfigurationName),
			ConfigurationProfileId: str(d.ConfigurationProfileID), ConfigurationVersion: str(d.ConfigurationVersion),
			DeploymentDurationInMinutes: i64(d.DeploymentDurationInMinutes), GrowthType: str(d.GrowthType), GrowthFactor: f64(d.GrowthFactor),
			FinalBakeTimeInMinutes: i64(d.FinalBakeTimeInMinutes), State: str(string(d.State)), PercentageComplete: f64(d.PercentageComplete),
			StartedAt: ts(d.StartedAt), CompletedAt: ts(d.CompletedAt), VersionLabel: str(d.VersionLabel), Type: str(string(d.TypeOf())),
		})
	}
	return out, nil
}
