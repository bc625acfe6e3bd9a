// Command ceiling is the baseline of bench/dataplane: a bare net/http
// server that answers the AppConfig Data paths with the least work that
// produces the same bytes on the wire — the ceiling of what any Go HTTP
// server can do for these requests on this machine.
//
//	ceiling -listen 127.0.0.1:PORT -payload FILE
//
// POST /configurationsessions answers 201 with an initial token (it starts
// with 'I'). GET /configuration answers 200 with the payload when the
// token is an initial one and an empty body otherwise, like appconfigd for
// a session whose configuration did not change, with the headers
// appconfigd sends: Next-Poll-Configuration-Token (150 characters, as
// appconfigd's), Next-Poll-Interval-In-Seconds, Content-Type,
// X-Amzn-Requestid and Content-Length. No authentication, no state, no
// token check.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// tokenBytes encodes to 150 base64url characters, appconfigd's token length
// for 7-character ids, a 12-digit account and us-east-1.
const tokenBytes = 112

type server struct {
	payload []byte
	ctype   string
	seq     atomic.Uint64
}

// token is a fresh 150-character token: a counter in otherwise fixed
// bytes, its first character replaced by prefix.
func (s *server) token(prefix byte) string {
	var raw [tokenBytes]byte
	binary.BigEndian.PutUint64(raw[8:], s.seq.Add(1))
	b := make([]byte, base64.RawURLEncoding.EncodedLen(tokenBytes))
	base64.RawURLEncoding.Encode(b, raw[:])
	b[0] = prefix
	return string(b)
}

func (s *server) requestID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[8:], s.seq.Add(1))
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["X-Amzn-Requestid"] = []string{s.requestID()}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/configuration":
		tok := r.URL.Query().Get("configuration_token")
		if tok == "" {
			http.Error(w, `{"Message":"missing token"}`, http.StatusBadRequest)
			return
		}
		var body []byte
		if tok[0] == 'I' {
			body = s.payload
		}
		h["Content-Type"] = []string{s.ctype}
		h["Next-Poll-Configuration-Token"] = []string{s.token('N')}
		h["Next-Poll-Interval-In-Seconds"] = []string{"15"}
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case r.Method == http.MethodPost && r.URL.Path == "/configurationsessions":
		_, _ = io.Copy(io.Discard, r.Body)
		body := `{"InitialConfigurationToken":"` + s.token('I') + `"}`
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, body)
	case r.URL.Path == "/healthz":
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, `{"Message":"not found"}`, http.StatusNotFound)
	}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	payloadFile := flag.String("payload", "", "file whose bytes a first poll returns")
	ctype := flag.String("content-type", "application/json", "Content-Type of polls")
	flag.Parse()
	payload, err := os.ReadFile(*payloadFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(2)
	}
	srv := &http.Server{Addr: *listen, Handler: &server{payload: payload, ctype: *ctype}, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}
