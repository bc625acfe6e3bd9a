package benchutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// API sends control- and data-plane requests to appconfigd as one
// account and region, for setting benchmarks up.
type API struct {
	Base    string // http://host:port
	Client  *http.Client
	Signer  Signer
	Account string
	Region  string
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Method, URL string
	Status      int
	Body        string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s → %d %s", e.Method, strings.TrimPrefix(e.URL, "http://"), e.Status, e.Body)
}

// Do sends one request (body JSON-encoded when it is not []byte or nil)
// and returns the answer; a non-2xx answer is a *StatusError.
func (a *API) Do(ctx context.Context, method, path, ctype string, body any) (*http.Response, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(j)
		if ctype == "" {
			ctype = "application/json"
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	a.Signer.Sign(req.Header, a.Account, a.Region)
	resp, err := a.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, nil, err
	}
	if resp.StatusCode/100 != 2 {
		snippet := strings.TrimSpace(string(b))
		if len(snippet) > 200 {
			snippet = snippet[:200] + "…"
		}
		return resp, b, &StatusError{Method: method, URL: a.Base + path, Status: resp.StatusCode, Body: snippet}
	}
	return resp, b, nil
}

// ErrNoID is a creation answer without an "Id".
var ErrNoID = errors.New("no Id in answer")

// Create POSTs a JSON body and returns the answer's "Id".
func (a *API) Create(ctx context.Context, path string, body any) (string, error) {
	_, b, err := a.Do(ctx, "POST", path, "", body)
	if err != nil {
		return "", err
	}
	var v struct{ Id string }
	if err := json.Unmarshal(b, &v); err != nil || v.Id == "" {
		return "", fmt.Errorf("POST %s: %w %.120q", path, ErrNoID, b)
	}
	return v.Id, nil
}

// Hosted is one application with a hosted profile and version 1.
type Hosted struct {
	App, Profile string
}

// CreateHosted creates application appName, a hosted profile and version 1
// of content.
func (a *API) CreateHosted(ctx context.Context, appName string, content []byte, ctype string) (Hosted, error) {
	var h Hosted
	var err error
	if h.App, err = a.Create(ctx, "/applications", map[string]any{"Name": appName}); err != nil {
		return h, err
	}
	if h.Profile, err = a.Create(ctx, "/applications/"+h.App+"/configurationprofiles", map[string]any{"Name": "p", "LocationUri": "hosted"}); err != nil {
		return h, err
	}
	if _, _, err = a.Do(ctx, "POST", "/applications/"+h.App+"/configurationprofiles/"+h.Profile+"/hostedconfigurationversions", ctype, content); err != nil {
		return h, err
	}
	return h, nil
}

// StartDeployment starts deploying version 1 of profile to an environment.
func (a *API) StartDeployment(ctx context.Context, app, env, profile, strategy string) error {
	_, _, err := a.Do(ctx, "POST", "/applications/"+app+"/environments/"+env+"/deployments", "", map[string]any{
		"DeploymentStrategyId": strategy, "ConfigurationProfileId": profile, "ConfigurationVersion": "1"})
	return err
}

// Event is one entry of a deployment's event log.
type Event struct {
	EventType  string
	OccurredAt time.Time
}

// Deployment is the part of GetDeployment's answer the benchmarks read.
type Deployment struct {
	State                       string
	StartedAt                   time.Time
	CompletedAt                 *time.Time
	DeploymentDurationInMinutes int
	FinalBakeTimeInMinutes      int
	GrowthFactor                float64
	GrowthType                  string
	EventLog                    []Event
}

// GetDeployment reads deployment number n of an environment.
func (a *API) GetDeployment(ctx context.Context, app, env string, n int) (Deployment, error) {
	var d Deployment
	_, b, err := a.Do(ctx, "GET", fmt.Sprintf("/applications/%s/environments/%s/deployments/%d", app, env, n), "", nil)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("GetDeployment: %w", err)
	}
	return d, nil
}

// WaitDeployment polls deployment n until it leaves the active states or
// the timeout passes, and returns it.
func (a *API) WaitDeployment(ctx context.Context, app, env string, n int, timeout time.Duration) (Deployment, error) {
	deadline := time.Now().Add(timeout)
	for {
		d, err := a.GetDeployment(ctx, app, env, n)
		if err != nil {
			return d, err
		}
		switch d.State {
		case "COMPLETE", "ROLLED_BACK", "REVERTED":
			return d, nil
		}
		if time.Now().After(deadline) {
			return d, fmt.Errorf("deployment %d of %s/%s still %s after %v", n, app, env, d.State, timeout)
		}
		Sleep(ctx, 20*time.Millisecond)
		if ctx.Err() != nil {
			return d, ctx.Err()
		}
	}
}
