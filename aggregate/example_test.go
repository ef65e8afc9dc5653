package aggregate_test

import (
	"fmt"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

// A run's CPU is measured over its intervals: the start snapshot's own
// cpu_pct covers time before the run and never counts, and each interval
// weighs its duration.
func ExampleAggregator() {
	var a aggregate.Aggregator
	a.Observe(provider.Snapshot{CPUPct: provider.Some(100.0), CapturedAtMS: 0}) // start: a burn before the run
	a.Observe(provider.Snapshot{CPUPct: provider.Some(10.0), CapturedAtMS: 3000})
	a.Observe(provider.Snapshot{CPUPct: provider.Some(50.0), CapturedAtMS: 4000}) // end
	u := a.Usage(aggregate.ModeBoundary)
	fmt.Println(u.CPUAvgPct.V, u.CPUPeakPct.V, u.DurationMS.V, u.SampleCount)
	// Output: 20 50 4000 3
}

// ObserveRepeat folds a span of identical samples in at once, exactly as
// observing them one by one would: here a whole day at 250 ms.
func ExampleAggregator_ObserveRepeat() {
	var a aggregate.Aggregator
	a.Observe(provider.Snapshot{CPUPct: provider.Some(5.0)})
	n := uint64(24 * time.Hour / (250 * time.Millisecond))
	a.ObserveRepeat(provider.Snapshot{CPUPct: provider.Some(30.0), CapturedAtMS: 250}, n, 250*time.Millisecond)
	u := a.Usage(aggregate.SummaryEvery(250 * time.Millisecond))
	fmt.Println(u.CPUAvgPct.V, u.SampleCount, u.DurationMS.V)
	// Output: 30 345601 86400000
}
