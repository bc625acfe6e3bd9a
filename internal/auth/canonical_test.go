package auth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestNormalizePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"//", "/"},
		{"/./", "/"},
		{"/a/b", "/a/b"},
		{"/a/b/", "/a/b/"},
		{"//a//b//", "/a/b/"},
		{"/a/./b", "/a/b"},
		{"/a/../b", "/b"},
		{"/a/b/..", "/a"},
		{"/a/b/../", "/a/"},
		{"/../../a", "/a"},
		{"/a/%2E%2E/b", "/a/%2E%2E/b"}, // escaped dots are data, not navigation
		{"/a/...", "/a/..."},
	}
	for _, tc := range tests {
		if got := normalizePath(tc.in); got != tc.want {
			t.Errorf("normalizePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct {
		requestURI, want, wantRaw string
	}{
		{"/applications", "/applications", "/applications"},
		{"/tags/arn%3Aaws%3Aappconfig%3Aus-east-1%3A123456789012%3Aapplication%2Fabc1234",
			"/tags/arn%253Aaws%253Aappconfig%253Aus-east-1%253A123456789012%253Aapplication%252Fabc1234", ""},
		{"/a%20b", "/a%2520b", ""},
		{"/a b", "/a%20b", ""},
		{"/-._~AZaz09", "/-._~AZaz09", ""},
		{"/a+b*c", "/a%2Bb%2Ac", ""},
		{"/a//b?x=1", "/a/b", "/a//b"},
	}
	for _, tc := range tests {
		r := &http.Request{RequestURI: tc.requestURI, URL: &url.URL{}}
		got, raw := canonicalURIs(r)
		if tc.wantRaw == "" {
			tc.wantRaw = tc.want
		}
		if got != tc.want || raw != tc.wantRaw {
			t.Errorf("%q: got %q / %q, want %q / %q", tc.requestURI, got, raw, tc.want, tc.wantRaw)
		}
	}
	// Without RequestURI (a client-side request), the escaped URL path is used.
	u, _ := url.Parse("http://h/tags/arn%3Ax")
	if got, _ := canonicalURIs(&http.Request{URL: u}); got != "/tags/arn%253Ax" {
		t.Errorf("from URL: %q", got)
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		raw, want, wantGo string
	}{
		{"", "", ""},
		{"b=2&a=1", "a=1&b=2", ""},
		{"a=2&a=1", "a=1&a=2", ""},
		{"next_token=abc%2Bdef&max_results=5", "max_results=5&next_token=abc%2Bdef", ""},
		{"k=a+b", "k=a%20b", ""},    // '+' is a space in a query
		{"k=a%20b", "k=a%20b", ""},  // already canonical
		{"k=%7e%2a", "k=~%2A", ""},  // unreserved decoded, others uppercase
		{"flag&k=", "flag=&k=", ""}, // valueless keys get '='
		{"k=%zz", "k=%25zz", ""},    // invalid escape kept literally
		{"&&a=1&", "a=1", ""},       // empty parts ignored
		{"a%2F=1&a-=2", "a%2F=1&a-=2", "a-=2&a%2F=1"},
	}
	for _, tc := range tests {
		got, goOrder := canonicalQueries(parseQuery(tc.raw), "")
		if tc.wantGo == "" {
			tc.wantGo = tc.want
		}
		if got != tc.want || goOrder != tc.wantGo {
			t.Errorf("%q: got %q / %q, want %q / %q", tc.raw, got, goOrder, tc.want, tc.wantGo)
		}
	}
	if got, _ := canonicalQueries(parseQuery("X-Amz-Signature=abc&b=1"), qSignature); got != "b=1" {
		t.Errorf("signature not skipped: %q", got)
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := &http.Request{
		Host:          "example.com:8080",
		ContentLength: 12,
		Header: http.Header{
			"My-Header": {"  a   b  ", "\tc d\t"},
			"Empty":     {""},
		},
	}
	var b strings.Builder
	canonicalHeaders(&b, r, []string{"content-length", "empty", "host", "missing", "my-header"})
	want := "content-length:12\nempty:\nhost:example.com:8080\nmissing:\nmy-header:a b,c d\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}
