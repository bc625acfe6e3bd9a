package controlplane

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
	"github.com/appconfigd/appconfigd/internal/wire/gen/acapi"
)

func settings(s appconfig.AccountSettings) *acapi.AccountSettings {
	enabled, vended := s.DeletionProtection.Enabled, s.VendedMetrics
	return &acapi.AccountSettings{
		DeletionProtection: &acapi.DeletionProtectionSettings{Enabled: &enabled, ProtectionPeriodInMinutes: i64(s.DeletionProtection.ProtectionPeriodInMinutes)},
		VendedMetrics:      &acapi.VendedMetricsSettings{Enabled: &vended},
	}
}

func (h *Handler) GetAccountSettings(ctx context.Context) (*acapi.AccountSettings, error) {
	s, err := h.svc.GetAccountSettings(ctx, scope(ctx))
	if err != nil {
		return nil, err
	}
	return settings(s), nil
}

func (h *Handler) UpdateAccountSettings(ctx context.Context, in *acapi.UpdateAccountSettingsRequest) (*acapi.AccountSettings, error) {
	var u service.UpdateAccountSettingsInput
	if dp := in.DeletionProtection; dp != nil {
		u.DeletionProtectionEnabled = dp.Enabled
		u.ProtectionPeriodInMinutes = intPtr(dp.ProtectionPeriodInMinutes)
	}
	if vm := in.VendedMetrics; vm != nil {
		u.VendedMetricsEnabled = vm.Enabled
	}
	s, err := h.svc.UpdateAccountSettings(ctx, scope(ctx), u)
	if err != nil {
		return nil, err
	}
	return settings(s), nil
}
