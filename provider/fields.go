package provider

import "strconv"

//go:generate go run ../internal/fieldgen -pkg provider -out fields_gen.go

// Type is how a field of a [Snapshot] or of a run's summary holds its
// value, and so how it is written on the wire, read back and checked.
type Type uint8

// Field types. The wire rule of each is applied by [Snapshot.Wire] (and
// the summary's Wire) before anything is written.
const (
	// Percent is an Opt[float64] in percent: clamped to [0, 100] on the
	// wire, null when unknown or not finite; decoding rejects a value
	// outside [0, 100].
	Percent Type = iota + 1
	// Uint is an Opt[uint64] (MiB, milliseconds): null when unknown.
	Uint
	// Pct8 is an Opt[uint8] percentage (a battery level): at most 100 on
	// the wire, null when unknown; decoding rejects a value above 100.
	Pct8
	// Pressure is a [MemoryPressure]: its label, never null; a value no
	// constant names is "unknown".
	Pressure
	// Thermal is a [ThermalState]: its wire label, never null; unknown is
	// written "normal".
	Thermal
	// UnixMS is an int64 of milliseconds since the Unix epoch, never null,
	// clamped to the epoch on the wire.
	UnixMS
	// Duration is a cumulative Opt[time.Duration] counter, off the wire.
	Duration
	// Count is a uint64 count, never null.
	Count
)

// Field describes one field of a [Snapshot] once: everything that
// encodes, decodes, parses traces, aggregates, exports or shows it reads
// this description. [SnapshotFields] lists them all.
//
// Adding a field is adding a row (and the struct field it names) and
// running go generate, which writes the encoder, the wire rules and the
// accessors from the rows (fields_gen.go).
type Field struct {
	// Key is the wire key ("cpu_pct"); a field off the wire has the key
	// it would have, for its trace key and error messages.
	Key string
	// Name is the Go field of Snapshot that holds it ("CPUPct",
	// "Counters.CPUStall").
	Name string
	// Type is how it holds its value.
	Type Type
	// Unit is the unit of its value ("%", "MiB", "ms", "" for a level).
	Unit string
	// OffWire is true for a field the wire does not carry (counters, the
	// process's CPU share).
	OffWire bool
	// NullWhenZero makes a known zero unknown on the wire (a total memory
	// of 0 comes from a source that did not know).
	NullWhenZero bool
	// Trace is the key a scripted trace sets it with ("cpu"); "" when a
	// trace cannot set it.
	Trace string
	// TraceMax is the largest value a trace may give a Uint field; 0 for
	// no limit beyond the type's.
	TraceMax uint64
	// TraceNonZero rejects a trace value of 0 (a device has memory).
	TraceNonZero bool
	// Bytes names the field of MemoryBytes holding the same value at its
	// source's precision ("Total"), "" when there is none.
	Bytes string
	// Doc is a one-line description.
	Doc string
	// Metric is the metric exporters publish the field as (package
	// export); the zero Metric for a field that is not exported.
	Metric Metric

	// Get reaches the field in a snapshot, GetBytes its MemoryBytes twin
	// (nil when Bytes is ""). Both are filled from Name by go generate.
	Get      Access[Snapshot]
	GetBytes func(*Snapshot) *Opt[uint64]
}

// MetricKind is how an exported metric's value behaves over time, which
// decides its OpenTelemetry instrument and its Prometheus type.
type MetricKind uint8

// Metric kinds.
const (
	// MetricGauge is a value sampled now (an OpenTelemetry observable
	// gauge; a Prometheus gauge).
	MetricGauge MetricKind = iota
	// MetricUpDownCounter is an amount that can rise and fall, as the
	// semantic conventions model memory sizes (an OpenTelemetry
	// observable up-down counter, a non-monotonic sum; a Prometheus
	// gauge).
	MetricUpDownCounter
	// MetricCounter is a cumulative total that never decreases (an
	// OpenTelemetry observable counter, a monotonic sum; a Prometheus
	// counter, named with _total).
	MetricCounter
)

var metricKindNames = [...]string{"gauge", "updowncounter", "counter"}

