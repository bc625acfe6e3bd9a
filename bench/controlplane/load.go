package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// target is one server under test.
type target struct {
	name     string // "appconfigd" or "moto"
	store    string // appconfigd: "sqlite" or "postgres"
	base     string
	createOK map[int]bool // statuses that count as a created application
	stop     func()
	proc     *benchutil.Proc
	// db is the PostgreSQL cluster of a postgres-backed appconfigd (its
	// CPU is counted as the database's); dsn is the server's database.
	db  *benchutil.Postgres
	dsn string
}

// label names the target in tables: the server and, for appconfigd, its
// store.
func (t *target) label() string {
	if t.name != "appconfigd" {
		return t.name
	}
	return "appconfigd (" + storeName(t.store) + ")"
}

func storeName(s string) string {
	switch s {
	case "sqlite":
		return "SQLite"
	case "postgres":
		return "PostgreSQL"
	}
	return s
}

// workload is one operation against one target: build makes the n-th
// request (n counts from 0 over warm-up and measured period together),
// ok judges a response by status and body length.
type workload struct {
	build func(n uint64) *http.Request
	ok    func(status int, bodyLen int64) bool
	// reusable: the request has no body, so a worker may send the same
	// *http.Request again once the previous response body is closed.
	reusable bool
	// raw: the requests are sent by benchutil.RawConn (a reusable
	// request's bytes prepared once, any other's serialized per request;
	// the answer's body discarded unparsed) instead of net/http's client,
	// so that the load generator costs little beside the server (see
	// bench/README.md).
	raw bool
}

// result is what a measured period produced.
type result struct {
	Op         string         `json:"operation"`
	Server     string         `json:"server"`
	Store      string         `json:"store,omitempty"` // appconfigd's store
	Supported  bool           `json:"supported"`
	Note       string         `json:"note,omitempty"`
	Workers    int            `json:"workers"`
	Seconds    float64        `json:"measuredSeconds"`
	OK         int64          `json:"ok"`
	Errors     int64          `json:"errors"`
	ErrorsBy   map[string]int `json:"errorsBy,omitempty"`
	WarmupOK   int64          `json:"warmupOk"`
	WarmupErrs int64          `json:"warmupErrors"`
	RPS        float64        `json:"requestsPerSecond"`
	P50ms      float64        `json:"p50ms"`
	P99ms      float64        `json:"p99ms"`
	MaxMs      float64        `json:"maxMs"`
	Conns      int64          `json:"connectionsOpened"`
	FirstError string         `json:"firstError,omitempty"`
	// CPU time used during the measured period, in cores (CPU seconds per
	// second) and in microseconds per request. The server figure is the
	// server process's; the client figure is this process's (which in
	// -inprocess mode includes the server).
	ServerCores   float64 `json:"serverCpuCores,omitempty"`
	ServerUsPerOp float64 `json:"serverCpuUsPerRequest,omitempty"`
	ClientCores   float64 `json:"clientCpuCores"`
	ClientUsPerOp float64 `json:"clientCpuUsPerRequest"`
	// DB*: the PostgreSQL cluster's CPU (all its processes) during the
	// measured period, for appconfigd on PostgreSQL; 0 otherwise.
	DBMeasured bool    `json:"dbCpuMeasured,omitempty"`
	DBCores    float64 `json:"dbCpuCores,omitempty"`
	DBUsPerOp  float64 `json:"dbCpuUsPerRequest,omitempty"`
}

// totalUsPerOp is the server's CPU per request including its database's
// (SQLite runs inside appconfigd; PostgreSQL in processes of its own).
func (r result) totalUsPerOp() float64 { return r.ServerUsPerOp + r.DBUsPerOp }

func (r result) errorRate() float64 {
	if r.OK+r.Errors == 0 {
		return 0
	}
	return float64(r.Errors) / float64(r.OK+r.Errors)
}

type workerStats struct {
	lat        []time.Duration
	errs       map[string]int
	nerr       int64
	warmOK     int64
	warmErr    int64
	firstError string
}

