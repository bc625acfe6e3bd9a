package wire

import (
	"context"
	"net/http"
)

// Gatherer can hold a connection's writes so that a large answer's
// headers and body leave in one system call. net/http writes an answer
// over its 4 KiB connection buffer in two: the headers with the body's
// first bytes (the buffer's flush), then the rest of the body directly.
// Between Gather and Release, a Gatherer keeps the first of those writes
// and sends it with the second in one writev; Release sends whatever is
// still held. Only the request's own goroutine writes to an HTTP/1.1
// connection while its handler runs, so no lock is needed.
type Gatherer interface {
	Gather()
	Release()
}

type gathererKey struct{}

// WithGatherer returns ctx carrying a connection's Gatherer (for
// http.Server.ConnContext).
func WithGatherer(ctx context.Context, g Gatherer) context.Context {
	return context.WithValue(ctx, gathererKey{}, g)
}

// GatherMin is the smallest body for which an answer is gathered. From
// about 3.5 KiB on, body and headers overflow net/http's 4 KiB connection
// buffer and would leave in two writes; below, they leave in one anyway
// and gathering would only copy them once more (harmless, so the bound is
// set a little low rather than miss answers with long headers).
const GatherMin = 3 << 10

// WriteBody writes an answer's body (its headers, Content-Length
// included, already set). A large one on a connection that can
// gather is written, then flushed, between Gather and Release: the
// connection buffer's flush (headers and the body's first bytes) is held
// and leaves with the rest of the body (written directly, or by the
// flush for a body under 8 KiB) in one writev, instead of two writes.
func WriteBody(w http.ResponseWriter, r *http.Request, body []byte) {
	if len(body) >= GatherMin && r.ProtoMajor == 1 {
		if g, _ := r.Context().Value(gathererKey{}).(Gatherer); g != nil {
			g.Gather()
			_, _ = w.Write(body)
			_ = http.NewResponseController(w).Flush()
			g.Release()
			return
		}
	}
	_, _ = w.Write(body)
}
