package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// These tests sign requests with the real Go SDK signer and send them over
// a real connection to a server that verifies them, so whatever the SDK and
// net/http do to paths, hosts and headers on the way is exercised.

const (
	sdkKeyID   = "AKIAIOSFODNN7EXAMPLE"
	sdkSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sdkAccount = "111122223333"
	sdkRegion  = "eu-west-1"
	sdkService = "appconfig"
)

var signTime = time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)

// verifyResult is what the test server saw.
type verifyResult struct {
	id  Identity
	err *Error
}

// startVerifyServer serves Verify over HTTP with the server clock at now.
func startVerifyServer(t *testing.T, now time.Time) string {
	t.Helper()
	v := &Verifier{
		Credentials: NewStaticCredentials(Credential{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret, Account: sdkAccount}),
		Now:         func() time.Time { return now },
		Service:     sdkService,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		id, verr := v.Verify(r, sha256Hex(string(body)))
		w.Header().Set("Content-Type", "application/json")
		if verr != nil {
			var ae *Error
			if !errors.As(verr, &ae) {
				http.Error(w, "Verify returned a non-*Error: "+verr.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("X-Amzn-ErrorType", ae.Code)
			w.WriteHeader(ae.Status)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": ae.Code, "Message": ae.Message})
			return
		}
		_ = json.NewEncoder(w).Encode(id)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func send(t *testing.T, req *http.Request) verifyResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		var id Identity
		if err := json.Unmarshal(body, &id); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
		return verifyResult{id: id}
	}
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		t.Fatalf("status %d without an AWS error: %s", resp.StatusCode, body)
	}
	var e struct{ Message string }
	_ = json.Unmarshal(body, &e)
	return verifyResult{err: &Error{Code: code, Status: resp.StatusCode, Message: e.Message}}
}

// sdkRequest builds a request the way the AppConfig client would: the
// target is given already escaped (the SDK escapes path labels itself).
func sdkRequest(t *testing.T, base, method, target, body string) *http.Request {
	t.Helper()
	u, err := url.Parse(base + target)
	if err != nil {
		t.Fatal(err)
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func signWith(t *testing.T, req *http.Request, creds aws.Credentials, body string, at time.Time) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex(body), sdkService, sdkRegion, at); err != nil {
		t.Fatal(err)
	}
}

var goodCreds = aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret}

const arnPath = "/tags/arn%3Aaws%3Aappconfig%3Aus-east-1%3A123456789012%3Aapplication%2Fabc1234"

func TestSDKSignedRequestsVerify(t *testing.T) {
	tests := []struct {
		name, method, target, body string
		creds                      aws.Credentials
		header                     map[string]string // set before signing
	}{
		{name: "create application", method: "POST", target: "/applications", body: `{"Name":"my-app","Description":"d"}`},
		{name: "escaped ARN label", method: "GET", target: arnPath},
		{name: "space and slash in label", method: "GET", target: "/applications/my%20app%2Fv1/environments"},
		{name: "paginated list", method: "GET", target: "/applications?max_results=5&next_token=abc%2Bdef"},
		{name: "query needing re-encoding", method: "GET", target: "/applications?next_token=a%20b%2Fc~d*e"},
		{name: "query keys whose order changes when escaped", method: "GET", target: "/applications?a%2F=1&a-=2"},
		{name: "unicode in label", method: "GET", target: "/applications/%E1%88%B4"},
		{name: "double slash signed unnormalized", method: "GET", target: "/applications//environments"},
		{name: "dot segment signed unnormalized", method: "GET", target: "/applications/./x"},
		{name: "tag resource", method: "POST", target: arnPath, body: `{"Tags":{"k":"v"}}`},
		{name: "delete with body-less request", method: "DELETE", target: "/applications/abc1234"},
		{name: "session token", method: "GET", target: "/applications", creds: aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret, SessionToken: "FwoGZXIvYXdzEXAMPLE+token/=="}},
		{name: "signed content sha header", method: "PUT", target: "/applications/abc1234", body: `{"Name":"x"}`, header: map[string]string{"X-Amz-Content-Sha256": sha256Hex(`{"Name":"x"}`)}},
		{name: "header with inner spaces", method: "GET", target: "/applications", header: map[string]string{"X-Amz-Meta-Note": "a   b  c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := startVerifyServer(t, signTime.Add(3*time.Minute))
			req := sdkRequest(t, base, tc.method, tc.target, tc.body)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			creds := tc.creds
			if creds.AccessKeyID == "" {
				creds = goodCreds
			}
			signWith(t, req, creds, tc.body, signTime)
			res := send(t, req)
			if res.err != nil {
				t.Fatalf("rejected: %s %d %s", res.err.Code, res.err.Status, res.err.Message)
			}
			want := Identity{AccessKeyID: sdkKeyID, Region: sdkRegion, Service: sdkService, Account: sdkAccount}
			if res.id != want {
				t.Errorf("identity %+v, want %+v", res.id, want)
			}
		})
	}
}

