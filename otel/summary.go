package restelotel

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
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
	var buf [20]attribute.KeyValue
	span.SetAttributes(SummaryAttributes(buf[:0], u)...)
}

// SummaryAttributes appends the fields of u's wire form
// ([aggregate.Usage.Wire]) to dst as attributes, in the wire order, and
// returns the extended slice: percentages as float64, MiB, milliseconds
// and counts as int64, memory_pressure_peak, thermal_state_peak and
// sampling_mode as their wire strings. A field the summary does not know is left out rather
// than written as a zero: an unknown number, a memory pressure or
// thermal peak of no reading, and sampling_interval_ms for a mode without
// an interval.
func SummaryAttributes(dst []attribute.KeyValue, u aggregate.Usage) []attribute.KeyValue {
	u = u.Wire()
	dst = appendPct(dst, "cpu_avg_pct", u.CPUAvgPct)
	dst = appendPct(dst, "cpu_peak_pct", u.CPUPeakPct)
	dst = appendInt(dst, "process_rss_peak_mb", u.ProcessRSSPeakMB)
	dst = appendInt(dst, "available_mem_min_mb", u.AvailableMemMinMB)
	if u.MemoryPressurePeak != provider.MemoryPressureUnknown {
		dst = append(dst, attribute.String(SummaryPrefix+"memory_pressure_peak", u.MemoryPressurePeak.String()))
	}
	if u.ThermalPeak.Known() {
		dst = append(dst, attribute.String(SummaryPrefix+"thermal_state_peak", u.ThermalPeak.String()))
	}
	if u.BatteryPctEnd.Valid {
		dst = append(dst, attribute.Int64(SummaryPrefix+"battery_pct_end", int64(u.BatteryPctEnd.V)))
	}
	dst = append(dst, attribute.Int64(SummaryPrefix+"sample_count", clampInt64(u.SampleCount)))
	dst = append(dst, attribute.String(SummaryPrefix+"sampling_mode", u.Mode.Label()))
	if u.Mode.Sampled() {
		dst = append(dst, attribute.Int64(SummaryPrefix+"sampling_interval_ms", u.Mode.Interval.Milliseconds()))
	}
	dst = appendInt(dst, "duration_ms", u.DurationMS)
	dst = appendPct(dst, "process_cpu_pct", u.ProcessCPUPct)
	dst = appendInt(dst, "cpu_stall_ms", u.CPUStallMS)
	dst = appendInt(dst, "memory_stall_ms", u.MemoryStallMS)
	dst = appendInt(dst, "io_stall_ms", u.IOStallMS)
	dst = appendInt(dst, "cpu_throttled_ms", u.CPUThrottledMS)
	dst = append(dst, attribute.Int64(SummaryPrefix+"samples_skipped", clampInt64(u.SamplesSkipped)))
	return dst
}

// appendPct appends a percentage of u.Wire() (already clamped).
func appendPct(dst []attribute.KeyValue, field string, o provider.Opt[float64]) []attribute.KeyValue {
	if !o.Valid {
		return dst
	}
	return append(dst, attribute.Float64(SummaryPrefix+field, o.V))
}

func appendInt(dst []attribute.KeyValue, field string, o provider.Opt[uint64]) []attribute.KeyValue {
	if !o.Valid {
		return dst
	}
	return append(dst, attribute.Int64(SummaryPrefix+field, clampInt64(o.V)))
}

// clampInt64 converts v to int64, saturating at the largest int64.
func clampInt64(v uint64) int64 { return int64(min(v, math.MaxInt64)) }
