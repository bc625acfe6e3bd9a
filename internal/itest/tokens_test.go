package itest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"

	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/clock"
	"github.com/appconfigd/appconfigd/internal/server"
)

// tokenCLI runs `appconfigd token ...` against a data dir.
func tokenCLI(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(Binary(t), append(append([]string{"token"}, args...), "--data-dir", dir)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("token %v: %v\n%s", args, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func doReq(t *testing.T, method, url, body string, hdr ...string) (int, string) {
	t.Helper()
	resp, b := httpDo(t, method, url, body, hdr...)
	return resp.StatusCode, string(b)
}

// httpDo sends one request with the header pairs hdr (name, value, ...)
// and returns the response with its whole body read (and closed).
func httpDo(t *testing.T, method, url, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Under --auth sigv4 the flag path takes SigV4 or a bearer token from the
// CLI; a token reads only its account (and application), only the flag
// path, and stops working once revoked.
func TestFlagPathAuth(t *testing.T) {
	creds := writeCreds(t)
	wall := clock.NewFake(time.Now())
	s := Start(t, func(c *server.Config) {
		c.Auth, c.CredentialsFile, c.WallClock = auth.ModeSigV4, creds, wall
		c.Clock = clock.NewFake(epoch)
		c.StreamHeartbeat = 50 * time.Millisecond // open streams recheck their token at each heartbeat
	})
	alice := s.ClientIn("us-east-1", "AKIAALICE0000000000", "alice-secret")
	base, _ := flagProfile(t, s, alice)
	single := base + "/ofrep/v1/evaluate/flags/banner"
	if st, body := doReq(t, "POST", single, `{"context":{}}`); st != 401 || !strings.Contains(body, `"errorCode":"GENERAL"`) {
		t.Fatalf("anonymous OFREP: %d %s", st, body)
	}
	if st, _ := doReq(t, "GET", base, ""); st != 403 {
		t.Fatalf("anonymous Agent route: %d", st)
	}
	// SigV4, as any AWS-signed client sends it.
	req, _ := http.NewRequest("POST", single, strings.NewReader(`{"context":{}}`))
	sum := sha256.Sum256([]byte(`{"context":{}}`))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAALICE0000000000", SecretAccessKey: "alice-secret"},
		req, hex.EncodeToString(sum[:]), "appconfig", "us-east-1", wall.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("signed OFREP: %v %v", resp, err)
	}
	resp.Body.Close()

	tok := tokenCLI(t, s.DataDir, "create", "--account", "111111111111", "--description", "web")
	bearer := "Bearer " + tok
	if st, body := doReq(t, "POST", single, `{"context":{}}`, "Authorization", bearer); st != 200 || !strings.Contains(body, `"value":true`) {
		t.Fatalf("token OFREP: %d %s", st, body)
	}
	if st, body := doReq(t, "GET", base+"?flag=banner", "", "Authorization", bearer); st != 200 || !strings.Contains(body, `"enabled":true`) {
		t.Fatalf("token Agent route: %d %s", st, body)
	}
	if st, _ := doReq(t, "GET", s.URL+"/applications", "", "Authorization", bearer); st != 403 {
		t.Fatalf("token on the control plane: %d", st)
	}
	if st, _ := doReq(t, "POST", single, `{}`, "Authorization", "Bearer acdt_forged"); st != 401 {
		t.Fatalf("unknown token: %d", st)
	}
	// Another account's token does not see alice's application.
	bobTok := tokenCLI(t, s.DataDir, "create", "--account", "222222222222")
	if st, _ := doReq(t, "POST", single, `{}`, "Authorization", "Bearer "+bobTok); st != 404 {
		t.Fatalf("other account's token: %d", st)
	}
	// A token limited to another application.
	other := mustApp(t, alice, "other")
	scoped := tokenCLI(t, s.DataDir, "create", "--account", "111111111111", "--application", aws.ToString(other.Id))
	if st, body := doReq(t, "POST", single, `{}`, "Authorization", "Bearer "+scoped); st != 403 {
		t.Fatalf("token of another application: %d %s", st, body)
	}
	if _, err := alice.GetApplication(ctx, &sdk.GetApplicationInput{ApplicationId: other.Id}); err != nil {
		t.Fatal(err)
	}
	list := tokenCLI(t, s.DataDir, "list")
	if strings.Count(list, "111111111111") != 2 || strings.Contains(list, tok) {
		t.Fatalf("list:\n%s", list)
	}
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	for _, line := range strings.Split(list, "\n") {
		if strings.HasSuffix(line, "web") {
			id = strings.Fields(line)[0]
		}
	}
	tokenCLI(t, s.DataDir, "revoke", id)
	wall.Advance(6 * time.Second) // past the server's verification cache
	if st, _ := doReq(t, "POST", single, `{}`, "Authorization", bearer); st != 401 {
		t.Fatalf("revoked token: %d", st)
	}
	// The stream URL a bulk answer hands out carries its own ticket
	// (EventSource cannot send headers); a forged one is refused.
	st, body := doReq(t, "POST", base+"/ofrep/v1/evaluate/flags", `{}`, "Authorization", "Bearer "+bobTok)
	if st != 404 {
		t.Fatalf("bulk with bob's token: %d %s", st, body)
	}
	aliceTok := tokenCLI(t, s.DataDir, "create", "--account", "111111111111", "--description", "stream")
	a := ofrepPost(t, base+"/ofrep/v1/evaluate/flags", `{}`, "Authorization", "Bearer "+aliceTok)
	uri := a.body["eventStreams"].([]any)[0].(map[string]any)["endpoint"].(map[string]any)["requestUri"].(string)
	byTicket := openStream(t, s.URL+uri)
	byHeader := openStream(t, base, "Authorization", "Bearer "+aliceTok)
	if st, _ := doReq(t, "GET", s.URL+strings.Replace(uri, "ticket=", "ticket=x", 1), "", "Accept", "text/event-stream"); st != 401 {
		t.Fatalf("forged ticket: %d", st)
	}
	// Revoking the token ends the stream URLs handed out to it.
	for _, line := range strings.Split(tokenCLI(t, s.DataDir, "list"), "\n") {
		if strings.HasSuffix(line, "stream") {
			tokenCLI(t, s.DataDir, "revoke", strings.Fields(line)[0])
		}
	}
	wall.Advance(6 * time.Second)
	// Streams already open end at their next heartbeat, saying why.
	for name, st := range map[string]*sseReader{"ticket": byTicket, "header": byHeader} {
		if rest := st.rest(t, 10*time.Second); !strings.Contains(rest, ": the bearer token of this stream was revoked") {
			t.Fatalf("open stream (%s) of a revoked token did not end:\n%s", name, rest)
		}
	}
	req, _ = http.NewRequest("GET", s.URL+uri, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err = http.DefaultClient.Do(req) // returns with the headers: a stream that opened is not read
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 401 {
		resp.Body.Close()
		t.Fatalf("stream URL of a revoked token: %d", resp.StatusCode)
	}
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), "revoked") {
		t.Fatalf("stream URL of a revoked token: %s", b)
	}
	resp.Body.Close()
}
