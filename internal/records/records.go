// Package records owns the stored form of every record kind: the JSON
// body each kind is written as, the schema version every body carries,
// and the upgrades that read older bodies. Nothing outside this package
// decodes a record body.
//
// A body is the JSON of its Go value with "schemaVersion" as its first
// member. Bodies written before versions existed have none and are
// version 0; Decode upgrades a body step by step to its kind's current
// version before decoding it. testdata/ keeps bodies of every kind as
// each version wrote them, and a test proves they all still decode.
package records

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	appconfig "github.com/appconfigd/appconfigd"
)

// Upgrade rewrites a body of version n-1 (its members) into version n.
type Upgrade func(members map[string]json.RawMessage) error

// kindInfo is what this version of appconfigd knows of a kind's format.
type kindInfo struct {
	// upgrades[i] turns version i into version i+1; the current version
	// is len(upgrades).
	upgrades []Upgrade
}

// identity is the upgrade of a version that only added "schemaVersion".
func identity(map[string]json.RawMessage) error { return nil }

var kinds = map[string]kindInfo{
	appconfig.RecordApplication:          {upgrades: []Upgrade{identity}},
	appconfig.RecordEnvironment:          {upgrades: []Upgrade{identity}},
	appconfig.RecordConfigurationProfile: {upgrades: []Upgrade{identity}},
	appconfig.RecordHostedVersion:        {upgrades: []Upgrade{identity}},
	appconfig.RecordDeploymentStrategy:   {upgrades: []Upgrade{identity}},
	appconfig.RecordDeployment:           {upgrades: []Upgrade{deploymentLeaseApart}},
	appconfig.RecordTags:                 {upgrades: []Upgrade{identity}},
	appconfig.RecordAccountSettings:      {upgrades: []Upgrade{identity}},
	appconfig.RecordUsage:                {upgrades: []Upgrade{identity}},
	appconfig.RecordExtension:            {upgrades: []Upgrade{identity}},
	appconfig.RecordExtensionName:        {upgrades: []Upgrade{identity}},
	appconfig.RecordExtensionAssociation: {upgrades: []Upgrade{identity}},
	appconfig.RecordDelivery:             {upgrades: []Upgrade{identity}},
	appconfig.RecordMeta:                 {upgrades: []Upgrade{identity}},
	// Experiments were first written at version 1: no v0 body exists.
	appconfig.RecordExperimentDefinition: {upgrades: []Upgrade{identity}},
	appconfig.RecordExperimentRun:        {upgrades: []Upgrade{identity}},
}

// Kinds lists every record kind this package knows.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	return out
}

// Version is the schema version bodies of kind are written in.
func Version(kind string) int { return len(kinds[kind].upgrades) }

// deploymentLeaseApart (deployment v0 → v1): the engine's lease, two
// members of the deployment in v0, becomes a member of its own, apart
// from the deployment.
func deploymentLeaseApart(m map[string]json.RawMessage) error {
	owner, until := m["leaseOwner"], m["leaseUntil"]
	delete(m, "leaseOwner")
	delete(m, "leaseUntil")
	if owner == nil && until == nil {
		return nil
	}
	lease := map[string]json.RawMessage{}
	if owner != nil {
		lease["owner"] = owner
	}
	if until != nil {
		lease["until"] = until
	}
	b, err := json.Marshal(lease)
	m["lease"] = b
	return err
}

const versionMember = `{"schemaVersion":`

// ErrNewerVersion is the cause of a Decode error on a body that a newer
// appconfigd wrote (a replica already upgraded, during a rolling
// upgrade): this process must leave such a record alone.
var ErrNewerVersion = errors.New("record body of a newer schema version")

// Encode writes v as a body of kind, in the kind's current version.
func Encode(kind string, v any) []byte {
	info, ok := kinds[kind]
	if !ok {
		panic("records: unknown record kind " + kind)
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) < 2 || b[0] != '{' {
		panic(fmt.Sprintf("records: encode %s %T: %v", kind, v, err))
	}
	out := make([]byte, 0, len(b)+len(versionMember)+4)
	out = append(out, versionMember...)
	out = strconv.AppendInt(out, int64(len(info.upgrades)), 10)
	if len(b) > 2 {
		out = append(out, ',')
	}
	return append(out, b[1:]...)
}

