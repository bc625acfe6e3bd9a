package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appconfigd/appconfigd/internal/testutil"
)

// fastPair serves h twice on loopback: through the fast path (in front
// of an http.Server) and through a plain http.Server, with the same
// settings, so that tests can compare what a client gets from each.
type fastPair struct {
	fast, plain string // addresses
	fs          *fastServer
	srv         *http.Server
	logs        *testutil.LockedBuffer
}

func newFastPair(t testing.TB, h http.Handler, tune func(*http.Server)) *fastPair {
	t.Helper()
	p := &fastPair{logs: &testutil.LockedBuffer{}}
	mk := func() *http.Server {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute,
			ErrorLog: log.New(p.logs, "", 0), ConnContext: gatherConnContext}
		if tune != nil {
			tune(srv)
		}
		return srv
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.srv = mk()
	p.fs = newFastServer(ln, p.srv, fastRoute, nil)
	go func() { _ = p.srv.Serve(p.fs.listener()) }()
	p.fast = ln.Addr().String()
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	plain := mk()
	go func() { _ = plain.Serve(gatherListener{ln2}) }()
	p.plain = ln2.Addr().String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.fs.shutdown(ctx)
		_ = p.srv.Shutdown(ctx)
		_ = plain.Shutdown(ctx)
	})
	return p
}

// answer is what a client reads of one response.
type answer struct {
	Status  string
	Header  http.Header
	Body    string
	Close   bool // Connection: close
	Chunked bool
	Fast    bool // the handler saw the fast path's writer
}

