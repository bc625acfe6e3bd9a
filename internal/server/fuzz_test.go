package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func fuzzServer(t testing.TB) http.Handler {
	cfg := Defaults()
	cfg.Store = "sqlite://:memory:"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Handler()
}

func isOperational(p string) bool {
	return p == HealthPath || p == ReadyPath || p == MetricsPath || p == ResetPath
}

var fuzzMethods = []string{"GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"}

// FuzzRequestBinding sends arbitrary requests at the full handler: it must
// never panic and never answer 5xx, and every error must carry an AWS type.
func FuzzRequestBinding(f *testing.F) {
	seeds := []struct {
		method      uint8
		path, query string
		header      string
		body        string
	}{
		{1, "/applications", "", "", `{"Name":"a","Tags":{"k":"v"}}`},
		{1, "/applications", "", "", `{"Name":5}`},
		{1, "/applications", "", "", `[1,2]`},
		{0, "/applications", "max_results=0&next_token=%00", "", ""},
		{1, "/applications/abc/environments", "", "", `{"Name":"e","Monitors":[{"AlarmArn":""}]}`},
		{1, "/applications/abc/configurationprofiles/p/hostedconfigurationversions", "", "Latest-Version-Number: x", "raw bytes"},
		{3, "/deployementstrategies/AppConfig.AllAtOnce", "", "", ""},
		{0, "/tags/arn%3Aaws%3Aappconfig%3Aus-east-1%3A1%3Aapplication%2Fx", "", "", ""},
		{3, "/tags/arn", "tagKeys=a&tagKeys=", "", ""},
		{2, "/settings", "", "", `{"DeletionProtection":{"ProtectionPeriodInMinutes":99999999999999999999}}`},
		{1, "/configurationsessions", "", "", `{"ApplicationIdentifier":"a","EnvironmentIdentifier":"e","ConfigurationProfileIdentifier":"p","RequiredMinimumPollIntervalInSeconds":1}`},
		{0, "/configuration", "configuration_token=abc", "", ""},
		{3, "/applications/a/environments/e/deployments/1", "", "Allow-Revert: maybe", ""},
		{1, "/extensions", "", "Latest-Version-Number: 1", `{"Name":"x","Actions":{"PRE_START_DEPLOYMENT":[{"Name":"a","Uri":"u"}]}}`},
		{1, "/applications/a/experimentdefinitions", "", "", `{"Name":"x","ConfigurationProfileIdentifier":"p","EnvironmentIdentifier":"e","FlagKey":"fk","AudienceRule":"(eq $a 1","Control":{"Weight":1e308,"FlagValue":{"Enabled":true}},"Treatments":[{"Weight":1e308,"FlagValue":{"Enabled":false,"AttributeValues":{"a":{"StringValue":"s","NumberValue":1}}}}]}`},
		{0, "/experimentdefinitions", "status=ARCHIVED&max_results=0&next_token=ZXhwZXJpbWVudGRlZmluaXRpb258eHwx", "", ""},
		{2, "/applications/a/experimentdefinitions/d/experimentruns/0/update", "", "", `{"ExposurePercentage":-1,"TreatmentOverrides":{}}`},
		{0, "/applications/a/experimentdefinitions/d/experimentruns/1/events", "next_token=ZXhwZXJpbWVudHJ1bmV2ZW50fHw5OTk5OTk5OTk5OTk5OTk5OTk5", "", ""},
		{3, "/applications/a/experimentdefinitions/d", "delete_type=NEVER", "", ""},
		// Issue 15: a bad escape in the query, a name that is not UTF-8.
		{0, "/applications", "next_token=%ZZ", "", ""},
		{0, "/applications", "max_results=5&x=%", "", ""},
		{1, "/applications", "", "", "{\"Name\":\"caf\xe9\"}"},
		{1, "/applications/abc/environments", "", "", "{\"Name\":\"\xff\xfe\"}"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.header, []byte(s.body))
	}
	h := fuzzServer(f)
	f.Fuzz(func(t *testing.T, method uint8, path, query, header string, body []byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := httptest.NewRequest("GET", "/", bytes.NewReader(body))
		req.Method = fuzzMethods[int(method)%len(fuzzMethods)]
		req.URL.RawPath, req.URL.Path = path, path
		req.URL.RawQuery = query
		if name, value, ok := strings.Cut(header, ":"); ok && validHeaderName(name) {
			req.Header.Set(name, strings.TrimSpace(value))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s -> %d %s", req.Method, path, query, rec.Code, rec.Body.String())
		}
		// Malformed input is never accepted: a query that does not
		// unescape, or a JSON body that is not UTF-8 (checked on
		// CreateApplication, whose body is JSON; some bodies are raw).
		_, qerr := url.ParseQuery(query)
		badJSON := req.Method == "POST" && path == "/applications" && !utf8.Valid(body) && json.Valid(body)
		if (qerr != nil || badJSON) && rec.Code < 400 && !isOperational(req.URL.Path) {
			t.Fatalf("%s %s?%q body %q accepted: %d", req.Method, path, query, body, rec.Code)
		}
		if rec.Code >= 400 && rec.Header().Get("X-Amzn-ErrorType") == "" {
			t.Fatalf("%s %s -> %d without X-Amzn-ErrorType", req.Method, path, rec.Code)
		}
		if rec.Header().Get("X-Amzn-RequestId") == "" && !isOperational(req.URL.Path) {
			t.Fatalf("%s %s -> %d without x-amzn-RequestId", req.Method, path, rec.Code)
		}
	})
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
