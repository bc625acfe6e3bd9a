package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

// hostedAnswer is a hosted version's answer with the values its members
// point at, so that the answer is one allocation instead of one per
// member (GetHostedConfigurationVersion is a hot read).
type hostedAnswer struct {
	out                                   acapi.HostedConfigurationVersion
	app, prof, desc, ctype, label, kmsArn string
	number                                int64
}

// hostedVersion is v as the API answers it; empty strings stay unset.
func hostedVersion(v appconfig.HostedConfigurationVersion) *acapi.HostedConfigurationVersion {
	a := &hostedAnswer{
		app: v.ApplicationID, prof: v.ConfigurationProfileID, desc: v.Description, ctype: v.ContentType,
		label: v.VersionLabel, kmsArn: v.KmsKeyArn, number: int64(v.VersionNumber),
	}
	a.out = acapi.HostedConfigurationVersion{
		ApplicationId: strIn(&a.app), ConfigurationProfileId: strIn(&a.prof),
		VersionNumber: &a.number, Description: strIn(&a.desc), ContentType: strIn(&a.ctype),
		VersionLabel: strIn(&a.label), KmsKeyArn: strIn(&a.kmsArn), Content: v.Content,
	}
	return &a.out
}

// strIn is str without the allocation: p itself, or nil for "".
func strIn(p *string) *string {
	if *p == "" {
		return nil
	}
	return p
}

func (h *Handler) CreateHostedConfigurationVersion(ctx context.Context, in *acapi.CreateHostedConfigurationVersionRequest) (*acapi.HostedConfigurationVersion, error) {
	v, err := h.svc.CreateHostedConfigurationVersion(ctx, scope(ctx), val(in.ApplicationId), val(in.ConfigurationProfileId), service.CreateHostedVersionInput{
		Content: in.Content, ContentType: val(in.ContentType), Description: val(in.Description),
		VersionLabel: val(in.VersionLabel), LatestVersionNumber: intPtr(in.LatestVersionNumber),
	})
	if err != nil {
		return nil, err
	}
	return hostedVersion(v), nil
}

func (h *Handler) GetHostedConfigurationVersion(ctx context.Context, in *acapi.GetHostedConfigurationVersionRequest) (*acapi.HostedConfigurationVersion, error) {
	v, err := h.svc.GetHostedConfigurationVersion(ctx, scope(ctx), val(in.ApplicationId), val(in.ConfigurationProfileId), int(val(in.VersionNumber)))
	if err != nil {
		return nil, err
	}
	return hostedVersion(v), nil
}

func (h *Handler) DeleteHostedConfigurationVersion(ctx context.Context, in *acapi.DeleteHostedConfigurationVersionRequest) error {
	return h.svc.DeleteHostedConfigurationVersion(ctx, scope(ctx), val(in.ApplicationId), val(in.ConfigurationProfileId), int(val(in.VersionNumber)))
}

func (h *Handler) ListHostedConfigurationVersions(ctx context.Context, in *acapi.ListHostedConfigurationVersionsRequest) (*acapi.HostedConfigurationVersions, error) {
	p, err := h.svc.ListHostedConfigurationVersions(ctx, scope(ctx), val(in.ApplicationId), val(in.ConfigurationProfileId), val(in.VersionLabel), page(in.MaxResults, in.NextToken))
	if err != nil {
		return nil, err
	}
	out := &acapi.HostedConfigurationVersions{Items: []acapi.HostedConfigurationVersionSummary{}, NextToken: str(p.NextToken)}
	for _, v := range p.Items {
		out.Items = append(out.Items, acapi.HostedConfigurationVersionSummary{
			ApplicationId: str(v.ApplicationID), ConfigurationProfileId: str(v.ConfigurationProfileID),
			VersionNumber: i64(v.VersionNumber), Description: str(v.Description), ContentType: str(v.ContentType),
			VersionLabel: str(v.VersionLabel), KmsKeyArn: str(v.KmsKeyArn),
		})
	}
	return out, nil
}
