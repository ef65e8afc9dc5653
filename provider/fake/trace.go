package fake

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/restel/restel/provider"
)

// ErrSyntax is matched (errors.Is) by every *SyntaxError.
var ErrSyntax = errors.New("trace syntax error")

// SyntaxError is a malformed trace line. Its message is "NAME:LINE: Msg".
type SyntaxError struct {
	Name string // the trace's name (its file path for ParseFile)
	Line int    // 1-based line number
	Msg  string // the problem
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg) }

// Is reports whether target is ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

// Limits on trace input. They bound what a trace can cost: Parse keeps
// one small record per event line, so its memory stays a small multiple of
// the input it accepts, and endless input (a pipe that never closes) ends
// with an error naming the limit instead of growing without end.
const (
	// MaxLineLen is the longest line Parse accepts, in bytes.
	MaxLineLen = 64 << 10
	// MaxSize is the largest trace Parse accepts, in bytes.
	MaxSize = 16 << 20
	// MaxEvents is the most event lines (lines with KEY=VALUE pairs) a
	// trace may have.
	MaxEvents = 1 << 16
	// MaxMiB is the largest rss/avail/total value (2^40 MiB, an exbibyte):
	// it keeps memory arithmetic far from overflow.
	MaxMiB = 1 << 40 // the TraceMax of the memory rows of provider.SnapshotFields
)

// State is what a trace says at one offset: the readings, and the faults
// that reads at that offset suffer.
type State struct {
	// Readings holds the value of every key the trace has set so far, in
	// the snapshot field whose row of provider.SnapshotFields has that
	// trace key (cpu= is CPUPct, pcpu= ProcessCPUPct, cpu_stall=
	// Counters.CPUStall, ...). Its MemoryPressure is the native signal
	// only (pressure=); see Snapshot.
	Readings provider.Snapshot
	// Err, when not empty, makes reads fail with this text (error=).
	Err string
	// Delay is how long a read takes on the provider's clock (delay=).
	Delay time.Duration
	// Capacity is what the capacity keys (temp.NAME=, severe.NAME=,
	// throttling=, cpus=) have said so far; nil before the first. It is
	// shared by the states of several lines: do not modify it.
	Capacity *Capacity
}

// Snapshot returns the readings of s as a snapshot captured at at. Its
// memory pressure combines the pressure derived from available/total
// memory with the native signal: provider.PressureFrom(available, total,
// pressure). Err and Delay are not part of a snapshot.
func (s State) Snapshot(at time.Time) provider.Snapshot {
	r := s.Readings
	r.MemoryPressure = provider.PressureFrom(r.AvailableMemMB, r.TotalMemMB, r.MemoryPressure)
	r.CapturedAtMS = at.UnixMilli()
	return r
}

// key is a trace key: the index of its row in traceRows, then delay and
// error. The order is the canonical order of Trace.String.
type key uint8

// traceRows are the rows of provider.SnapshotFields a trace sets, in
// table order: the value keys.
var traceRows = func() (rows []provider.Field) {
	for _, f := range provider.SnapshotFields() {
		if f.Trace != "" {
			rows = append(rows, f)
		}
	}
	return rows
}()

var (
	keyDelay = key(len(traceRows))
	keyError = keyDelay + 1
	numKeys  = keyError + 1
)

// keyNames are the trace keys by key.
var keyNames = func() (names []string) {
	for _, f := range traceRows {
		names = append(names, f.Trace)
	}
	return append(names, "delay", "error")
}()

// keyList names the keys for an error message: "cpu, rss, ... or error".
var keyList = strings.Join(keyNames[:keyDelay], ", ") + ", " + keyCPUs + ", " + keyThrottling + ", " +
	prefixTemp + "NAME, " + prefixSevere + "NAME, " + strings.Join(keyNames[keyDelay:numKeys-1], ", ") + " or " + keyNames[numKeys-1]

