package orchestrator

import (
	"context"
	"unicode/utf8"

	"github.com/restel/restel/aggregate"
)

// ResourceSummaryField is the field a run's summary is attached under in a
// telemetry event (docs/contract.md §1). The original runtime hoists exactly this
// field from the event's data to the top level of the platform event.
const ResourceSummaryField = "resource_summary"

// StageFunc is one pipeline stage: a call takes an input and yields an
// output or an error.
type StageFunc[In, Out any] func(ctx context.Context, in In) (Out, error)

// Event is the telemetry event of one stage call — the "stage complete"
// event a pipeline emits — with the call's resource summary attached.
type Event struct {
	// Stage is the stage's name.
	Stage string
	// Err is the error the stage returned, if any.
	Err error
	// ResourceSummary is the call's usage summary, meaningful only when
	// HasSummary is true: the run produced none for mode Off, a cancelled
	// context or a closed monitor. (The pair is what [Run.Finish]
	// returns.)
	ResourceSummary aggregate.Usage
	HasSummary      bool
}

// AppendJSON appends the event as one JSON object:
// {"stage":NAME,"error":TEXT|null,"resource_summary":{...}}, the summary
// field omitted when there is none.
func (e Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"stage":`...)
	dst = appendJSONString(dst, e.Stage)
	dst = append(dst, `,"error":`...)
	if e.Err != nil {
		dst = appendJSONString(dst, e.Err.Error())
	} else {
		dst = append(dst, "null"...)
	}
	if e.HasSummary {
		dst = append(dst, `,"`+ResourceSummaryField+`":`...)
		dst = e.ResourceSummary.AppendJSON(dst)
	}
	return append(dst, '}')
}

// MarshalJSON implements json.Marshaler with [Event.AppendJSON].
func (e Event) MarshalJSON() ([]byte, error) { return e.AppendJSON(make([]byte, 0, 320)), nil }

// Stage wraps f so that each call is one run of m in mode (a valid
// RESTEL_RESOURCE_TELEMETRY value takes precedence, as in
// [Monitor.BeginRun]): the run begins before f and finishes when f returns, with or without an error,
// and emit (when not nil) receives the call's [Event] with the summary
// attached as resource_summary. The run is discarded when the call's
// context is cancelled, and when f panics (the panic propagates; no event
// is emitted). A nil m samples nothing.
func Stage[In, Out any](m *Monitor, name string, mode aggregate.Mode, f StageFunc[In, Out], emit func(Event)) StageFunc[In, Out] {
	return func(ctx context.Context, in In) (Out, error) {
		run := m.BeginRun(ctx, mode)
		defer run.Close()
		out, err := f(ctx, in)
		ev := Event{Stage: name, Err: err}
		ev.ResourceSummary, ev.HasSummary = run.Finish()
		if emit != nil {
			emit(ev)
		}
		return out, err
	}
}

// appendJSONString appends s as a JSON string (RFC 8259 §7), as
// encoding/json writes it minus the HTML escapes: control characters as
// \n, \r, \t or \u00XX, invalid UTF-8 as U+FFFD, and U+2028 and U+2029
// escaped so the output is also valid JavaScript.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b >= 0x20 && b != '"' && b != '\\' && b < utf8.RuneSelf {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