// exchange writes raw to a new connection to addr and reads an answer
// for each of methods (the requests' methods, for HEAD), stopping at the
// first that does not come (the server closed the connection). It then
// sends a GET and reports whether the server had closed the connection
// (no answer to that GET).
func exchange(t *testing.T, addr, raw string, methods ...string) ([]answer, bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var out []answer
	read := func(m string) bool {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			return false
		}
		b, err := io.ReadAll(resp.Body)
		a := answer{Status: resp.Status, Header: resp.Header, Body: string(b), Close: resp.Close, Chunked: slices.Contains(resp.TransferEncoding, "chunked"),
			Fast: resp.Header.Get("X-Fast") == "1"}
		if err != nil {
			a.Body += " [" + err.Error() + "]"
		}
		a.Header.Del("X-Fast")
		a.Header.Del("Date")
		out = append(out, a)
		return err == nil
	}
	for _, m := range methods {
		if !read(m) {
			return out, true
		}
	}
	_, _ = io.WriteString(c, get("/probe"))
	n := len(out)
	ok := read("GET")
	out = out[:n]
	return out, !ok
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// testHandler answers by path; each answer says (X-Fast) whether it went
// through the fast path's writer.
func testHandler() http.Handler {
	big := strings.Repeat("0123456789abcdef", 4096) // 64 KiB
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(*fastResponse); ok {
			w.Header().Set("X-Fast", "1")
		}
		switch r.URL.Path {
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"a":1}`)
		case "/sniff":
			_, _ = io.WriteString(w, "<html><body>hello</body></html>")
		case "/empty":
		case "/big":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			_, _ = io.WriteString(w, big)
		case "/big-pieces":
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			for i := 0; i < len(big); i += 1000 {
				_, _ = io.WriteString(w, big[i:min(i+1000, len(big))])
			}
		case "/big-declared-pieces":
			w.Header().Set("Content-Length", fmt.Sprint(2*len(big)))
			for i := 0; i < 2*len(big); i += 1000 {
				_, _ = io.WriteString(w, (big + big)[i:min(i+1000, 2*len(big))])
			}
		case "/unsized":
			for i := 0; i < 100; i++ {
				_, _ = io.WriteString(w, big[:1000])
			}
		case "/medium":
			_, _ = io.WriteString(w, big[:3000])
		case "/nocontent":
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNoContent)
			if n, err := w.Write(nil); n != 0 || err != nil {
				panic(fmt.Sprint("empty write after 204: ", n, err))
			}
			if _, err := io.WriteString(w, "x"); !errors.Is(err, http.ErrBodyNotAllowed) {
				panic("write after 204: " + fmt.Sprint(err))
			}
		case "/notmodified":
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Etag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
		case "/odd-headers":
			w.Header()["X-Multi"] = []string{"one", "two"}
			w.Header()["X-Line"] = []string{"a\r\nb\nc "}
			w.Header()["Bad Name"] = []string{"dropped"}
			w.Header()["lower-case"] = []string{"kept as is"}
			w.WriteHeader(299)
			_, _ = io.WriteString(w, "odd")
		case "/twice":
			w.WriteHeader(http.StatusTeapot)
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, "tea")
		case "/close":
			w.Header().Set("Connection", "close")
			_, _ = io.WriteString(w, "bye")
		case "/short":
			w.Header().Set("Content-Length", "10")
			_, _ = io.WriteString(w, "12345")
		case "/long":
			w.Header().Set("Content-Length", "3")
			if _, err := io.WriteString(w, "12345"); !errors.Is(err, http.ErrContentLength) {
				panic("write past Content-Length: " + fmt.Sprint(err))
			}
			_, _ = io.WriteString(w, "123")
		case "/bad-length":
			w.Header().Set("Content-Length", "ten")
			_, _ = io.WriteString(w, "body")
		case "/flush":
			_, _ = io.WriteString(w, "first ")
			if err := http.NewResponseController(w).Flush(); err != nil {
				panic(err)
			}
			_, _ = io.WriteString(w, "second")
		case "/ignore":
			_, _ = io.WriteString(w, "body not read")
		case "/half":
			_, _ = io.ReadFull(r.Body, make([]byte, 3))
			_, _ = io.WriteString(w, "read 3")
		case "/panic":
			panic("test panic")
		case "/abort":
			panic(http.ErrAbortHandler)
		default:
			if strings.HasPrefix(r.URL.Path, "/echo") {
				echoRequest(w, r)
				return
			}
			http.NotFound(w, r)
		}
	})
}

// seen is what a handler sees of a request.
type seen struct {
	Method, RequestURI, URL, Path, RawPath, RawQuery, Host, Proto string
	Header                                                        http.Header
	ContentLength                                                 int64
	Body                                                          string
	HasServer, HasLocalAddr, HasRemote                            bool
}

func echoRequest(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	_, srv := r.Context().Value(http.ServerContextKey).(*http.Server)
	_, local := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	s := seen{Method: r.Method, RequestURI: r.RequestURI, URL: r.URL.String(), Path: r.URL.Path, RawPath: r.URL.RawPath,
		RawQuery: r.URL.RawQuery, Host: r.Host, Proto: r.Proto, Header: r.Header, ContentLength: r.ContentLength,
		Body: string(b), HasServer: srv, HasLocalAddr: local, HasRemote: r.RemoteAddr != ""}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}

func get(path string, extra ...string) string {
	return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:2772\r\n" + strings.Join(extra, "") + "\r\n"
}

// sameAnswer compares an answer of the fast path with net/http's: the
// same status, headers and body; only the framing of a body without a
// Content-Length may differ (net/http chunks one over 2 KiB, the fast
// path over 64 KiB).
func sameAnswer(t *testing.T, what string, fast, plain answer) {
	t.Helper()
	if fast.Chunked != plain.Chunked {
		if fast.Header.Get("Content-Length") == fmt.Sprint(len(fast.Body)) && plain.Chunked {
			fast.Header.Del("Content-Length")
			fast.Chunked = true
		}
	}
	fast.Fast, plain.Fast = false, false
	if !reflect.DeepEqual(fast, plain) {
		t.Errorf("%s:\n fast path: %+v\n net/http:  %+v", what, fast, plain)
	}
}

// The fast path answers as net/http does: statuses, the handler's
// headers (sorted, line breaks made spaces, invalid names dropped),
// Date, Content-Length, sniffed Content-Type, chunking, no body for
// 204/304, a superfluous WriteHeader ignored, a Content-Length the
// handler set but did not keep to, Flush; and it keeps the connection
// open exactly when net/http does.
func TestFastPathAnswersAsNetHTTP(t *testing.T) {
	p := newFastPair(t, testHandler(), nil)
	for _, path := range []string{"/json", "/sniff", "/empty", "/big", "/big-pieces", "/big-declared-pieces", "/unsized", "/medium", "/nocontent",
		"/notmodified", "/odd-headers", "/twice", "/close", "/short", "/long", "/bad-length", "/flush", "/nowhere"} {
		fast, fastClosed := exchange(t, p.fast, get(path), "GET")
		plain, plainClosed := exchange(t, p.plain, get(path), "GET")
		if !fast[0].Fast {
			t.Errorf("%s: not answered on the fast path", path)
		}
		sameAnswer(t, path, fast[0], plain[0])
		if fastClosed != plainClosed {
			t.Errorf("%s: connection closed after the answer: fast path %v, net/http %v", path, fastClosed, plainClosed)
		}
	}
	if logs := p.logs.String(); !strings.Contains(logs, "superfluous") || !strings.Contains(logs, `invalid Content-Length of "ten"`) {
		t.Errorf("error log lacks the superfluous WriteHeader or the invalid Content-Length:\n%s", logs)
	}
}

// A handler's panic closes the connection without an answer, and is
// logged with its stack unless it is http.ErrAbortHandler, as net/http
// does.
func TestFastPathPanic(t *testing.T) {
	p := newFastPair(t, testHandler(), nil)
	for _, path := range []string{"/panic", "/abort"} {
		c, err := net.Dial("tcp", p.fast)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, get(path))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(c)
		c.Close()
		if len(b) != 0 || err != nil {
			t.Errorf("%s: read %q, %v; want the connection closed without an answer", path, b, err)
		}
	}
	logs := p.logs.String()
	if !strings.Contains(logs, "http: panic serving") || !strings.Contains(logs, "test panic") || !strings.Contains(logs, "fasthttp_test.go") {
		t.Errorf("the panic is not logged with its stack:\n%s", logs)
	}
	if strings.Count(logs, "http: panic serving") != 1 {
		t.Errorf("want only the first panic logged (not ErrAbortHandler):\n%s", logs)
	}
}

// The handler sees the request net/http would give it: method, target,
// URL (escapes, query, a path with "//" that is not an authority), Host
// (out of the header map), canonical header names, values trimmed, a
// repeated header's values in order, no body, and the server's context
// values.
func TestFastPathRequestAsNetHTTP(t *testing.T) {
	p := newFastPair(t, testHandler(), nil)
	for _, raw := range []string{
		get("/echo"),
		get("/echo?configuration_token=abc%2Fdef&x=1", "x-amz-date: 20261206T000000Z\r\n", "authorization: AWS4-HMAC-SHA256 Credential=a/b\r\n"),
		get("/echo/a%2Fb//c/..", "ACCEPT:application/json\r\n", "X-Custom:   padded value\t \r\n", "X-Custom: second\r\n"),
		get("/echo", "Content-Length: 0\r\n", "Connection: Keep-Alive\r\n", "Entity-Id: user-42\r\n", "X-Empty:\r\n"),
		get("/echo", "Weird_Name.x: v\r\n", "X-Utf8: caf\xc3\xa9\r\n"),
		"GET /echo HTTP/1.1\r\nHost: [::1]:2772\r\n\r\n",
	} {
		fast, _ := exchange(t, p.fast, raw, "GET")
		plain, _ := exchange(t, p.plain, raw, "GET")
		if !fast[0].Fast {
			t.Errorf("%q: not answered on the fast path", raw)
		}
		var fs, ps seen
		if err := json.Unmarshal([]byte(fast[0].Body), &fs); err != nil {
			t.Fatalf("%q: %v in %q", raw, err, fast[0].Body)
		}
		_ = json.Unmarshal([]byte(plain[0].Body), &ps)
		if !reflect.DeepEqual(fs, ps) {
			t.Errorf("%q:\n fast path saw %+v\n net/http saw  %+v", raw, fs, ps)
		}
	}
}

// Anything but a simple GET goes to net/http with the bytes already read,
// and so does everything after it on that connection: the client gets
// net/http's answers, errors included, and pipelined requests in order.
func TestFastPathHandsOff(t *testing.T) {
	p := newFastPair(t, testHandler(), func(s *http.Server) { s.MaxHeaderBytes = 16 << 10 })
	long := "X-Long: " + strings.Repeat("v", 9000) + "\r\n"
	for _, tc := range []struct {
		raw     string
		methods []string
	}{
		{"OPTIONS /echo HTTP/1.1\r\nHost: h\r\n\r\n", nil},
		{"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", nil},
		{"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello", nil},
		{"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", nil},
		{"POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", nil},
		{"HEAD /json HTTP/1.1\r\nHost: h\r\n\r\n", []string{"HEAD"}},
		{"GET /echo HTTP/1.0\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", nil},
		{"GET /echo HTTP/1.1\nHost: h\n\n", nil},
		{"GET /echo HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", nil},
		{get("/echo", "X-Folded: a\r\n b\r\n"), nil},
		{get("/echo", "Expect: 100-continue\r\n"), nil},
		{"GET /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", nil},
		{get("/echo", "Upgrade: websocket\r\n", "Connection: Upgrade\r\n"), nil},
		{get("/echo", "Pragma: no-cache\r\n"), nil},
		{get("/echo", "Host: other\r\n"), nil},
		{"GET /echo HTTP/1.1\r\n\r\n", nil},
		{"GET /echo HTTP/1.1\r\nHost: a b\r\n\r\n", nil},
		{get("/echo", "Bad Name: x\r\n"), nil},
		{get("/echo", "X-Ctl: a\x01b\r\n"), nil},
		{get("/echo", long), nil},
		{"GET http://h/echo HTTP/1.1\r\nHost: h\r\n\r\n", nil},
		{get("/echo", "Accept: text/event-stream\r\n"), nil},
		{get("/console/"), nil},
		{get("/metrics"), nil},
		{"GET  /echo HTTP/1.1\r\nHost: h\r\n\r\n", nil},
		{"\r\nGET /echo HTTP/1.1\r\nHost: h\r\n\r\n", nil},
	} {
		methods := tc.methods
		if methods == nil {
			methods = []string{"GET"}
		}
		// The request, then a simple GET on the same connection.
		raw := tc.raw + get("/echo")
		methods = append(methods, "GET")
		fast, fastClosed := exchange(t, p.fast, raw, methods...)
		plain, plainClosed := exchange(t, p.plain, raw, methods...)
		if len(fast) != len(plain) || fastClosed != plainClosed {
			t.Errorf("%q: fast path gave %d answers (closed %v), net/http %d (closed %v)", tc.raw, len(fast), fastClosed, len(plain), plainClosed)
			continue
		}
		for i := range fast {
			if fast[i].Fast {
				t.Errorf("%q: answer %d came from the fast path", tc.raw, i+1)
			}
			sameAnswer(t, fmt.Sprintf("%q answer %d", tc.raw, i+1), fast[i], plain[i])
		}
	}
}

// Requests that arrive together are answered in order, on the fast path
// while they are simple and on net/http from the first that is not; a
// head that arrives a byte at a time is read whole.
func TestFastPathPipelinedAndSplit(t *testing.T) {
	p := newFastPair(t, testHandler(), nil)
	raw := get("/json") + get("/big") + get("/unsized") + "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody" +
		"POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n" + get("/json")
	got, closed := exchange(t, p.fast, raw, "GET", "GET", "GET", "POST", "POST", "GET")
	if closed || len(got) != 6 {
		t.Fatalf("%d answers, then closed %v", len(got), closed)
	}
	wantFast := []bool{true, true, true, true, false, false}
	for i, a := range got {
		if a.Fast != wantFast[i] || !strings.HasPrefix(a.Status, "200") {
			t.Errorf("answer %d: %s, fast path %v, want 200 and %v", i+1, a.Status, a.Fast, wantFast[i])
		}
	}
	if len(got[1].Body) != 64<<10 || len(got[2].Body) != 100000 || !strings.Contains(got[3].Body, `"Body":"body"`) ||
		!strings.Contains(got[4].Body, `"Body":"body"`) {
		t.Errorf("bodies: %d, %d bytes, %q, %q", len(got[1].Body), len(got[2].Body), got[3].Body, got[4].Body)
	}

	resp, b := sendInPieces(t, p.fast, get("/echo", "X-Split: "+strings.Repeat("s", 5000)+"\r\n"), 7)
	if resp.StatusCode != 200 || resp.Header.Get("X-Fast") != "1" || !strings.Contains(string(b), strings.Repeat("s", 5000)) {
		t.Errorf("split head: %d fast=%q %d bytes", resp.StatusCode, resp.Header.Get("X-Fast"), len(b))
	}
}

// Request bodies with a Content-Length are read on the fast path, as
// net/http reads them: whole, through the buffer and the connection, and
// what a handler leaves unread is read past (the connection kept) up to
// 256 KiB; beyond, the connection closes after the answer.
func TestFastPathBodies(t *testing.T) {
	p := newFastPair(t, testHandler(), nil)
	post := func(path, body string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body)
	}
	large := strings.Repeat("L", 300<<10)
	for _, raw := range []string{
		post("/echo", `{"Name":"app"}`),
		"PUT /echo/x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
		"DELETE /echo/x HTTP/1.1\r\nHost: h\r\n\r\n",
		"PATCH /echo/x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
		post("/echo", strings.Repeat("b", 20000)),
		post("/ignore", "small and unread"),
		post("/half", "partly read"),
		post("/ignore", large),
	} {
		fast, fastClosed := exchange(t, p.fast, raw+get("/json"), "X", "GET")
		plain, plainClosed := exchange(t, p.plain, raw+get("/json"), "X", "GET")
		what := raw[:min(len(raw), 60)]
		if len(fast) == 0 || !fast[0].Fast {
			t.Errorf("%q: not answered on the fast path", what)
		}
		if len(fast) != len(plain) || fastClosed != plainClosed {
			t.Errorf("%q: fast path gave %d answers (closed %v), net/http %d (closed %v)", what, len(fast), fastClosed, len(plain), plainClosed)
			continue
		}
		for i := range fast {
			sameAnswer(t, what, fast[i], plain[i])
		}
	}

	// A body that arrives in pieces, and one cut short by the client.
	resp, b := sendInPieces(t, p.fast, post("/echo", strings.Repeat("p", 10000)), 999)
	if resp.Header.Get("X-Fast") != "1" || !strings.Contains(string(b), strings.Repeat("p", 10000)) {
		t.Errorf("body in pieces: fast %q, %d bytes", resp.Header.Get("X-Fast"), len(b))
	}
}

// sendInPieces writes req to a new connection to addr in writes of size
// bytes and reads the answer and its body.
func sendInPieces(t *testing.T, addr, req string, size int) (*http.Response, []byte) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < len(req); i += size {
		if _, err := io.WriteString(c, req[i:min(i+size, len(req))]); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Shutdown closes idle fast connections at once, lets a request in
// flight finish with Connection: close, and waits for it; past its
// context it closes what is left.
func TestFastPathShutdown(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wait" {
			entered <- struct{}{}
			<-release
		}
		_, _ = io.WriteString(w, "done")
	})
	p := newFastPair(t, h, nil)

	idle, err := net.Dial("tcp", p.fast)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_ = idle.SetDeadline(time.Now().Add(10 * time.Second))
	ibr := bufio.NewReader(idle)
	_, _ = io.WriteString(idle, get("/x"))
	if resp, err := http.ReadResponse(ibr, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v", err)
	}
	_, _ = io.ReadAll(io.LimitReader(ibr, 4))

	busy, err := net.Dial("tcp", p.fast)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_ = busy.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(busy, get("/wait"))
	<-entered

	done := make(chan error, 1)
	go func() { done <- p.fs.shutdown(context.Background()) }()
	if _, err := ibr.ReadByte(); err == nil {
		t.Error("the idle connection was not closed")
	}
	select {
	case err := <-done:
		t.Fatalf("shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	bbr := bufio.NewReader(busy)
	resp, err := http.ReadResponse(bbr, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "done" || !resp.Close { // ReadResponse takes Connection: close out of the header
		t.Errorf("in-flight answer %q, close %v; want done and Connection: close", b, resp.Close)
	}
	if _, err := bbr.ReadByte(); err == nil {
		t.Error("the busy connection stayed open after its answer")
	}
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// A shutdown whose context ends closes the connections still busy.
func TestFastPathShutdownTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	entered := make(chan struct{}, 1)
	p := newFastPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}), nil)
	c, err := net.Dial("tcp", p.fast)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, get("/wait"))
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.fs.shutdown(ctx) }()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || isTimeout(err) {
		t.Errorf("read %d, %v; want the connection closed", n, err)
	}
	release <- struct{}{}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("shutdown = %v, want context.Canceled", err)
	}
}

// A head that stalls is cut off after ReadHeaderTimeout, and an idle
// connection after IdleTimeout, as net/http does.
func TestFastPathTimeouts(t *testing.T) {
	p := newFastPair(t, testHandler(), func(s *http.Server) {
		s.ReadHeaderTimeout = 200 * time.Millisecond
		s.IdleTimeout = 300 * time.Millisecond
	})
	for _, tc := range []struct {
		name, first, rest string
	}{
		{"stalled head", "GET /json HTTP/1.1\r\nHost:", ""},
		{"idle", get("/json"), ""},
		{"stalled second head", get("/json"), "GET /json HTTP/1.1\r\n"},
	} {
		c, err := net.Dial("tcp", p.fast)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = c.SetDeadline(start.Add(10 * time.Second))
		_, _ = io.WriteString(c, tc.first+tc.rest)
		b, _ := io.ReadAll(c) // until the server closes
		c.Close()
		if el := time.Since(start); el < 150*time.Millisecond || el > 5*time.Second {
			t.Errorf("%s: closed after %v", tc.name, el)
		}
		if want := strings.HasPrefix(tc.first, "GET /json HTTP/1.1\r\nHost: 127"); want != bytes.HasPrefix(b, []byte("HTTP/1.1 200")) {
			t.Errorf("%s: got %q", tc.name, b)
		}
	}
}

// Which GETs the server's fast path takes.
func TestFastRoute(t *testing.T) {
	for _, tc := range []struct {
		path, accept string
		want         bool
	}{
		{"/applications/a/configurationprofiles/p/hostedconfigurationversions/1", "", true},
		{"/configuration", "application/json", true},
		{"/applications/a/environments/e/configurations/p", "", true},
		{"/applications/a/environments/e/configurations/p", "text/event-stream", false},
		{"/applications/a/environments/e/configurations/p/ofrep/v1/configuration", "", true},
		{"/console/", "", false},
		{"/console", "", false},
		{MetricsPath, "", false},
		{HealthPath, "", true},
	} {
		r, _ := http.NewRequest("GET", "http://h"+tc.path, nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		if got := fastRoute(r); got != tc.want {
			t.Errorf("fastRoute(%s, Accept %q) = %v, want %v", tc.path, tc.accept, got, tc.want)
		}
	}
}

// Whatever head the fast path accepts, net/http's own parser accepts
// too and reads the same request from it.
func FuzzFastParse(f *testing.F) {
	for _, s := range []string{
		get("/a"), get("/a?b=c%20d", "X-A: 1\r\n", "x-a: 2\r\n"), get("/a/b%2F/c", "Accept:  */* \r\n"),
		"GET /x HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 0\r\n\r\n", get("//x/y"), get("/x", "A-B_c.D: e\r\n"),
		// As the SDKs send them.
		"GET /applications/abc1234/configurationprofiles/def5678/hostedconfigurationversions/1 HTTP/1.1\r\nHost: 127.0.0.1:2772\r\n" +
			"Accept-Encoding: identity\r\nUser-Agent: Boto3/1.43.0 md/Botocore#1.43.0 ua/2.1 os/linux#6.1 md/arch#x86_64 lang/python#3.11.2\r\n" +
			"X-Amz-Date: 20261206T090000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261206/us-east-1/appconfig/aws4_request, " +
			"SignedHeaders=host;x-amz-date, Signature=0123456789abcdef\r\namz-sdk-invocation-id: 5b8e1c52-0c7e-4d3b-9f0e-3f1b2b1f8a11\r\n" +
			"amz-sdk-request: attempt=1\r\n\r\n",
		"POST /configurationsessions HTTP/1.1\r\nhost: localhost:2772\r\ncontent-type: application/json\r\ncontent-length: 71\r\n" +
			"x-amz-user-agent: aws-sdk-js/3.1124.0\r\nConnection: keep-alive\r\n\r\n",
		"GET /configuration?configuration_token=AYADeJ%2Bx%3D%3D HTTP/1.1\r\nHost: localhost\r\nEntity-Id: user-1\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	fc := &fastConn{fs: &fastServer{}, addr: "127.0.0.1:1"}
	f.Fuzz(func(t *testing.T, b []byte) {
		end, bare := headEnd(b, 0)
		if end == 0 || bare {
			return
		}
		head := b[:end]
		got := fc.parse(head)
		if got == nil {
			return
		}
		want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
		if err != nil {
			t.Fatalf("fast path accepted %q; net/http: %v", head, err)
		}
		if got.Method != want.Method || got.RequestURI != want.RequestURI || got.URL.String() != want.URL.String() ||
			got.URL.Path != want.URL.Path || got.URL.RawPath != want.URL.RawPath || got.Host != want.Host ||
			got.Proto != want.Proto || got.ContentLength != want.ContentLength || !reflect.DeepEqual(got.Header, want.Header) {
			t.Fatalf("%q:\n fast path %+v\n net/http  %+v", head, got, want)
		}
	})
}

// tempErrListener fails its first Accept with a temporary error (as when
// the process is out of file descriptors).
type tempErrListener struct {
	net.Listener
	failed bool
}

type tempErr struct{}

func (tempErr) Error() string   { return "too many open files" }
func (tempErr) Temporary() bool { return true }
func (tempErr) Timeout() bool   { return false }

func (l *tempErrListener) Accept() (net.Conn, error) {
	if !l.failed {
		l.failed = true
		return nil, tempErr{}
	}
	return l.Listener.Accept()
}

// A temporary Accept error is logged and accepting goes on; a permanent
// one (the listener closed) ends the http.Server's Serve.
func TestFastPathAcceptErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.LockedBuffer{}
	srv := &http.Server{Handler: testHandler(), ErrorLog: log.New(logs, "", 0)}
	fs := newFastServer(&tempErrListener{Listener: ln}, srv, fastRoute, nil)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(fs.listener()) }()
	got, _ := exchange(t, ln.Addr().String(), get("/json"), "GET")
	if len(got) != 1 || !got[0].Fast || got[0].Body != `{"a":1}` {
		t.Fatalf("after a temporary Accept error: %+v", got)
	}
	if !strings.Contains(logs.String(), "Accept error: too many open files") {
		t.Errorf("temporary error not logged: %q", logs.String())
	}
	ln.Close() // Serve sees the permanent error
	select {
	case err := <-served:
		if err == nil || errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve = %v, want the listener's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not end when the listener closed")
	}
}

// BenchmarkHTTP64KiBOverTCP is one keep-alive connection over loopback
// GETting a 64 KiB answer with a Content-Length (the hosted version's
// shape), answered on the fast path and by net/http: per request, the
// client's and the server's CPU together, and allocations (both sides;
// the client's are the same in each).
//
//	go test ./internal/server -run '^$' -bench OverTCP -benchmem -cpu 1
func BenchmarkHTTP64KiBOverTCP(b *testing.B) {
	p := newFastPair(b, testHandler(), nil)
	for _, tc := range []struct{ name, addr string }{{"fast-path", p.fast}, {"net-http", p.plain}} {
		b.Run(tc.name, func(b *testing.B) {
			c, err := net.Dial("tcp", tc.addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReaderSize(c, 64<<10)
			req := []byte(get("/big", "Authorization: AWS4-HMAC-SHA256 Credential=123456789012/20260101/us-east-1/appconfig/aws4_request\r\n",
				"X-Amz-Date: 20260101T000000Z\r\n", "User-Agent: bench\r\n"))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Fatal(err)
				}
				if n, _ := io.Copy(io.Discard, resp.Body); n != 64<<10 {
					b.Fatalf("%d bytes", n)
				}
			}
		})
	}
}

// A small answer leaves when the handler returns, as from net/http, so
// what the handler does after writing it (the access log, metrics) is
// done before the client has it; a large whole one leaves at once.
func TestFastPathSmallAnswerWaitsForHandler(t *testing.T) {
	release := make(chan struct{})
	p := newFastPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := "ok"
		if r.URL.Path == "/large" {
			body = strings.Repeat("x", fastEarlyMin)
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = io.WriteString(w, body)
		<-release
	}), nil)
	defer close(release)
	for _, tc := range []struct {
		path  string
		early bool
	}{{"/small", false}, {"/large", true}} {
		c, err := net.Dial("tcp", p.fast)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, get(tc.path))
		wait := 200 * time.Millisecond
		if tc.early {
			wait = 10 * time.Second
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(make([]byte, 1))
		if got := n > 0; got != tc.early {
			t.Errorf("%s: answer before the handler returned: %v (%v), want %v", tc.path, got, err, tc.early)
		}
	}
}

// As with net/http, header changes after WriteHeader (or the first Write)
// do not reach the head, though the fast path sends it later (when the
// handler returns): no late header, no late Content-Type over the sniffed
// one, no second Content-Length, no body framed by a changed length.
func TestFastPathHeaderSnapshotAtWriteHeader(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := w.(*fastResponse); ok {
			w.Header().Set("X-Fast", "1")
		}
		switch r.URL.Path {
		case "/late-header":
			w.WriteHeader(http.StatusOK)
			w.Header().Set("X-Late", "1")
			_, _ = io.WriteString(w, "x")
		case "/late-type":
			_, _ = io.WriteString(w, "<html>hi</html>")
			w.Header().Set("Content-Type", "application/json")
		case "/late-length":
			_, _ = io.WriteString(w, "hello")
			w.Header().Set("Content-Length", "99")
		case "/changed-length":
			w.Header().Set("Content-Length", "5")
			w.WriteHeader(http.StatusOK)
			w.Header().Set("Content-Length", "3")
			_, _ = io.WriteString(w, "12345")
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})
	p := newFastPair(t, h, nil)
	for _, path := range []string{"/late-header", "/late-type", "/late-length", "/changed-length"} {
		raw := get(path) + get("/next")
		fast, fastClosed := exchange(t, p.fast, raw, "GET", "GET")
		plain, plainClosed := exchange(t, p.plain, raw, "GET", "GET")
		if len(fast) != len(plain) || fastClosed != plainClosed {
			t.Errorf("%s: fast path gave %d answers (closed %v) %+v, net/http %d (closed %v)", path, len(fast), fastClosed, fast, len(plain), plainClosed)
			continue
		}
		for i := range fast {
			sameAnswer(t, fmt.Sprintf("%s answer %d", path, i+1), fast[i], plain[i])
		}
	}
}

// Trailers (declared in Trailer, or keys with http.TrailerPrefix) follow
// a chunked body, as from net/http.
func TestFastPathTrailers(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		_, _ = io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
		w.Header().Set(http.TrailerPrefix+"X-Other", "7")
	})
	p := newFastPair(t, h, nil)
	read := func(addr string) (http.Header, http.Header) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.WriteString(c, get("/t"))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Header.Del("Date")
		return resp.Header, resp.Trailer
	}
	fh, ft := read(p.fast)
	ph, pt := read(p.plain)
	if ft.Get("X-Sum") != pt.Get("X-Sum") || ft.Get("X-Other") != pt.Get("X-Other") || fh.Get("X-Sum") != ph.Get("X-Sum") {
		t.Errorf("fast path: header %v trailer %v\nnet/http:  header %v trailer %v", fh, ft, ph, pt)
	}
}

// A head over MaxHeaderBytes goes to net/http, which answers 431 as it
// would have.
func TestFastPathMaxHeaderBytes(t *testing.T) {
	p := newFastPair(t, testHandler(), func(s *http.Server) { s.MaxHeaderBytes = 1 << 10 })
	raw := get("/json", "X-Pad: "+strings.Repeat("p", 6000)+"\r\n")
	fast, _ := exchange(t, p.fast, raw, "GET")
	plain, _ := exchange(t, p.plain, raw, "GET")
	if len(fast) != 1 || len(plain) != 1 || fast[0].Status != plain[0].Status {
		t.Errorf("6 KiB head with MaxHeaderBytes 1 KiB: fast path %+v, net/http %+v", fast, plain)
	}
}

// With ReadHeaderTimeout 0, ReadTimeout bounds a head, as in net/http.
func TestFastPathReadTimeoutBoundsHead(t *testing.T) {
	p := newFastPair(t, testHandler(), func(s *http.Server) {
		s.ReadHeaderTimeout = 0
		s.ReadTimeout = 200 * time.Millisecond
	})
	for _, addr := range []string{p.plain, p.fast} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = c.SetDeadline(start.Add(1500 * time.Millisecond))
		_, _ = io.WriteString(c, "GET /json HTTP/1.1\r\nHost:")
		_, err = io.ReadAll(c)
		c.Close()
		if isTimeout(err) {
			t.Errorf("%s (fast=%v): stalled head not cut off after %v", addr, addr == p.fast, time.Since(start))
		}
	}
}

// When shutdown's context ends, it returns at once (as net/http's
// Shutdown does), having closed the connections and canceled the
// requests in flight: a handler waiting on its context does not hold it.
func TestFastPathShutdownTimeoutStuckHandler(t *testing.T) {
	entered := make(chan struct{}, 1)
	canceled := make(chan bool, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
			canceled <- true
		case <-time.After(3 * time.Second): // keep the test bounded
			canceled <- false
		}
	})
	p := newFastPair(t, h, nil)
	c, err := net.Dial("tcp", p.fast)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, get("/wait"))
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = p.fs.shutdown(ctx)
	if el := time.Since(start); el > 2*time.Second || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("shutdown returned %v after %v; its context ended after 100ms", err, el)
	}
	if !<-canceled {
		t.Error("the request's context was not canceled")
	}
}

// A handler that has run for a while sees its client leave (its
// request's context is canceled), on the fast path as on net/http.
func TestFastPathSeesClientLeave(t *testing.T) {
	canceled := make(chan bool, 2)
	entered := make(chan struct{}, 2)
	p := newFastPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
			canceled <- true
		case <-time.After(10 * time.Second):
			canceled <- false
		}
	}), nil)
	for _, addr := range []string{p.plain, p.fast} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, get("/wait"))
		<-entered
		c.Close()
		if !<-canceled {
			t.Errorf("%s (fast path %v): the handler's context was not canceled when the client left", addr, addr == p.fast)
		}
	}
}

// The read beside a long handler keeps what it reads: the next request,
// sent while the handler runs, is answered after it.
func TestFastPathWatchKeepsNextRequest(t *testing.T) {
	release := make(chan struct{})
	p := newFastPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		_, _ = io.WriteString(w, "answer to "+r.URL.Path)
	}), nil)
	c, err := net.Dial("tcp", p.fast)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(c, get("/slow"))
	// Wait for the fast path to watch the connection (after longLasting).
	var fc *fastConn
	var done chan struct{}
	for deadline := time.Now().Add(5 * time.Second); done == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the long handler's connection was not watched")
		}
		p.fs.mu.Lock()
		for conn := range p.fs.conns {
			fc = conn
		}
		p.fs.mu.Unlock()
		if fc != nil {
			fc.mu.Lock()
			if fc.watching {
				done = fc.watchDone
			}
			fc.mu.Unlock()
		}
	}
	_, _ = io.WriteString(c, get("/next"))
	select {
	case <-done: // the watch read the next request's first byte
	case <-time.After(5 * time.Second):
		t.Fatal("the watch did not read the next request")
	}
	close(release)
	br := bufio.NewReader(c)
	for _, want := range []string{"answer to /slow", "answer to /next"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != want {
			t.Errorf("got %q, want %q", b, want)
		}
	}
}
