package cachegen

import "testing"

func TestGeneration(t *testing.T) {
	var g Generation
	s := g.Stamp()
	if !g.Current(s) {
		t.Fatal("a fresh stamp is not current")
	}
	g.Invalidate()
	if g.Current(s) {
		t.Fatal("a stamp survived an invalidation")
	}
	if !g.Current(g.Stamp()) {
		t.Fatal("a stamp taken after the invalidation is not current")
	}
}

func TestKeyed(t *testing.T) {
	var g Keyed[string]
	a, b := g.Stamp("a"), g.Stamp("b")
	g.Invalidate("a")
	if g.Current("a", a) || !g.Current("b", b) {
		t.Fatal("invalidating a must discard reads of a only")
	}
	a = g.Stamp("a")
	g.InvalidateAll()
	if g.Current("a", a) || g.Current("b", b) {
		t.Fatal("invalidating everything must discard every read")
	}
	if !g.Current("c", g.Stamp("c")) {
		t.Fatal("a key never invalidated is current")
	}
}
