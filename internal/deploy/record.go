package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// Lease is the engine's claim on a deployment while one process reads its
// monitors and runs its ticks outside any transaction. It is bookkeeping
// of the engine, kept in the record beside the deployment, not part of it.
type Lease struct {
	Owner string    // process evaluating monitors/ticks
	Until time.Time // when that lease lapses
}

// recordBody is a deployment record's body: the deployment and the
// engine's lease.
type recordBody struct {
	appconfig.Deployment
	LeaseOwner string    `json:"leaseOwner,omitempty"`
	LeaseUntil time.Time `json:"leaseUntil,omitempty"`
}

// RecordKey is the key of d's record.
func RecordKey(sc appconfig.Scope, d appconfig.Deployment) appconfig.Key {
	return appconfig.DeploymentKey(sc, d.ApplicationID, d.EnvironmentID, d.DeploymentNumber)
}

// Key is the key of deployment number of an environment.
func Key(sc appconfig.Scope, appID, envID string, number int) appconfig.Key {
	return appconfig.DeploymentKey(sc, appID, envID, number)
}

// Query selects an environment's deployment records (in number order).
func Query(sc appconfig.Scope, appID, envID string) appconfig.Query {
	return appconfig.Query{Account: sc.Account, Region: sc.Region, Kind: appconfig.RecordDeployment, Parent: appconfig.DeploymentParent(appID, envID)}
}

// Decode reads a deployment record.
func Decode(rec appconfig.Record) (appconfig.Deployment, error) {
	d, _, err := decodeRecord(rec)
	return d, err
}

func decodeRecord(rec appconfig.Record) (appconfig.Deployment, Lease, error) {
	var b recordBody
	if err := json.Unmarshal(rec.Body, &b); err != nil {
		return b.Deployment, Lease{}, appconfig.Internal(err, "corrupt deployment record %s", rec.ID)
	}
	return b.Deployment, Lease{Owner: b.LeaseOwner, Until: b.LeaseUntil}, nil
}

func encodeRecord(d appconfig.Deployment, lease Lease) []byte {
	b, err := json.Marshal(recordBody{Deployment: d, LeaseOwner: lease.Owner, LeaseUntil: lease.Until})
	if err != nil {
		panic(errors.New("encode deployment: " + err.Error()))
	}
	return b
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
