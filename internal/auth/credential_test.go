package auth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// credentialField is authorizationFields without the map: both must read
// every header the same way.
func TestCredentialFieldAgreesWithAuthorizationFields(t *testing.T) {
	cred := "Credential=123456789012/20260101/us-east-1/appconfig/aws4_request"
	headers := []string{
		"AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, Signature=00",
		"  AWS4-HMAC-SHA256 " + cred + ",SignedHeaders=host,Signature=00  ",
		"AWS4-HMAC-SHA256 " + cred + ", " + cred,
		"AWS4-HMAC-SHA256 " + cred + ", broken",
		"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
		"AWS4-HMAC-SHA256 ,, " + cred + ",",
		"AWS4-HMAC-SHA1 " + cred,
		"Bearer acdt_x",
		"AWS4-HMAC-SHA256",
		"AWS4-HMAC-SHA256 a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, " + cred,
		"AWS4-HMAC-SHA256 a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, a=9, " + cred,
		"AWS4-HMAC-SHA256 Credential = x ",
	}
	for _, h := range headers {
		alg, fields, err := authorizationFields(h)
		want, wantOK := fields["Credential"], err == nil && alg == algorithm
		if !wantOK {
			want = ""
		}
		if got, ok := credentialField(h); got != want || ok != wantOK {
			t.Errorf("credentialField(%q) = %q, %v; authorizationFields says %q, %v", h, got, ok, want, wantOK)
		}
	}
}

// Open mode reads the scope from a presigned query too, escaped or not.
func TestScopeFromPresignedQuery(t *testing.T) {
	for _, q := range []string{
		"X-Amz-Credential=123456789012%2F20260101%2Feu-west-1%2Fappconfig%2Faws4_request",
		"X%2DAmz%2DCredential=123456789012%2F20260101%2Feu-west-1%2Fappconfig%2Faws4_request",
	} {
		r := &http.Request{Header: http.Header{}, URL: &url.URL{RawQuery: q}}
		id, ok := Scope(r)
		if !ok || id.AccessKeyID != "123456789012" || id.Region != "eu-west-1" {
			t.Errorf("Scope(?%s) = %+v, %v", q, id, ok)
		}
	}
	r := &http.Request{Header: http.Header{}, URL: &url.URL{RawQuery: "configuration_token=" + strings.Repeat("A", 200)}}
	if _, ok := Scope(r); ok {
		t.Error("a query without a credential gave a scope")
	}
}
