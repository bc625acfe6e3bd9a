package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/appconfigd/appconfigd/internal/metrics"
)

// The fast path: plain HTTP/1.1 requests read and answered on the
// connection by this file's loop instead of net/http's.
//
// net/http spends about as much CPU on a keep-alive request as the
// kernel spends moving a 64 KiB answer over loopback: per request it
// starts a goroutine that reads ahead (to see a client go away), aborts
// it through a read deadline once the handler is done, and parses and
// buffers through several layers. fastConn reads a request head into its
// own buffer, builds the *http.Request net/http would build, runs the
// same handler, and sends the answer's head and body with one write
// (writev for a large body, which is not copied).
//
// Only what is plainly a simple request takes this path: GET, POST, PUT,
// PATCH or DELETE in HTTP/1.1 form with one valid Host, no body or a
// Content-Length one, no Expect, Upgrade, Pragma, Transfer-Encoding or
// Connection other than keep-alive, valid header names and values, a head
// under fastHeadMax, and a route that answers in one piece (fastRoute:
// not the console, the metrics or a change stream). Anything else, and
// everything after it on that connection, is handed to net/http with the
// bytes already read (handoff), so net/http's behaviour, errors and
// limits apply to it unchanged. A handed-off connection never comes back.
//
// A request's context is canceled when its handler returns, and, as with
// net/http, when the client goes away (or ReadTimeout passes) while the
// handler runs, but only once the handler has run for longLasting: then
// a read beside it watches the connection (watchLong). A quick request,
// the common case, goes without that read. The fast path has no HTTP/2.

// fastHeadMax bounds a request head read on the fast path (the read
// buffer's size); a longer head goes to net/http, which applies
// --max-header-bytes.
const fastHeadMax = 8 << 10

// fastEarlyMin is the smallest whole body sent before the handler
// returns. A smaller answer leaves when the handler is done, as from
// net/http (whose buffers hold it until then), so whatever the handler
// does after writing it (the access log, metrics) is done before the
// client has the answer.
const fastEarlyMin = 4 << 10

// fastBodyMax is the largest answer without a Content-Length that is
// buffered whole and sent with one; a longer one is sent chunked.
const fastBodyMax = 64 << 10

// fastServer runs the fast path beside an http.Server: it accepts every
// connection, serves fast requests itself, and passes the rest to the
// http.Server through the fastListener it returns.
type fastServer struct {
	srv   *http.Server
	route func(*http.Request) bool
	stats *fastStats
	// maxHead: a longer head goes to net/http, which enforces
	// MaxHeaderBytes (431).
	maxHead int
	ln      net.Listener

	handoff chan net.Conn // connections for net/http
	errs    chan error    // accept errors, for net/http's Serve to see
	closed  chan struct{} // the listener is closed
	once    sync.Once

	shutting atomic.Bool
	mu       sync.Mutex
	conns    map[*fastConn]struct{}
	wg       sync.WaitGroup

	date atomic.Pointer[fastDate]
}

// fastStats counts what the fast path did (for /metrics).
type fastStats struct {
	requests atomic.Uint64 // answered on the fast path
	handoffs atomic.Uint64 // connections handed to net/http
}

// register puts the counts on /metrics.
func (st *fastStats) register(m *metrics.Metrics) {
	m.CounterFunc("appconfigd_http_fast_path_requests_total", "Requests answered on the fast path (not net/http).",
		func() float64 { return float64(st.requests.Load()) })
	m.CounterFunc("appconfigd_http_handoffs_total", "Connections the fast path handed to net/http (a request it does not serve).",
		func() float64 { return float64(st.handoffs.Load()) })
}

// fastDate is a Date header's value for one second.
type fastDate struct {
	sec int64
	b   []byte
}

// newFastServer starts accepting on ln. srv.Serve(fs.listener()) must
// be called for the connections it hands off, and fs.shutdown (or close)
// at the end.
func newFastServer(ln net.Listener, srv *http.Server, route func(*http.Request) bool, stats *fastStats) *fastServer {
	if stats == nil {
		stats = &fastStats{}
	}
	maxHead := srv.MaxHeaderBytes
	if maxHead <= 0 {
		maxHead = http.DefaultMaxHeaderBytes
	}
	fs := &fastServer{srv: srv, route: route, stats: stats, maxHead: maxHead, ln: ln, handoff: make(chan net.Conn), errs: make(chan error, 1),
		closed: make(chan struct{}), conns: map[*fastConn]struct{}{}}
	go fs.accept()
	go fs.watchLong()
	return fs
}

