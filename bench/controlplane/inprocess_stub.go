//go:build !inprocess

package main

import (
	"context"
	"errors"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// Without the inprocess build tag the tool does not link appconfigd's
// server package, so it builds even when the tree under test does not
// (and can benchmark any -appconfigd-bin).
const inProcessBuilt = false

func startAppconfigdInProcess(context.Context, string, string, *benchutil.Postgres) (*target, error) {
	return nil, errors.New("-inprocess needs the tool built with -tags inprocess: go run -tags inprocess ./bench/controlplane -inprocess")
}
