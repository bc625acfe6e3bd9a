package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

const (
	account = "111111111111"
	region  = "us-east-1"
	// minPollSeconds is the sessions' RequiredMinimumPollIntervalInSeconds
	// (the smallest AWS allows); in wall time it is minPollSeconds/time-scale.
	minPollSeconds = 15
)

// session is one configuration session as a client holds it.
type session struct {
	token string
	due   time.Time // wall time before which a poll is "too early"
}

// poller sends data-plane requests to one replica of a target.
type poller struct {
	t      *target
	base   string // the replica's URL
	client *http.Client
	signer benchutil.Signer
	// minGap is the wall time a session waits between polls (appconfigd
	// enforces the session's minimum interval in service time).
	minGap time.Duration
}

func (p *poller) sign(h http.Header) { p.signer.Sign(h, account, region) }

// startSession calls StartConfigurationSession.
func (p *poller) startSession(ctx context.Context) (*session, error) {
	body, _ := json.Marshal(map[string]any{
		"ApplicationIdentifier": p.t.app, "EnvironmentIdentifier": p.t.env, "ConfigurationProfileIdentifier": p.t.profile,
		"RequiredMinimumPollIntervalInSeconds": minPollSeconds,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/configurationsessions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header["Content-Type"] = []string{"application/json"}
	p.sign(req.Header)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("StartConfigurationSession → %d %.200s", resp.StatusCode, b)
	}
	var out struct{ InitialConfigurationToken string }
	if err := json.Unmarshal(b, &out); err != nil || out.InitialConfigurationToken == "" {
		return nil, fmt.Errorf("StartConfigurationSession: no token in %.200q", b)
	}
	return &session{token: out.InitialConfigurationToken}, nil
}

// pollOutcome is one GetLatestConfiguration.
type pollOutcome struct {
	status   int
	bodyLen  int64
	tooEarly bool
	err      error
}

// poll calls GetLatestConfiguration with the session's token and, on
// success, carries the next token.
func (p *poller) poll(ctx context.Context, s *session) pollOutcome {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/configuration?configuration_token="+s.token, nil)
	if err != nil {
		return pollOutcome{err: err}
	}
	p.sign(req.Header)
	resp, err := p.client.Do(req)
	if err != nil {
		return pollOutcome{err: err}
	}
	var o pollOutcome
	o.status = resp.StatusCode
	if o.status == http.StatusOK {
		o.bodyLen, o.err = io.Copy(io.Discard, resp.Body)
	} else {
		var b []byte
		b, o.err = io.ReadAll(resp.Body)
		o.bodyLen = int64(len(b))
		o.tooEarly = o.status == http.StatusBadRequest && bytes.Contains(b, []byte("too early"))
	}
	resp.Body.Close()
	if o.status == http.StatusOK && o.err == nil {
		next := resp.Header.Get("Next-Poll-Configuration-Token")
		if next == "" {
			o.err = errors.New("200 without Next-Poll-Configuration-Token")
			return o
		}
		s.token = next
	}
	s.due = time.Now().Add(p.minGap)
	return o
}

// startSessions starts n sessions, session i on replica on(i); prime
// polls each once there (the first poll returns the configuration), so
// that later polls are steady ones.
func startSessions(ctx context.Context, on func(i int) *poller, n, workers int, prime bool, wantFirst int64) ([]*session, error) {
	out := make([]*session, n)
	err := benchutil.Parallel(ctx, n, workers, func(i int) error {
		p := on(i)
		s, err := p.startSession(ctx)
		if err != nil {
			return err
		}
		if prime {
			o := p.poll(ctx, s)
			if o.err != nil || o.status != http.StatusOK || o.bodyLen != wantFirst {
				return fmt.Errorf("first poll of a new session: status %d, %d bytes (want 200 with %d), err %v", o.status, o.bodyLen, wantFirst, o.err)
			}
		}
		out[i] = s
		return nil
	})
	return out, err
}

// result is what one measured period produced.
type result struct {
	Variant    string         `json:"variant"`
	Server     string         `json:"server"`
	Store      string         `json:"store,omitempty"` // appconfigd's
	Replicas   int            `json:"replicas"`
	Affinity   string         `json:"affinity,omitempty"`
	Workers    int            `json:"workers"`
	Sessions   int            `json:"sessions"`
	Seconds    float64        `json:"measuredSeconds"`
	OK         int64          `json:"ok"`
	Errors     int64          `json:"errors"`
	ErrorsBy   map[string]int `json:"errorsBy,omitempty"`
	FirstError string         `json:"firstError,omitempty"`
	WarmupOK   int64          `json:"warmupOk"`
	TooEarly   int64          `json:"tooEarly"`
	PacedWaits int64          `json:"pacedWaits"`
	Replaced   int64          `json:"sessionsReplaced"`
	BodyBytes  int64          `json:"bodyBytesPerResponse"`
	// PrepRate is how fast the sessions were set up before the run
	// (steady: StartConfigurationSession + first poll; full: starts only),
	// per second; 0 when the tool made them (ceiling pool).
	PrepRate float64 `json:"sessionsPreparedPerSecond,omitempty"`
	RPS      float64 `json:"requestsPerSecond"`
	P50ms    float64 `json:"p50ms"`
	P99ms    float64 `json:"p99ms"`
	MaxMs    float64 `json:"maxMs"`
	Conns    int64   `json:"connectionsOpened"`
	// CPU during the measured period: the server process's (n/a
	// in-process) and this process's, in cores and µs per request.
	ServerCores   float64 `json:"serverCpuCores,omitempty"`
	ServerUsPerOp float64 `json:"serverCpuUsPerRequest,omitempty"`
	// ServerUsPerOpNet leaves out the server's idle CPU (its background
	// loops, which --time-scale speeds up) measured before the runs.
	ServerUsPerOpNet float64 `json:"serverCpuUsPerRequestNetOfIdle,omitempty"`
	ClientCores      float64 `json:"clientCpuCores"`
	ClientUsPerOp    float64 `json:"clientCpuUsPerRequest"`
	// The PostgreSQL cluster's CPU (every process of it) during the
	// measured period, for appconfigd on PostgreSQL.
	DBMeasured bool    `json:"dbCpuMeasured,omitempty"`
	DBCores    float64 `json:"dbCpuCores,omitempty"`
	DBUsPerOp  float64 `json:"dbCpuUsPerRequest,omitempty"`
	// Per replica: successful measured polls and CPU cores.
	ReplicaOK    []int64   `json:"replicaOk,omitempty"`
	ReplicaCores []float64 `json:"replicaCpuCores,omitempty"`
}

func (r result) label() string { return serverLabel(r.Server, r.Store, r.Replicas) }

// totalUsPerOp is appconfigd's CPU per request with its database's
// (SQLite runs inside appconfigd, PostgreSQL in processes of its own).
func (r result) totalUsPerOp() float64 { return r.ServerUsPerOp + r.DBUsPerOp }

func (r result) errorRate() float64 {
	if r.OK+r.Errors == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.OK+r.Errors)
}