func (fs *fastServer) accept() {
	var backoff time.Duration
	for {
		c, err := fs.ln.Accept()
		if err != nil {
			// Out of file descriptors and the like: wait and retry, as
			// net/http does. Anything else ends Serve.
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				fs.logf("http: Accept error: %v; retrying in %v", err, backoff)
				select {
				case <-time.After(backoff):
					continue
				case <-fs.closed:
					return
				}
			}
			select {
			case fs.errs <- err:
			case <-fs.closed:
			}
			return
		}
		backoff = 0
		tc, ok := c.(*net.TCPConn)
		if !ok {
			fs.pass(c)
			continue
		}
		fc := &fastConn{fs: fs, c: tc, buf: make([]byte, fastHeadMax)}
		if !fs.track(fc) {
			tc.Close()
			continue
		}
		go fc.serve()
	}
}

// track registers fc unless the server is shutting down.
func (fs *fastServer) track(fc *fastConn) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.shutting.Load() {
		return false
	}
	fs.conns[fc] = struct{}{}
	fs.wg.Add(1)
	return true
}

func (fs *fastServer) untrack(fc *fastConn) {
	fs.mu.Lock()
	delete(fs.conns, fc)
	fs.mu.Unlock()
	fs.wg.Done()
}

// pass gives c to net/http, or closes it when net/http no longer accepts.
func (fs *fastServer) pass(c net.Conn) {
	select {
	case fs.handoff <- c:
	case <-fs.closed:
		c.Close()
	}
}

// listener is what the http.Server serves: the connections handed off.
func (fs *fastServer) listener() net.Listener { return fastListener{fs} }

type fastListener struct{ fs *fastServer }

func (l fastListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.fs.handoff:
		return c, nil
	case err := <-l.fs.errs:
		return nil, err
	case <-l.fs.closed:
		return nil, net.ErrClosed
	}
}

// Close stops accepting (http.Server.Shutdown and Close call it).
func (l fastListener) Close() error {
	var err error
	l.fs.once.Do(func() {
		close(l.fs.closed)
		err = l.fs.ln.Close()
	})
	return err
}

func (l fastListener) Addr() net.Addr { return l.fs.ln.Addr() }

// shutdown closes the idle fast connections, lets the busy ones finish
// their request (their answer says Connection: close), and waits for
// them until ctx ends; then it closes what is left.
func (fs *fastServer) shutdown(ctx context.Context) error {
	fs.mu.Lock()
	fs.shutting.Store(true)
	for fc := range fs.conns {
		if fc.idle.Load() {
			fc.c.Close()
		}
	}
	fs.mu.Unlock()
	done := make(chan struct{})
	go func() { fs.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		fs.close()
		return ctx.Err()
	}
}

// close closes every fast connection at once and cancels the requests in
// flight (their handlers may still be running when it returns, as with
// http.Server.Close).
func (fs *fastServer) close() {
	fs.mu.Lock()
	fs.shutting.Store(true)
	for fc := range fs.conns {
		fc.c.Close()
		fc.cancelRequest()
	}
	fs.mu.Unlock()
}

// dateHeader is the Date value for now, formatted once a second.
func (fs *fastServer) dateHeader() []byte {
	now := time.Now()
	if d := fs.date.Load(); d != nil && d.sec == now.Unix() {
		return d.b
	}
	d := &fastDate{sec: now.Unix(), b: now.UTC().AppendFormat(nil, http.TimeFormat)}
	fs.date.Store(d)
	return d.b
}

