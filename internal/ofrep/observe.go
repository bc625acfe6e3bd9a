package ofrep

import (
	"net/http"
	"time"

	appconfig "github.com/appconfigd/appconfigd"
)

// Observed describes a finished OFREP request or change stream, for
// metrics and the access log.
type Observed struct {
	Operation string // OFREPEvaluateFlag, OFREPEvaluateFlags, OFREPConfiguration, ChangeStream
	Scope     appconfig.Scope
	Status    int
	ErrorCode string
	Duration  time.Duration
}

var operations = map[string]string{
	"single": "OFREPEvaluateFlag", "bulk": "OFREPEvaluateFlags",
	"configuration": "OFREPConfiguration", "stream": "ChangeStream",
}

// recorder notes what the handler answered.
type recorder struct {
	http.ResponseWriter
	status int
	code   string
	sc     appconfig.Scope
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes and
// deadlines of streams).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// note records the scope or error code on w when it is a recorder.
func note(w http.ResponseWriter, sc *appconfig.Scope, code string) {
	if r, ok := w.(*recorder); ok {
		if sc != nil {
			r.sc = *sc
		}
		if code != "" {
			r.code = code
		}
	}
}
