package wire

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/wire/gen/dataapi"
)

type openAuth struct{}

func (openAuth) Authenticate(*http.Request, []byte) (appconfig.Scope, error) {
	return appconfig.Scope{Account: "123456789012", Region: "us-east-1"}, nil
}

// dataPlane fails every call with err, after cancel (the client leaving).
type dataPlane struct {
	err    error
	cancel context.CancelFunc
}

func (d dataPlane) GetLatestConfiguration(context.Context, *dataapi.GetLatestConfigurationRequest) (*dataapi.GetLatestConfigurationResponse, error) {
	d.cancel()
	return nil, d.err
}

func (d dataPlane) StartConfigurationSession(context.Context, *dataapi.StartConfigurationSessionRequest) (*dataapi.StartConfigurationSessionResponse, error) {
	d.cancel()
	return nil, d.err
}

type observed struct{ infos []RequestInfo }

func (o *observed) Observe(_ context.Context, info RequestInfo) { o.infos = append(o.infos, info) }

// A store call that ends with context.Canceled because the client went
// away is no server error: not a 500, not an error for the observer
// (metrics and the access log). The same error while the client is still
// there stays a 500.
func TestClientGoneIsNotA500(t *testing.T) {
	for _, tc := range []struct {
		name       string
		clientGone bool
		err        error
		status     int
	}{
		{"client gone, bare", true, context.Canceled, StatusClientClosedRequest},
		{"client gone, wrapped by the service", true, appconfig.Internal(context.Canceled, "reading"), StatusClientClosedRequest},
		{"client still there", false, context.Canceled, http.StatusInternalServerError},
		{"client gone, another failure", true, errors.New("disk on fire"), http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			leave := cancel
			if !tc.clientGone {
				leave = func() {}
			}
			obs := &observed{}
			h := New(Config{DataPlane: dataPlane{err: tc.err, cancel: leave}, Auth: openAuth{}, Observer: obs})
			req := httptest.NewRequest(http.MethodPost, "/configurationsessions", strings.NewReader(`{"ApplicationIdentifier":"a","EnvironmentIdentifier":"e","ConfigurationProfileIdentifier":"c"}`)).WithContext(ctx)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status || len(obs.infos) != 1 || obs.infos[0].Status != tc.status {
				t.Fatalf("status %d, observed %+v; want %d", rec.Code, obs.infos, tc.status)
			}
			if gone := tc.status == StatusClientClosedRequest; gone != (obs.infos[0].Err == nil) {
				t.Fatalf("observer error %v", obs.infos[0].Err)
			}
		})
	}
}