func (fs *fastServer) logf(format string, args ...any) {
	if fs.srv.ErrorLog != nil {
		fs.srv.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// fastConn is one connection on the fast path.
type fastConn struct {
	fs   *fastServer
	c    *net.TCPConn
	ctx  context.Context // the connection's base context, made on first use
	addr string          // the peer's address, made on first use

	buf        []byte // read buffer: buf[start:end] is read, not yet used
	start, end int
	scanned    int // buf[start:scanned] holds no head end
	served     int // requests answered

	idle atomic.Bool // waiting for a request (shutdown may close it)

	mu     sync.Mutex
	cancel context.CancelFunc // the request in flight's (for close)
	// A request whose handler has run for longLasting gets a read of the
	// connection beside it, as net/http gives every request (watchLong).
	watchFrom time.Time // when its handler started (zero: not watched)
	readTo    time.Time // the read's deadline (ReadTimeout from the start)
	watching  bool      // a watchRead runs
	watchDone chan struct{}
	watchByte [1]byte // what it read: a next request's first byte
	watchN    int

	res  fastResponse
	body fastBody
	wbuf []byte    // the answer's head (and a small body)
	keys []string  // header keys, sorted
	iov  [4][]byte // writev's buffers
	bufs net.Buffers
}

func (c *fastConn) serve() {
	handedOff := false
	defer func() {
		if err := recover(); err != nil && err != http.ErrAbortHandler {
			const size = 64 << 10
			stack := make([]byte, size)
			stack = stack[:runtime.Stack(stack, false)]
			c.fs.logf("http: panic serving %v: %v\n%s", c.remote(), err, stack)
		}
		if !handedOff {
			c.c.Close()
		}
		c.fs.untrack(c)
	}()
	for {
		head, ok := c.readHead()
		if !ok {
			return
		}
		if head == nil {
			handedOff = true
			c.handoff()
			return
		}
		var req *http.Request
		if len(head) <= c.fs.maxHead {
			req = c.parse(head)
		}
		if req == nil || !c.fs.route(req) {
			handedOff = true
			c.handoff()
			return
		}
		c.start += len(head)
		c.scanned = c.start
		keep := c.answer(req)
		c.served++
		c.fs.stats.requests.Add(1)
		if !keep && c.res.unreadBody {
			// As net/http does: the peer may still be sending the body;
			// closing with unread data would reset the connection and
			// could destroy the answer in flight. Send FIN, wait a little.
			_ = c.c.CloseWrite()
			time.Sleep(500 * time.Millisecond)
		}
		if !keep || c.fs.shutting.Load() {
			return
		}
	}
}

// handoff passes the connection to net/http with what has been read and
// not used, and no deadline.
func (c *fastConn) handoff() {
	c.fs.stats.handoffs.Add(1)
	_ = c.c.SetDeadline(time.Time{})
	gc := &gatherConn{TCPConn: c.c}
	if c.end > c.start {
		gc.pending = append([]byte(nil), c.buf[c.start:c.end]...)
	}
	c.fs.pass(gc)
}

// longLasting is how long a handler runs before the fast path watches
// its connection for the client going away.
const longLasting = 100 * time.Millisecond

// watchLong starts, every longLasting, a read beside each handler that
// has run that long, until the listener closes. Only a quick request
// goes without it, which is what the fast path saves: net/http starts
// such a read for every request.
func (fs *fastServer) watchLong() {
	t := time.NewTicker(longLasting)
	defer t.Stop()
	for {
		select {
		case <-fs.closed:
			return
		case now := <-t.C:
			fs.mu.Lock()
			for fc := range fs.conns {
				fc.maybeWatch(now)
			}
			fs.mu.Unlock()
		}
	}
}

// maybeWatch starts watchRead for a handler running since longLasting.
func (c *fastConn) maybeWatch(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watchFrom.IsZero() || c.watching || now.Sub(c.watchFrom) < longLasting {
		return
	}
	c.watching = true
	c.watchDone = make(chan struct{})
	_ = c.c.SetReadDeadline(c.readTo)
	go c.watchRead(c.cancel)
}

// watchRead reads one byte: the client's next request (kept for it), or
// the end of the connection, which cancels the request in flight as
// net/http does (also when ReadTimeout passes). endWatch stops it.
func (c *fastConn) watchRead(cancel context.CancelFunc) {
	n, err := c.c.Read(c.watchByte[:])
	c.watchN = n
	if n == 0 && err != nil {
		cancel()
	}
	close(c.watchDone)
}

// endWatch stops the read beside the handler that has returned, and
// keeps the byte it may have read. It reports false when that byte has
// no room (it always has: a watched request left nothing in the buffer).
func (c *fastConn) endWatch() bool {
	c.mu.Lock()
	watching := c.watching
	c.watchFrom, c.watching = time.Time{}, false
	c.mu.Unlock()
	if !watching {
		return true
	}
	_ = c.c.SetReadDeadline(time.Unix(1, 0)) // a past deadline ends the read
	<-c.watchDone
	if c.watchN == 1 {
		if c.start == c.end {
			c.start, c.end, c.scanned = 0, 0, 0
		}
		if c.end == len(c.buf) {
			return false
		}
		c.buf[c.end] = c.watchByte[0]
		c.end++
	}
	return true
}

// cancelRequest cancels the context of the request in flight, if any.
func (c *fastConn) cancelRequest() {
	c.mu.Lock()
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
}

func (c *fastConn) remote() string {
	if c.addr == "" {
		c.addr = c.c.RemoteAddr().String()
	}
	return c.addr
}

// readHead returns the next request head, whole (through its blank
// line), from the buffer, reading as needed. It returns nil, true for a
// connection that must go to net/http (a head too long, or lines not
// ended by CRLF), and false when the connection is done (closed by the
// peer, an error, a timeout, or the server shutting down).
//
// Deadlines are net/http's: waiting for a request on a connection that
// has served one is bounded by IdleTimeout (else ReadTimeout); a head,
// from its first byte (or from the connection's start), by
// ReadHeaderTimeout.
func (c *fastConn) readHead() ([]byte, bool) {
	headTimed := false // the current head's deadline is set
	for {
		if end, bare := headEnd(c.buf[c.start:c.end], c.scanned-c.start); end > 0 {
			return c.buf[c.start : c.start+end], true
		} else if bare {
			return nil, true
		}
		c.scanned = max(c.start, c.end-3)
		switch {
		case c.start == c.end:
			c.start, c.end, c.scanned = 0, 0, 0
		case c.end == len(c.buf):
			if c.start == 0 {
				return nil, true // a head longer than the buffer
			}
			n := copy(c.buf, c.buf[c.start:c.end])
			c.scanned -= c.start
			c.start, c.end = 0, n
		}
		empty := c.start == c.end
		switch {
		case empty && c.served > 0:
			d := c.fs.srv.IdleTimeout
			if d == 0 {
				d = c.fs.srv.ReadTimeout
			}
			c.setReadDeadline(d)
		case !headTimed:
			d := c.fs.srv.ReadHeaderTimeout
			if d == 0 {
				d = c.fs.srv.ReadTimeout // net/http's fallback
			}
			c.setReadDeadline(d)
			headTimed = true
		}
		if empty {
			c.idle.Store(true)
			if c.fs.shutting.Load() {
				return nil, false
			}
		}
		n, err := c.c.Read(c.buf[c.end:])
		if empty {
			c.idle.Store(false)
			if n > 0 && c.served > 0 {
				headTimed = false // the head starts now
			}
		}
		c.end += n
		if err != nil && n == 0 {
			return nil, false
		}
	}
}

// setReadDeadline bounds the next reads by d from now (0: no bound).
func (c *fastConn) setReadDeadline(d time.Duration) {
	var t time.Time
	if d > 0 {
		t = time.Now().Add(d)
	}
	_ = c.c.SetReadDeadline(t)
}

// headEnd finds the end of a request head in b (the index after its
// blank line), looking from from on. bare reports a line ended by LF
// alone, which the fast path leaves to net/http.
func headEnd(b []byte, from int) (end int, bare bool) {
	for i := max(from, 0); i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0, false
		}
		i += j
		if i == 0 || b[i-1] != '\r' {
			return 0, true
		}
		if i >= 3 && b[i-2] == '\n' && b[i-3] == '\r' {
			return i + 1, false
		}
	}
	return 0, false
}

