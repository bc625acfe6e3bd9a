package auth

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const vanillaAuthz = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " +
	"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

// vanillaRequest is the suite's get-vanilla request as a server sees it.
func vanillaRequest() *http.Request {
	return &http.Request{
		Method:     "GET",
		RequestURI: "/",
		URL:        &url.URL{Path: "/"},
		Host:       "example.amazonaws.com",
		Header: http.Header{
			"X-Amz-Date":    {"20150830T123600Z"},
			"Authorization": {vanillaAuthz},
		},
	}
}

// The get-vanilla request's credential and signature, for the cases
// below that edit them.
const (
	vanillaCred = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
	vanillaSig  = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
)

// malformedCase is the get-vanilla request with one edit, and the error
// Verify must return for it.
type malformedCase struct {
	name   string
	edit   func(r *http.Request)
	code   string
	status int
	msg    string // substring
}

func TestVerifyMalformed(t *testing.T) {
	var tests []malformedCase
	tests = append(tests, malformedAuthorizationCases()...)
	tests = append(tests, malformedScopeCases()...)
	tests = append(tests, malformedSignatureCases()...)
	tests = append(tests, malformedPresignedCases()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := vanillaRequest()
			if _, err := suiteVerifier().Verify(r, emptySHA256); err != nil {
				t.Fatalf("baseline: %v", err)
			}
			r = vanillaRequest()
			tc.edit(r)
			_, err := suiteVerifier().Verify(r, emptySHA256)
			ae := wantAuthError(t, err, tc.code, tc.status)
			if !strings.Contains(ae.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", ae.Message, tc.msg)
			}
		})
	}
}

// malformedAuthorizationCases break the Authorization header's form:
// its algorithm, elements and count.
func malformedAuthorizationCases() []malformedCase {
	const cred, sig = vanillaCred, vanillaSig
	return []malformedCase{
		{
			name: "algorithm only",
			edit: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256") },
			code: CodeIncompleteSignature, status: 400,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter.",
		},
		{
			name: "no signature",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+cred+", SignedHeaders=host;x-amz-date")
			},
			code: CodeIncompleteSignature, status: 400, msg: "Authorization header requires 'Signature' parameter.",
		},
		{
			name: "no date",
			edit: func(r *http.Request) { r.Header.Del("X-Amz-Date") },
			code: CodeIncompleteSignature, status: 400,
			msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
		},
		{
			name: "unsupported algorithm",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, "SHA256", "SHA512", 1))
			},
			code: CodeIncompleteSignature, status: 400, msg: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'",
		},
		{
			name: "other scheme",
			edit: func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc.def") },
			code: CodeIncompleteSignature, status: 400,
		},
		{
			name: "empty header",
			edit: func(r *http.Request) { r.Header.Set("Authorization", "") },
			code: CodeIncompleteSignature, status: 400,
		},
		{
			name: "duplicate element",
			edit: func(r *http.Request) { r.Header.Set("Authorization", vanillaAuthz+", Signature="+sig) },
			code: CodeIncompleteSignature, status: 400, msg: "duplicate 'Signature'",
		},
		{
			name: "element without equals",
			edit: func(r *http.Request) { r.Header.Set("Authorization", vanillaAuthz+", junk") },
			code: CodeIncompleteSignature, status: 400,
		},
		{
			name: "two authorization headers",
			edit: func(r *http.Request) { r.Header.Add("Authorization", vanillaAuthz) },
			code: CodeIncompleteSignature, status: 400,
		},
	}
}

