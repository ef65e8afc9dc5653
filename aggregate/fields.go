package aggregate

//go:generate go run ../internal/fieldgen -pkg aggregate -out fields_gen.go

import "github.com/restel/restel/provider"

// Fold is how a run folds a snapshot field into a summary field.
type Fold uint8

// Folds.
const (
	// Max is the highest known value of the field over the run's
	// snapshots.
	Max Fold = iota + 1
	// Min is the lowest known value.
	Min
	// Worst is the most severe level (unknown below every reading).
	Worst
	// Last is the last known value.
	Last
	// IntervalMean is the duration-weighted mean of the field's value
	// over the run's intervals (each interval takes the value of the
	// snapshot that ends it); with Counters, the whole run's share from
	// counters wins when they are known.
	IntervalMean
	// IntervalPeak is the highest per-interval value.
	IntervalPeak
	// Delta is a cumulative counter's growth from the run's first
	// snapshot to its last, in whole milliseconds.
	Delta
	// Run is a property of the run itself (sample count, mode, duration,
	// skipped samples), computed by the aggregator, not folded from a
	// snapshot field.
	Run
)

// SummaryField describes one field of a run's [Usage] summary once: its
// encoder, wire rules and folding are generated from the rows
// (fields_gen.go); decoding, the OpenTelemetry attributes and the
// documentation read them.
type SummaryField struct {
	// Key is the wire key ("cpu_avg_pct").
	Key string
	// Name is the Go field of Usage ("CPUAvgPct"); "" for the mode's
	// fields, written from Usage.Mode.
	Name string
	// Type is how it holds its value (see [provider.Type]).
	Type provider.Type
	// Unit is the unit of its value ("%", "MiB", "ms", "" for a level or
	// a count).
	Unit string
	// Fold is how a run computes it.
	Fold Fold
	// Of is the wire key of the snapshot field it folds
	// ([provider.SnapshotFields]).
	Of string
	// Util, for an IntervalMean or IntervalPeak, is a Go expression of an
	// interval's value from the counters of its two ends (prev and s),
	// tried before the snapshot's own value; "" for none.
	Util string
	// Whole, for an IntervalMean, is a Go expression of the whole run's
	// value from the counters of its ends (a.start and end), used when
	// known instead of the mean; "" for none.
	Whole string
	// Baseline, for Worst, is the Go expression of the level the summary
	// reports at least.
	Baseline string
	// Optional marks a never-null field that a summary may leave out
	// (read as zero: a summary written before the field existed).
	Optional bool
	// Doc is a one-line description.
	Doc string

	// Get reaches the field in a Usage (all nil for the mode's fields,
	// read from Usage.Mode). It is filled from Name by go generate.
	Get provider.Access[Usage]
}

// SummaryFields describes every field of the summary in wire order
// (docs/contract.md §4). The result is shared: do not modify it.
func SummaryFields() []SummaryField { return summaryFields[:] }

var summaryFields = [...]SummaryField{
	{Key: "cpu_avg_pct", Name: "CPUAvgPct", Type: provider.Percent, Unit: "%", Fold: IntervalMean, Of: "cpu_pct",
		Util: "busyRatio(prev.CPUBusy, s.Counters.CPUBusy, prev.CPUTotal, s.Counters.CPUTotal)",
		Doc:  "duration-weighted mean of the device's CPU use"},
	{Key: "cpu_peak_pct", Name: "CPUPeakPct", Type: provider.Percent, Unit: "%", Fold: IntervalPeak, Of: "cpu_pct",
		Doc: "highest per-interval CPU use"},
	{Key: "process_rss_peak_mb", Name: "ProcessRSSPeakMB", Type: provider.Uint, Unit: "MiB", Fold: Max, Of: "process_rss_mb",
		Doc: "highest resident set of the process (raised by the kernel's high-water mark when it grew during the run)"},
	{Key: "available_mem_min_mb", Name: "AvailableMemMinMB", Type: provider.Uint, Unit: "MiB", Fold: Min, Of: "available_mem_mb",
		Doc: "lowest available memory"},
	{Key: "memory_pressure_peak", Name: "MemoryPressurePeak", Type: provider.Pressure, Fold: Worst, Of: "memory_pressure",
		Doc: "worst memory pressure"},
	{Key: "thermal_state_peak", Name: "ThermalPeak", Type: provider.Thermal, Fold: Worst, Of: "thermal_state", Baseline: "provider.ThermalNormal",
		Doc: "worst thermal state, normal at least"},
	{Key: "battery_pct_end", Name: "BatteryPctEnd", Type: provider.Pct8, Unit: "%", Fold: Last, Of: "battery_pct",
		Doc: "last known battery charge"},
	{Key: "sample_count", Name: "SampleCount", Type: provider.Count, Fold: Run,
		Doc: "snapshots observed"},
	{Key: "sampling_mode", Fold: Run,
		Doc: "the run's mode"},
	{Key: "sampling_interval_ms", Unit: "ms", Fold: Run,
		Doc: "the run's sampling interval; left out for boundary"},
	{Key: "duration_ms", Name: "DurationMS", Type: provider.Uint, Unit: "ms", Fold: Run,
		Doc: "wall time from the first snapshot to the last"},
	{Key: "process_cpu_pct", Name: "ProcessCPUPct", Type: provider.Percent, Unit: "%", Fold: IntervalMean, Of: "process_cpu_pct",
		Whole: "ratio(a.start.ProcessCPU, end.ProcessCPU, a.start.CPUTotal, end.CPUTotal)",
		Doc:   "the process's share of the device's CPU time"},
	{Key: "cpu_stall_ms", Name: "CPUStallMS", Type: provider.Uint, Unit: "ms", Fold: Delta, Of: "cpu_stall",
		Doc: "growth of the CPU pressure-stall total"},
	{Key: "memory_stall_ms", Name: "MemoryStallMS", Type: provider.Uint, Unit: "ms", Fold: Delta, Of: "memory_stall",
		Doc: "growth of the memory pressure-stall total"},
	{Key: "io_stall_ms", Name: "IOStallMS", Type: provider.Uint, Unit: "ms", Fold: Delta, Of: "io_stall",
		Doc: "growth of the IO pressure-stall total"},
	{Key: "cpu_throttled_ms", Name: "CPUThrottledMS", Type: provider.Uint, Unit: "ms", Fold: Delta, Of: "cpu_throttled",
		Doc: "growth of the cgroup's throttled time"},
	{Key: "gpu_busy_avg_pct", Name: "GPUBusyAvgPct", Type: provider.Percent, Unit: "%", Fold: IntervalMean, Of: "gpu_busy_pct",
		Util: "accelBusy(prev, s)",
		Doc:  "duration-weighted mean of the busiest accelerator's busy share"},
	{Key: "gpu_busy_peak_pct", Name: "GPUBusyPeakPct", Type: provider.Percent, Unit: "%", Fold: IntervalPeak, Of: "gpu_busy_pct",
		Doc: "highest per-interval accelerator busy share"},
	{Key: "gpu_mem_peak_mb", Name: "GPUMemPeakMB", Type: provider.Uint, Unit: "MiB", Fold: Max, Of: "gpu_mem_used_mb",
		Doc: "highest device memory in use"},
	{Key: "process_gpu_mem_peak_mb", Name: "ProcessGPUMemPeakMB", Type: provider.Uint, Unit: "MiB", Fold: Max, Of: "process_gpu_mem_mb",
		Doc: "highest device memory the process held"},
	{Key: "samples_skipped", Name: "SamplesSkipped", Type: provider.Count, Fold: Run, Optional: true,
		Doc: "mid-run samples due but not taken"},
}
