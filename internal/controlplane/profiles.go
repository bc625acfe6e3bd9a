package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

func profile(p appconfig.ConfigurationProfile) acapi.ConfigurationProfile {
	out := acapi.ConfigurationProfile{
		ApplicationId: str(p.ApplicationID), Id: str(p.ID), Name: str(p.Name), Description: str(p.Description),
		LocationUri: str(p.LocationURI), RetrievalRoleArn: str(p.RetrievalRoleArn), Type: str(p.Type),
		KmsKeyArn: str(p.KmsKeyArn), KmsKeyIdentifier: str(p.KmsKeyIdentifier), Validators: []acapi.Validator{},
	}
	for _, v := range p.Validators {
		content := v.Content
		out.Validators = append(out.Validators, acapi.Validator{Type: str(v.Type), Content: &content})
	}
	return out
}

func validators(in []acapi.Validator) []appconfig.Validator {
	if in == nil {
		return nil
	}
	out := make([]appconfig.Validator, 0, len(in))
	for _, v := range in {
		out = append(out, appconfig.Validator{Type: val(v.Type), Content: val(v.Content)})
	}
	return out
}

func (h *Handler) CreateConfigurationProfile(ctx context.Context, in *acapi.CreateConfigurationProfileRequest) (*acapi.ConfigurationProfile, error) {
	p, err := h.svc.CreateConfigurationProfile(ctx, scope(ctx), val(in.ApplicationId), service.CreateProfileInput{
		Name: val(in.Name), Description: val(in.Description), LocationURI: val(in.LocationUri),
		RetrievalRoleArn: val(in.RetrievalRoleArn), Validators: validators(in.Validators), Type: val(in.Type),
		KmsKeyIdentifier: val(in.KmsKeyIdentifier), Tags: in.Tags,
	})
	if err != nil {
		return nil, err
	}
	out := profile(p)
	return &out, nil
}

func (h *Handler) GetConfigurationProfile(ctx context.Context, in *acapi.GetConfigurationProfileRequest) (*acapi.ConfigurationProfile, error) {
	p, err := h.svc.GetConfigurationProfile(ctx, scope(ctx), val(in.ApplicationId), val(in.ConfigurationProfileId))
	if err != nil {
		return nil, err
	}
	out := profile(p)
	return &out, nil
}

func (h *Handler) UpdateConfigurationProfile(ctx context.Context, in *acapi.UpdateConfigurationProfileRequest) (*acapi.ConfigurationProfile, error) {
	p, err := h.svc.UpdateConfigurationProfile(ctx, scope(ctx), val(in.ApplicationId), val(in.ConfigurationProfileId), service.UpdateProfileInput{
		Name: in.Name, Description: in.Description, RetrievalRoleArn: in.RetrievalRoleArn,
		KmsKeyIdentifier: in.KmsKeyIdentifier, Validators: validators(in.Validators),
	})
	if err != nil {
		return nil, err
	}
	out := profile(p)
	return &out, nil
}

func (h *Handler) DeleteConfigurationProfile(ctx context.Context, in *acapi.DeleteConfigurationProfileRequest) error {
	return h.svc.DeleteConfigurationProfile(ctx, scope(ctx), val(in.ApplicationId), val(in.ConfigurationProfileId), protectionCheck(in.DeletionProtectionCheck))
}

func (h *Handler) ListConfigurationProfiles(ctx context.Context, in *acapi.ListConfigurationProfilesRequest) (*acapi.ConfigurationProfiles, error) {
	p, err := h.svc.ListConfigurationProfiles(ctx, scope(ctx), val(in.ApplicationId), val(in.Type), page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.ConfigurationProfiles{Items: []acapi.ConfigurationProfileSummary{}, NextToken: str(p.NextToken)}
	for _, cp := range p.Items {
		types := []string{}
		for _, v := range cp.Validators {
			types = append(types, v.Type)
		}
		out.Items = append(out.Items, acapi.ConfigurationProfileSummary{
			ApplicationId: str(cp.ApplicationID), Id: str(cp.ID), Name: str(cp.Name),
			LocationUri: str(cp.LocationURI), Type: str(cp.Type), ValidatorTypes: types,
		})
	}
	return out, nil
}

func (h *Handler) ValidateConfiguration(ctx context.Context, in *acapi.ValidateConfigurationRequest) error {
	return h.svc.ValidateConfiguration(ctx, scope(ctx), val(in.ApplicationId), val(in.ConfigurationProfileId), val(in.ConfigurationVersion))
}
