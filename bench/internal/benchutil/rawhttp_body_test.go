package benchutil

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rawServer answers each request on a connection by calling answer with
// the connection (a raw TCP server, so the test decides how the bytes
// arrive).
func rawServer(t *testing.T, answer func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					answer(c)
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

func rawGet(t *testing.T, rc *RawConn, base string) (int, int64, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/", nil)
	raw, err := RawRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	return rc.Do(context.Background(), raw)
}

// A Content-Length body that arrives in pieces, with pauses, is counted
// byte for byte, and the next answer on the connection is read intact
// (the discard took exactly the body, not a byte more).
func TestRawConnDiscardsBodyInPieces(t *testing.T) {
	const size = 300_000
	base := rawServer(t, func(c net.Conn) {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size)
		chunk := strings.Repeat("z", 70_000)
		for sent := 0; sent < size; sent += len(chunk) {
			_, _ = io.WriteString(c, chunk[:min(len(chunk), size-sent)])
			time.Sleep(2 * time.Millisecond) // the raw server's pacing, not the engine's
		}
	})
	d := &CountingDialer{}
	rc, err := NewRawConn(base, d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	for i := range 3 {
		status, n, err := rawGet(t, rc, base)
		if err != nil || status != 200 || n != size {
			t.Fatalf("answer %d: %d, %d bytes, %v; want 200, %d bytes", i, status, n, err, size)
		}
	}
	if got := d.Dials(); got != 1 {
		t.Errorf("%d connections, want 1 (keep-alive)", got)
	}
}

// A body cut short by the server's close is an error, with the bytes
// that did arrive counted.
func TestRawConnShortBodyIsAnError(t *testing.T) {
	base := rawServer(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"+strings.Repeat("s", 60_000))
		c.(*net.TCPConn).CloseWrite()
	})
	rc, err := NewRawConn(base, &CountingDialer{})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	status, n, err := rawGet(t, rc, base)
	if err == nil || n != 60_000 {
		t.Fatalf("%d, %d bytes, %v; want an error after 60000 bytes", status, n, err)
	}
}

// On Linux the body of a TCP answer is dropped by the kernel
// (discardConn), not read through the buffer.
func TestDiscardConnOnTCP(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("MSG_TRUNC discard is Linux only")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.WriteString(c, strings.Repeat("a", 100_000)+"TAIL")
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done, ok, err := discardConn(c, 100_000)
	if !ok || err != nil || done != 100_000 {
		t.Fatalf("discardConn: %d, %v, %v; want 100000, true, nil", done, ok, err)
	}
	rest, err := io.ReadAll(c)
	if string(rest) != "TAIL" {
		t.Fatalf("after the discard the connection reads %q, %v; want TAIL", rest, err)
	}
}
