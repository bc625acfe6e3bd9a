// Package seed loads applications, environments, configuration profiles,
// deployment strategies and hosted versions from YAML or JSON files at
// start (--seed-dir), so that a test suite starts from a known state.
// Applying a seed twice gives the same result: resources are matched by
// name, and a profile's seeded versions are matched with its stored ones
// by position (see ensureVersions).
package seed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/service"
)

// File is one seed file.
type File struct {
	Account              string        `json:"account,omitempty"`
	Region               string        `json:"region,omitempty"`
	Applications         []Application `json:"applications,omitempty"`
	DeploymentStrategies []Strategy    `json:"deploymentStrategies,omitempty"`
}

// Application is a seeded application.
type Application struct {
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	Environments []Environment     `json:"environments,omitempty"`
	Profiles     []Profile         `json:"configurationProfiles,omitempty"`
}

// Environment is a seeded environment.
type Environment struct {
	Name        string              `json:"name"`
	Description string              `json:"description,omitempty"`
	Monitors    []appconfig.Monitor `json:"monitors,omitempty"`
}

// Profile is a seeded configuration profile.
type Profile struct {
	Name        string                `json:"name"`
	Description string                `json:"description,omitempty"`
	LocationURI string                `json:"locationUri,omitempty"` // default "hosted"
	Type        string                `json:"type,omitempty"`
	Validators  []appconfig.Validator `json:"validators,omitempty"`
	Versions    []Version             `json:"versions,omitempty"`
	// DeployTo lists environments that should serve the profile's latest
	// seeded version; it is deployed at once (no growth, no bake).
	DeployTo []string `json:"deployTo,omitempty"`
}

// Version is a seeded hosted configuration version.
type Version struct {
	Content     string `json:"content,omitempty"`
	ContentFile string `json:"contentFile,omitempty"` // relative to the seed file
	ContentType string `json:"contentType,omitempty"` // default application/json
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
}

// Strategy is a seeded deployment strategy.
type Strategy struct {
	Name                        string  `json:"name"`
	Description                 string  `json:"description,omitempty"`
	DeploymentDurationInMinutes int     `json:"deploymentDurationInMinutes"`
	GrowthFactor                float64 `json:"growthFactor"`
	GrowthType                  string  `json:"growthType,omitempty"`
	FinalBakeTimeInMinutes      int     `json:"finalBakeTimeInMinutes,omitempty"`
}

// Load reads every *.yaml, *.yml and *.json file of dir, in name order.
func Load(dir string) ([]File, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("seed: %w", err)
	}
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var files []File
	var paths []string
	for _, n := range names {
		path := filepath.Join(dir, n)
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, fmt.Errorf("seed: %w", err)
		}
		var f File
		if err := yaml.UnmarshalStrict(raw, &f); err != nil {
			return nil, nil, fmt.Errorf("seed: %w", explain(path, raw, err))
		}
		files = append(files, f)
		paths = append(paths, path)
	}
	return files, paths, nil
}

// Apply creates what the files describe and is missing. def is the scope
// of files that name no account or region. settle runs the deployment
// engine once, so that a seeded deployment (no growth, no bake) completes
// before the next one starts in the same environment.
func Apply(ctx context.Context, svc *service.Service, def appconfig.Scope, files []File, paths []string, settle func(context.Context) error) error {
	for i, f := range files {
		sc := def
		if f.Account != "" {
			sc.Account = f.Account
		}
		if f.Region != "" {
			sc.Region = f.Region
		}
		if err := applyFile(ctx, svc, sc, f, filepath.Dir(paths[i]), settle); err != nil {
			return fmt.Errorf("seed: %s: %w", paths[i], err)
		}
	}
	return nil
}

// immediate is the strategy deployTo uses: all at once, no bake.
const immediate = "appconfigd-seed-immediate"