// commonKeys are header names requests usually carry, in canonical form,
// so that parse need not allocate them.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Amz-Sdk-Invocation-Id", "Amz-Sdk-Request",
		"Authorization", "Cache-Control", "Connection", "Content-Length", "Content-Type", "Cookie", "Entity-Id", "Host",
		"If-None-Match", "Origin", "Referer", "User-Agent", "X-Amz-Content-Sha256", "X-Amz-Date", "X-Amz-Security-Token",
		"X-Amz-User-Agent", "X-Amzn-Trace-Id", "X-Forwarded-For"} {
		m[k] = k
	}
	return m
}()

// parse builds the request net/http would build from head, or returns
// nil when head is anything but a simple GET (see the file comment).
func (c *fastConn) parse(head []byte) *http.Request {
	// Request line: <method> <origin-form target> HTTP/1.1
	eol := bytes.IndexByte(head, '\n')
	line := head[:eol-1]
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || sp+1 >= len(line)-len(" HTTP/1.1") || !bytes.HasSuffix(line, []byte(" HTTP/1.1")) {
		return nil
	}
	method := ""
	for _, m := range fastMethods {
		if string(line[:sp]) == m {
			method = m
		}
	}
	target := line[sp+1 : len(line)-len(" HTTP/1.1")]
	if method == "" || len(target) == 0 || target[0] != '/' {
		return nil
	}
	for _, b := range target {
		if b <= ' ' || b >= 0x7f || b == '#' {
			return nil
		}
	}
	// Header lines; count them first, to size the header.
	lines := bytes.Count(head, []byte{'\n'}) - 2
	if lines <= 0 {
		return nil // no Host
	}
	// Each value (and unusual name) is its own string, as net/http makes
	// them: one kept by a long-lived map keeps nothing else of the head.
	h := make(http.Header, lines)
	vals := make([]string, lines)
	var host string
	hosts, lengths := 0, 0
	var length int64
	var key [64]byte
	for p, i := eol+1, 0; i < lines; i++ {
		e := p + bytes.IndexByte(head[p:], '\n')
		ln := head[p : e-1]
		colon := bytes.IndexByte(ln, ':')
		if colon <= 0 || colon > len(key) {
			return nil
		}
		k := key[:colon]
		upper := true
		for j, b := range ln[:colon] {
			if !tokenByte(b) {
				return nil // obs-fold (a leading space) too
			}
			switch {
			case upper && 'a' <= b && b <= 'z':
				b -= 'a' - 'A'
			case !upper && 'A' <= b && b <= 'Z':
				b += 'a' - 'A'
			}
			k[j] = b
			upper = b == '-'
		}
		vs, ve := p+colon+1, e-1
		for vs < ve && (head[vs] == ' ' || head[vs] == '\t') {
			vs++
		}
		for ve > vs && (head[ve-1] == ' ' || head[ve-1] == '\t') {
			ve--
		}
		for _, b := range head[vs:ve] {
			if b < ' ' && b != '\t' || b == 0x7f {
				return nil
			}
		}
		v := string(head[vs:ve])
		name, ok := commonKeys[string(k)]
		if !ok {
			name = string(k)
		}
		switch name {
		case "Host":
			host = v
			hosts++
			p = e + 1
			continue
		case "Content-Length":
			n, ok := parseLength(v)
			if !ok || lengths > 0 {
				return nil // net/http merges equal repeats, refuses others
			}
			length = n
			lengths++
		case "Connection":
			if !strings.EqualFold(v, "keep-alive") {
				return nil
			}
		case "Transfer-Encoding", "Expect", "Upgrade", "Pragma", "Te", "Trailer":
			return nil
		}
		if old, dup := h[name]; dup {
			h[name] = append(old, v)
		} else {
			vals[i] = v
			h[name] = vals[i : i+1 : i+1]
		}
		p = e + 1
	}
	if hosts != 1 || !validHost(host) {
		return nil
	}
	uri := string(target)
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil
	}
	return &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: http.NoBody, ContentLength: length, Host: host, RemoteAddr: c.remote(), RequestURI: uri}
}

