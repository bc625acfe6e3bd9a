package service

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/deploy"
	"github.com/appconfigd/appconfigd/internal/featureflag"
	"github.com/appconfigd/appconfigd/internal/records"
)

// Experiment definitions (AWS 2026): the rules the model does not state
// are written down in docs/aws-behavior.md, section Experiments.

// maxTreatments is AWS's quota of treatments per experiment, excluding the
// control; the model's list maximum is the same, so it is not adjustable.
const maxTreatments = 5

// TreatmentInput is a control or treatment as the caller gives it.
type TreatmentInput struct {
	Weight      float64
	Description string
	FlagValue   appconfig.FlagValue
}

// CreateExperimentDefinitionInput is a new experiment definition.
type CreateExperimentDefinitionInput struct {
	Name, Hypothesis                  string
	ProfileIdent, EnvIdent, FlagKey   string
	AudienceRule, AudienceDescription string
	LaunchCriteria                    string
	Control                           TreatmentInput
	Treatments                        []TreatmentInput
	Tags                              map[string]string
}

// UpdateExperimentDefinitionInput changes the members that are not nil.
type UpdateExperimentDefinitionInput struct {
	Hypothesis, AudienceRule, AudienceDescription, LaunchCriteria *string
	Control                                                       *TreatmentInput
	Treatments                                                    []TreatmentInput // nil: unchanged
}

// ExperimentFilter selects definitions in ListExperimentDefinitions.
type ExperimentFilter struct {
	Application, Profile, Environment, Status string
}

// Delete types of DeleteExperimentDefinition.
const (
	DeleteArchive = "ARCHIVE"
	DeleteDestroy = "DESTROY"
)

// checkAudienceRule parses a rule with the flag rule language; a parse
// error names its position.
func checkAudienceRule(rule string) error {
	_, err := featureflag.ParseRule(rule)
	var re *featureflag.RuleError
	if errors.As(err, &re) {
		return appconfig.BadRequest("AudienceRule is not valid at line %d, column %d (offset %d): %s", re.Line, re.Column, re.Offset, re.Msg)
	}
	if err != nil {
		return appconfig.BadRequest("AudienceRule is not valid: %v", err)
	}
	return nil
}

// treatments assigns the keys (c, then t1 … in list order) and checks
// what the model cannot: finite weights, at least one positive weight.
func treatments(control TreatmentInput, list []TreatmentInput) (appconfig.Treatment, []appconfig.Treatment, error) {
	if len(list) < 1 || len(list) > maxTreatments {
		return appconfig.Treatment{}, nil, appconfig.BadRequest("An experiment has 1 to %d treatments besides the control; %d given.", maxTreatments, len(list))
	}
	conv := func(key string, in TreatmentInput) appconfig.Treatment {
		return appconfig.Treatment{Key: key, Weight: in.Weight, Description: in.Description, FlagValue: in.FlagValue}
	}
	c := conv(appconfig.ControlTreatmentKey, control)
	out := make([]appconfig.Treatment, 0, len(list))
	total := 0.0
	for i, t := range append([]TreatmentInput{control}, list...) {
		if math.IsNaN(t.Weight) || math.IsInf(t.Weight, 0) || t.Weight < 0 {
			return c, nil, appconfig.BadRequest("Treatment weights must be finite numbers of at least 0.")
		}
		total += t.Weight
		if i > 0 {
			out = append(out, conv("t"+strconv.Itoa(i), t))
		}
	}
	if total <= 0 {
		return c, nil, appconfig.BadRequest("At least one treatment or the control must have a weight greater than 0.")
	}
	if math.IsInf(total, 0) {
		return c, nil, appconfig.BadRequest("The treatment weights are too large: their sum must be a finite number.")
	}
	return c, out, nil
}

