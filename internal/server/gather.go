package server

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/appconfigd/appconfigd/internal/wire"
)

// gatherListener hands out TCP connections that can gather a large
// answer's two writes into one (wire.Gatherer).
type gatherListener struct{ net.Listener }

func (l gatherListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return &gatherConn{TCPConn: tc}, nil
	}
	return c, err
}

// gatherConnContext is the http.Server's ConnContext: it tells the
// handlers the connection's Gatherer.
func gatherConnContext(ctx context.Context, c net.Conn) context.Context {
	if gc, ok := c.(*gatherConn); ok {
		return wire.WithGatherer(ctx, gc)
	}
	return ctx
}

// maxHeld bounds the write a gatherConn holds: net/http's connection
// buffer is 4 KiB; a larger write is sent at once.
const maxHeld = 8 << 10

// heldBufs lends the buffers that hold a write between Gather and the
// next write, so an idle connection keeps none.
var heldBufs = sync.Pool{New: func() any { b := make([]byte, 0, maxHeld); return &b }}

// gatherConn is a TCP connection whose writes, between Gather and
// Release, are held one at a time and sent with the next in one writev.
// Outside that window it is the TCP connection itself (sendfile through
// ReadFrom, CloseWrite, deadlines).
type gatherConn struct {
	*net.TCPConn
	// pending is what the fast path read and handed over with the
	// connection (handoff): Read returns it first.
	pending   []byte
	gathering bool
	held      []byte  // the held write, in buf
	buf       *[]byte // from heldBufs while a write is held
	bufs      net.Buffers
}

func (c *gatherConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		if c.pending = c.pending[n:]; len(c.pending) == 0 {
			c.pending = nil
		}
		return n, nil
	}
	return c.TCPConn.Read(p)
}

// Gather holds the next write until the one after it, or Release.
func (c *gatherConn) Gather() { c.gathering = true }

// Release sends what is held and stops gathering.
func (c *gatherConn) Release() {
	c.gathering = false
	if len(c.held) > 0 {
		_, _ = c.TCPConn.Write(c.held)
	}
	c.putBuf()
}

// putBuf returns the held write's buffer to heldBufs.
func (c *gatherConn) putBuf() {
	if c.buf != nil {
		*c.buf = c.held[:0]
		heldBufs.Put(c.buf)
		c.buf, c.held = nil, nil
	}
}

func (c *gatherConn) Write(p []byte) (int, error) {
	if !c.gathering {
		return c.TCPConn.Write(p)
	}
	if len(c.held) == 0 {
		if len(p) > maxHeld {
			return c.TCPConn.Write(p)
		}
		// net/http reuses its buffer once Write returns: keep a copy.
		if c.buf == nil {
			c.buf = heldBufs.Get().(*[]byte)
		}
		c.held = append((*c.buf)[:0], p...)
		return len(p), nil
	}
	held := len(c.held)
	c.bufs = append(c.bufs[:0], c.held, p)
	bufs := c.bufs // WriteTo consumes the slice it is given
	n, err := bufs.WriteTo(c.TCPConn)
	c.putBuf()
	clear(c.bufs[:2]) // keep no reference to the body
	c.bufs = c.bufs[:0]
	c.gathering = false
	if n -= int64(held); n < 0 {
		n = 0
	}
	return int(n), err
}

// ReadFrom keeps net/http's sendfile path for files (no answer that
// gathers uses it).
func (c *gatherConn) ReadFrom(r io.Reader) (int64, error) {
	c.Release()
	return c.TCPConn.ReadFrom(r)
}
