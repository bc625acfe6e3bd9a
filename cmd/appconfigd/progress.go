package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows a deployment as deployment wait follows it. On a
// terminal each new event is printed above a bar that fits the width and
// shows the percentage, the state and, while baking, the time left; the
// bar is redrawn in place. Elsewhere each new event is one plain line.
type progress struct {
	w     io.Writer
	tty   bool
	width int
	seen  int  // events already printed
	drew  bool // the bar is on the current line
	head  bool // the first line, saying what is deployed, is printed
}

func (p *progress) show(number int, d snapshot) {
	if p.tty && p.drew {
		fmt.Fprint(p.w, "\r\033[K") // clear the bar; events go above it
		p.drew = false
	}
	if !p.head {
		p.head = true
		line := fmt.Sprintf("deployment %d (%s) of %s, version %s", number, d.kind(), d.profile, d.version)
		if d.managed() {
			line += ": started by AppConfig for an experiment run"
		}
		fmt.Fprintln(p.w, line)
	}
	if p.seen > len(d.events) {
		p.seen = 0 // another deployment's log; should not happen
	}
	for _, e := range d.events[p.seen:] {
		fmt.Fprintln(p.w, eventLine(e, d.bake))
	}
	p.seen = len(d.events)
	if p.tty {
		fmt.Fprint(p.w, bar(d, p.width))
		p.drew = true
	}
}

// done ends the bar's line, leaving the last bar on screen.
func (p *progress) done() {
	if p.tty && p.drew {
		fmt.Fprintln(p.w)
		p.drew = false
	}
}

func eventLine(e event, bake time.Duration) string {
	desc := e.description
	if e.typ == "BAKE_TIME_STARTED" {
		desc += fmt.Sprintf(" (bakes %s)", shortDuration(bake))
	}
	return fmt.Sprintf("%s  %-20s %s", e.at.Format("15:04:05"), e.typ, desc)
}

// bar renders the progress line in at most width-1 columns (the last
// column is left free so the terminal never wraps).
func bar(d snapshot, width int) string {
	if width <= 0 {
		width = 80
	}
	suffix := fmt.Sprintf(" %6.2f%% %s", d.percent, d.state)
	if left, ok := d.bakeLeft(); ok {
		suffix += ", " + shortDuration(left) + " of bake left"
	}
	room := width - 1 - len(suffix) - 2
	if room < 10 {
		if len(suffix) > width-1 {
			suffix = suffix[:max(width-1, 0)]
		}
		return strings.TrimLeft(suffix, " ")
	}
	filled := min(int(d.percent/100*float64(room)), room)
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", room-filled) + "]" + suffix
}

func shortDuration(d time.Duration) string {
	if d >= time.Second {
		d = d.Round(time.Second)
	}
	return d.String()
}

func columnsEnv() int {
	var n int
	if _, err := fmt.Sscanf(os.Getenv("COLUMNS"), "%d", &n); err == nil && n > 0 {
		return n
	}
	return 80
}
