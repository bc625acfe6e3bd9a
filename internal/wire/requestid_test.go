package wire

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/wire/gen/dataapi"
)

// Request ids keep the UUID spelling AWS clients log, and one process
// never hands out the same id twice.
func TestRequestIDsAreUUIDsAndUnique(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	seen := make(map[string]bool, 100000)
	for range 100000 {
		id := newRequestID()
		if !uuid.MatchString(id) {
			t.Fatalf("request id %q", id)
		}
		if seen[id] {
			t.Fatalf("request id %q handed out twice", id)
		}
		seen[id] = true
	}
	if got := formatRequestID(0x0123456789abcdef, 0xfedcba9876543210); got != "01234567-89ab-cdef-fedc-ba9876543210" {
		t.Fatalf("formatRequestID: %s", got)
	}
}

// seeing records what a data-plane handler reads from its context.
type seeing struct {
	id     string
	sc     appconfig.Scope
	accept string
}

func (s *seeing) GetLatestConfiguration(ctx context.Context, _ *dataapi.GetLatestConfigurationRequest) (*dataapi.GetLatestConfigurationResponse, error) {
	s.id, s.sc, s.accept = RequestIDFrom(ctx), ScopeFrom(ctx), HeaderFrom(ctx).Get("Accept")
	return &dataapi.GetLatestConfigurationResponse{Configuration: []byte{}}, nil
}

func (s *seeing) StartConfigurationSession(context.Context, *dataapi.StartConfigurationSessionRequest) (*dataapi.StartConfigurationSessionResponse, error) {
	return nil, errors.New("unused")
}

// The handler, the response header and the observer see the same request
// id; the handler sees the authenticated scope and the request's headers.
func TestRequestIDAndScopeReachHandlerAndObserver(t *testing.T) {
	obs := &observed{}
	dp := &seeing{}
	h := New(Config{DataPlane: dp, Auth: openAuth{}, Observer: obs})
	req := httptest.NewRequest(http.MethodGet, "/configuration?configuration_token=abc", nil)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	id := rec.Header().Get("X-Amzn-Requestid")
	if rec.Code != 200 || id == "" || dp.id != id || len(obs.infos) != 1 || obs.infos[0].RequestID != id {
		t.Fatalf("status %d, header id %q, handler id %q, observed %+v", rec.Code, id, dp.id, obs.infos)
	}
	if dp.sc != (appconfig.Scope{Account: "123456789012", Region: "us-east-1"}) || dp.accept != "application/json" {
		t.Fatalf("handler saw scope %+v, Accept %q", dp.sc, dp.accept)
	}
	if obs.infos[0].Scope != dp.sc {
		t.Fatalf("observer saw scope %+v", obs.infos[0].Scope)
	}
}
