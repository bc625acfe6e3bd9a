package benchutil

import (
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
)

// FmtCounts lists counts by key, sorted by key: "a: 1, b: 2".
func FmtCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// Profile is a CPU profile of this process over one measured period. A
// nil *Profile does nothing, so callers need no branch when profiling is
// off.
type Profile struct{ f *os.File }

// NewProfile creates PREFIX.pprof for a profile started later.
func NewProfile(prefix string) (*Profile, error) {
	f, err := os.Create(prefix + ".pprof")
	if err != nil {
		return nil, err
	}
	return &Profile{f: f}, nil
}

// Start begins profiling (the measured period starts).
func (p *Profile) Start() {
	if p == nil {
		return
	}
	if err := pprof.StartCPUProfile(p.f); err != nil {
		Logf("cpu profile: %v", err)
	}
}

// Stop ends profiling, closes the file and says where it is.
func (p *Profile) Stop() {
	if p == nil {
		return
	}
	pprof.StopCPUProfile()
	p.f.Close()
	Logf("wrote %s", p.f.Name())
}

// Workspace is one benchmark run's temporary directory and what must be
// stopped when the run ends.
type Workspace struct {
	Dir   string
	keep  bool
	stops []func()
}

// NewWorkspace makes a temporary directory named after prefix; with keep
// it is left in place (and named) at Close.
func NewWorkspace(prefix string, keep bool) (*Workspace, error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	return &Workspace{Dir: dir, keep: keep}, nil
}

// Defer adds f to what Close runs; the last added runs first, so a
// database started before its servers is stopped after them.
func (w *Workspace) Defer(f func()) { w.stops = append(w.stops, f) }

// Close runs the deferred stops, newest first, then removes the directory
// unless it is kept.
func (w *Workspace) Close() {
	for i := len(w.stops) - 1; i >= 0; i-- {
		w.stops[i]()
	}
	w.stops = nil
	if w.keep {
		Logf("kept %s", w.Dir)
	} else {
		os.RemoveAll(w.Dir)
	}
}
