package service

import (
	"context"
	"fmt"

	appconfig "github.com/appconfigd/appconfigd"
)

// activeDeploymentProfile returns the profile of the environment's
// deployment in progress ("" when none).
func (s *Service) activeDeploymentProfile(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string) (string, error) {
	q := query(sc, appconfig.KindDeployment, childParent(appID, envID))
	q.Desc, q.Limit = true, 1
	recs, err := tx.List(ctx, q)
	if err != nil || len(recs) == 0 || recs[0].DueAt.IsZero() {
		return "", err
	}
	var d struct {
		ConfigurationProfileID string `json:"configurationProfileId"`
	}
	d, err = decode[struct {
		ConfigurationProfileID string `json:"configurationProfileId"`
	}](recs[0])
	return d.ConfigurationProfileID, err
}

// deploymentID is the record id of a deployment number: zero-padded so
// ids sort like numbers.
func deploymentID(n int) string { return fmt.Sprintf("%010d", n) }
