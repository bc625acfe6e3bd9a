package service

import (
	"context"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

func (s *Service) accountSettings(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope) (appconfig.AccountSettings, error) {
	st, _, err := records.AccountSettings.Get(ctx, tx, records.AccountSettingsKey(sc), false)
	if appconfig.IsNotFound(err) {
		return appconfig.DefaultAccountSettings(), nil
	}
	return st, err
}

// GetAccountSettings returns the scope's settings.
func (s *Service) GetAccountSettings(ctx context.Context, sc appconfig.Scope) (appconfig.AccountSettings, error) {
	var st appconfig.AccountSettings
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		var err error
		st, err = s.accountSettings(ctx, tx, sc)
		return err
	})
	return st, err
}

// UpdateAccountSettingsInput changes the members that are not nil.
type UpdateAccountSettingsInput struct {
	DeletionProtectionEnabled *bool
	ProtectionPeriodInMinutes *int
	VendedMetricsEnabled      *bool
}

// UpdateAccountSettings changes the scope's settings.
func (s *Service) UpdateAccountSettings(ctx context.Context, sc appconfig.Scope, in UpdateAccountSettingsInput) (appconfig.AccountSettings, error) {
	var st appconfig.AccountSettings
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		k := records.AccountSettingsKey(sc)
		cur, r, err := records.AccountSettings.Get(ctx, tx, k, true)
		exists := err == nil
		if appconfig.IsNotFound(err) {
			cur = appconfig.DefaultAccountSettings()
		} else if err != nil {
			return err
		}
		if in.DeletionProtectionEnabled != nil {
			cur.DeletionProtection.Enabled = *in.DeletionProtectionEnabled
		}
		if in.ProtectionPeriodInMinutes != nil {
			cur.DeletionProtection.ProtectionPeriodInMinutes = *in.ProtectionPeriodInMinutes
		}
		if in.VendedMetricsEnabled != nil {
			cur.VendedMetrics = *in.VendedMetricsEnabled
		}
		st = cur
		tx.Notify(appconfig.SettingsTopic(sc))
		if exists {
			return records.AccountSettings.Put(ctx, tx, r, cur)
		}
		_, err = records.AccountSettings.Insert(ctx, tx, k, "", cur)
		return err
	})
	return st, err
}
