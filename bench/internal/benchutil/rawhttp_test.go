package benchutil

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// The raw client reads what net/http writes: fixed lengths, chunked
// bodies, empty answers and servers that close after each answer, and
// reports the status and body length net/http's own client would.
func TestRawConnReadsNetHTTPAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Has("close") {
			w.Header().Set("Connection", "close")
		}
		if r.URL.Query().Has("chunked") {
			w.WriteHeader(201)
			for i := 0; i < n; i += 1000 {
				_, _ = w.Write([]byte(strings.Repeat("x", min(1000, n-i))))
				w.(http.Flusher).Flush()
			}
			return
		}
		if n == 0 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		_, _ = w.Write([]byte(strings.Repeat("y", n)))
	}))
	defer srv.Close()
	d := &CountingDialer{}
	rc, err := NewRawConn(srv.URL, d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	for _, c := range []struct {
		query  string
		status int
		n      int64
	}{
		{"n=65536", 200, 65536}, {"n=1", 200, 1}, {"n=0", 204, 0}, {"n=5000&chunked", 201, 5000},
		{"n=70000&close", 200, 70000}, {"n=3", 200, 3}, {"n=65536", 200, 65536},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/?"+c.query, nil)
		raw, err := RawRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		status, n, err := rc.Do(context.Background(), raw)
		if err != nil || status != c.status || n != c.n {
			t.Errorf("%s: %d, %d bytes, %v; want %d, %d bytes", c.query, status, n, err, c.status, c.n)
		}
	}
	// One connection, then a new one after the server's close.
	if got := d.Dials(); got != 2 {
		t.Errorf("%d connections, want 2", got)
	}
}
