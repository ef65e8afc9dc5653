package main

import (
	"io"
	"strconv"
	"time"

	"github.com/restel/restel/headroom"
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

	// headroom, when set, is what the device can still give (the
	// Monitor's Headroom): the frame then ends with a headroom line.
	headroom func(horizon time.Duration) headroom.Headroom

	drawn     bool // a previous frame is on screen
	clear     bool // the next frame clears the screen first
	lastCols  int  // the width the previous frame was cut to
	lastLines int  // the number of lines the previous frame drew
	last      provider.Snapshot
	lastHead  headroom.Headroom
	cpu       *history // cpu_pct, percent
	avail     *history // available_mem_mb, MiB
	buf       []byte
}

// viewLine is one line of the live table that shows snapshot fields:
// its label, the row it shows (by wire key), optionally a second row on
// the same line after a word ("1000 MiB available of 16000 MiB"), and
// the history a sparkline line under it draws, if any. Values are read
// and written as their rows say: by the row's type and unit.
type viewLine struct {
	label      string
	key        string
	word, of   string
	spark      func(v *tableView) **history
	row, ofRow int // the rows' indexes in provider.SnapshotFields
}

// viewLines are the live table's field lines, top to bottom.
var viewLines = func() []viewLine {
	ls := []viewLine{
		{label: "cpu", key: "cpu_pct", spark: func(v *tableView) **history { return &v.cpu }},
		{label: "memory", key: "available_mem_mb", word: " available of ", of: "total_mem_mb",
			spark: func(v *tableView) **history { return &v.avail }},
		{label: "pressure", key: "memory_pressure"},
		{label: "thermal", key: "thermal_state"},
		{label: "battery", key: "battery_pct"},
		{label: "restel rss", key: "process_rss_mb"},
	}
	for i := range ls {
		ls[i].row, ls[i].ofRow = rowIndex(ls[i].key), -1
		if ls[i].of != "" {
			ls[i].ofRow = rowIndex(ls[i].of)
		}
	}
	return ls
}()

// rowIndex is the index of the snapshot row with wire key key.
func rowIndex(key string) int {
	for i, f := range provider.SnapshotFields() {
		if f.Key == key {
			return i
		}
	}
	panic("watch: no snapshot field " + key)
}

// tableLines is the height of a frame without a headroom line: the
// header, the field lines and their sparklines.
var tableLines = func() int {
	n := 1
	for _, l := range viewLines {
		n++
		if l.spark != nil {
			n++
		}
	}
	return n
}()

// watchLines is the height of restel watch's frame on a terminal: the
// table and the headroom line of its Monitor.
var watchLines = tableLines + 1

// headroomHorizon is how far ahead the headroom line's thermal forecast
// looks.
const headroomHorizon = 10 * time.Second

// labelWidth is the width of the label column ("  memory       ").
const labelWidth = 15

// unknownWidthSpark is the sparkline length when the terminal's width is
// unknown.
const unknownWidthSpark = 60

func (v *tableView) show(s provider.Snapshot) error {
	s = s.Wire() // the same values, clamps and words as the JSON
	for _, l := range viewLines {
		if l.spark == nil {
			continue
		}
		h := l.spark(v)
		if *h == nil {
			*h = newHistory(historyLen(v.interval))
		}
		x, ok := s.FieldFloat64(l.row)
		(*h).push(x, ok)
	}
	v.last = s
	if v.headroom != nil {
		v.lastHead = v.headroom(headroomHorizon)
	}
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
	lines := v.height(&s)
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

	for i := range viewLines {
		l := &viewLines[i]
		line("  ")
		dst = append(dst, l.label...)
		dst = appendSpaces(dst, labelWidth-2-len(l.label))
		dst = v.appendField(dst, &s, l.row)
		if l.ofRow >= 0 {
			dst = append(dst, l.word...)
			dst = v.appendField(dst, &s, l.ofRow)
		}
		end()
		if l.spark == nil {
			continue
		}
		h := *l.spark(v)
		if h == nil {
			spark(nil, 0, 0)
			continue
		}
		// Scaled to the second row when known (a full bar of available
		// memory is all of the total), else to the window's own range.
		lo, hi, _ := h.bounds(h.len())
		if f := provider.SnapshotFields()[l.row]; f.Type == provider.Percent {
			lo, hi = 0, 100
		}
		if l.ofRow >= 0 {
			if t, ok := s.FieldFloat64(l.ofRow); ok {
				lo, hi = 0, t
			}
		}
		spark(h, lo, hi)
	}
	accels := s.Accelerators()
	for i := range accels {
		a := &accels[i]
		line("  ")
		start := len(dst)
		dst = append(dst, a.Kind.String()...)
		dst = append(dst, ' ')
		dst = append(dst, a.Name...)
		dst = appendSpaces(dst, labelWidth-2-(len(dst)-start))
		dst = appendAccelerator(dst, a)
		end()
	}
	if v.headroom != nil {
		line("  headroom     ")
		dst = appendHeadroom(dst, v.lastHead)
		end()
	}
	return cutLines(dst, body, lines)
}

