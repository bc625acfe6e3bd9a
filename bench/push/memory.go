package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/appconfigd/appconfigd/bench/internal/benchutil"
)

// memResult is the memory cost of open streams against idle connections.
type memResult struct {
	Streams       int     `json:"streams"`
	PerStream     float64 `json:"bytesPerStream"`
	PerStreamAnon float64 `json:"anonBytesPerStream"`
	PerIdle       float64 `json:"bytesPerIdleConnection"`
	Load          string  `json:"loadavg"`
}

// rawConns opens n connections that each send req and read the answer's
// headers (the first line), then stay open.
func rawConns(base, req string, n int) []net.Conn {
	host := strings.TrimPrefix(base, "http://")
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", host)
		check(err)
		_, err = c.Write([]byte(req))
		check(err)
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.Contains(line, "200") {
			check(fmt.Errorf("connection %d: %q %v", i, line, err))
		}
		conns = append(conns, c)
	}
	return conns
}

func settle(pid int) benchutil.ProcMem {
	time.Sleep(2 * time.Second)
	m, ok := benchutil.ReadProcMem(pid)
	if !ok {
		check(fmt.Errorf("cannot read /proc/%d", pid))
	}
	return m
}

// memory opens o.streams idle keep-alive connections (baseline), closes
// them, then opens as many change streams, reading the server's resident
// memory before and after each.
func memory(ctx context.Context, o options, s *server) memResult {
	pid := s.proc.Pid()
	host := strings.TrimPrefix(s.base, "http://")
	r := memResult{Streams: o.streams}
	before := settle(pid)
	idle := rawConns(s.base, "GET /healthz HTTP/1.1\r\nHost: "+host+"\r\n\r\n", o.streams)
	after := settle(pid)
	r.PerIdle = float64(after.RSS-before.RSS) / float64(o.streams)
	for _, c := range idle {
		c.Close()
	}
	before = settle(pid)
	streams := rawConns(s.base, "GET /applications/push/environments/prod/configurations/flags HTTP/1.1\r\nHost: "+host+"\r\nAccept: text/event-stream\r\n\r\n", o.streams)
	after = settle(pid)
	r.PerStream = float64(after.RSS-before.RSS) / float64(o.streams)
	r.PerStreamAnon = float64(after.RSSAnon-before.RSSAnon) / float64(o.streams)
	for _, c := range streams {
		c.Close()
	}
	r.Load = benchutil.LoadAvg()
	return r
}