type workerStats struct {
	lat                 []time.Duration
	errs                map[string]int
	nerr, warmOK        int64
	tooEarly, waits     int64
	replaced            int64
	perReplica          []int64 // successful measured polls per replica
	firstError          string
	exhaustedBeforeDone bool
}

// loadRun is the state runLoad's workers share.
type loadRun struct {
	ctx          context.Context
	pl           []*poller
	sticky, full bool
	dialer       *benchutil.CountingDialer
	pools        [][]*session
	poolNext     []atomic.Int64 // next unused session of each pool
	mStart, mEnd time.Time      // the measured period
	want         int64          // the body length of a good answer
	onMeasure    func()
	measureOnce  sync.Once
	dialsAtStart atomic.Int64 // -1 until the measured period starts
}

// runLoad drives closed-loop workers over the sessions: warm-up, then the
// measured period; a request belongs to the period it started in.
//
// steady: worker w owns sessions w, w+workers, … and polls them round
// robin, carrying each session's latest token; every answer must be 200
// with an empty body (nothing changed). A session polled again sooner
// than the minimum interval waits (pacedWaits).
//
// full: workers take never-polled sessions from the pool; every answer
// must be 200 with the whole configuration. The pool must outlast the run.
//
// Replicas: worker w belongs to replica w mod len(pl). With sticky, it
// sends every request there, and its sessions (steady) or pool (full:
// pools[w mod len(pl)]) were started there; otherwise (any) its k-th
// request goes to replica (w+k) mod len(pl), whichever started the session.
func runLoad(ctx context.Context, pl []*poller, sticky bool, dialer *benchutil.CountingDialer, full bool, sessions []*session, pools [][]*session, workers int, warmup, measure time.Duration, want int64, onMeasure func()) (result, error) {
	start := time.Now()
	l := &loadRun{
		ctx: ctx, pl: pl, sticky: sticky, full: full, dialer: dialer,
		pools: pools, poolNext: make([]atomic.Int64, len(pools)),
		mStart: start.Add(warmup), mEnd: start.Add(warmup + measure),
		want: want, onMeasure: onMeasure,
	}
	l.dialsAtStart.Store(-1)
	stats := l.runWorkers(workers, sessions)
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	res := result{Workers: workers, Sessions: len(sessions), Seconds: measure.Seconds(), ErrorsBy: map[string]int{}, BodyBytes: want, ReplicaOK: make([]int64, len(pl))}
	if full {
		res.Sessions = 0
		for _, p := range pools {
			res.Sessions += len(p)
		}
	}
	all, exhausted := sumStats(&res, stats)
	if d := l.dialsAtStart.Load(); d >= 0 {
		res.Conns = dialer.Dials() - d
	}
	res.OK = int64(len(all))
	if exhausted {
		return res, fmt.Errorf("the pool of %d new sessions ran out before the end of the measured period (raise -pool)", res.Sessions)
	}
	if res.OK == 0 {
		return res, errors.New("no successful request in the measured period")
	}
	slices.Sort(all)
	res.RPS = float64(res.OK) / measure.Seconds()
	res.P50ms = benchutil.Ms(benchutil.Percentile(all, 0.50))
	res.P99ms = benchutil.Ms(benchutil.Percentile(all, 0.99))
	res.MaxMs = benchutil.Ms(all[len(all)-1])
	return res, nil
}