// height is the number of lines of a full frame of s: the table, a line
// per accelerator, and the headroom line.
func (v *tableView) height(s *provider.Snapshot) int {
	n := tableLines + len(s.Accelerators())
	if v.headroom != nil {
		n++
	}
	return n
}

// appendAccelerator appends an accelerator line's figures: its busy
// share, its memory in use of its total (host memory for a unified
// device), and its driver; "-" for what is unknown.
func appendAccelerator(dst []byte, a *provider.Accelerator) []byte {
	if b, ok := a.BusyPct.Get(); ok {
		dst = strconv.AppendFloat(dst, min(max(b, 0), 100), 'f', 1, 64)
		dst = append(dst, " % busy"...)
	} else {
		dst = append(dst, "- % busy"...)
	}
	dst = append(dst, "  "...)
	if u, ok := a.MemUsedMB.Get(); ok {
		dst = strconv.AppendUint(dst, u, 10)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, " of "...)
	dst = appendMiB(dst, a.MemTotalMB)
	if a.Unified {
		dst = append(dst, " (host memory)"...)
	}
	if a.Driver != "" {
		dst = append(dst, "  "...)
		dst = append(dst, a.Driver...)
	}
	return dst
}

// appendField appends the value of snapshot row i as its row says: a
// percentage with one decimal, a battery-style percentage or an amount
// with its unit, a level as its word in its colour; "-" when unknown.
func (v *tableView) appendField(dst []byte, s *provider.Snapshot, i int) []byte {
	f := provider.SnapshotFields()[i]
	x, ok := s.FieldFloat64(i)
	switch f.Type {
	case provider.Pressure:
		p := provider.MemoryPressure(x)
		return v.paint(dst, p.String(), pressureColour(p))
	case provider.Thermal:
		t := provider.ThermalState(x)
		return v.paint(dst, t.WireLabel(), thermalColour(t))
	}
	if !ok {
		return append(dst, '-')
	}
	switch f.Type {
	case provider.Percent:
		dst = strconv.AppendFloat(dst, x, 'f', 1, 64)
	case provider.Uint:
		u, _ := s.FieldUint(i)
		dst = strconv.AppendUint(dst, u.V, 10)
	case provider.Pct8:
		dst = strconv.AppendUint(dst, uint64(x), 10)
	default:
		dst = strconv.AppendFloat(dst, x, 'f', -1, 64)
	}
	if f.Unit != "" {
		dst = append(dst, ' ')
		dst = append(dst, f.Unit...)
	}
	return dst
}

// appendHeadroom appends the headroom line: effective CPUs and what
// binds them, usable memory and what binds it, the roomiest GPU's free
// memory when there is one, and the thermal headroom now and forecast;
// "-" for what is unknown.
func appendHeadroom(dst []byte, h headroom.Headroom) []byte {
	if c, ok := h.EffectiveCPUs.Get(); ok {
		dst = strconv.AppendFloat(dst, c, 'f', -1, 64)
		dst = append(dst, " CPUs"...)
		dst = appendBy(dst, h.CPULimitBy)
	} else {
		dst = append(dst, "- CPUs"...)
	}
	dst = append(dst, "  "...)
	dst = appendMiB(dst, h.UsableMemMB)
	dst = append(dst, " usable"...)
	if h.UsableMemMB.Valid {
		dst = appendBy(dst, h.MemLimitBy)
	}
	if h.UsableGPUMemMB.Valid {
		dst = append(dst, "  "...)
		dst = appendMiB(dst, h.UsableGPUMemMB)
		dst = append(dst, " free"...)
		dst = appendBy(dst, h.GPULimitBy)
	}
	dst = append(dst, "  thermal "...)
	dst = appendRatio(dst, h.Thermal)
	dst = append(dst, " -> "...)
	dst = appendRatio(dst, h.ThermalForecast)
	dst = append(dst, " in "...)
	return append(dst, headroom.ClampHorizon(h.Forecast).String()...)
}

func appendBy(dst []byte, by string) []byte {
	if by == "" {
		return dst
	}
	dst = append(dst, " ("...)
	dst = append(dst, by...)
	return append(dst, ')')
}

func appendRatio(dst []byte, o provider.Opt[float64]) []byte {
	if r, ok := o.Get(); ok {
		return strconv.AppendFloat(dst, r, 'f', 2, 64)
	}
	return append(dst, '-')
}

func appendSpaces(dst []byte, n int) []byte {
	for range max(n, 1) {
		dst = append(dst, ' ')
	}
	return dst
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
