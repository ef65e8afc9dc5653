package main

import (
	"io"
	"strconv"
	"time"

	"github.com/restel/restel/provider"
)

// ANSI escape sequences (ECMA-48) used by the live table.
const (
	ansiReset   = "\x1b[0m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiRed     = "\x1b[31m"
	ansiBoldRed = "\x1b[1;31m"
	ansiClearLn = "\x1b[2K" // erase the whole line
	// ansiHome and ansiClearScreen move the cursor to the top left and
	// erase the screen: a redraw after a resize starts from a blank page.
	ansiHome        = "\x1b[H"
	ansiClearScreen = "\x1b[2J"
)

// termCaps is what the terminal may be sent.
type termCaps struct {
	// colour: SGR colour sequences.
	colour bool
	// redraw: cursor movement, so each frame overwrites the previous one.
	redraw bool
}

// termCapsFrom decides the capabilities from the environment: NO_COLOR set
// to any non-empty value disables colour (https://no-color.org); TERM=dumb
// disables every escape sequence, so frames are printed one after another.
func termCapsFrom(getenv func(string) string) termCaps {
	if getenv("TERM") == "dumb" {
		return termCaps{}
	}
	return termCaps{colour: getenv("NO_COLOR") == "", redraw: true}
}

// view shows one snapshot; an error is a failed write to the output.
type view interface {
	show(s provider.Snapshot) error
}

// ndjsonView writes one snapshot per line in its wire form (docs/contract.md §2).
type ndjsonView struct {
	w   io.Writer
	buf []byte
}

func (v *ndjsonView) show(s provider.Snapshot) error {
	v.buf = append(s.AppendJSON(v.buf[:0]), '\n')
	_, err := v.w.Write(v.buf)
	return err
}

// tableView is the live table for a terminal: a fixed number of lines,
// each cut to the terminal's width (so nothing wraps), redrawn in place
// each tick, with a one-minute sparkline of CPU and of available memory.
// A terminal shorter than the frame gets its first lines only, one fewer
// than its height (the line the cursor rests on), so the frame never
// scrolls the screen and moving up over it always lands on its first line.
// When the width or height changes (a resize, SIGWINCH) the screen is
// cleared and the frame drawn afresh, so no piece of an older frame
// remains.
type tableView struct {
	w        io.Writer
	caps     termCaps
	interval time.Duration
	loc      *time.Location
	// cols returns the terminal's width in columns, 0 when unknown (no
	// limit); nil means unknown.
	cols func() int
	// rows returns the terminal's height in lines, 0 when unknown (no
	// limit); nil means unknown.
	rows func() int
	// quitHint: keys are read, so the header says how to quit.
	quitHint bool
	// beforeRedraw, when set, runs before a redraw (SIGWINCH, SIGCONT):
	// it puts the terminal back in the mode watch reads keys in.
	beforeRedraw func()

	drawn     bool // a previous frame is on screen
	clear     bool // the next frame clears the screen first
	lastCols  int  // the width the previous frame was cut to
	lastLines int  // the number of lines the previous frame drew
	last      provider.Snapshot
	cpu       *history // cpu_pct, percent
	avail     *history // available_mem_mb, MiB
	buf       []byte
}

// tableLines is the height of a frame.
const tableLines = 9

// labelWidth is the width of the label column ("  memory       ").
const labelWidth = 15

// unknownWidthSpark is the sparkline length when the terminal's width is
// unknown.
const unknownWidthSpark = 60

func (v *tableView) show(s provider.Snapshot) error {
	s = s.Wire() // the same values, clamps and words as the JSON
	if v.cpu == nil {
		v.cpu, v.avail = newHistory(historyLen(v.interval)), newHistory(historyLen(v.interval))
	}
	c, ok := s.CPUPct.Get()
	v.cpu.push(c, ok)
	a, ok := s.AvailableMemMB.Get()
	v.avail.push(float64(a), ok)
	v.last = s
	return v.draw()
}

// redraw clears the screen and draws the last frame again (after a
// resize); it adds nothing to the history.
func (v *tableView) redraw() error {
	if v.beforeRedraw != nil {
		v.beforeRedraw()
	}
	if !v.drawn {
		return nil
	}
	v.clear = true
	return v.draw()
}

func (v *tableView) draw() error {
	v.buf = v.frame(v.buf[:0], v.last)
	v.drawn = true
	_, err := v.w.Write(v.buf)
	return err
}

// frame appends one frame of s and the history: with redraw, the cursor
// first moves up over the previous frame and each line is cleared before
// it is written, or, after a change of width, the whole screen is cleared;
// without redraw (TERM=dumb), frames are separated by a blank line.
func (v *tableView) frame(dst []byte, s provider.Snapshot) []byte {
	s = s.Wire()
	cols := 0
	if v.cols != nil {
		cols = max(v.cols(), 0)
	}
	lines := tableLines
	if v.rows != nil && v.caps.redraw {
		if r := v.rows(); r > 0 {
			lines = min(lines, max(r-1, 1))
		}
	}
	if v.drawn {
		switch {
		case !v.caps.redraw:
			dst = append(dst, '\n')
		case v.clear || cols != v.lastCols || lines != v.lastLines:
			dst = append(dst, ansiHome+ansiClearScreen...)
		default:
			dst = append(dst, "\x1b["...)
			dst = strconv.AppendInt(dst, int64(lines), 10)
			dst = append(dst, 'A')
		}
	}
	v.clear, v.lastCols, v.lastLines = false, cols, lines
	body := len(dst)
	start := 0
	line := func(label string) {
		start = len(dst)
		if v.caps.redraw {
			dst = append(dst, ansiClearLn...)
		}
		dst = append(dst, label...)
	}
	end := func() {
		dst = fitWidth(dst, start, cols)
		dst = append(dst, '\n')
	}
	spark := func(h *history, lo, hi float64) {
		line("")
		if h != nil && h.len() > 0 {
			width := unknownWidthSpark
			if cols > 0 {
				width = cols - labelWidth
			}
			if width > 0 {
				dst = append(dst, "               "...)
				dst = appendSparkline(dst, h, width, lo, hi)
			}
		}
		end()
	}

	line("restel watch  every ")
	dst = append(dst, v.interval.String()...)
	dst = append(dst, "  "...)
	dst = s.CapturedAt().In(v.loc).AppendFormat(dst, time.TimeOnly)
	if v.quitHint {
		dst = append(dst, "  q quits"...)
	}
	end()

	line("  cpu          ")
	if c, ok := s.CPUPct.Get(); ok {
		dst = strconv.AppendFloat(dst, c, 'f', 1, 64)
		dst = append(dst, " %"...)
	} else {
		dst = append(dst, '-')
	}
	end()
	spark(v.cpu, 0, 100)

	line("  memory       ")
	dst = appendMiB(dst, s.AvailableMemMB)
	dst = append(dst, " available of "...)
	dst = appendMiB(dst, s.TotalMemMB)
	end()
	if v.avail != nil {
		// Scaled to the total when known (a full bar is all of it free),
		// else to the window's own range.
		lo, hi, _ := v.avail.bounds(v.avail.len())
		if t, ok := s.TotalMemMB.Get(); ok {
			lo, hi = 0, float64(t)
		}
		spark(v.avail, lo, hi)
	} else {
		spark(nil, 0, 0)
	}

	line("  pressure     ")
	dst = v.paint(dst, s.MemoryPressure.String(), pressureColour(s.MemoryPressure))
	end()

	line("  thermal      ")
	dst = v.paint(dst, s.Thermal.WireLabel(), thermalColour(s.Thermal))
	end()

	line("  battery      ")
	if b, ok := s.BatteryPct.Get(); ok {
		dst = strconv.AppendUint(dst, uint64(b), 10)
		dst = append(dst, " %"...)
	} else {
		dst = append(dst, '-')
	}
	end()

	line("  restel rss   ")
	dst = appendMiB(dst, s.ProcessRSSMB)
	end()
	return cutLines(dst, body, lines)
}

// cutLines cuts b after the n-th newline from from on, if it has more.
func cutLines(b []byte, from, n int) []byte {
	for i := from; i < len(b); i++ {
		if b[i] == '\n' {
			if n--; n == 0 {
				return b[:i+1]
			}
		}
	}
	return b
}

func appendMiB(dst []byte, o provider.Opt[uint64]) []byte {
	if mb, ok := o.Get(); ok {
		dst = strconv.AppendUint(dst, mb, 10)
		return append(dst, " MiB"...)
	}
	return append(dst, '-')
}

// paint appends text in colour sgr (none when sgr is empty or colour is
// off).
func (v *tableView) paint(dst []byte, text, sgr string) []byte {
	if !v.caps.colour || sgr == "" {
		return append(dst, text...)
	}
	dst = append(dst, sgr...)
	dst = append(dst, text...)
	return append(dst, ansiReset...)
}

// pressureColour: normal green, warn yellow, critical red; unknown plain.
func pressureColour(p provider.MemoryPressure) string {
	switch p {
	case provider.MemoryPressureNormal:
		return ansiGreen
	case provider.MemoryPressureWarn:
		return ansiYellow
	case provider.MemoryPressureCritical:
		return ansiBoldRed
	}
	return ""
}

// thermalColour: normal green, warm yellow, hot red, critical bold red;
// unknown plain.
func thermalColour(t provider.ThermalState) string {
	switch t {
	case provider.ThermalNormal:
		return ansiGreen
	case provider.ThermalWarm:
		return ansiYellow
	case provider.ThermalHot:
		return ansiRed
	case provider.ThermalCritical:
		return ansiBoldRed
	}
	return ""
}
