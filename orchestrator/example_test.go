package orchestrator_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// A three-stage pipeline whose every stage call is a run: each stage's
// "complete" event carries the call's resource_summary. The device is a
// scripted trace on a manual clock that the stages advance as they work.
func ExampleStage() {
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
	clock := fake.NewManualClock(time.Unix(1_700_000_000, 0))
	device := fake.New(tr, fake.WithClock(clock))
	work := clock.Advance // a stage "works" by moving the device's clock

	// The monitor a runtime embeds: one per process (or restel.Default()).
	m := orchestrator.New(provider.Func(device.Snapshot), orchestrator.WithReadTimeout(time.Second))
	defer m.Close()
	// A runtime would pass m.ModeFromEnv(configured), which applies the
	// RESTEL_RESOURCE_TELEMETRY override; the example pins its mode.
	mode := aggregate.ModeBoundary
	emit := func(ev orchestrator.Event) { fmt.Printf("%s\n", ev.AppendJSON(nil)) }

	tokenize := orchestrator.Stage(m, "tokenize", mode, func(_ context.Context, text string) ([]string, error) {
		work(time.Second)
		return strings.Fields(text), nil
	}, emit)
	generate := orchestrator.Stage(m, "generate", mode, func(_ context.Context, toks []string) ([]string, error) {
		work(3 * time.Second)
		return append(toks, "world"), nil
	}, emit)
	detokenize := orchestrator.Stage(m, "detokenize", mode, func(_ context.Context, toks []string) (string, error) {
		work(time.Second)
		return strings.Join(toks, " "), nil
	}, emit)

	ctx := context.Background()
	toks, _ := tokenize(ctx, "hello")
	toks, _ = generate(ctx, toks)
	out, _ := detokenize(ctx, toks)
	fmt.Println(out)
	// Output:
	// {"stage":"tokenize","error":null,"resource_summary":{"cpu_avg_pct":60,"cpu_peak_pct":60,"process_rss_peak_mb":900,"available_mem_min_mb":5200,"memory_pressure_peak":"normal","thermal_state_peak":"normal","battery_pct_end":80,"sample_count":2,"sampling_mode":"boundary","duration_ms":1000,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}}
	// {"stage":"generate","error":null,"resource_summary":{"cpu_avg_pct":95,"cpu_peak_pct":95,"process_rss_peak_mb":2400,"available_mem_min_mb":1000,"memory_pressure_peak":"warn","thermal_state_peak":"warm","battery_pct_end":80,"sample_count":2,"sampling_mode":"boundary","duration_ms":3000,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}}
	// {"stage":"detokenize","error":null,"resource_summary":{"cpu_avg_pct":15,"cpu_peak_pct":15,"process_rss_peak_mb":2400,"available_mem_min_mb":1000,"memory_pressure_peak":"warn","thermal_state_peak":"warm","battery_pct_end":79,"sample_count":2,"sampling_mode":"boundary","duration_ms":1000,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}}
	// hello world
}
