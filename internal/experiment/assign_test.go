package experiment

import (
	"fmt"
	"math"
	"testing"

	appconfig "github.com/appconfigd/appconfigd"
)

func testRun(exposure float64, weights ...float64) *appconfig.ExperimentRun {
	def := appconfig.ExperimentDefinition{
		ApplicationID: "app1", ID: "def1", FlagKey: "checkout",
		AudienceRule: `(eq $plan "pro")`,
		Control:      appconfig.Treatment{Key: "c", Weight: weights[0]},
	}
	for i, w := range weights[1:] {
		def.Treatments = append(def.Treatments, appconfig.Treatment{Key: fmt.Sprintf("t%d", i+1), Weight: w, FlagValue: appconfig.FlagValue{Enabled: true}})
	}
	return &appconfig.ExperimentRun{ApplicationID: "app1", DefinitionID: "def1", Run: 1, ExposurePercentage: exposure, Snapshot: def}
}

var pro = map[string]string{"plan": "pro"}

func TestWeightsWithinTolerance(t *testing.T) {
	// 1,000 entities, all exposed, weights 50/30/20. With n=1000 the
	// standard deviation of a share p is sqrt(p(1-p)/n) ≤ 1.6 points; the
	// tolerance is 5 points (> 3 standard deviations).
	a := Compile(testRun(100, 50, 30, 20))
	counts := map[string]int{}
	for i := 0; i < 1000; i++ {
		tr, why, ok := a.Assign(fmt.Sprintf("user-%d", i), pro)
		if !ok || why != Assigned {
			t.Fatalf("user-%d: %v %v", i, why, ok)
		}
		counts[tr.Key]++
	}
	for key, want := range map[string]float64{"c": 50, "t1": 30, "t2": 20} {
		got := float64(counts[key]) / 10
		if math.Abs(got-want) > 5 {
			t.Errorf("%s: %.1f %% of entities, want %.0f ± 5 (%v)", key, got, want, counts)
		}
	}
}

func TestExposureShareAndGrowth(t *testing.T) {
	// The share of exposed entities follows the exposure, and raising it
	// keeps every entity that was exposed in its treatment.
	low, high := Compile(testRun(20, 1, 1)), Compile(testRun(60, 1, 1))
	exposedLow, exposedHigh := 0, 0
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("entity-%d", i)
		tl, _, okl := low.Assign(id, pro)
		th, _, okh := high.Assign(id, pro)
		if okl {
			exposedLow++
			if !okh || th.Key != tl.Key {
				t.Fatalf("%s was in %s at 20%% and moved to %q (%v) at 60%%", id, tl.Key, th.Key, okh)
			}
		}
		if okh {
			exposedHigh++
		}
	}
	if math.Abs(float64(exposedLow)/10-20) > 5 || math.Abs(float64(exposedHigh)/10-60) > 5 {
		t.Fatalf("exposed %d and %d of 1000 at 20%% and 60%%", exposedLow, exposedHigh)
	}
}

func TestStableAndRunScoped(t *testing.T) {
	// The same inputs give the same answer (on any replica: no state), and
	// another run of the same definition reshuffles.
	r1 := testRun(100, 1, 1)
	a, b := Compile(r1), Compile(testRun(100, 1, 1))
	r2 := testRun(100, 1, 1)
	r2.Run = 2
	other := Compile(r2)
	differ := 0
	for i := 0; i < 1000; i++ {
		id := fmt.Sprintf("u%d", i)
		x, _, _ := a.Assign(id, pro)
		y, _, _ := b.Assign(id, pro)
		z, _, _ := other.Assign(id, pro)
		if x.Key != y.Key {
			t.Fatalf("%s: %s then %s", id, x.Key, y.Key)
		}
		if x.Key != z.Key {
			differ++
		}
	}
	if differ < 300 || differ > 700 {
		t.Fatalf("run 2 reassigned %d of 1000 entities; want about half", differ)
	}
}

func TestOverridesWinAndFallThrough(t *testing.T) {
	run := testRun(0, 50, 50)
	run.Overrides = map[string]string{"alice": "t1", "bob": "c"}
	a := Compile(run)
	// Overrides work at 0 % exposure and outside the audience.
	if tr, why, ok := a.Assign("alice", map[string]string{"plan": "free"}); !ok || why != Override || tr.Key != "t1" || !tr.FlagValue.Enabled {
		t.Fatalf("alice: %+v %v %v", tr, why, ok)
	}
	if tr, why, ok := a.Assign("bob", nil); !ok || why != Override || tr.Key != "c" {
		t.Fatalf("bob: %+v %v %v", tr, why, ok)
	}
	if _, why, ok := a.Assign("carol", pro); ok || why != NotExposed {
		t.Fatalf("carol at 0%%: %v %v", why, ok)
	}
	full := Compile(testRun(100, 50, 50))
	if _, why, ok := full.Assign("carol", map[string]string{"plan": "free"}); ok || why != NotInAudience {
		t.Fatalf("carol outside the audience: %v %v", why, ok)
	}
	if _, why, ok := full.Assign("carol", nil); ok || why != NotInAudience {
		t.Fatalf("carol without context: %v %v", why, ok)
	}
	if _, why, ok := full.Assign("", pro); ok || why != NoEntity {
		t.Fatalf("no entity: %v %v", why, ok)
	}
}

func TestZeroWeightNeverChosen(t *testing.T) {
	a := Compile(testRun(100, 0, 1, 0))
	for i := 0; i < 1000; i++ {
		tr, _, ok := a.Assign(fmt.Sprintf("z%d", i), pro)
		if !ok || tr.Key != "t1" {
			t.Fatalf("z%d got %q %v", i, tr.Key, ok)
		}
	}
}

func TestBucketRange(t *testing.T) {
	for i := 0; i < 10000; i++ {
		b := Bucket("s", fmt.Sprint(i))
		if b < 0 || b >= 100 {
			t.Fatalf("bucket %v", b)
		}
	}
	if Bucket("s", "x") == Bucket("t", "x") && Bucket("s", "y") == Bucket("t", "y") {
		t.Fatal("salt ignored")
	}
	if Variant("t1") != "__t1__" || Variant("c") != "__c__" {
		t.Fatal(Variant("t1"))
	}
}
