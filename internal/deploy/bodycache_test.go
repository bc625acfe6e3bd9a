package deploy

import (
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// The cache answers only for the exact body it was given for a key: any
// other body (another process's write, a rolled-back one) is decoded.
func TestBodyCacheHitsOnlyTheBodyWritten(t *testing.T) {
	c := newBodyCache()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := benchDeployment(start)
	k := appconfig.Key{Account: "1", Region: "r", Kind: appconfig.RecordDeployment, Parent: "app/env", ID: "1"}
	lease := Lease{Owner: "me", Until: start.Add(time.Minute)}
	body := encodeRecord(d, lease)
	c.put(k, body, d, lease)

	got, gotLease, ok := c.get(appconfig.Record{Key: k, Body: body})
	if !ok || gotLease != lease || len(got.EventLog) != len(d.EventLog) || got.PercentageComplete != d.PercentageComplete {
		t.Fatalf("hit %v: %+v %+v", ok, got, gotLease)
	}
	// What the caller does with its deployment or with what get returned
	// does not reach the cache.
	d.EventLog[0].Description = "changed by the caller"
	got.EventLog[0].Description = "changed by a claim"
	again, _, _ := c.get(appconfig.Record{Key: k, Body: body})
	if again.EventLog[0].Description == "changed by the caller" || again.EventLog[0].Description == "changed by a claim" {
		t.Fatalf("the cache shares its event log: %q", again.EventLog[0].Description)
	}

	other := encodeRecord(d, lease) // another body for the same key
	if _, _, ok := c.get(appconfig.Record{Key: k, Body: other}); ok {
		t.Fatal("a different body hit the cache")
	}
	if _, _, ok := c.get(appconfig.Record{Key: k, Body: append(append([]byte(nil), body...), ' ')}); ok {
		t.Fatal("a longer body hit the cache")
	}
	k2 := k
	k2.ID = "2"
	if _, _, ok := c.get(appconfig.Record{Key: k2, Body: body}); ok {
		t.Fatal("the same body under another key hit the cache")
	}

	// A deployment that ended leaves the cache.
	d.State = appconfig.DeploymentComplete
	c.put(k, encodeRecord(d, Lease{}), d, Lease{})
	if len(c.m) != 0 {
		t.Fatalf("%d entries after the deployment completed", len(c.m))
	}
	var none *bodyCache
	none.put(k, body, d, lease)
	if _, _, ok := none.get(appconfig.Record{Key: k, Body: body}); ok {
		t.Fatal("a nil cache hit")
	}
}