// doStd sends req with net/http's client and reads the whole body.
func doStd(client *http.Client, req *http.Request) (int, int64, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, n, err
}

// rawSender sends one prepared request again and again on a worker's own
// connection.
type rawSender struct {
	ctx  context.Context
	conn *benchutil.RawConn
	req  []byte
}

func newRawSender(ctx context.Context, dialer *benchutil.CountingDialer, req *http.Request) (*rawSender, error) {
	b, err := benchutil.RawRequest(req)
	if err != nil {
		return nil, err
	}
	conn, err := benchutil.NewRawConn("http://"+req.URL.Host, dialer)
	if err != nil {
		return nil, err
	}
	return &rawSender{ctx: ctx, conn: conn, req: b}, nil
}

func (r *rawSender) send() (int, int64, error) { return r.conn.Do(r.ctx, r.req) }

// sendNew serializes req (a request that differs each time) and sends it.
func (r *rawSender) sendNew(req *http.Request) (int, int64, error) {
	b, err := benchutil.RawRequest(req)
	if err != nil {
		return 0, 0, err
	}
	return r.conn.Do(r.ctx, b)
}

// run drives wl with `workers` concurrent closed-loop workers: warm-up,
// then the measured period. A request belongs to the period it started in.
func run(ctx context.Context, client *http.Client, dialer *benchutil.CountingDialer, workers int, warmup, measure time.Duration, wl workload, onMeasure func()) (result, error) {
	var measureOnce sync.Once
	var counter atomic.Uint64
	start := time.Now()
	mStart := start.Add(warmup)
	mEnd := mStart.Add(measure)
	var dialsAtStart atomic.Int64
	dialsAtStart.Store(-1)
	stats := make([]*workerStats, workers)
	var wg sync.WaitGroup
	for w := range workers {
		st := &workerStats{errs: map[string]int{}, lat: make([]time.Duration, 0, 1<<14)}
		stats[w] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			var req *http.Request
			send := func() (int, int64, error) { return doStd(client, req) }
			if wl.raw {
				rs, err := newRawSender(ctx, dialer, wl.build(0))
				if err != nil {
					st.nerr++
					st.firstError = err.Error()
					return
				}
				defer rs.conn.Close()
				send = rs.send
				if !wl.reusable {
					send = func() (int, int64, error) { return rs.sendNew(req) }
				}
			}
			for ctx.Err() == nil {
				n := counter.Add(1) - 1
				if req == nil || !wl.reusable {
					req = wl.build(n).WithContext(ctx)
				}
				t0 := time.Now()
				if !t0.Before(mEnd) {
					return
				}
				measured := !t0.Before(mStart)
				if measured {
					measureOnce.Do(func() {
						dialsAtStart.Store(dialer.Dials())
						onMeasure()
					})
				}
				status, nbytes, err := send()
				lat := time.Since(t0)
				if ctx.Err() != nil {
					return
				}
				good := err == nil && wl.ok(status, nbytes)
				switch {
				case !measured && good:
					st.warmOK++
				case !measured:
					st.warmErr++
				case good:
					st.lat = append(st.lat, lat)
				default:
					st.nerr++
					key := "transport"
					if err == nil {
						key = strconv.Itoa(status)
						if status/100 == 2 {
							key += " (wrong body length " + strconv.FormatInt(nbytes, 10) + ")"
						}
					}
					st.errs[key]++
					if st.firstError == "" {
						if err != nil {
							st.firstError = err.Error()
						} else {
							st.firstError = key
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	res := result{Workers: workers, Seconds: measure.Seconds(), Supported: true, ErrorsBy: map[string]int{}}
	var all []time.Duration
	for _, st := range stats {
		all = append(all, st.lat...)
		res.Errors += st.nerr
		res.WarmupOK += st.warmOK
		res.WarmupErrs += st.warmErr
		for k, v := range st.errs {
			res.ErrorsBy[k] += v
		}
		if res.FirstError == "" {
			res.FirstError = st.firstError
		}
	}
	if d := dialsAtStart.Load(); d >= 0 {
		res.Conns = dialer.Dials() - d
	}
	res.OK = int64(len(all))
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