// fastMethods are the methods the fast path serves (not HEAD, CONNECT,
// OPTIONS or TRACE, which net/http treats specially).
var fastMethods = [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch}

// parseLength reads a Content-Length value: decimal digits only (net/http
// also accepts no sign), below 2^62.
func parseLength(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n, true
}

// tokenByte reports whether b may appear in a header name (RFC 9110
// token).
func tokenByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return b < 0x7f && strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
}

// validHost accepts the Host values the fast path serves: a name or an
// address, with a port; anything unusual goes to net/http to judge.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		b := h[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte(".-:[]_", b) >= 0) {
			return false
		}
	}
	return true
}

// answer runs the handler for req and sends its answer. It reports
// whether the connection may serve another request.
func (c *fastConn) answer(req *http.Request) bool {
	if c.ctx == nil {
		// The context net/http gives a connection's requests.
		ctx := context.Background()
		if c.fs.srv.BaseContext != nil {
			ctx = c.fs.srv.BaseContext(c.fs.listener())
		}
		ctx = context.WithValue(ctx, http.ServerContextKey, c.fs.srv)
		if c.fs.srv.ConnContext != nil {
			ctx = c.fs.srv.ConnContext(ctx, c.c)
		}
		c.ctx = context.WithValue(ctx, http.LocalAddrContextKey, c.c.LocalAddr())
	}
	now := time.Now()
	if d := c.fs.srv.WriteTimeout; d > 0 {
		_ = c.c.SetWriteDeadline(now.Add(d))
	}
	ctx, cancel := context.WithCancel(c.ctx)
	c.mu.Lock()
	c.cancel = cancel
	// Watched if it lasts: when nothing after its body is buffered, and
	// the handler reads no more of the connection (the whole body is in
	// the buffer). A slow upload's own reads see the client leave.
	if c.end-c.start == int(req.ContentLength) {
		c.watchFrom = now
		if d := c.fs.srv.ReadTimeout; d > 0 {
			c.readTo = now.Add(d)
		} else {
			c.readTo = time.Time{}
		}
	}
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cancel = nil
		c.mu.Unlock()
		cancel()
	}()
	req = req.WithContext(ctx)
	body := &c.body
	if req.ContentLength > 0 {
		*body = fastBody{c: c, left: req.ContentLength}
		req.Body = body
		if int64(c.end-c.start) < req.ContentLength {
			// The body is read within ReadTimeout, as net/http bounds a
			// whole request.
			c.setReadDeadline(c.fs.srv.ReadTimeout)
		}
	}
	w := &c.res
	w.reset(c, req)
	c.fs.srv.Handler.ServeHTTP(w, req)
	w.finish()
	w.release()
	*body = fastBody{}
	kept := c.endWatch()
	return w.err == nil && !w.closeAfter && kept
}

