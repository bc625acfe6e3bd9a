package itest

// Issue 15's request-verification holes through the whole server, with
// real signing clients (the Go SDK, its signer, the aws CLI) besides the
// hand-built requests of the unit tests.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sdk "github.com/aws/aws-sdk-go-v2/service/appconfig"

	"github.com/appconfigd/appconfigd/internal/auth"
	"github.com/appconfigd/appconfigd/internal/server"
	"github.com/appconfigd/appconfigd/internal/testutil"
)

func TestSigV4BodyAndServiceScopeThroughServer(t *testing.T) {
	s := Start(t, func(c *server.Config) {
		c.Auth = auth.ModeSigV4
		c.CredentialsFile = writeCreds(t)
	})
	alice := s.ClientIn("us-east-1", "AKIAALICE0000000000", "alice-secret")

	// The Go SDK told to leave the payload unsigned: refused, nothing stored.
	_, err := alice.CreateApplication(ctx, &sdk.CreateApplicationInput{Name: aws.String("unsigned")},
		sdk.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
	WantError(t, err, "InvalidSignatureException", 403)

	// Hand-built requests signed by the SDK's signer.
	creds := aws.Credentials{AccessKeyID: "AKIAALICE0000000000", SecretAccessKey: "alice-secret"}
	send := func(body, signedBody, hash, service string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.URL+"/applications", strings.NewReader(signedBody))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Amz-Content-Sha256", hash)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(body)), int64(len(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), string(b)
	}
	// UNSIGNED-PAYLOAD with the body swapped after signing.
	if st, code, b := send(`{"Name":"swapped"}`, `{"Name":"signed"}`, "UNSIGNED-PAYLOAD", "appconfig"); st != 403 || code != "InvalidSignatureException" {
		t.Fatalf("swapped unsigned body: %d %s %s", st, code, b)
	}
	// A valid signature for another service.
	body := `{"Name":"scoped"}`
	sum := sha256.Sum256([]byte(body))
	hash := hex.EncodeToString(sum[:])
	for _, svc := range []string{"s3", "appconfigdata"} {
		if st, code, b := send(body, body, hash, svc); st != 403 || code != "InvalidSignatureException" || !strings.Contains(b, "Credential should be scoped to correct service: 'appconfig'.") {
			t.Fatalf("scope %s: %d %s %s", svc, st, code, b)
		}
	}
	// The same request scoped to appconfig, body hashed, is accepted.
	if st, code, b := send(body, body, hash, "appconfig"); st != 201 {
		t.Fatalf("well-signed request: %d %s %s", st, code, b)
	}
	list, err := alice.ListApplications(ctx, &sdk.ListApplicationsInput{})
	if err != nil || len(list.Items) != 1 || aws.ToString(list.Items[0].Name) != "scoped" {
		t.Fatalf("stored: %v %+v", err, list)
	}
}

// A poll token changed in one character is refused when the aws CLI (a
// real client) presents it, and the token itself still works after.
func TestTokenVariantsRefusedWithCLI(t *testing.T) {
	testutil.Need(t, "aws")
	s, _ := fakeServer(t)
	f := newFixture(t, s.Client())
	f.complete(t, s, "1")
	tok, p := startSession(t, s.URL, "app", "prod", "cfg", 0)
	if p.status != 201 {
		t.Fatalf("start: %d %s", p.status, p.body)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	flip := func(i int) string {
		j := strings.IndexByte(alphabet, tok[i])
		return tok[:i] + string(alphabet[j^1]) + tok[i+1:]
	}
	cli := func(token string) (string, error) {
		cmd := exec.Command("aws", "--endpoint-url", s.URL, "--region", "us-east-1", "appconfigdata", "get-latest-configuration",
			"--configuration-token", token, os.DevNull)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=x", "AWS_EC2_METADATA_DISABLED=true")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// The last character (whose low bits a lax decoder ignores), the first, one inside.
	for _, i := range []int{len(tok) - 1, 0, len(tok) / 2} {
		out, err := cli(flip(i))
		if err == nil || !strings.Contains(out, "BadRequestException") {
			t.Fatalf("token with character %d changed: %v\n%s", i, err, out)
		}
	}
	if out, err := cli(tok); err != nil {
		t.Fatalf("the real token after the refusals: %v\n%s", err, out)
	}
}
