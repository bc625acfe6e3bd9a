package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
	"github.com/appconfigd/appconfigd/internal/featureflag"
)

func servedRun(exposure float64, overrides map[string]string) appconfig.ExperimentRun {
	r := *testRun(exposure, 50, 50)
	s := "blue"
	r.Snapshot.Treatments[0].FlagValue.Attributes = map[string]appconfig.AttributeValue{
		"color": {String: &s}, "sizes": {Numbers: []float64{1, 2.5}}}
	r.Overrides = overrides
	return r
}

func TestServedAnswers(t *testing.T) {
	s := NewServed([]appconfig.ExperimentRun{servedRun(100, map[string]string{"vip": "t1"})})
	h, ok := s.Treat("checkout", featureflag.EvalContext{TargetingKey: "vip"})
	if !ok || h.Reason != Override || h.TreatmentKey() != "t1" || h.Result.Reason != featureflag.ReasonTargetingMatch {
		t.Fatalf("override: %+v %v", h, ok)
	}
	if got := string(h.Result.JSON); got != `{"_variant":"__t1__","color":"blue","enabled":true,"sizes":[1,2.5]}` {
		t.Fatalf("treatment answer %s", got)
	}
	seen := map[string]int{}
	for i := 0; i < 200; i++ {
		h, ok := s.Treat("checkout", featureflag.EvalContext{TargetingKey: fmt.Sprint("u", i), Attributes: pro})
		if !ok || h.Reason != Assigned || h.Result.Reason != featureflag.ReasonSplit {
			t.Fatalf("assignment: %+v %v", h, ok)
		}
		seen[h.Result.Variant]++
	}
	if seen["__c__"] == 0 || seen["__t1__"] == 0 || len(seen) != 2 {
		t.Fatalf("variants %v", seen)
	}
	if string(NewServed([]appconfig.ExperimentRun{servedRun(100, nil)}).runs[0].Assigned[0].JSON) != `{"_variant":"__c__","enabled":false}` {
		t.Fatal("a disabled control serves its attributes")
	}
	if _, ok := s.Treat("checkout", featureflag.EvalContext{TargetingKey: "u1", Attributes: map[string]string{"plan": "free"}}); ok {
		t.Fatal("outside the audience, an entity was treated")
	}
	if _, ok := s.Treat("other", featureflag.EvalContext{TargetingKey: "vip"}); ok {
		t.Fatal("a flag no run owns was treated")
	}
	if NewServed(nil) != nil {
		t.Fatal("no runs should give nil")
	}
}

func TestServedTagFollowsTheRunState(t *testing.T) {
	base := servedRun(10, nil)
	tags := map[string]string{}
	for name, r := range map[string]appconfig.ExperimentRun{
		"base":      base,
		"exposure":  func() appconfig.ExperimentRun { r := base; r.ExposurePercentage = 20; return r }(),
		"overrides": func() appconfig.ExperimentRun { r := base; r.Overrides = map[string]string{"a": "c"}; return r }(),
		"run 2":     func() appconfig.ExperimentRun { r := base; r.Run = 2; return r }(),
		"updated":   func() appconfig.ExperimentRun { r := base; r.UpdatedAt = r.UpdatedAt.Add(time.Second); return r }(),
	} {
		tag := NewServed([]appconfig.ExperimentRun{r}).Tag
		for other, t2 := range tags {
			if t2 == tag {
				t.Fatalf("%s and %s share tag %s", name, other, tag)
			}
		}
		tags[name] = tag
	}
	if NewServed([]appconfig.ExperimentRun{base}).Tag != tags["base"] {
		t.Fatal("the same state gave another tag")
	}
}

func TestAssignmentLogStream(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 6, 16, 17, 57, 10, 46e6, time.UTC)
	l, err := OpenAssignmentLog("stderr", &buf, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	s := NewServed([]appconfig.ExperimentRun{servedRun(100, nil)})
	l.Record(appconfig.Scope{Account: "123456789012", Region: "eu-west-1"}, s.runs[0], "t1", "user123")
	want := `{"type":"AWS.AppConfig.TreatmentAssignment","timestamp":"2026-06-16T17:57:10.046Z","region":"eu-west-1","accountId":"123456789012",` +
		`"applicationId":"app1","experimentDefinitionId":"def1","experimentRunNumber":"1","treatmentKey":"t1","entityId":"user123"}` + "\n"
	if buf.String() != want {
		t.Fatalf("got  %s\nwant %s", buf.String(), want)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenAssignmentLog("syslog", &buf, time.Now); err == nil || !strings.Contains(err.Error(), "file:DIR") {
		t.Fatalf("a bad destination: %v", err)
	}
}

func TestBucketDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Bucket("app/def/1/exposure", "user-12345") }); n != 0 {
		t.Fatalf("Bucket allocates %v times", n)
	}
	a := Compile(testRun(100, 1, 1))
	ec := featureflag.EvalContext{TargetingKey: "user-1", Attributes: pro}
	if n := testing.AllocsPerRun(100, func() { a.AssignIndex("user-1", ec) }); n != 0 {
		t.Fatalf("AssignIndex allocates %v times", n)
	}
}