func TestSDKSignedRequestsRejected(t *testing.T) {
	const body = `{"Name":"my-app"}`
	tests := []struct {
		name   string
		now    time.Time
		prep   func(req *http.Request) // before signing
		creds  aws.Credentials
		tamper func(req *http.Request) // after signing
		code   string
		status int
		msg    string // exact message, when it matters
	}{
		{
			name: "tampered body",
			tamper: func(req *http.Request) {
				req.Body = io.NopCloser(strings.NewReader(`{"Name":"evil!!"}`))
			},
			code: CodeInvalidSignature, status: 403, msg: msgSignatureMismatch,
		},
		{
			name:   "tampered path",
			tamper: func(req *http.Request) { req.URL.Path, req.URL.RawPath = "/applications/other", "" },
			code:   CodeInvalidSignature, status: 403, msg: msgSignatureMismatch,
		},
		{
			name:   "tampered query",
			tamper: func(req *http.Request) { req.URL.RawQuery = "max_results=50" },
			code:   CodeInvalidSignature, status: 403, msg: msgSignatureMismatch,
		},
		{
			name:   "tampered signed header",
			tamper: func(req *http.Request) { req.Header.Set("Content-Type", "text/plain") },
			code:   CodeInvalidSignature, status: 403, msg: msgSignatureMismatch,
		},
		{
			name:  "wrong secret",
			creds: aws.Credentials{AccessKeyID: sdkKeyID, SecretAccessKey: "not-the-secret"},
			code:  CodeInvalidSignature, status: 403, msg: msgSignatureMismatch,
		},
		{
			name:  "unknown access key",
			creds: aws.Credentials{AccessKeyID: "AKIAUNKNOWNKEY000000", SecretAccessKey: sdkSecret},
			code:  CodeUnrecognizedClient, status: 403, msg: msgUnrecognizedClient,
		},
		{
			name: "expired",
			now:  signTime.Add(16 * time.Minute),
			code: CodeInvalidSignature, status: 403,
			msg: "Signature expired: 20260115T103000Z is now earlier than 20260115T103100Z (20260115T104600Z - 15 min.)",
		},
		{
			name: "from the future",
			now:  signTime.Add(-16 * time.Minute),
			code: CodeInvalidSignature, status: 403,
			msg: "Signature not yet current: 20260115T103000Z is still later than 20260115T102900Z (20260115T101400Z + 15 min.)",
		},
		{
			name: "signature removed",
			tamper: func(req *http.Request) {
				req.Header.Set("Authorization", strings.Split(req.Header.Get("Authorization"), ", Signature=")[0])
			},
			code: CodeIncompleteSignature, status: 400, msg: "Authorization header requires 'Signature' parameter.",
		},
		{
			name:   "unsigned request",
			tamper: func(req *http.Request) { req.Header.Del("Authorization") },
			code:   CodeMissingAuthenticationToken, status: 403, msg: "Missing Authentication Token",
		},
		{
			name:   "security token added after signing",
			tamper: func(req *http.Request) { req.Header.Set("X-Amz-Security-Token", "late") },
			code:   CodeIncompleteSignature, status: 400,
		},
		{
			name: "signed content sha does not match body",
			prep: func(req *http.Request) { req.Header.Set("X-Amz-Content-Sha256", sha256Hex(body)) },
			tamper: func(req *http.Request) {
				req.Body = io.NopCloser(strings.NewReader(`{"Name":"evil!!"}`))
			},
			code: CodeInvalidSignature, status: 403,
			msg: "The provided 'x-amz-content-sha256' header does not match what was computed.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = signTime
			}
			base := startVerifyServer(t, now)
			req := sdkRequest(t, base, "POST", "/applications", body)
			if tc.prep != nil {
				tc.prep(req)
			}
			creds := tc.creds
			if creds.AccessKeyID == "" {
				creds = goodCreds
			}
			signWith(t, req, creds, body, signTime)
			if tc.tamper != nil {
				tc.tamper(req)
			}
			res := send(t, req)
			if res.err == nil {
				t.Fatalf("accepted as %+v", res.id)
			}
			if res.err.Code != tc.code || res.err.Status != tc.status {
				t.Fatalf("got %s %d (%s), want %s %d", res.err.Code, res.err.Status, res.err.Message, tc.code, tc.status)
			}
			if tc.msg != "" && res.err.Message != tc.msg {
				t.Errorf("message %q\nwant    %q", res.err.Message, tc.msg)
			}
		})
	}
}

