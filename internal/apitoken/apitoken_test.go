package apitoken

import (
	"net/http/httptest"
	"testing"
)

func TestFlagRoute(t *testing.T) {
	p := "/applications/a/environments/e/configurations/c"
	for _, tc := range []struct {
		method, path string
		ok           bool
	}{
		{"GET", p, true},
		{"GET", p + "?flag=x", true},
		{"GET", p + "?client_id=x", false},
		{"POST", p + "/ofrep/v1/evaluate/flags", true},
		{"POST", p + "/ofrep/v1/evaluate/flags/k", true},
		{"GET", p + "/ofrep/v1/configuration", true},
		{"DELETE", p, false},
		{"GET", "/applications", false},
		{"POST", "/applications/a/environments/e/deployments", false},
		{"GET", "/applications/a/environments/e/configurations", false},
	} {
		_, ok := flagRoute(httptest.NewRequest(tc.method, tc.path, nil))
		if ok != tc.ok {
			t.Errorf("%s %s: %v", tc.method, tc.path, ok)
		}
	}
}