// maxPostHandlerRead is how much of a body the handler did not read is
// read past to keep the connection (net/http's bound).
const maxPostHandlerRead = 256 << 10

// fastBody is a request's body: Content-Length bytes, first from the
// connection's buffer, then from the connection.
type fastBody struct {
	c    *fastConn
	left int64
	err  error
}

func (b *fastBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	c := b.c
	var n int
	if c.start < c.end {
		n = copy(p, c.buf[c.start:c.end])
		c.start += n
		c.scanned = c.start
	} else {
		n, b.err = c.c.Read(p)
		if b.err == io.EOF {
			b.err = io.ErrUnexpectedEOF
		}
	}
	b.left -= int64(n)
	if b.left == 0 {
		return n, io.EOF
	}
	return n, b.err
}

func (b *fastBody) Close() error { return nil }

// discard reads past the rest of the body; it reports whether all of it
// arrived.
func (b *fastBody) discard() bool {
	var scratch [4 << 10]byte
	for b.left > 0 {
		if _, err := b.Read(scratch[:]); err != nil && err != io.EOF {
			return false
		}
	}
	return true
}

// fastResponse is the http.ResponseWriter of the fast path. It holds the
// answer until the body is whole (the declared Content-Length written,
// or the handler returned), then sends the head and body together. Past
// fastBodyMax held, or after a Flush, the rest is sent as it comes
// (chunked when there is no Content-Length).
type fastResponse struct {
	c      *fastConn
	req    *http.Request
	header http.Header
	// sendHeader is the header as it was at WriteHeader, when the
	// handler asked for it after that (Header).
	sendHeader http.Header
	trailers   []string // names declared in Trailer
	unreadBody bool     // the connection closes with the request's body unread

	status      int
	wroteHeader bool
	sent        bool    // the head is on the wire
	chunked     bool    // the body goes in chunks
	declared    int64   // the handler's Content-Length, or -1
	written     int64   // body bytes accepted
	body        []byte  // held until the body is whole
	bodyBuf     *[]byte // body's buffer, from bodyBufs
	closeAfter  bool
	err         error // a write failed: the connection is done
}

func (w *fastResponse) reset(c *fastConn, req *http.Request) {
	h := w.header
	if h == nil {
		h = make(http.Header, 8)
	} else {
		clear(h)
	}
	*w = fastResponse{c: c, req: req, header: h, declared: -1}
}

// bodyBufs lends the buffers that hold an answer's body until it is
// whole, so an idle connection keeps none.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// hold appends p to the held body.
func (w *fastResponse) hold(p []byte) {
	if w.bodyBuf == nil {
		w.bodyBuf = bodyBufs.Get().(*[]byte)
		w.body = (*w.bodyBuf)[:0]
	}
	w.body = append(w.body, p...)
}

// release returns the held body's buffer (after the answer).
func (w *fastResponse) release() {
	if w.bodyBuf != nil {
		if cap(w.body) <= 2*fastBodyMax {
			*w.bodyBuf = w.body[:0]
			bodyBufs.Put(w.bodyBuf)
		}
		w.bodyBuf, w.body = nil, nil
	}
}

// Header is the answer's header. As with net/http, changes made after
// WriteHeader (or the first Write) do not reach the head: the first call
// after it keeps a copy of the header as it was, which the head is made
// of.
func (w *fastResponse) Header() http.Header {
	if w.wroteHeader && !w.sent && w.sendHeader == nil {
		w.sendHeader = w.header.Clone()
	}
	return w.header
}

func (w *fastResponse) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.wroteHeader {
		w.c.fs.logf("http: superfluous response.WriteHeader call (fast path, status %d)", code)
		return
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		// An informational answer goes out now, with the header so far.
		b := w.c.appendHead(w.c.wbuf[:0], code, w.header, nil)
		w.c.wbuf = b
		w.write(b)
		return
	}
	w.wroteHeader, w.status = true, code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.declared = v
		} else {
			w.c.fs.logf("http: invalid Content-Length of %q", cl)
			w.header.Del("Content-Length")
		}
	}
}