// checkFlagDeployed requires the flag in a configuration the environment
// serves: the profile must hold feature flags and its newest deployment
// there (or the one it replaced, for clients outside a rollout or after a
// rollback) must contain flagKey.
func checkFlagDeployed(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, prof appconfig.ConfigurationProfile, env appconfig.Environment, flagKey string) error {
	if !prof.IsFeatureFlags() {
		return appconfig.BadRequest("Configuration profile %s is not a feature flag profile (%s); experiments run on feature flags.", prof.ID, appconfig.ProfileTypeFeatureFlags)
	}
	d, err := servedBefore(ctx, tx, sc, prof.ApplicationID, env.ID, prof.ID)
	if err != nil {
		return err
	}
	if d == nil {
		return appconfig.BadRequest("Flag %s must be deployed to environment %s before an experiment can use it; configuration profile %s was never deployed there.", flagKey, env.ID, prof.ID)
	}
	var numbers []int
	if d.State == appconfig.DeploymentComplete || (d.State.Active() && d.PercentageComplete > 0) {
		numbers = append(numbers, d.DeploymentNumber)
	}
	if d.State != appconfig.DeploymentComplete && d.PreviousDeployment > 0 {
		numbers = append(numbers, d.PreviousDeployment)
	}
	for _, n := range numbers {
		rec, err := tx.Get(ctx, deploy.Key(sc, prof.ApplicationID, env.ID, n), false, true)
		if appconfig.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		var doc struct {
			Flags map[string]json.RawMessage `json:"flags"`
		}
		if json.Unmarshal(rec.Data, &doc) == nil && doc.Flags[flagKey] != nil {
			return nil
		}
	}
	return appconfig.BadRequest("Flag %s is not in the configuration of profile %s deployed to environment %s.", flagKey, prof.ID, env.ID)
}

// resolveDefinition finds a definition of an application by ID, then by
// name (a definition that is not archived first, since names are unique
// only among those).
func (s *Service) resolveDefinition(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, ident string, forUpdate bool) (appconfig.ExperimentDefinition, appconfig.Record, error) {
	notFound := appconfig.NotFound("ExperimentDefinition", "Experiment definition %s not found", ident)
	r, err := tx.Get(ctx, experimentDefinitionKey(sc, appID, ident), forUpdate, false)
	if appconfig.IsNotFound(err) {
		q := records.ExperimentDefinitionsOf(sc, appID).Query
		q.Name = ident
		recs, lerr := tx.List(ctx, q)
		if lerr != nil {
			return appconfig.ExperimentDefinition{}, r, lerr
		}
		if len(recs) == 0 {
			return appconfig.ExperimentDefinition{}, r, notFound
		}
		r, err = recs[0], nil
		for _, c := range recs {
			if d, derr := decodeExperimentDefinition(c); derr == nil && d.Status != appconfig.ExperimentArchived {
				r = c
				break
			}
		}
		if forUpdate {
			r, err = tx.Get(ctx, r.Key, true, false)
		}
	}
	if err != nil {
		return appconfig.ExperimentDefinition{}, r, err
	}
	d, err := decodeExperimentDefinition(r)
	return d, r, err
}

