package server

import (
	"fmt"
	"os"

	"github.com/appconfigd/appconfigd/internal/dataplane"
	"github.com/appconfigd/appconfigd/internal/experiment"
)

// experiments wires experiment traffic data: the vended counter of
// treatments returned, and the assignment log when asked for.
func (s *Server) experiments() (dataplane.ExperimentsConfig, error) {
	c := dataplane.ExperimentsConfig{Counter: func(app, env, profile, flag, variant string) experiment.Counter {
		return s.metrics.Treatment(app, env, profile, flag, variant)
	}}
	if s.cfg.AssignmentLog == "" {
		return c, nil
	}
	l, err := experiment.OpenAssignmentLog(s.cfg.AssignmentLog, os.Stderr, s.clock.Now)
	if err != nil {
		return c, fmt.Errorf("--experiment-assignment-log: %w", err)
	}
	s.assignLog, c.Log = l, l
	return c, nil
}