// String returns the kind's name as the semantic conventions write it:
// "gauge", "updowncounter" or "counter".
func (k MetricKind) String() string {
	if int(k) < len(metricKindNames) {
		return metricKindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Metric is how a field is exported (docs/contract.md §8): package export
// turns it into an OpenTelemetry instrument and a Prometheus series, and
// converts the field's value to the metric's unit (MiB to bytes, at the
// source's precision where the row has a byte twin; a battery-style
// percentage to a ratio; a level to its exported level; a counter to
// seconds).
type Metric struct {
	// Name is the OpenTelemetry instrument name: the semantic
	// conventions' where one means exactly the field, restel.* otherwise.
	Name string
	// Unit is the instrument's UCUM unit ("By", "s", "1", "{level}").
	Unit string
	// Kind is how the value behaves over time.
	Kind MetricKind
	// Description is the instrument's description and the Prometheus
	// HELP text: the convention's brief where there is one.
	Description string
	// Attr is a constant attribute every point carries, as "key=value"
	// ("hw.id=battery"); "" for none.
	Attr string
	// Full is true for a field only a full (run) snapshot fills.
	Full bool
}

// SnapshotFields describes every field of a [Snapshot], wire fields first
// in wire order (docs/contract.md §2). The result is shared: do not
// modify it.
func SnapshotFields() []Field { return snapshotFields[:] }

// traceMaxMiB is the largest MiB value a trace may give (2^40 MiB, an
// exbibyte): it keeps memory arithmetic far from overflow.
const traceMaxMiB = 1 << 40

var snapshotFields = [...]Field{
	{Key: "cpu_pct", Name: "CPUPct", Type: Percent, Unit: "%", Trace: "cpu",
		Doc: "system-wide CPU use in percent of all CPUs"},
	{Key: "process_rss_mb", Name: "ProcessRSSMB", Type: Uint, Unit: "MiB", Trace: "rss", TraceMax: traceMaxMiB, Bytes: "ProcessRSS",
		Doc: "the observed process's resident set size",
		Metric: Metric{Name: "process.memory.usage", Unit: "By", Kind: MetricUpDownCounter,
			Description: "The amount of physical memory in use."}},
	{Key: "available_mem_mb", Name: "AvailableMemMB", Type: Uint, Unit: "MiB", Trace: "avail", TraceMax: traceMaxMiB, Bytes: "Available",
		Doc: "memory available to the process, at most total_mem_mb",
		Metric: Metric{Name: "system.memory.linux.available", Unit: "By", Kind: MetricUpDownCounter,
			Description: "An estimate of how much memory is available for starting new applications, without causing swapping."}},
	{Key: "total_mem_mb", Name: "TotalMemMB", Type: Uint, Unit: "MiB", Trace: "total", TraceMax: traceMaxMiB, TraceNonZero: true, NullWhenZero: true, Bytes: "Total",
		Doc: "total memory, bounded by the container's limit",
		Metric: Metric{Name: "system.memory.limit", Unit: "By", Kind: MetricUpDownCounter,
			Description: "Total virtual memory available in the system."}},
	{Key: "memory_pressure", Name: "MemoryPressure", Type: Pressure, Trace: "pressure",
		Doc: "memory pressure, at least what available/total derive (a trace sets the native signal)",
		Metric: Metric{Name: "restel.memory.pressure", Unit: "{level}", Kind: MetricGauge,
			Description: "Memory pressure level: 0 normal, 1 warn, 2 critical."}},
	{Key: "thermal_state", Name: "Thermal", Type: Thermal, Trace: "thermal",
		Doc: "the device's thermal state",
		Metric: Metric{Name: "restel.thermal.state", Unit: "{level}", Kind: MetricGauge,
			Description: "Thermal state level: 0 normal, 1 warm, 2 hot, 3 critical."}},
	{Key: "battery_pct", Name: "BatteryPct", Type: Pct8, Unit: "%", Trace: "battery",
		Doc: "battery charge",
		Metric: Metric{Name: "hw.battery.charge", Unit: "1", Kind: MetricGauge, Attr: "hw.id=battery",
			Description: "Remaining fraction of battery charge."}},
	{Key: "captured_at_ms", Name: "CapturedAtMS", Type: UnixMS, Unit: "ms",
		Doc: "when the snapshot was taken"},
	{Key: "gpu_mem_used_mb", Name: "GPUMemUsedMB", Type: Uint, Unit: "MiB", Trace: "gpu_mem", TraceMax: traceMaxMiB,
		Doc: "device memory in use, summed over the discrete accelerators, at most gpu_mem_total_mb"},
	{Key: "gpu_mem_total_mb", Name: "GPUMemTotalMB", Type: Uint, Unit: "MiB", Trace: "gpu_total", TraceMax: traceMaxMiB, TraceNonZero: true, NullWhenZero: true,
		Doc: "device memory, summed over the discrete accelerators"},
	{Key: "gpu_busy_pct", Name: "GPUBusyPct", Type: Percent, Unit: "%", Trace: "gpu_busy",
		Doc: "the busiest accelerator's busy share over its last interval"},
	{Key: "process_gpu_mem_mb", Name: "ProcessGPUMemMB", Type: Uint, Unit: "MiB", Trace: "pgpu_mem", TraceMax: traceMaxMiB,
		Doc: "device memory the observed process holds, summed over every accelerator"},

	{Key: "process_cpu_pct", Name: "ProcessCPUPct", Type: Percent, Unit: "%", OffWire: true, Trace: "pcpu",
		Doc: "the observed process's CPU use over the last interval"},
	{Key: "cpu_busy", Name: "Counters.CPUBusy", Type: Duration, Unit: "s", OffWire: true,
		Doc: "busy CPU time of all CPUs",
		Metric: Metric{Name: "restel.cpu.time", Unit: "s", Kind: MetricCounter, Attr: "state=busy",
			Description: "CPU time of all CPUs together, by state: busy, or idle (idle includes I/O wait)."}},
	{Key: "cpu_total", Name: "Counters.CPUTotal", Type: Duration, Unit: "s", OffWire: true,
		Doc: "CPU time of all CPUs"},
	{Key: "process_cpu", Name: "Counters.ProcessCPU", Type: Duration, Unit: "s", OffWire: true,
		Doc: "user+system CPU time of the observed process"},
	{Key: "cpu_stall", Name: "Counters.CPUStall", Type: Duration, Unit: "s", OffWire: true, Trace: "cpu_stall",
		Doc: "time some task waited for a CPU",
		Metric: Metric{Name: "restel.cpu.stall.time", Unit: "s", Kind: MetricCounter, Full: true,
			Description: "Time some task waited for a CPU (Linux pressure stall information, cpu some total)."}},
	{Key: "memory_stall", Name: "Counters.MemoryStall", Type: Duration, Unit: "s", OffWire: true, Trace: "mem_stall",
		Doc: "time some task waited for memory",
		Metric: Metric{Name: "restel.memory.stall.time", Unit: "s", Kind: MetricCounter, Full: true,
			Description: "Time some task waited for memory (Linux pressure stall information, memory some total)."}},
	{Key: "io_stall", Name: "Counters.IOStall", Type: Duration, Unit: "s", OffWire: true, Trace: "io_stall",
		Doc: "time some task waited for IO",
		Metric: Metric{Name: "restel.io.stall.time", Unit: "s", Kind: MetricCounter, Full: true,
			Description: "Time some task waited for IO (Linux pressure stall information, io some total)."}},
	{Key: "cpu_throttled", Name: "Counters.Throttled", Type: Duration, Unit: "s", OffWire: true, Trace: "throttled",
		Doc: "time the cgroup was throttled by its CPU quota",
		Metric: Metric{Name: "restel.cpu.throttled.time", Unit: "s", Kind: MetricCounter, Full: true,
			Description: "Time the process's cgroup was throttled by its CPU quota."}},
	{Key: "rss_high_water_mb", Name: "Counters.RSSHighWaterMB", Type: Uint, Unit: "MiB", OffWire: true,
		Doc: "the kernel's high-water mark of the process's resident set"},
}

// SnapshotField returns the row of the snapshot field with wire key key.
func SnapshotField(key string) (Field, bool) {
	for _, f := range snapshotFields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}