// definitionsOf lists every definition of an application.
func definitionsOf(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID string) ([]appconfig.ExperimentDefinition, error) {
	recs, err := tx.List(ctx, records.ExperimentDefinitionsOf(sc, appID).Query)
	if err != nil {
		return nil, err
	}
	out := make([]appconfig.ExperimentDefinition, 0, len(recs))
	for _, r := range recs {
		d, err := decodeExperimentDefinition(r)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// lockExperiments serializes, across replicas, the writes that check
// rules spanning an application's definitions (the quota, unique names,
// one RUNNING run per environment, profile and flag).
func lockExperiments(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID string) error {
	return lockScope(ctx, tx, sc, "experiments|"+appID)
}

// CreateExperimentDefinition creates a definition in status IDLE.
func (s *Service) CreateExperimentDefinition(ctx context.Context, sc appconfig.Scope, appIdent string, in CreateExperimentDefinitionInput) (appconfig.ExperimentDefinition, error) {
	now := s.clock.Now()
	d := appconfig.ExperimentDefinition{
		Name: in.Name, Hypothesis: in.Hypothesis, Status: appconfig.ExperimentIdle, FlagKey: in.FlagKey,
		AudienceRule: in.AudienceRule, AudienceDescription: in.AudienceDescription, LaunchCriteria: in.LaunchCriteria,
		CreatedAt: now, UpdatedAt: now,
	}
	var err error
	if d.Control, d.Treatments, err = treatments(in.Control, in.Treatments); err != nil {
		return d, err
	}
	if err := checkAudienceRule(in.AudienceRule); err != nil {
		return d, err
	}
	if err := checkTagKeys(in.Tags); err != nil {
		return d, err
	}
	err = s.store.Update(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
		if err != nil {
			return err
		}
		prof, _, err := s.resolveProfile(ctx, tx, sc, app.ID, in.ProfileIdent, false)
		if err != nil {
			return err
		}
		env, _, err := s.resolveEnv(ctx, tx, sc, app.ID, in.EnvIdent, false)
		if err != nil {
			return err
		}
		if err := checkFlagDeployed(ctx, tx, sc, prof, env, in.FlagKey); err != nil {
			return err
		}
		if err := lockExperiments(ctx, tx, sc, app.ID); err != nil {
			return err
		}
		if err := s.checkDefinitionQuota(ctx, tx, sc, app.ID, in.Name); err != nil {
			return err
		}
		d.ApplicationID, d.ConfigurationProfileID, d.EnvironmentID = app.ID, prof.ID, env.ID
		d.KmsKeyIdentifier = prof.KmsKeyIdentifier
		id, err := insertWithNewID(ctx, tx, experimentDefinitionKey(sc, app.ID, ""), d.Name, func(id string) []byte {
			d.ID = id
			return encodeExperimentDefinition(d)
		})
		if err != nil {
			return err
		}
		d.ID = id
		return s.putTags(ctx, tx, sc, experimentRunParent(app.ID, id), ExperimentDefinitionARN(sc, app.ID, id), in.Tags)
	})
	return d, err
}

// checkDefinitionQuota counts the application's definitions that are not
// archived, and refuses a name one of them has.
func (s *Service) checkDefinitionQuota(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, name string) error {
	defs, err := definitionsOf(ctx, tx, sc, appID)
	if err != nil {
		return err
	}
	n := 0
	for _, d := range defs {
		if d.Status == appconfig.ExperimentArchived {
			continue
		}
		n++
		if d.Name == name {
			return appconfig.Conflict("An experiment definition named %s already exists in application %s (%s).", name, appID, d.ID)
		}
	}
	if n >= s.quotas.ExperimentsPerApp {
		return appconfig.QuotaExceeded("You have reached the limit of %d experiment definitions for application %s; archive or destroy unused ones.", s.quotas.ExperimentsPerApp, appID)
	}
	return nil
}

// GetExperimentDefinition returns a definition (by ID or name).
func (s *Service) GetExperimentDefinition(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string) (appconfig.ExperimentDefinition, error) {
	var d appconfig.ExperimentDefinition
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
		if err != nil {
			return err
		}
		d, _, err = s.resolveDefinition(ctx, tx, sc, app.ID, defIdent, false)
		return err
	})
	return d, err
}

// UpdateExperimentDefinition changes a definition that has no RUNNING run
// and is not archived.
func (s *Service) UpdateExperimentDefinition(ctx context.Context, sc appconfig.Scope, appIdent, defIdent string, in UpdateExperimentDefinitionInput) (appconfig.ExperimentDefinition, error) {
	var d appconfig.ExperimentDefinition
	if in.AudienceRule != nil {
		if err := checkAudienceRule(*in.AudienceRule); err != nil {
			return d, err
		}
	}
	err := s.store.Update(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
		if err != nil {
			return err
		}
		var r appconfig.Record
		if d, r, err = s.resolveDefinition(ctx, tx, sc, app.ID, defIdent, true); err != nil {
			return err
		}
		switch d.Status {
		case appconfig.ExperimentActive:
			return appconfig.Conflict("Experiment definition %s cannot be updated while an experiment run is RUNNING; stop the run first.", d.ID)
		case appconfig.ExperimentArchived:
			return appconfig.Conflict("Experiment definition %s is archived and cannot be updated.", d.ID)
		}
		setIf(&d.Hypothesis, in.Hypothesis)
		setIf(&d.AudienceRule, in.AudienceRule)
		setIf(&d.AudienceDescription, in.AudienceDescription)
		setIf(&d.LaunchCriteria, in.LaunchCriteria)
		if in.Control != nil || in.Treatments != nil {
			control, list := inputOf(d.Control), make([]TreatmentInput, 0, len(d.Treatments))
			for _, t := range d.Treatments {
				list = append(list, inputOf(t))
			}
			if in.Control != nil {
				control = *in.Control
			}
			if in.Treatments != nil {
				list = in.Treatments
			}
			if d.Control, d.Treatments, err = treatments(control, list); err != nil {
				return err
			}
		}
		d.UpdatedAt = s.clock.Now()
		r.Body = encodeExperimentDefinition(d)
		return tx.Put(ctx, r)
	})
	return d, err
}

