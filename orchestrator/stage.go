package orchestrator

import (
	"bytes"
	"context"
	"encoding/json"

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
	// HasSummary is true: the run produced none for mode Off or a closed
	// monitor. A call that failed or hit its deadline keeps its summary.
	// (The pair is what [Run.Finish] returns.)
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

// Stage wraps f so that each call is one run of m in mode, taken as
// given, as [Monitor.BeginRun] takes it (a program that lets
// RESTEL_RESOURCE_TELEMETRY choose passes [Monitor.ModeFromEnv]'s result,
// read once when it builds the stage): the run begins before f and
// finishes when f returns, with or without an error, and emit (when not nil) receives the
// call's [Event] with the summary attached as resource_summary. A call
// whose context is cancelled or passes its deadline stops sampling then,
// and its event carries both the error and the summary (start, the
// samples before the cancel, end). The run is discarded only when f
// panics (the panic propagates; no event is emitted). A nil m samples
// nothing.
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

// appendJSONString appends s as a JSON string, as encoding/json writes it
// minus the HTML escapes: control characters as \n, \r, \t or \u00XX,
// invalid UTF-8 as U+FFFD, and U+2028 and U+2029 escaped so the output is
// also valid JavaScript.
func appendJSONString(dst []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(dst, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
}
