package benchutil

import (
	"context"
	"net"
	"net/http"
	"sort"
	"sync/atomic"
	"time"
)

// CountingDialer counts new TCP connections (keep-alive works when it
// stays near the number of workers).
type CountingDialer struct {
	d     net.Dialer
	dials atomic.Int64
}

// DialContext dials and counts.
func (c *CountingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c.dials.Add(1)
	return c.d.DialContext(ctx, network, addr)
}

// Dials is the number of connections opened so far.
func (c *CountingDialer) Dials() int64 { return c.dials.Load() }

// NewClient is a plain keep-alive HTTP/1.1 client (no proxy, no
// compression) keeping up to 2·workers idle connections.
func NewClient(workers int) (*http.Client, *CountingDialer) {
	d := &CountingDialer{d: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConns:        workers * 2,
		MaxIdleConnsPerHost: workers * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, d
}

// Signer writes SigV4-shaped headers. appconfigd in open mode (and moto)
// do not verify the signature, but the credential scope carries the
// account (the access key id when it has 12 digits), the region and the
// service name.
type Signer struct {
	date, amzDate string
}

// NewSigner dates the headers at now.
func NewSigner(now time.Time) Signer {
	now = now.UTC()
	return Signer{date: now.Format("20060102"), amzDate: now.Format("20060102T150405Z")}
}

// Sign sets Authorization and X-Amz-Date on h.
func (s Signer) Sign(h http.Header, account, region string) {
	h["Authorization"] = []string{"AWS4-HMAC-SHA256 Credential=" + account + "/" + s.date + "/" + region +
		"/appconfig/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000"}
	h["X-Amz-Date"] = []string{s.amzDate}
}

// Percentile of sorted durations, nearest rank.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := sort.Search(len(sorted), func(i int) bool { return float64(i+1) >= p*float64(len(sorted)) })
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

// Ms is d in milliseconds.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// FmtMs formats milliseconds with two decimals below 10 ms, one above.
func FmtMs(v float64) string {
	if v < 10 {
		return fmtFloat(v, 2) + " ms"
	}
	return fmtFloat(v, 1) + " ms"
}
