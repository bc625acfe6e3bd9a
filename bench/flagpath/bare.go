package main

import (
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
)

// serveBare is the ceiling: a bare net/http server answering every GET
// with the 4 KB configuration and the headers the Agent route sends
// (Content-Type, Configuration-Version, a 36-character X-Amzn-Requestid,
// Content-Length), with the least work that produces those bytes.
func serveBare(addr string) error {
	payload := config4KB()
	length := strconv.Itoa(len(payload))
	var seq atomic.Uint64
	h := func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr["X-Amzn-Requestid"] = []string{fmt.Sprintf("00000000-0000-4000-8000-%012d", seq.Add(1))}
		hdr["Configuration-Version"] = []string{"1"}
		hdr["Content-Type"] = []string{"application/json"}
		hdr["Content-Length"] = []string{length}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(payload)
	}
	return http.ListenAndServe(addr, http.HandlerFunc(h))
}
