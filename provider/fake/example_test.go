package fake_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/replay"
)

// Parse a small trace, replay it in summary mode every 250 ms on a fake
// clock (no sleeping) and print the usage summary.
func Example() {
	const trace = `# a model warms a phone up, then a sensor read fails once
@0s     cpu=20 pcpu=5 rss=300 avail=3000 total=4000 thermal=normal battery=50 io_stall=2s
@500ms  cpu=80 pcpu=60 rss=900 avail=500 thermal=warm    # 12.5 % free: warn
@750ms  error=thermal zone read: EAGAIN
@1s     cpu=30 pcpu=15 battery=49 io_stall=2.4s
@1.25s  end
`
	tr, err := fake.Parse("warmup.trace", strings.NewReader(trace))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Samples at 0, 250, 500, 750 (fails: all unknown), 1000 and the end
	// at 1250 ms. Each 250 ms interval takes the later sample's cpu: 20,
	// 80, unknown, 30, 30 (the start's own cpu covers time before the
	// run), so cpu_avg_pct is 160/4; pcpu likewise gives 95/4.
	res, err := replay.Run(context.Background(), fake.NewReplay(tr), aggregate.SummaryEvery(250*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s\n", res.Summary.AppendJSON(nil))
	fmt.Println("failed reads:", res.ReadErrors)
	// Output:
	// {"cpu_avg_pct":40,"cpu_peak_pct":80,"process_rss_peak_mb":900,"available_mem_min_mb":500,"memory_pressure_peak":"warn","thermal_state_peak":"warm","battery_pct_end":49,"sample_count":6,"sampling_mode":"summary","sampling_interval_ms":250,"duration_ms":1250,"process_cpu_pct":23.75,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":400,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}
	// failed reads: 1
}

// A syntax error names the trace and the line.
func ExampleParse_error() {
	_, err := fake.Parse("bad.trace", strings.NewReader("@0s cpu=12\n@1s cpu=120\n"))
	fmt.Println(err)
	// Output:
	// bad.trace:2: cpu 120 outside [0, 100] percent
}