func applyFile(ctx context.Context, svc *service.Service, sc appconfig.Scope, f File, base string, settle func(context.Context) error) error {
	for _, st := range f.DeploymentStrategies {
		if _, err := strategyByName(ctx, svc, sc, st.Name); err == nil {
			continue
		} else if !appconfig.IsNotFound(err) {
			return err
		}
		if _, err := svc.CreateDeploymentStrategy(ctx, sc, service.CreateStrategyInput{Name: st.Name, Description: st.Description,
			DeploymentDurationInMinutes: st.DeploymentDurationInMinutes, GrowthFactor: st.GrowthFactor, GrowthType: st.GrowthType,
			FinalBakeTimeInMinutes: st.FinalBakeTimeInMinutes}); err != nil {
			return fmt.Errorf("deployment strategy %s: %w", st.Name, err)
		}
	}
	for _, a := range f.Applications {
		app, err := svc.GetApplication(ctx, sc, a.Name)
		if appconfig.IsNotFound(err) {
			app, err = svc.CreateApplication(ctx, sc, service.CreateApplicationInput{Name: a.Name, Description: a.Description, Tags: a.Tags})
		}
		if err != nil {
			return fmt.Errorf("application %s: %w", a.Name, err)
		}
		envs := map[string]string{}
		for _, e := range a.Environments {
			env, err := svc.GetEnvironment(ctx, sc, app.ID, e.Name)
			if appconfig.IsNotFound(err) {
				env, err = svc.CreateEnvironment(ctx, sc, app.ID, service.CreateEnvironmentInput{Name: e.Name, Description: e.Description, Monitors: e.Monitors})
			}
			if err != nil {
				return fmt.Errorf("environment %s/%s: %w", a.Name, e.Name, err)
			}
			envs[e.Name] = env.ID
		}
		for _, p := range a.Profiles {
			if err := applyProfile(ctx, svc, sc, app, p, envs, base, settle); err != nil {
				return fmt.Errorf("configuration profile %s/%s: %w", a.Name, p.Name, err)
			}
		}
	}
	return nil
}

func applyProfile(ctx context.Context, svc *service.Service, sc appconfig.Scope, app appconfig.Application, p Profile, envs map[string]string, base string, settle func(context.Context) error) error {
	loc := p.LocationURI
	if loc == "" {
		loc = appconfig.LocationHosted
	}
	prof, err := svc.GetConfigurationProfile(ctx, sc, app.ID, p.Name)
	if appconfig.IsNotFound(err) {
		prof, err = svc.CreateConfigurationProfile(ctx, sc, app.ID, service.CreateProfileInput{Name: p.Name, Description: p.Description,
			LocationURI: loc, Type: p.Type, Validators: p.Validators})
	}
	if err != nil {
		return err
	}
	want := make([]seededVersion, 0, len(p.Versions))
	for _, v := range p.Versions {
		content := []byte(v.Content)
		if v.ContentFile != "" {
			if content, err = os.ReadFile(filepath.Join(base, v.ContentFile)); err != nil {
				return err
			}
		}
		ctype := v.ContentType
		if ctype == "" {
			ctype = "application/json"
		}
		want = append(want, seededVersion{content: content, ctype: ctype, label: v.Label, description: v.Description})
	}
	latest, err := ensureVersions(ctx, svc, sc, app.ID, prof, want)
	if err != nil {
		return err
	}
	// deployTo deploys the seed's last version unless the environment
	// already serves it or is deploying it: applying the same seed again
	// (nothing created, the earlier deployment complete) starts nothing.
	if latest == 0 || len(p.DeployTo) == 0 {
		return nil
	}
	strategy, err := strategyByName(ctx, svc, sc, immediate)
	if appconfig.IsNotFound(err) {
		strategy, err = svc.CreateDeploymentStrategy(ctx, sc, service.CreateStrategyInput{Name: immediate, Description: "Used by --seed-dir deployTo",
			DeploymentDurationInMinutes: 0, GrowthFactor: 100})
	}
	if err != nil {
		return err
	}
	for _, envName := range p.DeployTo {
		envID, ok := envs[envName]
		if !ok {
			return fmt.Errorf("deployTo names environment %q, which the seed does not define for this application", envName)
		}
		served, err := svc.LoadServed(ctx, sc, app.ID, envID, prof.ID)
		if err != nil {
			return err
		}
		if d := served.Deployment; d != nil && d.ConfigurationVersion == fmt.Sprint(latest) && (d.State == appconfig.DeploymentComplete || d.State.Active()) {
			continue
		}
		if _, err := svc.StartDeployment(ctx, sc, app.ID, envID, service.StartDeploymentInput{DeploymentStrategyID: strategy.ID,
			ConfigurationProfileID: prof.ID, ConfigurationVersion: fmt.Sprint(latest), Description: "seeded"}); err != nil {
			return fmt.Errorf("deploy to %s: %w", envName, err)
		}
		if err := settle(ctx); err != nil {
			return err
		}
	}
	return nil
}

// seededVersion is a seed's hosted version with its content read.
type seededVersion struct {
	content                   []byte
	ctype, label, description string
}

// ensureVersions makes the profile's hosted versions hold the seeded ones
// and returns the number of the version holding the last one (0 when the
// seed lists none).
//
// The seed describes the profile's history from its first version: the
// stored versions are listed once, oldest first, and seeded version i is
// matched with stored version i+1 (the (i+1)-th oldest, should some have
// been deleted) on content, content type, label and description; only
// what follows the matching prefix is created. So a fresh profile gets
// versions 1..n, a profile seeded before gets nothing, and a seed that
// gained versions at its end gets just those. Stored versions after a
// fully matched seed (created by someone else) are kept; the seed's last
// version is still the one matched at its position.
//
// When a stored version differs from the seeded one at the same position
// (the seed was edited, or the profile held other versions before it was
// first seeded), the seed applies on top: its versions from the first
// difference on are appended after the latest stored version, except for
// the part the stored versions already end with (an earlier apply of the
// same seed, possibly interrupted). Versions are only ever appended, so
// the matching prefix, and with it this decision, does not change from
// one apply to the next: applying the same seed twice gives the same
// state, and nothing is rewritten or deleted.
func ensureVersions(ctx context.Context, svc *service.Service, sc appconfig.Scope, appID string, prof appconfig.ConfigurationProfile, want []seededVersion) (int, error) {
	if len(want) == 0 {
		return 0, nil
	}
	stored, err := storedVersions(ctx, svc, sc, appID, prof.ID)
	if err != nil {
		return 0, err
	}
	full := make(map[int]appconfig.HostedConfigurationVersion)
	// matches tells whether stored[j] holds want[i].
	matches := func(j int, w seededVersion) (bool, error) {
		v, ok := full[j]
		if !ok {
			var err error
			if v, err = svc.GetHostedConfigurationVersion(ctx, sc, appID, prof.ID, stored[j]); err != nil {
				return false, err
			}
			full[j] = v
		}
		return v.ContentType == w.ctype && v.VersionLabel == w.label && v.Description == w.description && sameContent(prof, v.Content, w.content), nil
	}
	prefix := 0
	for prefix < len(want) && prefix < len(stored) {
		ok, err := matches(prefix, want[prefix])
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		prefix++
	}
	if prefix == len(want) {
		return stored[prefix-1], nil
	}
	rest, latest := want[prefix:], 0
	if prefix < len(stored) {
		// Diverged: skip the longest start of rest that the stored
		// versions end with.
		for k := min(len(rest), len(stored)-prefix); k > 0; k-- {
			ok := true
			for i := 0; i < k && ok; i++ {
				if ok, err = matches(len(stored)-k+i, rest[i]); err != nil {
					return 0, err
				}
			}
			if ok {
				rest, latest = rest[k:], stored[len(stored)-1]
				break
			}
		}
	}
	for _, w := range rest {
		created, err := svc.CreateHostedConfigurationVersion(ctx, sc, appID, prof.ID, service.CreateHostedVersionInput{Content: w.content, ContentType: w.ctype,
			VersionLabel: w.label, Description: w.description})
		if err != nil {
			return 0, err
		}
		latest = created.VersionNumber
	}
	return latest, nil
}

// storedVersions lists the numbers of the profile's hosted versions,
// oldest first.
func storedVersions(ctx context.Context, svc *service.Service, sc appconfig.Scope, appID, profID string) ([]int, error) {
	var out []int
	page := appconfig.PageRequest{}
	for {
		p, err := svc.ListHostedConfigurationVersions(ctx, sc, appID, profID, "", page)
		if err != nil {
			return nil, err
		}
		for _, v := range p.Items {
			out = append(out, v.VersionNumber)
		}
		if p.NextToken == "" {
			break
		}
		page.NextToken = p.NextToken
	}
	sort.Ints(out)
	return out, nil
}

// sameContent compares stored and seeded content; feature-flag documents
// gain metadata when stored, so they are compared without it.
func sameContent(prof appconfig.ConfigurationProfile, stored, seeded []byte) bool {
	if !prof.IsFeatureFlags() {
		return string(stored) == string(seeded)
	}
	a, errA := service.CheckFeatureFlags(stored, stored, zeroTime)
	b, errB := service.CheckFeatureFlags(seeded, stored, zeroTime)
	return errA == nil && errB == nil && string(a) == string(b)
}

var zeroTime time.Time

func strategyByName(ctx context.Context, svc *service.Service, sc appconfig.Scope, name string) (appconfig.DeploymentStrategy, error) {
	page := appconfig.PageRequest{}
	for {
		p, err := svc.ListDeploymentStrategies(ctx, sc, page)
		if err != nil {
			return appconfig.DeploymentStrategy{}, err
		}
		for _, st := range p.Items {
			if st.Name == name {
				return st, nil
			}
		}
		if p.NextToken == "" {
			return appconfig.DeploymentStrategy{}, appconfig.NotFound("DeploymentStrategy", "no strategy named %s", name)
		}
		page.NextToken = p.NextToken
	}
}
