package auth

import (
	"net/http"
	"net/url"
	"testing"
)

func TestScope(t *testing.T) {
	const cred = "AKIDEXAMPLE/20150830/ap-southeast-2/appconfigdata/aws4_request"
	want := Identity{AccessKeyID: "AKIDEXAMPLE", Region: "ap-southeast-2", Service: "appconfigdata"}
	tests := []struct {
		name   string
		header string
		query  string
		want   Identity
		ok     bool
	}{
		{name: "header", header: "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=host, Signature=00", want: want, ok: true},
		{name: "header, no signature needed", header: "AWS4-HMAC-SHA256 Credential=" + cred, want: want, ok: true},
		{name: "presigned", query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(cred) + "&X-Amz-Signature=00", want: want, ok: true},
		{name: "presigned, raw slashes", query: "X-Amz-Credential=" + cred, want: want, ok: true},
		{name: "account-like key id", header: "AWS4-HMAC-SHA256 Credential=123456789012/20150830/us-east-1/appconfig/aws4_request",
			want: Identity{AccessKeyID: "123456789012", Region: "us-east-1", Service: "appconfig"}, ok: true},
		{name: "unsigned", query: "max_results=5"},
		{name: "nothing"},
		{name: "other scheme", header: "Basic dXNlcjpwYXNz"},
		{name: "malformed credential", header: "AWS4-HMAC-SHA256 Credential=AKID/us-east-1/appconfig/aws4_request"},
		{name: "bad region", header: "AWS4-HMAC-SHA256 Credential=AKID/20150830/Not A Region/appconfig/aws4_request"},
		{name: "bad terminator", header: "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/appconfig/aws5_request"},
		{name: "empty credential", header: "AWS4-HMAC-SHA256 Credential="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{Method: "GET", URL: &url.URL{Path: "/", RawQuery: tc.query}, Header: http.Header{}}
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			got, ok := Scope(r)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Scope = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}