func (w *fastResponse) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.err != nil {
		return 0, w.err
	}
	w.written += int64(len(p))
	if w.declared >= 0 && w.written > w.declared {
		return 0, http.ErrContentLength
	}
	switch {
	case w.sent && w.chunked:
		w.sendChunk(nil, p)
	case w.sent:
		w.write(p)
	case w.declared >= 0 && w.written == w.declared && len(w.body)+len(p) >= fastEarlyMin:
		w.sendHead(p, false) // the body is whole: head and body together
	case len(w.body)+len(p) > fastBodyMax:
		// A long body is not held whole: the rest streams (chunked when
		// its length is not declared).
		w.sendHead(p, w.declared < 0)
	default:
		w.hold(p)
	}
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// WriteString writes s without converting it to a new []byte (io.WriteString
// uses it): s is only read, and copied when held.
func (w *fastResponse) WriteString(s string) (int, error) {
	return w.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// Flush sends what is held; what follows goes out as it is written
// (chunked when there is no Content-Length).
func (w *fastResponse) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sent {
		w.sendHead(nil, w.declared < 0)
	}
}

// finish completes the answer once the handler has returned.
func (w *fastResponse) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.sent {
		w.sendHead(nil, false)
	}
	if w.chunked {
		w.write(w.c.appendTrailers(append(w.c.wbuf[:0], "0\r\n"...), w.header, w.trailers))
	}
	if w.declared >= 0 && w.written != w.declared && bodyAllowed(w.status) {
		w.closeAfter = true // the client cannot tell where the answer ends
	}
}

// sendHead sends the head, the held body and p. chunked: the body goes
// in chunks from here on (there is no Content-Length); otherwise a
// body without a declared length is all there is (its length is sent).
func (w *fastResponse) sendHead(p []byte, chunked bool) {
	c := w.c
	w.sent = true
	h := w.header
	if w.sendHeader != nil {
		h = w.sendHeader
	}
	allowed := bodyAllowed(w.status)
	if w.declareTrailers(h) && w.declared < 0 && allowed {
		chunked = true // trailers follow a chunked body
	}
	var extra fastExtra
	if allowed {
		if _, typed := h["Content-Type"]; !typed && h.Get("Content-Encoding") == "" && h.Get("Transfer-Encoding") == "" {
			sniff := w.body
			if len(sniff) == 0 {
				sniff = p
			}
			if len(sniff) > 0 {
				extra.contentType = http.DetectContentType(sniff)
			}
		}
		switch {
		case w.declared >= 0:
			h.Del("Transfer-Encoding")
		case chunked:
			w.chunked = true
			extra.chunked = true
			h.Del("Transfer-Encoding")
		default:
			extra.length = len(w.body) + len(p)
			extra.hasLength = true
			h.Del("Transfer-Encoding")
		}
	} else {
		h.Del("Transfer-Encoding")
		h.Del("Content-Length")
		if w.status == http.StatusNotModified {
			h.Del("Content-Type")
		}
	}
	// What the handler left of the body is read past before the answer,
	// up to net/http's bound; beyond it, or on a read error, the
	// connection closes after the answer, which says so.
	closeBody := false
	if b := &c.body; b.left > 0 && b.c != nil {
		closeBody = b.left >= maxPostHandlerRead || !b.discard()
		w.unreadBody = closeBody
	}
	if h.Get("Connection") == "close" {
		w.closeAfter = true
	} else if closeBody || c.fs.shutting.Load() {
		h.Del("Connection")
		extra.close = true
		w.closeAfter = true
	}
	b := c.appendHead(c.wbuf[:0], w.status, h, &extra)
	switch {
	case !allowed:
		w.write(b)
	case w.chunked && len(w.body)+len(p) > 0:
		w.sendChunk(b, p)
		return
	case len(b)+len(w.body)+len(p) <= fastHeadMax:
		b = append(append(b, w.body...), p...)
		w.write(b)
	default:
		w.writev(b, w.body, p)
	}
	c.wbuf = b[:0]
	w.body = w.body[:0]
}

// sendChunk sends head (if any), then the held body and p as one chunk.
func (w *fastResponse) sendChunk(head, p []byte) {
	n := len(w.body) + len(p)
	if n == 0 {
		return
	}
	if head == nil {
		head = w.c.wbuf[:0]
	}
	b := strconv.AppendInt(head, int64(n), 16)
	b = append(b, '\r', '\n')
	if len(b)+n+2 <= fastHeadMax {
		b = append(append(append(b, w.body...), p...), '\r', '\n')
		w.write(b)
	} else {
		w.writev(b, w.body, p, crlf)
	}
	w.c.wbuf = b[:0]
	w.body = w.body[:0]
}

var crlf = []byte("\r\n")

// declareTrailers notes the trailers the header h declares (Trailer's
// names, as net/http takes them) and reports whether there are any
// (those or http.TrailerPrefix keys).
func (w *fastResponse) declareTrailers(h http.Header) bool {
	found := false
	for _, v := range h["Trailer"] {
		found = true
		for _, k := range strings.Split(v, ",") {
			if k = http.CanonicalHeaderKey(textTrim(k)); k != "" && !badTrailer[k] {
				w.trailers = append(w.trailers, k)
			}
		}
	}
	for k := range h {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			found = true
		}
	}
	return found
}