// bodyVersion reads the version Encode put first (0 when absent).
func bodyVersion(body []byte) int {
	if !bytes.HasPrefix(body, []byte(versionMember)) {
		return 0
	}
	n, i := 0, len(versionMember)
	for ; i < len(body) && body[i] >= '0' && body[i] <= '9'; i++ {
		n = n*10 + int(body[i]-'0')
	}
	return n
}

// Decode reads a record's body as a T, upgrading it first if an older
// version wrote it. A body of a version newer than this process knows is
// an error (a replica of a newer version wrote it).
func Decode[T any](rec appconfig.Record) (T, error) {
	var v T
	body, err := upgrade(rec.Kind, rec.Body)
	if err == nil {
		err = json.Unmarshal(body, &v)
	}
	if err != nil {
		return v, appconfig.Internal(err, "corrupt %s record %s", rec.Kind, rec.ID)
	}
	return v, nil
}

func upgrade(kind string, body []byte) ([]byte, error) {
	info, ok := kinds[kind]
	if !ok {
		return nil, fmt.Errorf("unknown record kind %q", kind)
	}
	from, to := bodyVersion(body), len(info.upgrades)
	switch {
	case from == to:
		return body, nil
	case from > to:
		return nil, fmt.Errorf("%w: %s body of version %d, this appconfigd knows %d", ErrNewerVersion, kind, from, to)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	for ; from < to; from++ {
		if err := info.upgrades[from](m); err != nil {
			return nil, fmt.Errorf("upgrading a %s body from version %d: %w", kind, from, err)
		}
	}
	m["schemaVersion"] = json.RawMessage(strconv.Itoa(to))
	return json.Marshal(m)
}

// Kind is the typed accessor of one record kind.
type Kind[T any] struct{ Name string }

// Record kinds of the domain types.
var (
	Applications          = Kind[appconfig.Application]{appconfig.RecordApplication}
	Environments          = Kind[appconfig.Environment]{appconfig.RecordEnvironment}
	Profiles              = Kind[appconfig.ConfigurationProfile]{appconfig.RecordConfigurationProfile}
	HostedVersions        = Kind[appconfig.HostedConfigurationVersion]{appconfig.RecordHostedVersion}
	Strategies            = Kind[appconfig.DeploymentStrategy]{appconfig.RecordDeploymentStrategy}
	AccountSettings       = Kind[appconfig.AccountSettings]{appconfig.RecordAccountSettings}
	Extensions            = Kind[appconfig.Extension]{appconfig.RecordExtension}
	ExtensionAssociations = Kind[appconfig.ExtensionAssociation]{appconfig.RecordExtensionAssociation}
	ExperimentDefinitions = Kind[appconfig.ExperimentDefinition]{appconfig.RecordExperimentDefinition}
	ExperimentRuns        = Kind[appconfig.ExperimentRun]{appconfig.RecordExperimentRun}
)

// Decode reads a record of the kind.
func (k Kind[T]) Decode(rec appconfig.Record) (T, error) { return Decode[T](rec) }

// Encode writes a body of the kind.
func (k Kind[T]) Encode(v T) []byte { return Encode(k.Name, v) }

// Get reads and decodes one record of the kind.
func (k Kind[T]) Get(ctx context.Context, tx appconfig.Tx, key appconfig.Key, forUpdate bool) (T, appconfig.Record, error) {
	rec, err := tx.Get(ctx, key, forUpdate, false)
	if err != nil {
		var z T
		return z, rec, err
	}
	v, err := k.Decode(rec)
	return v, rec, err
}

// Insert adds a record of the kind under key (whose Kind must be the
// kind's), with name and body v; the record it returns carries its Seq.
func (k Kind[T]) Insert(ctx context.Context, tx appconfig.Tx, key appconfig.Key, name string, v T) (appconfig.Record, error) {
	if key.Kind != k.Name {
		panic("records: inserting a " + k.Name + " under a " + key.Kind + " key")
	}
	rec := appconfig.Record{Key: key, Name: name, Body: k.Encode(v)}
	err := tx.Insert(ctx, &rec)
	return rec, err
}

// Put replaces the body (and name) of an existing record of the kind.
func (k Kind[T]) Put(ctx context.Context, tx appconfig.Tx, rec appconfig.Record, v T) error {
	rec.Body = k.Encode(v)
	return tx.Put(ctx, rec)
}

// List reads and decodes the records q matches.
func (k Kind[T]) List(ctx context.Context, tx appconfig.Tx, q appconfig.Query) ([]T, error) {
	q.Kind = k.Name
	recs, err := tx.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(recs))
	for _, r := range recs {
		v, err := k.Decode(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
