package server

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/appconfigd/appconfigd/internal/wire"
)

// tcpPair returns a gatherConn and the peer's end of one loopback TCP
// connection.
func tcpPair(t *testing.T) (*gatherConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := gatherListener{ln}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	gc, ok := c.(*gatherConn)
	if !ok {
		t.Fatalf("Accept gave %T", c)
	}
	t.Cleanup(func() { gc.Close(); peer.Close() })
	return gc, peer
}

// Whatever is gathered reaches the peer whole and in order: two writes
// joined, a held write released, writes outside the window as they come,
// a write too large to hold, and the answer's byte counts as io.Writer
// promises them.
func TestGatherConnKeepsOrderAndBytes(t *testing.T) {
	gc, peer := tcpPair(t)
	head := []byte(strings.Repeat("h", 4096))
	body := []byte(strings.Repeat("b", 70000))
	var want bytes.Buffer
	write := func(p []byte) {
		t.Helper()
		if n, err := gc.Write(p); n != len(p) || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v", len(p), n, err)
		}
		want.Write(p)
	}
	gc.Gather()
	write(head)
	if len(gc.held) != len(head) {
		t.Fatalf("held %d bytes, want the first write's %d", len(gc.held), len(head))
	}
	write(body)
	if gc.gathering || len(gc.held) != 0 {
		t.Fatal("still gathering after the joined write")
	}
	gc.Release()
	gc.Gather()
	write([]byte("small"))
	gc.Release()
	write([]byte("plain"))
	gc.Gather()
	write(body) // larger than maxHeld: sent at once
	gc.Release()
	if gc.buf != nil || gc.held != nil {
		t.Fatal("an idle connection keeps a held buffer")
	}
	gc.Close()
	got, err := io.ReadAll(peer)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("peer read %d bytes, want %d (or a different order)", len(got), want.Len())
	}
}

// An answer gathered by the wire handler arrives byte for byte on a
// keep-alive connection, several times over, and small answers between
// them are untouched.
func TestGatheredAnswersOverKeepAlive(t *testing.T) {
	big := []byte(strings.Repeat("0123456789abcdef", 70000/16))
	srv := &http.Server{
		ConnContext: gatherConnContext,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := big
			if r.URL.Path == "/small" {
				body = []byte("ok")
			}
			if r.URL.Path == "/4k" {
				body = big[:4100]
			}
			w.Header()["Content-Length"] = []string{strconv.Itoa(len(body))}
			wire.WriteBody(w, r, body)
		}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(gatherListener{ln}) }()
	defer srv.Shutdown(context.Background())
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	for i, path := range []string{"/big", "/small", "/big", "/4k", "/big", "/small"} {
		resp, err := client.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{"/big": big, "/small": []byte("ok"), "/4k": big[:4100]}[path]
		if !bytes.Equal(got, want) || resp.ContentLength != int64(len(want)) {
			t.Fatalf("request %d %s: %d bytes (Content-Length %d), want %d", i, path, len(got), resp.ContentLength, len(want))
		}
	}
}
