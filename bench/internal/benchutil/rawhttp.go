package benchutil

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// RawConn is a minimal HTTP/1.1 client on one keep-alive connection, for
// load generators whose own cost must stay small beside the server's: it
// writes a request prepared once as bytes (RawRequest), reads the status
// line and headers through a 4 KiB buffer, and discards the body
// (Content-Length, chunked, or up to the connection's close) without
// building an http.Response. A Content-Length body on a TCP connection
// (Linux) is discarded by the kernel without a copy to user space
// (discardConn: recv with MSG_TRUNC), its length still counted byte for
// byte; elsewhere it goes through the buffer. A server that closes the
// connection (Connection: close, HTTP/1.0) gets a new one for the next
// request, counted by the dialer.
type RawConn struct {
	addr   string
	dialer *CountingDialer
	c      net.Conn
	br     *bufio.Reader
	// until is the connection's deadline: it is moved (a timer change in
	// the runtime) only once half of Timeout has passed, not per request.
	until time.Time
	// Timeout bounds one request (default 30 s): each starts with at
	// least half of it ahead.
	Timeout time.Duration
}

// NewRawConn returns a RawConn to base's host (http:// only); it dials on
// first use.
func NewRawConn(base string, d *CountingDialer) (*RawConn, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("raw HTTP client: %q is not an http:// URL", base)
	}
	return &RawConn{addr: u.Host, dialer: d, Timeout: 30 * time.Second}, nil
}

// RawRequest serializes r as it would go on the wire.
func RawRequest(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	err := r.Write(&b)
	return b.Bytes(), err
}

// Close closes the connection.
func (rc *RawConn) Close() {
	if rc.c != nil {
		rc.c.Close()
		rc.c = nil
	}
}

// Do sends req and reads the answer: its status and body length. A
// request that fails on a reused connection before any answer byte
// arrived (the server closed it while idle) is sent once more on a new one.
func (rc *RawConn) Do(ctx context.Context, req []byte) (status int, n int64, err error) {
	reused := rc.c != nil
	status, n, err = rc.do(ctx, req)
	if err != nil && reused && status == 0 && ctx.Err() == nil {
		status, n, err = rc.do(ctx, req)
	}
	return status, n, err
}

func (rc *RawConn) do(ctx context.Context, req []byte) (int, int64, error) {
	if rc.c == nil {
		c, err := rc.dialer.DialContext(ctx, "tcp", rc.addr)
		if err != nil {
			return 0, 0, err
		}
		rc.c, rc.until = c, time.Time{}
		if rc.br == nil {
			rc.br = bufio.NewReaderSize(c, rawBufSize)
		} else {
			rc.br.Reset(c)
		}
	}
	if now := time.Now(); now.Add(rc.Timeout / 2).After(rc.until) {
		rc.until = now.Add(rc.Timeout)
		_ = rc.c.SetDeadline(rc.until)
	}
	if _, err := rc.c.Write(req); err != nil {
		rc.Close()
		return 0, 0, err
	}
	status, n, keep, err := readAnswer(rc.br, rc.c)
	if err != nil || !keep {
		rc.Close()
	}
	return status, n, err
}

// rawBufSize is RawConn's read buffer: room for any status line and
// header, small so that a large body is mostly not copied through it.
const rawBufSize = 4 << 10

// readAnswer reads one answer from br, which reads c, discarding its body.
func readAnswer(br *bufio.Reader, c net.Conn) (status int, n int64, keep bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, 0, false, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	keep = line[7] == '1'
	length, chunked := int64(-1), false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return status, 0, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil {
				return status, 0, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(value, []byte("keep-alive")) {
				keep = true
			}
		}
	}
	switch {
	case status == http.StatusNoContent || status == http.StatusNotModified || status/100 == 1:
		return status, 0, keep, nil
	case chunked:
		n, err = discardChunked(br)
		return status, n, keep && err == nil, err
	case length >= 0:
		d, err := discardBody(br, c, length)
		return status, d, keep && err == nil, err
	}
	// Delimited by the close.
	n, err = io.Copy(io.Discard, br)
	return status, n, false, err
}

func discardChunked(br *bufio.Reader) (int64, error) {
	var total int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return total, err
		}
		hexLen, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		size, err := strconv.ParseInt(string(bytes.TrimSpace(hexLen)), 16, 64)
		if err != nil || size < 0 {
			return total, errors.New("bad chunk size")
		}
		if size == 0 {
			for { // trailers, up to the empty line
				t, err := br.ReadSlice('\n')
				if err != nil {
					return total, err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return total, nil
				}
			}
		}
		d, err := br.Discard(int(size) + 2)
		total += int64(d)
		if err != nil {
			return total, err
		}
		total -= 2
	}
}

// discardBody discards the next n bytes of the answer: those br holds,
// then the rest straight from c when it can (discardConn), else through br.
func discardBody(br *bufio.Reader, c net.Conn, n int64) (int64, error) {
	d, err := br.Discard(int(min(n, int64(br.Buffered()))))
	done := int64(d)
	if err != nil || done == n {
		return done, err
	}
	if c != nil {
		if m, ok, err := discardConn(c, n-done); ok {
			return done + m, err
		}
	}
	d, err = br.Discard(int(n - done))
	return done + int64(d), err
}
