package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
		ok:  func(status int, _ int64) bool { return t.createOK[status] },
		raw: true,
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

// setupHosted creates an application, a hosted configuration profile and
// one hosted version of the given content, checks it reads back intact,
// and returns the version's URL.
func setupHosted(ctx context.Context, c *http.Client, s benchutil.Signer, t *target, content []byte) (string, error) {
	api := &benchutil.API{Base: t.base, Client: c, Signer: s, Account: setupAccount, Region: "us-east-1"}
	h, err := api.CreateHosted(ctx, "bench-hosted", content, "application/octet-stream")
	if err != nil {
		return "", asUnsupported(err)
	}
	path := "/applications/" + h.App + "/configurationprofiles/" + h.Profile + "/hostedconfigurationversions/1"
	resp, b, err := api.Do(ctx, "GET", path, "", nil)
	if err != nil {
		return "", asUnsupported(err)
	}
	if resp.StatusCode != 200 || !bytes.Equal(b, content) {
		return "", unsupported{fmt.Sprintf("GET %s → %d with %d bytes, want 200 with the %d bytes stored", path, resp.StatusCode, len(b), len(content))}
	}
	return t.base + path, nil
}

// asUnsupported marks an answer the server gave (an error status, or a
// body without the expected Id) as unsupported; transport errors stay as
// they are.
func asUnsupported(err error) error {
	var se *benchutil.StatusError
	if errors.As(err, &se) || errors.Is(err, benchutil.ErrNoID) {
		return unsupported{err.Error()}
	}
	return err
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
		raw:      true,
	}
}
