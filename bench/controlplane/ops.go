package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

const (
	opCreate = "CreateApplication"
	opGetHCV = "GetHostedConfigurationVersion"

	// setupAccount owns the hosted version read by GetHostedConfigurationVersion;
	// CreateApplication's accounts start at firstAccount.
	setupAccount = "210987654321"
	firstAccount = 100000000000
)

// createWorkload sends CreateApplication with a fresh name each time,
// rotating the account over `accounts` 12-digit ids and, after each full
// round of accounts, the region: every (account, region) pair gets one
// application per round, so appconfigd's quota of 100 applications per
// account and region allows accounts*len(regions)*100 requests.
func createWorkload(t *target, s benchutil.Signer, accounts int, regions []string) workload {
	url := t.base + "/applications"
	acc := uint64(accounts)
	nreg := uint64(len(regions))
	return workload{
		build: func(n uint64) *http.Request {
			account := strconv.FormatUint(firstAccount+n%acc, 10)
			region := regions[(n/acc)%nreg]
			body := `{"Name":"bench-` + strconv.FormatUint(n, 10) + `"}`
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
			req.Header["Content-Type"] = []string{"application/json"}
			s.Sign(req.Header, account, region)
			return req
		},
		ok: func(status int, _ int64) bool { return t.createOK[status] },
	}
}

// createCapacity is how many CreateApplication requests fit in
// appconfigd's quota with this rotation.
func createCapacity(accounts int, regions []string) int64 {
	return int64(accounts) * int64(len(regions)) * 100
}

// payload is n bytes of printable ASCII (moto decodes request bodies as
// UTF-8 and fails with a 500 on arbitrary binary content).
func payload(n int) []byte {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = alphabet[x%uint32(len(alphabet))]
	}
	return b
}

// unsupported marks a setup step the server does not implement.
type unsupported struct{ msg string }

func (u unsupported) Error() string { return u.msg }

// call sends one setup request and returns the body of a 2xx answer.
func call(ctx context.Context, c *http.Client, s benchutil.Signer, method, url, ctype string, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	if body == nil {
		req.Body, req.ContentLength = nil, 0
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	s.Sign(req.Header, setupAccount, "us-east-1")
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		snippet := strings.TrimSpace(string(b))
		if len(snippet) > 160 {
			snippet = snippet[:160] + "…"
		}
		return resp, b, unsupported{fmt.Sprintf("%s %s → %d %s", method, strings.TrimPrefix(url, "http://"), resp.StatusCode, snippet)}
	}
	return resp, b, nil
}

func idOf(b []byte) (string, error) {
	var v struct{ Id string }
	if err := json.Unmarshal(b, &v); err != nil || v.Id == "" {
		return "", unsupported{fmt.Sprintf("no Id in answer %.120q", b)}
	}
	return v.Id, nil
}

// setupHosted creates an application, a hosted configuration profile and
// one hosted version of the given content, checks it reads back intact,
// and returns the version's URL.
func setupHosted(ctx context.Context, c *http.Client, s benchutil.Signer, t *target, content []byte) (string, error) {
	_, b, err := call(ctx, c, s, "POST", t.base+"/applications", "application/json", []byte(`{"Name":"bench-hosted"}`))
	if err != nil {
		return "", err
	}
	app, err := idOf(b)
	if err != nil {
		return "", err
	}
	profiles := t.base + "/applications/" + app + "/configurationprofiles"
	_, b, err = call(ctx, c, s, "POST", profiles, "application/json", []byte(`{"Name":"p","LocationUri":"hosted"}`))
	if err != nil {
		return "", err
	}
	prof, err := idOf(b)
	if err != nil {
		return "", err
	}
	versions := profiles + "/" + prof + "/hostedconfigurationversions"
	resp, _, err := call(ctx, c, s, "POST", versions, "application/octet-stream", content)
	if err != nil {
		return "", err
	}
	ver := resp.Header.Get("Version-Number")
	if ver == "" {
		ver = "1"
	}
	url := versions + "/" + ver
	resp, b, err = call(ctx, c, s, "GET", url, "", nil)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 || !bytes.Equal(b, content) {
		return "", unsupported{fmt.Sprintf("GET %s → %d with %d bytes, want 200 with the %d bytes stored", url, resp.StatusCode, len(b), len(content))}
	}
	return url, nil
}

func getWorkload(s benchutil.Signer, url string, size int) workload {
	return workload{
		build: func(uint64) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			s.Sign(req.Header, setupAccount, "us-east-1")
			return req
		},
		ok:       func(status int, n int64) bool { return status == 200 && n == int64(size) },
		reusable: true,
	}
}