// malformedScopeCases break the credential scope or the request date.
func malformedScopeCases() []malformedCase {
	return []malformedCase{
		{
			name: "credential with four elements",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, "/service/", "/", 1))
			},
			code: CodeIncompleteSignature, status: 400, msg: "Credential must have exactly 5 slash-delimited elements",
		},
		{
			name: "bad scope date",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, "/20150830/", "/2015083/", 1))
			},
			code: CodeIncompleteSignature, status: 400,
		},
		{
			name: "wrong terminator",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, "aws4_request", "aws4_requests", 1))
			},
			code: CodeInvalidSignature, status: 403,
			msg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requests'.",
		},
		{
			name: "invalid region",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, "/us-east-1/", "/US_EAST/", 1))
			},
			code: CodeInvalidSignature, status: 403, msg: "Credential should be scoped to a valid region, not 'US_EAST'.",
		},
		{
			name: "invalid service",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, "/service/", "/../", 1))
			},
			code: CodeInvalidSignature, status: 403, msg: "valid service",
		},
		{
			name: "scope date differs from request date",
			edit: func(r *http.Request) { r.Header.Set("X-Amz-Date", "20150831T000100Z") },
			code: CodeInvalidSignature, status: 403,
			msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150830' != '20150831', from '20150831T000100Z'.",
		},
		{
			name: "extended ISO date",
			edit: func(r *http.Request) { r.Header.Set("X-Amz-Date", "2015-08-30T12:36:00Z") },
			code: CodeIncompleteSignature, status: 400, msg: "ISO-8601 'basic format'",
		},
	}
}

// malformedSignatureCases break the signed headers, the access key or
// the signature, or leave out authentication altogether.
func malformedSignatureCases() []malformedCase {
	const sig = vanillaSig
	return []malformedCase{
		{
			name: "host not signed",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, "host;x-amz-date", "x-amz-date", 1))
			},
			code: CodeIncompleteSignature, status: 400, msg: "'Host' or ':authority' must be a 'SignedHeader'",
		},
		{
			name: "empty signed header name",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, "host;x-amz-date", "host;;x-amz-date", 1))
			},
			code: CodeIncompleteSignature, status: 400,
		},
		{
			name: "unknown access key",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, "AKIDEXAMPLE", "AKIDOTHER", 1))
			},
			code: CodeUnrecognizedClient, status: 403, msg: msgUnrecognizedClient,
		},
		{
			name: "signature not hex",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, sig, strings.Repeat("zz", 32), 1))
			},
			code: CodeInvalidSignature, status: 403, msg: msgSignatureMismatch,
		},
		{
			name: "signature truncated",
			edit: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(vanillaAuthz, sig, sig[:62], 1))
			},
			code: CodeInvalidSignature, status: 403, msg: msgSignatureMismatch,
		},
		{
			name: "streaming payload",
			edit: func(r *http.Request) {
				r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
			},
			code: CodeIncompleteSignature, status: 400,
		},
		{
			name: "nothing at all",
			edit: func(r *http.Request) { r.Header.Del("Authorization") },
			code: CodeMissingAuthenticationToken, status: 403, msg: msgMissingAuthenticationToken,
		},
	}
}

// malformedPresignedCases break a presigned URL's query parameters.
func malformedPresignedCases() []malformedCase {
	const cred, sig = vanillaCred, vanillaSig
	return []malformedCase{
		{
			name: "presigned missing pieces",
			edit: func(r *http.Request) {
				r.Header.Del("Authorization")
				r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(cred)
			},
			code: CodeIncompleteSignature, status: 400,
			msg: "AWS query-string parameters must include 'X-Amz-Signature'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
				"AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
		},
		{
			name: "presigned repeated parameter",
			edit: func(r *http.Request) {
				r.Header.Del("Authorization")
				r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(cred) +
					"&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Signature=" + sig + "&X-Amz-Signature=" + sig
			},
			code: CodeIncompleteSignature, status: 400, msg: "must appear only once",
		},
		{
			name: "presigned bad expires",
			edit: func(r *http.Request) {
				r.Header.Del("Authorization")
				r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + url.QueryEscape(cred) +
					"&X-Amz-Date=20150830T123600Z&X-Amz-Expires=soon&X-Amz-SignedHeaders=host&X-Amz-Signature=" + sig
			},
			code: CodeIncompleteSignature, status: 400, msg: "X-Amz-Expires",
		},
	}
}