// TestSDKUnsignedPayload: AppConfig is not S3, so the body is always
// hashed. A request declaring UNSIGNED-PAYLOAD is refused, whether or not
// its body was swapped after signing (before, it was verified without the
// body, so a signed request's body could be replaced).
func TestSDKUnsignedPayload(t *testing.T) {
	for _, swap := range []bool{false, true} {
		base := startVerifyServer(t, signTime)
		req := sdkRequest(t, base, "POST", "/applications", `{"a":1}`)
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := v4.NewSigner().SignHTTP(context.Background(), goodCreds, req, "UNSIGNED-PAYLOAD", sdkService, sdkRegion, signTime); err != nil {
			t.Fatal(err)
		}
		if swap {
			req.Body = io.NopCloser(strings.NewReader(`{"b":2}`))
		}
		res := send(t, req)
		if res.err == nil {
			t.Fatalf("swap=%v: accepted as %+v", swap, res.id)
		}
		if res.err.Code != CodeInvalidSignature || res.err.Status != 403 {
			t.Fatalf("swap=%v: got %s %d (%s)", swap, res.err.Code, res.err.Status, res.err.Message)
		}
	}
}

// TestSDKScopedToAnotherService: both AppConfig models sign as
// "appconfig"; a signature a real signer made for another service (valid
// for that service) is refused with AWS's InvalidSignatureException.
func TestSDKScopedToAnotherService(t *testing.T) {
	for _, svc := range []string{"s3", "appconfigdata", "service"} {
		base := startVerifyServer(t, signTime)
		req := sdkRequest(t, base, "GET", "/applications", "")
		if err := v4.NewSigner().SignHTTP(context.Background(), goodCreds, req, emptySHA256, svc, sdkRegion, signTime); err != nil {
			t.Fatal(err)
		}
		res := send(t, req)
		if res.err == nil {
			t.Fatalf("%s: accepted as %+v", svc, res.id)
		}
		want := "Credential should be scoped to correct service: 'appconfig'."
		if res.err.Code != CodeInvalidSignature || res.err.Status != 403 || res.err.Message != want {
			t.Fatalf("%s: got %s %d (%s)", svc, res.err.Code, res.err.Status, res.err.Message)
		}
	}
	// The same request signed for appconfig passes, so the refusal is the scope's.
	base := startVerifyServer(t, signTime)
	req := sdkRequest(t, base, "GET", "/applications", "")
	if err := v4.NewSigner().SignHTTP(context.Background(), goodCreds, req, emptySHA256, sdkService, sdkRegion, signTime); err != nil {
		t.Fatal(err)
	}
	if res := send(t, req); res.err != nil {
		t.Fatalf("appconfig scope rejected: %+v", res.err)
	}
}

func presign(t *testing.T, base, target string, expires string, payloadHash string) *http.Request {
	t.Helper()
	req := sdkRequest(t, base, "GET", target, "")
	if expires != "" {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", expires)
		req.URL.RawQuery = q.Encode()
	}
	uri, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), goodCreds, req, payloadHash, sdkService, sdkRegion, signTime)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest("GET", uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		if strings.EqualFold(k, "Host") {
			continue
		}
		out.Header[k] = vs
	}
	return out
}

