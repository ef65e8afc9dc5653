package restelotel_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/restel/restel/aggregate"
	restelotel "github.com/restel/restel/otel"
	"github.com/restel/restel/provider"
)

var fullUsage = aggregate.Usage{
	CPUAvgPct:          provider.Some(41.25),
	CPUPeakPct:         provider.Some(97.5),
	ProcessRSSPeakMB:   provider.Some[uint64](2400),
	AvailableMemMinMB:  provider.Some[uint64](1000),
	MemoryPressurePeak: provider.MemoryPressureWarn,
	ThermalPeak:        provider.ThermalHot,
	BatteryPctEnd:      provider.Some[uint8](79),
	SampleCount:        7,
	Mode:               aggregate.SummaryEvery(500 * time.Millisecond),
	DurationMS:         provider.Some[uint64](3000),
	ProcessCPUPct:      provider.Some(30.0),
	CPUStallMS:         provider.Some[uint64](12),
	MemoryStallMS:      provider.Some[uint64](0),
	IOStallMS:          provider.Some[uint64](340),
	CPUThrottledMS:     provider.Some[uint64](5),
	SamplesSkipped:     3,
}

func TestSummaryAttributes(t *testing.T) {
	for _, tc := range []struct {
		name string
		u    aggregate.Usage
		want []attribute.KeyValue
	}{
		{"every field, in wire order", fullUsage, []attribute.KeyValue{
			attribute.Float64("restel.cpu_avg_pct", 41.25),
			attribute.Float64("restel.cpu_peak_pct", 97.5),
			attribute.Int64("restel.process_rss_peak_mb", 2400),
			attribute.Int64("restel.available_mem_min_mb", 1000),
			attribute.String("restel.memory_pressure_peak", "warn"),
			attribute.String("restel.thermal_state_peak", "hot"),
			attribute.Int64("restel.battery_pct_end", 79),
			attribute.Int64("restel.sample_count", 7),
			attribute.String("restel.sampling_mode", "summary"),
			attribute.Int64("restel.sampling_interval_ms", 500),
			attribute.Int64("restel.duration_ms", 3000),
			attribute.Float64("restel.process_cpu_pct", 30),
			attribute.Int64("restel.cpu_stall_ms", 12),
			attribute.Int64("restel.memory_stall_ms", 0),
			attribute.Int64("restel.io_stall_ms", 340),
			attribute.Int64("restel.cpu_throttled_ms", 5),
			attribute.Int64("restel.samples_skipped", 3),
		}},
		{"unknown fields are left out; boundary has no interval", aggregate.Usage{
			SampleCount: 2,
			Mode:        aggregate.ModeBoundary,
		}, []attribute.KeyValue{
			attribute.Int64("restel.sample_count", 2),
			attribute.String("restel.sampling_mode", "boundary"),
			attribute.Int64("restel.samples_skipped", 0),
		}},
		{"out-of-contract values are written as the wire writes them", aggregate.Usage{
			CPUAvgPct:          provider.Some(140.0),
			CPUPeakPct:         provider.Some(math.NaN()),
			ProcessCPUPct:      provider.Some(-3.0),
			BatteryPctEnd:      provider.Some[uint8](250),
			MemoryPressurePeak: provider.MemoryPressure(9),
			ThermalPeak:        provider.ThermalState(9),
			SampleCount:        math.MaxUint64,
			CPUStallMS:         provider.Some[uint64](math.MaxUint64),
			SamplesSkipped:     math.MaxUint64,
			Mode:               aggregate.ModeBoundary,
		}, []attribute.KeyValue{
			attribute.Float64("restel.cpu_avg_pct", 100),
			attribute.Int64("restel.battery_pct_end", 100),
			attribute.Int64("restel.sample_count", math.MaxInt64),
			attribute.String("restel.sampling_mode", "boundary"),
			attribute.Float64("restel.process_cpu_pct", 0),
			attribute.Int64("restel.cpu_stall_ms", math.MaxInt64),
			attribute.Int64("restel.samples_skipped", math.MaxInt64),
		}},
		{"normal and unknown levels", aggregate.Usage{
			MemoryPressurePeak: provider.MemoryPressureNormal,
			ThermalPeak:        provider.ThermalUnknown,
			Mode:               aggregate.ModeBoundary,
			SampleCount:        2,
		}, []attribute.KeyValue{
			attribute.String("restel.memory_pressure_peak", "normal"),
			attribute.Int64("restel.sample_count", 2),
			attribute.String("restel.sampling_mode", "boundary"),
			attribute.Int64("restel.samples_skipped", 0),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := restelotel.SummaryAttributes(nil, tc.u)
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b attribute.Value) bool { return a == b })); d != "" {
				t.Errorf("attributes (-want +got):\n%s", d)
			}
		})
	}
}

// TestSetSummaryOnSpan: the summary lands on the span as attributes, not
// as an event.
func TestSetSummaryOnSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	_, span := tp.Tracer("test").Start(context.Background(), "infer")
	span.SetAttributes(attribute.String("gen_ai.request.model", "tiny"))
	restelotel.SetSummary(span, fullUsage)
	span.End()

	ended := rec.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans ended, want 1", len(ended))
	}
	s := ended[0]
	if len(s.Events()) != 0 {
		t.Errorf("span events %v, want none", s.Events())
	}
	want := append([]attribute.KeyValue{attribute.String("gen_ai.request.model", "tiny")}, restelotel.SummaryAttributes(nil, fullUsage)...)
	if d := cmp.Diff(want, s.Attributes(), cmp.Comparer(func(a, b attribute.Value) bool { return a == b })); d != "" {
		t.Errorf("span attributes (-want +got):\n%s", d)
	}
}

func TestSetSummaryNonRecording(t *testing.T) {
	restelotel.SetSummary(nil, fullUsage) // no panic
	_, span := noop.NewTracerProvider().Tracer("t").Start(context.Background(), "x")
	restelotel.SetSummary(span, fullUsage)
	if n := testing.AllocsPerRun(100, func() { restelotel.SetSummary(span, fullUsage) }); n != 0 {
		t.Errorf("SetSummary on a non-recording span allocates %v times, want 0", n)
	}
}
