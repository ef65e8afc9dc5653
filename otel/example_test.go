package restelotel_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/orchestrator"
	restelotel "github.com/restel/restel/otel"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// A three-stage inference pipeline: each stage is a span, and each span
// carries its stage's resource summary as restel.* attributes. The device
// is a scripted trace on a manual clock that the stages advance as they
// work; a real program passes its own TracerProvider and
// restel.Default().
func ExampleSetSummary() {
	tr, err := fake.Parse("phone.trace", strings.NewReader(`
@0s  cpu=5  rss=200  avail=6000 total=8000 thermal=normal battery=80
@1s  cpu=60 rss=900  avail=5200              # tokenizer done, weights mapped
@4s  cpu=95 rss=2400 avail=1000 thermal=warm # decoding
@5s  cpu=15 rss=400  avail=5800 battery=79   # model unloaded
@6s  end
`))
	if err != nil {
		panic(err)
	}
	clock := fake.NewManualClock(time.Unix(0, 0))
	device := fake.New(tr, fake.WithClock(clock))
	m := orchestrator.New(provider.Func(device.Snapshot), orchestrator.WithReadTimeout(time.Second))
	defer m.Close()

	rec := tracetest.NewSpanRecorder() // in a real program, an exporter
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("pipeline")

	// stage runs f as one span and one restel run, and puts the run's
	// summary on the span.
	stage := func(ctx context.Context, name string, work time.Duration) {
		ctx, span := tracer.Start(ctx, name)
		defer span.End()
		run := m.BeginRun(ctx, aggregate.ModeBoundary)
		defer run.Close()
		clock.Advance(work) // the stage's work
		if u, ok := run.Finish(); ok {
			restelotel.SetSummary(span, u)
		}
	}
	ctx, root := tracer.Start(context.Background(), "generate")
	stage(ctx, "tokenize", time.Second)
	stage(ctx, "decode", 3*time.Second)
	stage(ctx, "detokenize", time.Second)
	root.End()

	show := []attribute.Key{"restel.process_rss_peak_mb", "restel.available_mem_min_mb",
		"restel.memory_pressure_peak", "restel.thermal_state_peak", "restel.battery_pct_end",
		"restel.sample_count", "restel.sampling_mode"}
	for _, s := range rec.Ended() {
		fmt.Print(s.Name())
		attrs := attribute.NewSet(s.Attributes()...)
		for _, k := range show {
			if v, ok := attrs.Value(k); ok {
				fmt.Printf(" %s=%s", strings.TrimPrefix(string(k), "restel."), v.String())
			}
		}
		fmt.Println()
	}
	// Output:
	// tokenize process_rss_peak_mb=900 available_mem_min_mb=5200 memory_pressure_peak=normal thermal_state_peak=normal battery_pct_end=80 sample_count=2 sampling_mode=boundary
	// decode process_rss_peak_mb=2400 available_mem_min_mb=1000 memory_pressure_peak=warn thermal_state_peak=warm battery_pct_end=80 sample_count=2 sampling_mode=boundary
	// detokenize process_rss_peak_mb=2400 available_mem_min_mb=1000 memory_pressure_peak=warn thermal_state_peak=warm battery_pct_end=79 sample_count=2 sampling_mode=boundary
	// generate
}
