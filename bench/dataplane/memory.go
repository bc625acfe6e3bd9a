package main

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// memResult is the memory-per-session measurement.
type memResult struct {
	Store        string  `json:"store"`
	Sessions     int     `json:"sessions"`
	BaseSessions int     `json:"baseSessions"`
	TimeScale    float64 `json:"timeScale"`
	InProcess    bool    `json:"inProcess"`
	Godebug      string  `json:"godebug,omitempty"`
	Idle         string  `json:"idle"`
	// StartRate is sessions started and polled once per second.
	StartRate float64 `json:"sessionsPerSecond"`
	// Resident set of the server process (n/a in-process).
	RSSBefore     int64 `json:"rssBefore,omitempty"`
	RSSAfter      int64 `json:"rssAfter,omitempty"`
	RSSAnonBefore int64 `json:"rssAnonBefore,omitempty"`
	RSSAnonAfter  int64 `json:"rssAnonAfter,omitempty"`
	PeakRSS       int64 `json:"peakRss,omitempty"`
	// Go heap live after a GC: from the server's gctrace (MiB resolution)
	// or, in-process, runtime.MemStats.HeapAlloc after runtime.GC().
	HeapBefore int64  `json:"heapBefore"`
	HeapAfter  int64  `json:"heapAfter"`
	HeapSource string `json:"heapSource"`
	GCBefore   string `json:"gcLineBefore,omitempty"`
	GCAfter    string `json:"gcLineAfter,omitempty"`
	// LiveBefore/After are the sessions the server says it remembers
	// (appconfigd_dataplane_sessions on /metrics; -1: not available).
	LiveBefore int64 `json:"serverSessionsBefore"`
	LiveAfter  int64 `json:"serverSessionsAfter"`
}

func (m memResult) per(before, after int64) float64 {
	return float64(after-before) / float64(m.Sessions)
}

// gcLine is one line of GODEBUG=gctrace=1 output.
type gcLine struct {
	n      int
	marked int64 // heap live after marking, bytes (MiB resolution)
	text   string
}

var gcRe = regexp.MustCompile(`^gc (\d+) @[\d.]+s .*?(\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

// gcLines parses the gctrace lines of a server log.
func gcLines(path string) []gcLine {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []gcLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := gcRe.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		live, _ := strconv.ParseInt(m[4], 10, 64)
		out = append(out, gcLine{n: n, marked: live << 20, text: sc.Text()})
	}
	return out
}

// liveHeapAfterGC makes the server collect garbage and returns its live
// heap: in-process it forces GCs; for a child running with gctrace it
// sends cheap read requests (GetHostedConfigurationVersion of the 4 KB
// version) until two more collections have finished — the second of
// them started after everything before this call — and reads the last.
func liveHeapAfterGC(ctx context.Context, t *target, api *benchutil.API, workers int) (int64, string, error) {
	if t.memStats != nil {
		return int64(t.memStats()), "", nil
	}
	before := len(gcLines(t.proc().LogPath))
	url := "/applications/" + t.app + "/configurationprofiles/" + t.profile + "/hostedconfigurationversions/1"
	deadline := time.Now().Add(2 * time.Minute)
	for {
		lines := gcLines(t.proc().LogPath)
		if len(lines) >= before+2 {
			last := lines[len(lines)-1]
			return last.marked, last.text, nil
		}
		if time.Now().After(deadline) {
			return 0, "", errors.New("no garbage collection seen in the server's gctrace output within 2 minutes")
		}
		err := benchutil.Parallel(ctx, 2000, workers, func(int) error {
			_, _, err := api.Do(ctx, http.MethodGet, url, "", nil)
			return err
		})
		if err != nil {
			return 0, "", err
		}
	}
}