// badTrailer are the headers a trailer may not carry (net/http's list).
var badTrailer = map[string]bool{"Authorization": true, "Cache-Control": true, "Connection": true, "Content-Encoding": true,
	"Content-Length": true, "Content-Range": true, "Content-Type": true, "Expect": true, "Host": true, "Keep-Alive": true,
	"Max-Forwards": true, "Pragma": true, "Proxy-Authenticate": true, "Proxy-Authorization": true, "Proxy-Connection": true,
	"Range": true, "Realm": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Www-Authenticate": true}

func textTrim(s string) string { return strings.Trim(s, " \t") }

// appendTrailers appends the end of a chunked body's trailer section to
// b: the http.TrailerPrefix keys of h and the declared names' values,
// then the blank line.
func (c *fastConn) appendTrailers(b []byte, h http.Header, declared []string) []byte {
	t := http.Header{}
	for k, vv := range h {
		if kk, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			t[kk] = vv
		}
	}
	for _, k := range declared {
		for _, v := range h[k] {
			t.Add(k, v)
		}
	}
	if len(t) == 0 {
		return append(b, '\r', '\n')
	}
	return c.appendFields(b, t)
}

func (w *fastResponse) write(b []byte) {
	if w.err == nil {
		_, w.err = w.c.c.Write(b)
	}
}

// writev sends bufs with one system call (the body is not copied).
func (w *fastResponse) writev(bufs ...[]byte) {
	if w.err != nil {
		return
	}
	c := w.c
	c.bufs = append(c.iov[:0], bufs...)
	_, w.err = c.bufs.WriteTo(c.c)
	clear(c.iov[:])
}

// fastExtra are the headers the server adds after the handler's (in
// net/http's order).
type fastExtra struct {
	contentType string
	length      int
	hasLength   bool
	chunked     bool
	close       bool
}

// appendHead appends an answer's status line and headers to b: the
// handler's headers sorted by name (values with line breaks made
// spaces, invalid names left out, as net/http does), then Date,
// Content-Length, Content-Type, Connection and Transfer-Encoding where
// the server sets them.
func (c *fastConn) appendHead(b []byte, code int, h http.Header, extra *fastExtra) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	if text := http.StatusText(code); text != "" {
		b = append(b, text...)
	} else {
		b = append(b, "status code "...)
		b = strconv.AppendInt(b, int64(code), 10)
	}
	b = append(b, '\r', '\n')
	b = c.appendFields(b, h)
	b = b[:len(b)-2] // appendFields ends the section
	if extra != nil {
		if _, ok := h["Date"]; !ok {
			b = append(b, "Date: "...)
			b = append(b, c.fs.dateHeader()...)
			b = append(b, '\r', '\n')
		}
		if extra.hasLength {
			b = append(b, "Content-Length: "...)
			b = strconv.AppendInt(b, int64(extra.length), 10)
			b = append(b, '\r', '\n')
		}
		if extra.contentType != "" {
			b = append(b, "Content-Type: "...)
			b = append(b, extra.contentType...)
			b = append(b, '\r', '\n')
		}
		if extra.close {
			b = append(b, "Connection: close\r\n"...)
		}
		if extra.chunked {
			b = append(b, "Transfer-Encoding: chunked\r\n"...)
		}
	}
	return append(b, '\r', '\n')
}

// appendFields appends h's fields sorted by name (values with line
// breaks made spaces, invalid names and http.TrailerPrefix keys left out,
// as net/http writes them), then the blank line that ends the section.
func (c *fastConn) appendFields(b []byte, h http.Header) []byte {
	keys := c.keys[:0]
	for k := range h {
		if validName(k) && !strings.HasPrefix(k, http.TrailerPrefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b = append(b, k...)
			b = append(b, ':', ' ')
			b = appendValue(b, v)
			b = append(b, '\r', '\n')
		}
	}
	clear(keys)
	c.keys = keys[:0]
	return append(b, '\r', '\n')
}

// appendValue appends a header value with CR and LF made spaces and
// surrounding white space trimmed.
func appendValue(b []byte, v string) []byte {
	v = strings.Trim(v, " \t\r\n")
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

func validName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !tokenByte(k[i]) {
			return false
		}
	}
	return true
}

// bodyAllowed reports whether an answer with this status has a body.
func bodyAllowed(code int) bool {
	return !(code >= 100 && code <= 199 || code == http.StatusNoContent || code == http.StatusNotModified)
}