// isCounter reports whether k is a cumulative counter.
func isCounter(k key) bool { return k < keyDelay && traceRows[k].Type == provider.Duration }

// event is one parsed line: its offset, the keys it named and the state
// after it.
type event struct {
	line  int
	at    time.Duration
	named []bool // by key
	// capNamed are the capacity keys it named (see capBit).
	capNamed uint64
	state    State
}

// Trace is a parsed trace. It is immutable and safe for concurrent use.
type Trace struct {
	// Name is the name given to Parse (the path for ParseFile); it prefixes
	// syntax errors.
	Name    string
	events  []event
	end     time.Duration
	hasEnd  bool
	endLine int
}

// ParseFile parses the trace file at path; syntax errors name path and
// the line.
func ParseFile(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A directory opens everywhere, but only Unix reads it as EISDIR
	// (Windows says "Incorrect function"): the same words on every OS.
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: syscall.EISDIR}
	}
	return Parse(path, f)
}

// Parse parses a trace (see the package doc for the format). A malformed
// line is a *SyntaxError naming name and the line, matching ErrSyntax; a
// read failure of r is returned wrapped, prefixed with name unless it names
// the file already (an *fs.PathError for name, as ParseFile's reads give).
func Parse(name string, r io.Reader) (*Trace, error) {
	p := parser{t: &Trace{Name: name}}
	lr := &limitReader{r: r, left: MaxSize}
	sc := bufio.NewScanner(lr)
	// Room for the line and its "\r\n": the scanner needs the terminator
	// in its buffer, so the length of the line itself is checked here.
	sc.Buffer(make([]byte, 0, 4096), MaxLineLen+2)
	for sc.Scan() {
		p.line++
		if len(sc.Bytes()) > MaxLineLen {
			return nil, p.errorf(p.line, "line longer than %d bytes", MaxLineLen)
		}
		if err := p.parseLine(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, errTooBig) {
			return nil, p.errorf(p.line+1, "trace larger than %d bytes (the limit on a trace)", MaxSize)
		}
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, p.errorf(p.line+1, "line longer than %d bytes", MaxLineLen)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == name {
			return nil, err // it names the file already
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(p.t.events) == 0 {
		if p.t.hasEnd {
			return nil, p.errorf(p.t.endLine, "end with no events before it")
		}
		return nil, p.errorf(max(p.line, 1), "no events: want lines like \"@0s cpu=12.5 avail=8000 total=16000\"")
	}
	if !p.t.hasEnd {
		p.t.end = p.t.events[len(p.t.events)-1].at
	}
	return p.t, nil
}

type parser struct {
	t    *Trace
	line int
	cur  State
	last time.Duration
	// high is each counter's highest value so far: a counter never
	// decreases, even across a span where it is unknown.
	high map[key]time.Duration
}

// errTooBig is returned by a limitReader past its limit.
var errTooBig = errors.New("trace too large")

// limitReader reads at most left bytes of r, then fails with errTooBig
// (io.LimitReader would end silently, turning a cut-off trace into a
// shorter one).
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(b []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a trace of exactly the limit from a longer one.
		var one [1]byte
		if n, err := l.r.Read(one[:]); n > 0 {
			return 0, errTooBig
		} else if err != nil {
			return 0, err
		}
		return 0, nil
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.r.Read(b)
	l.left -= int64(n)
	return n, err
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &SyntaxError{Name: p.t.Name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// nextWord splits s after leading spaces/tabs into its first word and the
// rest (not trimmed).
func nextWord(s string) (word, rest string) {
	s = strings.TrimLeft(s, " \t")
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// isComment reports whether only spaces, tabs or a # comment remain.
func isComment(rest string) bool {
	rest = strings.TrimLeft(rest, " \t")
	return rest == "" || rest[0] == '#'
}

func (p *parser) parseLine(raw string) error {
	line := strings.TrimSpace(raw)
	if line == "" || line[0] == '#' {
		return nil
	}
	if p.t.hasEnd {
		return p.errorf(p.line, "event after end (line %d)", p.t.endLine)
	}
	tok, rest := nextWord(line)
	if tok[0] != '@' {
		return p.errorf(p.line, "line must start with @OFFSET (like @250ms), got %q", tok)
	}
	at, err := time.ParseDuration(tok[1:])
	if err != nil {
		return p.errorf(p.line, "bad offset %q: want a Go duration like @250ms", tok)
	}
	if at < 0 {
		return p.errorf(p.line, "negative offset %s", tok)
	}
	if at < p.last {
		return p.errorf(p.line, "offset %s is before the previous line's @%v: offsets never decrease", tok, p.last)
	}
	if isComment(rest) {
		return p.errorf(p.line, "nothing after %s: want KEY=VALUE pairs, error=TEXT or end", tok)
	}
	if w, after := nextWord(rest); w == "end" {
		if !isComment(after) {
			return p.errorf(p.line, "end must be alone after its offset, got %q", strings.TrimSpace(after))
		}
		p.last = at
		p.t.end, p.t.hasEnd, p.t.endLine = at, true, p.line
		return nil
	}
	if len(p.t.events) >= MaxEvents {
		return p.errorf(p.line, "more than %d event lines (the limit on a trace)", MaxEvents)
	}
	ev := event{line: p.line, at: at, named: make([]bool, numKeys)}
	st := p.cur
	st.Err = "" // a line without error= ends an error span
	capCloned := false
	for !isComment(rest) {
		before := rest
		tok, rest = nextWord(rest)
		name, val, ok := strings.Cut(tok, "=")
		if !ok {
			if tok == "end" {
				return p.errorf(p.line, "end must be alone after its offset")
			}
			return p.errorf(p.line, "want KEY=VALUE, got %q", tok)
		}
		k := lookupKey(name)
		if k == numKeys && isCapacityKey(name) {
			if err := setCapacityKey(&st.Capacity, &capCloned, &ev.capNamed, name, val); err != nil {
				return p.errorf(p.line, "%s", err)
			}
			continue
		}
		if k == numKeys {
			return p.errorf(p.line, "unknown key %q: want %s", name, keyList)
		}
		if ev.named[k] {
			return p.errorf(p.line, "duplicate key %q", name)
		}
		ev.named[k] = true
		if k == keyError {
			text := strings.TrimSpace(strings.TrimLeft(before, " \t")[len("error="):])
			if text == "" {
				return p.errorf(p.line, "error= needs a message (the rest of the line)")
			}
			st.Err = text
			break
		}
		if err := setKey(&st, k, val); err != nil {
			return p.errorf(p.line, "%s", err)
		}
		if isCounter(k) {
			v := *traceRows[k].Get.Duration(&st.Readings)
			if h, ok := p.high[k]; v.Valid && ok && v.V < h {
				return p.errorf(p.line, "%s=%s is below its earlier value %v: a cumulative counter never decreases", name, val, h)
			}
			if v.Valid {
				if p.high == nil {
					p.high = map[key]time.Duration{}
				}
				p.high[k] = v.V
			}
		}
	}
	if r := &st.Readings; r.AvailableMemMB.Valid && r.TotalMemMB.Valid && r.AvailableMemMB.V > r.TotalMemMB.V {
		return p.errorf(p.line, "avail %d MiB exceeds total %d MiB", r.AvailableMemMB.V, r.TotalMemMB.V)
	}
	if r := &st.Readings; r.GPUMemUsedMB.Valid && r.GPUMemTotalMB.Valid && r.GPUMemUsedMB.V > r.GPUMemTotalMB.V {
		return p.errorf(p.line, "gpu_mem %d MiB exceeds gpu_total %d MiB", r.GPUMemUsedMB.V, r.GPUMemTotalMB.V)
	}
	if err := checkCapacity(st.Capacity); err != nil {
		return p.errorf(p.line, "%s", err)
	}
	ev.state = st
	p.cur = st
	p.last = at
	p.t.events = append(p.t.events, ev)
	return nil
}

func lookupKey(name string) key {
	for k, n := range keyNames {
		if n == name {
			return key(k)
		}
	}
	return numKeys
}

// setKey parses val for k into st, as the type of k's row says. Its
// errors are the problem text only.
func setKey(st *State, k key, val string) error {
	name := keyNames[k]
	if k == keyDelay {
		if val == "-" {
			return errors.New("delay=- is not a duration (delay=0s clears a delay)")
		}
		d, err := time.ParseDuration(val)
		if err != nil {
			return fmt.Errorf("bad delay %q: want a Go duration like 300ms", val)
		}
		if d < 0 {
			return fmt.Errorf("negative delay %q", val)
		}
		st.Delay = d
		return nil
	}
	f := traceRows[k]
	g, r := f.Get, &st.Readings
	switch f.Type {
	case provider.Percent:
		if val == "-" {
			*g.Float(r) = provider.Opt[float64]{}
			return nil
		}
		if !isDecimal(val) {
			return fmt.Errorf("bad %s %q: want a percentage like 12.5, or - for unknown", name, val)
		}
		if !percentInRange(val) {
			return fmt.Errorf("%s %s outside [0, 100] percent", name, val)
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return fmt.Errorf("bad %s %q: want a percentage like 12.5, or - for unknown", name, val)
		}
		*g.Float(r) = provider.Some(v)
	case provider.Duration:
		if val == "-" {
			*g.Duration(r) = provider.Opt[time.Duration]{}
			return nil
		}
		d, err := time.ParseDuration(val)
		if err != nil {
			return fmt.Errorf("bad %s %q: want a Go duration like 1.5s, or - for unknown", name, val)
		}
		if d < 0 {
			return fmt.Errorf("negative %s %q", name, val)
		}
		*g.Duration(r) = provider.Some(d)
	case provider.Uint:
		if val == "-" {
			*g.Uint(r) = provider.Opt[uint64]{}
			return nil
		}
		v, err := parseUint(name, val, cmp.Or(f.TraceMax, math.MaxUint64))
		if err != nil {
			return err
		}
		if v == 0 && f.TraceNonZero {
			return fmt.Errorf("%s=0: a device has memory (write %s=- for unknown)", name, name)
		}
		*g.Uint(r) = provider.Some(v)
	case provider.Pct8:
		if val == "-" {
			*g.Pct8(r) = provider.Opt[uint8]{}
			return nil
		}
		v, err := parseUint(name, val, 100)
		if err != nil {
			return err
		}
		*g.Pct8(r) = provider.Some(uint8(v))
	case provider.Thermal:
		if val == "-" {
			*g.Thermal(r) = provider.ThermalUnknown
			return nil
		}
		t, err := provider.ParseThermalState(val)
		if err != nil {
			return fmt.Errorf("bad %s %q: want normal, warm, hot, critical or -", name, val)
		}
		*g.Thermal(r) = t
	case provider.Pressure:
		if val == "-" {
			*g.Pressure(r) = provider.MemoryPressureUnknown
			return nil
		}
		m, err := provider.ParseMemoryPressure(val)
		if err != nil {
			return fmt.Errorf("bad %s %q: want unknown, normal, warn, critical or -", name, val)
		}
		*g.Pressure(r) = m
	default:
		return fmt.Errorf("%s: a trace cannot set a field of type %d", name, f.Type)
	}
	return nil
}

// isDecimal reports whether s is digits, optionally with one fractional
// part: 12, 12.5. No sign, exponent, hex, NaN or Inf.
func isDecimal(s string) bool {
	intPart, frac, hasDot := strings.Cut(s, ".")
	return allDigits(intPart) && (!hasDot || allDigits(frac))
}

// percentInRange reports whether s, a plain decimal (see isDecimal), is at
// most 100 exactly. The decision is made on the digits, not on a float: a
// value like 100.0000000000000000001 is above 100 even though it rounds to
// 100.0 as a float64.
func percentInRange(s string) bool {
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	switch {
	case len(intPart) < 3:
		return true
	case intPart != "100":
		return false // 101 or more, or 1000 or more
	}
	return strings.Trim(frac, "0") == "" // 100 exactly, with any zeros after the point
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseUint(name, val string, limit uint64) (uint64, error) {
	if !allDigits(val) {
		return 0, fmt.Errorf("bad %s %q: want a whole number, or - for unknown", name, val)
	}
	v, err := strconv.ParseUint(val, 10, 64)
	if err != nil || v > limit {
		return 0, fmt.Errorf("%s %s above %d", name, val, limit)
	}
	return v, nil
}

// End returns the run's length: the offset of the end line, or the last
// line's offset when there is none.
func (t *Trace) End() time.Duration {
	if t == nil {
		return 0
	}
	return t.end
}

// At returns the state after all lines with offset <= off: the all-unknown
// State before the first line, the final state after the last.
func (t *Trace) At(off time.Duration) State {
	if t == nil {
		return State{}
	}
	i := sort.Search(len(t.events), func(i int) bool { return t.events[i].at > off })
	if i == 0 {
		return State{}
	}
	return t.events[i-1].state
}

// NextChange returns the offset of the first line after off: reads at
// offsets in [off, next) see the same State. It returns false when no line
// follows off.
func (t *Trace) NextChange(off time.Duration) (next time.Duration, ok bool) {
	if t == nil {
		return 0, false
	}
	i := sort.Search(len(t.events), func(i int) bool { return t.events[i].at > off })
	if i == len(t.events) {
		return 0, false
	}
	return t.events[i].at, true
}

// String returns the trace in canonical form: one line per event with its
// keys in a fixed order and values in their shortest form, comments and
// blank lines dropped. Parsing it describes the same run.
func (t *Trace) String() string {
	if t == nil {
		return ""
	}
	var b strings.Builder
	for _, ev := range t.events {
		b.WriteString("@")
		b.WriteString(ev.at.String())
		st := ev.state
		for k := range numKeys {
			if k == keyDelay {
				appendCapacityKeys(&b, st.Capacity, ev.capNamed)
			}
			if !ev.named[k] {
				continue
			}
			b.WriteString(" ")
			b.WriteString(keyNames[k])
			b.WriteString("=")
			switch k {
			case keyDelay:
				b.WriteString(st.Delay.String())
			case keyError:
				b.WriteString(st.Err)
			default:
				b.WriteString(formatValue(traceRows[k], &st.Readings))
			}
		}
		b.WriteString("\n")
	}
	if t.hasEnd {
		b.WriteString("@" + t.end.String() + " end\n")
	}
	return b.String()
}

func formatUint(v uint64) string { return strconv.FormatUint(v, 10) }

// formatValue is the value of f's field in r in its shortest form, or -
// when unknown.
func formatValue(f provider.Field, r *provider.Snapshot) string {
	g := f.Get
	switch f.Type {
	case provider.Percent:
		return optString(*g.Float(r), func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) })
	case provider.Uint:
		return optString(*g.Uint(r), formatUint)
	case provider.Pct8:
		return optString(*g.Pct8(r), func(v uint8) string { return formatUint(uint64(v)) })
	case provider.Duration:
		return optString(*g.Duration(r), time.Duration.String)
	case provider.Thermal:
		if t := *g.Thermal(r); t.Known() {
			return t.String()
		}
		return "-"
	case provider.Pressure:
		return g.Pressure(r).String()
	}
	return "-"
}

func optString[T any](o provider.Opt[T], f func(T) string) string {
	if !o.Valid {
		return "-"
	}
	return f(o.V)
}
