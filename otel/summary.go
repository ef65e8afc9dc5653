package restelotel

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/restel/restel/aggregate"
)

// SummaryPrefix is the namespace of the summary attributes.
const SummaryPrefix = "restel."

// SetSummary sets u, a run's usage summary, on span as attributes named
// restel.<field> after the summary's wire fields (docs/contract.md §4):
// restel.cpu_avg_pct, restel.process_rss_peak_mb, ... A nil or
// non-recording span is left alone. See [SummaryAttributes] for the
// types.
func SetSummary(span trace.Span, u aggregate.Usage) {
	if span == nil || !span.IsRecording() {
		return
	}
	span.SetAttributes(SummaryAttributes(make([]attribute.KeyValue, 0, len(aggregate.SummaryFields())), u)...)
}

// SummaryAttributes appends the fields of u's wire form
// ([aggregate.Usage.Wire]) to dst as attributes, one per row of
// [aggregate.SummaryFields] in the wire order, and returns the extended
// slice: percentages as float64, MiB, milliseconds and counts as int64,
// memory_pressure_peak, thermal_state_peak and sampling_mode as their wire
// strings. A field the summary does not know is left out rather than
// written as a zero: an unknown number, a memory pressure or thermal peak
// of no reading, and sampling_interval_ms for a mode without an interval.
func SummaryAttributes(dst []attribute.KeyValue, u aggregate.Usage) []attribute.KeyValue {
	u = u.Wire()
	for _, f := range aggregate.SummaryFields() {
		if kv, ok := summaryAttribute(f, &u); ok {
			dst = append(dst, kv)
		}
	}
	return dst
}

// summaryAttribute is the attribute of field f of u, and whether u knows
// it.
func summaryAttribute(f aggregate.SummaryField, u *aggregate.Usage) (attribute.KeyValue, bool) {
	key := SummaryPrefix + f.Key
	switch g := f.Get; {
	case f.Key == "sampling_mode":
		return attribute.String(key, u.Mode.WireLabel()), true
	case f.Key == "sampling_interval_ms":
		return attribute.Int64(key, u.Mode.Interval.Milliseconds()), u.Mode.Sampled()
	case !g.Known(u):
		return attribute.KeyValue{}, false
	case g.Float != nil:
		return attribute.Float64(key, g.Float(u).V), true
	case g.Uint != nil:
		return attribute.Int64(key, clampInt64(g.Uint(u).V)), true
	case g.Pct8 != nil:
		return attribute.Int64(key, int64(g.Pct8(u).V)), true
	case g.Count != nil:
		return attribute.Int64(key, clampInt64(*g.Count(u))), true
	case g.Pressure != nil:
		return attribute.String(key, g.Pressure(u).String()), true
	case g.Thermal != nil:
		return attribute.String(key, g.Thermal(u).String()), true
	}
	return attribute.KeyValue{}, false
}

// clampInt64 converts v to int64, saturating at the largest int64.
func clampInt64(v uint64) int64 { return int64(min(v, math.MaxInt64)) }
