package auth

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzRequest builds the request a server could receive from the fuzzed
// parts. Fields are set directly (not parsed) so every byte reaches Verify.
func fuzzRequest(authz, rawQuery, path, amzDate string) *http.Request {
	r := &http.Request{
		Method:     "GET",
		RequestURI: path,
		URL:        &url.URL{Path: path, RawQuery: rawQuery},
		Host:       "example.amazonaws.com",
		Header:     http.Header{},
	}
	if rawQuery != "" {
		r.RequestURI += "?" + rawQuery
	}
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	if amzDate != "" {
		r.Header.Set("X-Amz-Date", amzDate)
	}
	return r
}

// addSuiteSeeds seeds a fuzz corpus with the suite's real signed requests,
// so mutations start from inputs that get deep into verification.
func addSuiteSeeds(f *testing.F, add func(authz, query, path string)) {
	dirs, _ := os.ReadDir(suiteDir)
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(suiteDir, d.Name(), d.Name()+".authz"))
		if err != nil {
			continue
		}
		req, _ := os.ReadFile(filepath.Join(suiteDir, d.Name(), d.Name()+".req"))
		line, _, _ := strings.Cut(string(req), "\n")
		target := strings.TrimSuffix(strings.SplitN(line, " ", 2)[1], " HTTP/1.1")
		p, q, _ := strings.Cut(target, "?")
		add(string(b), q, p)
	}
}

func FuzzVerify(f *testing.F) {
	const cred = "AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
	addSuiteSeeds(f, func(authz, q, p string) { f.Add(authz, q, p, "20150830T123600Z") })
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+cred+
		"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=00", "/", "")
	f.Add("AWS4-HMAC-SHA256 Credential=,,,,=", "a=%zz&&=", "/%", "2015")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=;, Signature=", "", "//../", "20150830T123600Z")
	f.Add("", "", "/", "")
	// Issue 15's holes: a scope naming another service, and a bad escape.
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", "", "/", "20150830T123600Z")
	f.Add("", "next_token=%ZZ", "/applications", "20150830T123600Z")

	v := suiteVerifier()
	f.Fuzz(func(t *testing.T, authz, rawQuery, path, amzDate string) {
		r := fuzzRequest(authz, rawQuery, path, amzDate)
		id, err := v.Verify(r, emptySHA256)
		if err == nil {
			// Only genuinely signed requests get here; their scope must
			// read back the same way in open mode.
			sid, ok := Scope(r)
			if !ok || sid.AccessKeyID != id.AccessKeyID || sid.Region != id.Region || sid.Service != id.Service {
				t.Fatalf("verified %+v but Scope says %+v, %v", id, sid, ok)
			}
			return
		}
		var ae *Error
		if !errors.As(err, &ae) {
			t.Fatalf("non-*Error %T: %v", err, err)
		}
		if ae.Code == "" || ae.Message == "" || (ae.Status != 400 && ae.Status != 403) {
			t.Fatalf("bad error %+v", ae)
		}
	})
}

func FuzzScope(f *testing.F) {
	addSuiteSeeds(f, func(authz, q, _ string) { f.Add(authz, q) })
	f.Add("", "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e", "X-Amz-Credential=/////")
	f.Fuzz(func(t *testing.T, authz, rawQuery string) {
		id, ok := Scope(fuzzRequest(authz, rawQuery, "/", ""))
		if !ok {
			if id != (Identity{}) {
				t.Fatalf("not ok but returned %+v", id)
			}
			return
		}
		if id.AccessKeyID == "" || !isScopeName(id.Region) || !isScopeName(id.Service) || id.Account != "" {
			t.Fatalf("Scope returned an unusable identity %+v", id)
		}
	})
}