func setIf(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

func inputOf(t appconfig.Treatment) TreatmentInput {
	return TreatmentInput{Weight: t.Weight, Description: t.Description, FlagValue: t.FlagValue}
}

// DeleteExperimentDefinition archives (kept, ARCHIVED, not counted) or
// destroys (gone with its runs and tags) a definition with no RUNNING run.
// deleteType "" archives.
func (s *Service) DeleteExperimentDefinition(ctx context.Context, sc appconfig.Scope, appIdent, defIdent, deleteType string) error {
	if deleteType == "" {
		deleteType = DeleteArchive
	}
	if deleteType != DeleteArchive && deleteType != DeleteDestroy {
		return appconfig.BadRequest("delete_type must be ARCHIVE or DESTROY.")
	}
	return s.store.Update(ctx, func(tx appconfig.Tx) error {
		app, _, err := s.resolveApp(ctx, tx, sc, appIdent, false)
		if err != nil {
			return err
		}
		d, r, err := s.resolveDefinition(ctx, tx, sc, app.ID, defIdent, true)
		if err != nil {
			return err
		}
		if d.Status == appconfig.ExperimentActive {
			return appconfig.Conflict("Experiment definition %s has a RUNNING experiment run; stop it before deleting the definition.", d.ID)
		}
		if deleteType == DeleteArchive {
			if d.Status == appconfig.ExperimentArchived {
				return nil
			}
			d.Status, d.UpdatedAt = appconfig.ExperimentArchived, s.clock.Now()
			r.Body = encodeExperimentDefinition(d)
			return tx.Put(ctx, r)
		}
		parent := experimentRunParent(app.ID, d.ID)
		if _, err := records.ExperimentRunsOf(sc, app.ID, d.ID).DeleteAll(ctx, tx); err != nil {
			return err
		}
		if _, err := records.TagsUnder(sc, parent).DeleteAll(ctx, tx); err != nil {
			return err
		}
		return tx.Delete(ctx, r.Key)
	})
}

// refuseExperimentsOn refuses deleting an environment or profile that an
// experiment definition (archived ones included) still names.
func refuseExperimentsOn(ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, appID, envID, profID string) error {
	defs, err := definitionsOf(ctx, tx, sc, appID)
	if err != nil {
		return err
	}
	for _, d := range defs {
		if (envID != "" && d.EnvironmentID == envID) || (profID != "" && d.ConfigurationProfileID == profID) {
			what, id := "Environment", envID
			if profID != "" {
				what, id = "Configuration profile", profID
			}
			return appconfig.BadRequest("%s %s is used by experiment definition %s (%s); destroy the definition first (DeleteExperimentDefinition with delete_type DESTROY).", what, id, d.ID, d.Status)
		}
	}
	return nil
}

func definitionMatches(d appconfig.ExperimentDefinition, f ExperimentFilter) bool {
	if f.Status == "" && d.Status == appconfig.ExperimentArchived {
		return false
	}
	return (f.Status == "" || d.Status == f.Status) &&
		(f.Profile == "" || d.ConfigurationProfileID == f.Profile) &&
		(f.Environment == "" || d.EnvironmentID == f.Environment)
}

// ListExperimentDefinitions lists the account's definitions (one
// application's with f.Application), in creation order per application,
// applications in creation order. Archived definitions are listed only
// when f.Status asks for them.
func (s *Service) ListExperimentDefinitions(ctx context.Context, sc appconfig.Scope, f ExperimentFilter, p appconfig.PageRequest) (appconfig.Page[appconfig.ExperimentDefinition], error) {
	var page appconfig.Page[appconfig.ExperimentDefinition]
	err := s.store.View(ctx, func(tx appconfig.Tx) error {
		conv := func(r appconfig.Record) (appconfig.ExperimentDefinition, bool, error) {
			d, err := decodeExperimentDefinition(r)
			return d, definitionMatches(d, f), err
		}
		if f.Application == "" {
			var err error
			page, err = listAcrossApps(ctx, tx, sc, func(app string) appconfig.Query { return records.ExperimentDefinitionsOf(sc, app).Query }, p, conv)
			return err
		}
		app, _, err := s.resolveApp(ctx, tx, sc, f.Application, false)
		if err != nil {
			return err
		}
		if f.Profile != "" {
			prof, _, err := s.resolveProfile(ctx, tx, sc, app.ID, f.Profile, false)
			if err != nil {
				return err
			}
			f.Profile = prof.ID
		}
		if f.Environment != "" {
			env, _, err := s.resolveEnv(ctx, tx, sc, app.ID, f.Environment, false)
			if err != nil {
				return err
			}
			f.Environment = env.ID
		}
		page, err = listPage(ctx, tx, records.ExperimentDefinitionsOf(sc, app.ID).Query, p, conv)
		return err
	})
	return page, err
}

// listAcrossApps pages through the records under(app) lists in every
// application,
// applications in creation order. The token's phase is the sequence
// number of the application the page stopped in.
func listAcrossApps[T any](ctx context.Context, tx appconfig.Tx, sc appconfig.Scope, under func(app string) appconfig.Query, p appconfig.PageRequest, conv func(appconfig.Record) (T, bool, error)) (appconfig.Page[T], error) {
	var page appconfig.Page[T]
	kind := under("").Kind
	phase, after, err := parseToken(p.NextToken, kind)
	if err != nil {
		return page, err
	}
	appSeq := int64(0)
	if phase != "" {
		if appSeq, err = strconv.ParseInt(phase, 10, 64); err != nil || appSeq <= 0 {
			return page, appconfig.BadRequest("The NextToken is not valid for this request.")
		}
	}
	aq := records.ApplicationsIn(sc).Query
	aq.AfterSeq = appSeq - 1
	apps, err := tx.List(ctx, aq)
	if err != nil {
		return page, err
	}
	size := pageSize(p)
	for _, a := range apps {
		sub := appconfig.PageRequest{MaxResults: size - len(page.Items)}
		if a.Seq == appSeq && after > 0 {
			sub.NextToken = makeToken(kind, "", after)
		}
		full := sub.MaxResults == 0
		if full {
			sub.MaxResults = 1 // only to learn whether a next page exists
		}
		got, err := listPage(ctx, tx, under(a.ID), sub, conv)
		if err != nil {
			return page, err
		}
		if full {
			if len(got.Items) > 0 {
				page.NextToken = makeToken(kind, strconv.FormatInt(a.Seq, 10), 0)
			}
			return page, nil
		}
		page.Items = append(page.Items, got.Items...)
		if got.NextToken != "" {
			_, last, _ := parseToken(got.NextToken, kind)
			page.NextToken = makeToken(kind, strconv.FormatInt(a.Seq, 10), last)
			return page, nil
		}
	}
	return page, nil
}