func TestSDKPresigned(t *testing.T) {
	tests := []struct {
		name        string
		target      string
		expires     string
		payloadHash string
		now         time.Time
		tamper      func(*http.Request)
		code        string // "" means accepted
		status      int
	}{
		{name: "valid", target: arnPath, expires: "300", now: signTime.Add(time.Minute)},
		{name: "valid with query", target: "/applications?max_results=5&next_token=abc%2Bdef", expires: "300", now: signTime},
		{name: "valid at last second", target: "/applications", expires: "300", now: signTime.Add(300 * time.Second)},
		{name: "signed with body hash", target: "/applications", expires: "60", payloadHash: sha256Hex(""), now: signTime},
		{name: "no expiry defaults to 15 minutes", target: "/applications", now: signTime.Add(14 * time.Minute)},
		{name: "slightly early is within skew", target: "/applications", expires: "60", now: signTime.Add(-10 * time.Minute)},
		{name: "expired", target: "/applications", expires: "300", now: signTime.Add(301 * time.Second), code: CodeInvalidSignature, status: 403},
		{name: "no expiry expired", target: "/applications", now: signTime.Add(16 * time.Minute), code: CodeInvalidSignature, status: 403},
		{name: "too early", target: "/applications", expires: "60", now: signTime.Add(-16 * time.Minute), code: CodeInvalidSignature, status: 403},
		{name: "expires too long", target: "/applications", expires: "604801", now: signTime, code: CodeIncompleteSignature, status: 400},
		{name: "expires zero", target: "/applications", expires: "0", now: signTime, code: CodeIncompleteSignature, status: 400},
		{
			name: "tampered path", target: arnPath, expires: "300", now: signTime,
			tamper: func(r *http.Request) { r.URL.RawPath = strings.Replace(r.URL.RawPath, "abc1234", "abc1235", 1) },
			code:   CodeInvalidSignature, status: 403,
		},
		{
			name: "tampered expiry", target: "/applications", expires: "60", now: signTime.Add(5 * time.Minute),
			tamper: func(r *http.Request) {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=60", "X-Amz-Expires=600", 1)
			},
			code: CodeInvalidSignature, status: 403,
		},
		{
			name: "signature dropped", target: "/applications", expires: "60", now: signTime,
			tamper: func(r *http.Request) {
				q := r.URL.Query()
				q.Del("X-Amz-Signature")
				r.URL.RawQuery = q.Encode()
			},
			code: CodeIncompleteSignature, status: 400,
		},
		{
			name: "also an Authorization header", target: "/applications", expires: "60", now: signTime,
			tamper: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x") },
			code:   CodeIncompleteSignature, status: 400,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := startVerifyServer(t, tc.now)
			ph := tc.payloadHash
			if ph == "" {
				ph = "UNSIGNED-PAYLOAD"
			}
			req := presign(t, base, tc.target, tc.expires, ph)
			if tc.tamper != nil {
				tc.tamper(req)
			}
			res := send(t, req)
			if tc.code == "" {
				if res.err != nil {
					t.Fatalf("rejected: %s %d %s", res.err.Code, res.err.Status, res.err.Message)
				}
				if res.id.Region != sdkRegion || res.id.Account != sdkAccount {
					t.Errorf("identity %+v", res.id)
				}
				return
			}
			if res.err == nil {
				t.Fatalf("accepted as %+v", res.id)
			}
			if res.err.Code != tc.code || res.err.Status != tc.status {
				t.Fatalf("got %s %d (%s), want %s %d", res.err.Code, res.err.Status, res.err.Message, tc.code, tc.status)
			}
		})
	}
}

// FuzzSDKSignedBodyAndScope signs requests with the Go SDK's signer, with
// a declared payload hash (the body's, UNSIGNED-PAYLOAD, or any string), a
// service name, and possibly another body sent than signed. A request
// verifies exactly when it is scoped to appconfig, declares its body's
// hash, and carries the body it was signed with.
func FuzzSDKSignedBodyAndScope(f *testing.F) {
	f.Add([]byte(`{"Name":"a"}`), []byte(`{"Name":"a"}`), uint8(0), "", "appconfig")
	f.Add([]byte(`{"Name":"a"}`), []byte(`{"Name":"b"}`), uint8(1), "", "appconfig") // issue 15: swapped unsigned body
	f.Add([]byte(`{"Name":"a"}`), []byte(`{"Name":"a"}`), uint8(1), "", "appconfig")
	f.Add([]byte(""), []byte(""), uint8(0), "", "s3") // issue 15: another service's scope
	f.Add([]byte("x"), []byte("x"), uint8(2), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "appconfig")
	v := &Verifier{
		Credentials: NewStaticCredentials(Credential{AccessKeyID: sdkKeyID, SecretAccessKey: sdkSecret, Account: sdkAccount}),
		Now:         func() time.Time { return signTime },
		Service:     sdkService,
	}
	f.Fuzz(func(t *testing.T, signed, sent []byte, mode uint8, declared, service string) {
		if !isScopeName(service) {
			return // the SDK cannot sign for it
		}
		real := sha256Hex(string(signed))
		switch mode % 3 {
		case 0:
			declared = real
		case 1:
			declared = "UNSIGNED-PAYLOAD"
		}
		if declared == "" || strings.ContainsAny(declared, "\r\n\x00") || strings.TrimSpace(declared) != declared {
			return
		}
		req, err := http.NewRequest(http.MethodPost, "https://appconfig.eu-west-1.amazonaws.com/applications", bytes.NewReader(signed))
		if err != nil {
			t.Skip(err)
		}
		req.Header.Set("X-Amz-Content-Sha256", declared)
		if err := v4.NewSigner().SignHTTP(context.Background(), goodCreds, req, declared, service, sdkRegion, signTime); err != nil {
			t.Skip(err)
		}
		_, verr := v.Verify(req, sha256Hex(string(sent)))
		want := service == sdkService && declared == real && bytes.Equal(signed, sent)
		if (verr == nil) != want {
			t.Fatalf("signed %q sent %q declared %q service %q: verified=%v (%v), want %v", signed, sent, declared, service, verr == nil, verr, want)
		}
	})
}
