package deploy

import (
	"context"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Lease is the engine's claim on a deployment while one process reads its
// monitors and runs its ticks outside any transaction. It is bookkeeping
// of the engine, kept in the record beside the deployment, not part of it.
type Lease struct {
	Owner string    // process evaluating monitors/ticks
	Until time.Time // when that lease lapses
}

// RecordKey is the key of d's record.
func RecordKey(sc appconfig.Scope, d appconfig.Deployment) appconfig.Key {
	return records.DeploymentKey(sc, d.ApplicationID, d.EnvironmentID, d.DeploymentNumber)
}

// Key is the key of deployment number of an environment.
func Key(sc appconfig.Scope, appID, envID string, number int) appconfig.Key {
	return records.DeploymentKey(sc, appID, envID, number)
}

// Query selects an environment's deployment records (in number order).
func Query(sc appconfig.Scope, appID, envID string) appconfig.Query {
	return appconfig.Query{Account: sc.Account, Region: sc.Region, Kind: appconfig.RecordDeployment, Parent: records.DeploymentParent(appID, envID)}
}

// Decode reads a deployment record.
func Decode(rec appconfig.Record) (appconfig.Deployment, error) {
	d, _, err := decodeRecord(rec)
	return d, err
}

func decodeRecord(rec appconfig.Record) (appconfig.Deployment, Lease, error) {
	b, err := records.Deployments.Decode(rec)
	var lease Lease
	if b.Lease != nil {
		lease = Lease{Owner: b.Lease.Owner, Until: b.Lease.Until}
	}
	return b.Deployment, lease, err
}

func encodeRecord(d appconfig.Deployment, lease Lease) []byte {
	b := records.DeploymentBody{Deployment: d}
	if lease != (Lease{}) {
		b.Lease = &records.DeploymentLease{Owner: lease.Owner, Until: lease.Until}
	}
	return records.Deployments.Encode(b)
}

// Get reads deployment number of an environment (forUpdate locks it).
func Get(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string, number int, forUpdate bool) (appconfig.Deployment, error) {
	rec, err := tx.Get(ctx, Key(sc, appID, envID, number), forUpdate, false)
	if err != nil {
		return appconfig.Deployment{}, err
	}
	return Decode(rec)
}

// Newest returns the environment's newest deployment (nil when there is
// none): the only one that can be active, and the one whose number the
// next deployment follows.
func Newest(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID string) (*appconfig.Deployment, error) {
	q := Query(sc, appID, envID)
	q.Desc, q.Limit = true, 1
	recs, err := tx.List(ctx, q)
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	d, err := Decode(recs[0])
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// ScanActive calls fn with every deployment the engine still has to
// advance (for metrics), without locking them; records that cannot be
// read are skipped.
func ScanActive(ctx context.Context, st appconfig.Store, fn func(appconfig.Deployment) error) error {
	return st.ScanDue(ctx, appconfig.RecordDeployment, func(r appconfig.Record) error {
		d, err := Decode(r)
		if err != nil {
			return nil
		}
		return fn(d)
	})
}
