// Package aggregate turns a run's snapshots into one usage summary
// (docs/contract.md §3–§4). It is pure: no goroutines, no clock, no I/O. The actors that
// feed it live in the stream and orchestrator packages.
package aggregate

import (
	"fmt"
	"strings"
	"time"
)

// Kind is what a run samples.
type Kind uint8

// Sampling kinds (docs/contract.md §3).
const (
	// Off: no samples, no summary.
	Off Kind = iota
	// Boundary: a start and an end snapshot.
	Boundary
	// Summary: start, one snapshot per interval while running, end.
	Summary
	// DebugLocal: as Summary, and the raw samples kept on local disk only.
	DebugLocal
)

var kindLabels = [...]string{"off", "boundary", "summary", "debug_local"}

// String returns the kind's name: its wire label for the four kinds, and
// Kind(N) for a value no constant names.
func (k Kind) String() string {
	if int(k) < len(kindLabels) {
		return kindLabels[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// WireLabel returns the label written on the wire: "off", "boundary",
// "summary" or "debug_local"; a value no constant names is "off", as
// [Mode.Normalized] treats it. (The rule every enum of restel follows:
// String is the name a person reads, WireLabel never writes a label
// docs/contract.md does not list.)
func (k Kind) WireLabel() string {
	if int(k) < len(kindLabels) {
		return kindLabels[k]
	}
	return kindLabels[Off]
}

// Interval bounds (docs/contract.md §3).
const (
	DefaultInterval = 1000 * time.Millisecond
	MinInterval     = 250 * time.Millisecond
)

// Mode is how much a run samples. The zero Mode is Off. Interval matters
// only for Summary and DebugLocal: zero means DefaultInterval and anything
// below MinInterval is clamped up by [Mode.Normalized].
type Mode struct {
	Kind     Kind
	Interval time.Duration
}

// Convenience modes.
var (
	ModeOff      = Mode{Kind: Off}
	ModeBoundary = Mode{Kind: Boundary}
)

// SummaryEvery returns a Summary mode sampling every d (normalized).
func SummaryEvery(d time.Duration) Mode { return Mode{Kind: Summary, Interval: d}.Normalized() }

// DebugLocalEvery returns a DebugLocal mode sampling every d (normalized).
func DebugLocalEvery(d time.Duration) Mode {
	return Mode{Kind: DebugLocal, Interval: d}.Normalized()
}

// Sampled reports whether the mode needs a periodic sampler.
func (m Mode) Sampled() bool { return m.Kind == Summary || m.Kind == DebugLocal }

// Normalized applies the interval rules: Off and Boundary carry no
// interval; Summary and DebugLocal get DefaultInterval for zero and are
// clamped up to MinInterval. An unknown Kind normalizes to Off.
func (m Mode) Normalized() Mode {
	switch m.Kind {
	case Summary, DebugLocal:
		switch {
		case m.Interval == 0:
			m.Interval = DefaultInterval
		case m.Interval < MinInterval:
			m.Interval = MinInterval
		}
		return m
	case Boundary:
		return ModeBoundary
	default:
		return ModeOff
	}
}

// WireLabel returns the wire label of the mode's kind (the summary's
// sampling_mode), see [Kind.WireLabel].
func (m Mode) WireLabel() string { return m.Kind.WireLabel() }

// String returns the textual form that [ParseMode] reads: "off",
// "boundary", "summary:1s", "debug_local:250ms".
func (m Mode) String() string {
	m = m.Normalized()
	if m.Sampled() {
		return m.Kind.String() + ":" + m.Interval.String()
	}
	return m.Kind.String()
}

// ParseMode parses the textual form of docs/contract.md §3: off, boundary, summary or
// debug_local, optionally followed by ":<Go duration>" for summary and
// debug_local (summary:500ms). Intervals below MinInterval are clamped up;
// a negative interval, an interval on off/boundary, or an unknown label is
// an error naming the problem.
func ParseMode(s string) (Mode, error) {
	label, dur, hasDur := strings.Cut(strings.TrimSpace(s), ":")
	var m Mode
	switch label {
	case "off":
		m.Kind = Off
	case "boundary":
		m.Kind = Boundary
	case "summary":
		m.Kind = Summary
	case "debug_local":
		m.Kind = DebugLocal
	default:
		return ModeOff, fmt.Errorf("invalid mode %q: want off, boundary, summary or debug_local, optionally with :<interval> (summary:500ms)", s)
	}
	if !hasDur {
		return m.Normalized(), nil
	}
	if !m.Sampled() {
		return ModeOff, fmt.Errorf("invalid mode %q: %s takes no interval", s, label)
	}
	d, err := time.ParseDuration(dur)
	if err != nil {
		return ModeOff, fmt.Errorf("invalid mode %q: bad interval: %v", s, err)
	}
	if d < 0 {
		return ModeOff, fmt.Errorf("invalid mode %q: negative interval", s)
	}
	if d < MinInterval {
		d = MinInterval // an explicit interval below the floor, zero included, is clamped
	}
	m.Interval = d
	return m, nil
}

// Set implements flag.Value.
func (m *Mode) Set(s string) error {
	v, err := ParseMode(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// UnmarshalText implements encoding.TextUnmarshaler with [ParseMode].
func (m *Mode) UnmarshalText(b []byte) error { return m.Set(string(b)) }

// MarshalText implements encoding.TextMarshaler with [Mode.String].
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }
