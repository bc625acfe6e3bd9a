// Package awsclients holds what every caller of other AWS services shares:
// one SDK client per service and region, made on first use, and the
// endpoint override rule.
package awsclients

import (
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// PerRegion caches one client per region.
type PerRegion[C any] struct {
	mu sync.Mutex
	m  map[string]C
}

// Get returns the region's client, making it with mk the first time.
func (r *PerRegion[C]) Get(region string, mk func(region string) C) C {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.m[region]; ok {
		return c
	}
	c := mk(region)
	if r.m == nil {
		r.m = map[string]C{}
	}
	r.m[region] = c
	return c
}

// Endpoint is the BaseEndpoint for a configured endpoint: nil (the SDK's
// own resolution) when none is set.
func Endpoint(endpoint string) *string {
	if endpoint == "" {
		return nil
	}
	return aws.String(endpoint)
}