// runWorkers runs the workers until the measured period ends (or the
// context does) and returns each one's figures. In steady mode, a worker
// left without sessions does not start.
func (l *loadRun) runWorkers(workers int, sessions []*session) []*workerStats {
	stats := make([]*workerStats, workers)
	var wg sync.WaitGroup
	for w := range workers {
		st := &workerStats{errs: map[string]int{}, lat: make([]time.Duration, 0, 1<<15), perReplica: make([]int64, len(l.pl))}
		stats[w] = st
		var mine []*session
		if !l.full {
			for i := w; i < len(sessions); i += workers {
				mine = append(mine, sessions[i])
			}
			if len(mine) == 0 {
				continue
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.work(w, st, mine)
		}()
	}
	wg.Wait()
	return stats
}

// work is worker w's closed loop: pick a replica and a session, poll,
// record the outcome.
func (l *loadRun) work(w int, st *workerStats, mine []*session) {
	nrep := len(l.pl)
	home := w % nrep
	j, k := 0, 0
	for l.ctx.Err() == nil {
		rep := home
		if !l.sticky {
			rep = (w + k) % nrep
			k++
		}
		p := l.pl[rep]
		var s *session
		if l.full {
			if s = l.takeFromPool(home, st); s == nil {
				return
			}
		} else {
			s = mine[j]
			j = (j + 1) % len(mine)
			if d := time.Until(s.due); d > 0 {
				st.waits++
				time.Sleep(d)
			}
		}
		t0 := time.Now()
		if !t0.Before(l.mEnd) {
			return
		}
		measured := !t0.Before(l.mStart)
		if measured {
			l.measureOnce.Do(func() {
				l.dialsAtStart.Store(l.dialer.Dials())
				l.onMeasure()
			})
		}
		o := p.poll(l.ctx, s)
		lat := time.Since(t0)
		if l.ctx.Err() != nil {
			return
		}
		l.record(st, p, s, rep, o, lat, measured)
	}
}

// takeFromPool returns the next never-polled session of the home
// replica's pool, or nil when the pool is used up (noting whether that
// happened before the end of the measured period).
func (l *loadRun) takeFromPool(home int, st *workerStats) *session {
	pool := l.pools[home%len(l.pools)]
	i := l.poolNext[home%len(l.pools)].Add(1) - 1
	if i >= int64(len(pool)) {
		st.exhaustedBeforeDone = time.Now().Before(l.mEnd)
		return nil
	}
	return pool[i]
}

// record counts one poll of s on replica rep: a good answer's latency
// (measured period) or warm-up success, else the error.
func (l *loadRun) record(st *workerStats, p *poller, s *session, rep int, o pollOutcome, lat time.Duration, measured bool) {
	good := o.err == nil && o.status == http.StatusOK && o.bodyLen == l.want
	if o.tooEarly {
		st.tooEarly++
	}
	switch {
	case good && !measured:
		st.warmOK++
	case good:
		st.lat = append(st.lat, lat)
		st.perReplica[rep]++
	default:
		l.recordError(st, p, s, o, measured)
	}
}

// recordError counts a bad answer (errors count in the measured period
// only) and replaces a steady session whose token may be spent.
func (l *loadRun) recordError(st *workerStats, p *poller, s *session, o pollOutcome, measured bool) {
	key := errorKey(o)
	if measured {
		st.nerr++
		st.errs[key]++
	}
	if st.firstError == "" {
		st.firstError = key
		if o.err != nil {
			st.firstError = o.err.Error()
		}
	}
	// A steady session whose token may be spent gets a replacement
	// (started and primed outside the figures).
	if !l.full && !o.tooEarly && (o.err != nil || o.status != http.StatusOK) {
		if ns, err := p.startSession(l.ctx); err == nil {
			p.poll(l.ctx, ns)
			*s = *ns
			st.replaced++
		}
	}
}

// errorKey names a bad answer for the ErrorsBy counts.
func errorKey(o pollOutcome) string {
	if o.err != nil {
		return "transport"
	}
	key := strconv.Itoa(o.status)
	if o.status == http.StatusOK {
		key += " (body " + strconv.FormatInt(o.bodyLen, 10) + " bytes)"
	} else if o.tooEarly {
		key += " (too early)"
	}
	return key
}

// sumStats adds the workers' counts into res and returns every measured
// latency and whether a worker ran out of pool before the end.
func sumStats(res *result, stats []*workerStats) (all []time.Duration, exhausted bool) {
	for _, st := range stats {
		all = append(all, st.lat...)
		res.Errors += st.nerr
		res.WarmupOK += st.warmOK
		res.TooEarly += st.tooEarly
		res.PacedWaits += st.waits
		res.Replaced += st.replaced
		exhausted = exhausted || st.exhaustedBeforeDone
		for i, n := range st.perReplica {
			res.ReplicaOK[i] += n
		}
		for k, v := range st.errs {
			res.ErrorsBy[k] += v
		}
		if res.FirstError == "" {
			res.FirstError = st.firstError
		}
	}
	return all, exhausted
}
