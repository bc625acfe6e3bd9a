//go:build !inprocess

package main

import (
	"context"
	"errors"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// Without the inprocess build tag the tool does not link appconfigd's
// server package (so it can benchmark any -appconfigd-bin).
const inProcessBuilt = false

func startAppconfigdInProcess(context.Context, string, float64, string, *benchutil.Postgres) (*target, error) {
	return nil, errors.New("-inprocess needs the tool built with -tags inprocess: go run -tags inprocess ./bench/dataplane -inprocess")
}