// TestVerifyDateHeader covers clients that sign the HTTP Date header instead
// of X-Amz-Date: the string to sign then carries the Date in ISO 8601 basic
// form. The expected canonical request is written out by hand.
func TestVerifyDateHeader(t *testing.T) {
	const creq = "GET\n/\n\ndate:Sun, 30 Aug 2015 12:36:00 GMT\nhost:example.amazonaws.com\n\ndate;host\n" + emptySHA256
	scope := credentialScope{accessKeyID: suiteKeyID, date: "20150830", region: "us-east-1", service: "service"}
	sts := "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" + sha256Hex(creq)
	sig := hex.EncodeToString(hmacSHA256(SigningKey(suiteSecret, "20150830", "us-east-1", "service"), sts))
	r := &http.Request{
		Method: "GET", RequestURI: "/", URL: &url.URL{Path: "/"}, Host: "example.amazonaws.com",
		Header: http.Header{
			"Date": {"Sun, 30 Aug 2015 12:36:00 GMT"},
			"Authorization": {"AWS4-HMAC-SHA256 Credential=" + suiteKeyID + "/" + scope.String() +
				", SignedHeaders=date;host, Signature=" + sig},
		},
	}
	if _, err := suiteVerifier().Verify(r, emptySHA256); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Date", "Sun, 30 Aug 2015 12:36:01 GMT")
	wantAuthError(t, verifyErr(suiteVerifier(), r), CodeInvalidSignature, 403)
}

func verifyErr(v *Verifier, r *http.Request) error {
	_, err := v.Verify(r, emptySHA256)
	return err
}

func TestVerifySkewWindow(t *testing.T) {
	tests := []struct {
		name    string
		offset  time.Duration // server clock minus request time
		maxSkew time.Duration
		ok      bool
		msg     string
	}{
		{"on time", 0, 0, true, ""},
		{"15 min late", 15 * time.Minute, 0, true, ""},
		{"15 min early", -15 * time.Minute, 0, true, ""},
		{"just too late", 15*time.Minute + time.Second, 0, false,
			"Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)"},
		{"just too early", -15*time.Minute - time.Second, 0, false,
			"Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)"},
		{"custom skew", 2 * time.Minute, time.Minute, false,
			"Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T123800Z - 1 min.)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := suiteVerifier()
			v.MaxSkew = tc.maxSkew
			v.Now = func() time.Time { return suiteTime.Add(tc.offset) }
			err := verifyErr(v, vanillaRequest())
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if ae := wantAuthError(t, err, CodeInvalidSignature, 403); ae.Message != tc.msg {
				t.Errorf("message %q\nwant    %q", ae.Message, tc.msg)
			}
		})
	}
}

func TestVerifierMisconfigured(t *testing.T) {
	for _, v := range []*Verifier{
		{Credentials: NewStaticCredentials()},
		{Now: func() time.Time { return suiteTime }},
	} {
		wantAuthError(t, verifyErr(v, vanillaRequest()), CodeInternalFailure, 500)
	}
}

// TestSigningKeyCache: the cache must never serve a key derived from an old
// secret, and must stay bounded.
func TestSigningKeyCache(t *testing.T) {
	creds := NewStaticCredentials(Credential{AccessKeyID: suiteKeyID, SecretAccessKey: suiteSecret})
	v := &Verifier{Credentials: creds, Now: func() time.Time { return suiteTime }}
	if err := verifyErr(v, vanillaRequest()); err != nil {
		t.Fatal(err)
	}
	v.Credentials = NewStaticCredentials(Credential{AccessKeyID: suiteKeyID, SecretAccessKey: "rotated"})
	wantAuthError(t, verifyErr(v, vanillaRequest()), CodeInvalidSignature, 403)

	v.Credentials = creds
	for i := 0; i < 3*keyCacheSize; i++ {
		v.storeKey(signingKeyID{accessKeyID: suiteKeyID, region: strings.Repeat("r", i%50+1), service: string(rune('a' + i%26)), date: "x"}, nil)
		if n := len(v.keys); n > keyCacheSize {
			t.Fatalf("cache grew to %d", n)
		}
	}
	// Concurrent verification shares the cache safely (run with -race).
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if err := verifyErr(v, vanillaRequest()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestSigningKey checks the key derivation against AWS's documented example
// (secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215, us-east-1, iam).
func TestSigningKey(t *testing.T) {
	got := hex.EncodeToString(SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam"))
	const want = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// BenchmarkVerify measures the per-request cost with a warm key cache, the
// steady state of a server.
func BenchmarkVerify(b *testing.B) {
	v := suiteVerifier()
	r := vanillaRequest()
	if _, err := v.Verify(r, emptySHA256); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, emptySHA256); err != nil {
			b.Fatal(err)
		}
	}
}
