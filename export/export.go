// Package export is the one table of metrics restel exports to the
// observability stacks its users already run (docs/contract.md §8): the
// OpenTelemetry bridge (the nested module github.com/restel/restel/otel)
// registers an instrument per metric, and `restel serve` exposes the same
// entries on /metrics in the Prometheus text format, under the names the
// OpenTelemetry-to-Prometheus translation gives them, so a dashboard works
// against either path.
//
// # Metrics
//
// OpenTelemetry semantic-convention names are used where the convention
// means exactly what restel measures; restel.* names otherwise.
//
//	OpenTelemetry name             unit     kind            Prometheus name (type)
//	process.memory.usage           By       up-down counter process_memory_usage_bytes (gauge)
//	system.memory.limit            By       up-down counter system_memory_limit_bytes (gauge)
//	system.memory.linux.available  By       up-down counter system_memory_linux_available_bytes (gauge)
//	restel.memory.available        By       up-down counter restel_memory_available_bytes (gauge)
//	hw.battery.charge              1        gauge           hw_battery_charge_ratio (gauge)
//	restel.cpu.time                s        counter         restel_cpu_time_seconds_total (counter)
//	restel.memory.pressure         {level}  gauge           restel_memory_pressure (gauge)
//	restel.thermal.state           {level}  gauge           restel_thermal_state (gauge)
//	restel.cpu.stall.time          s        counter         restel_cpu_stall_time_seconds_total (counter)
//	restel.memory.stall.time       s        counter         restel_memory_stall_time_seconds_total (counter)
//	restel.io.stall.time           s        counter         restel_io_stall_time_seconds_total (counter)
//	restel.cpu.throttled.time      s        counter         restel_cpu_throttled_time_seconds_total (counter)
//
// Each of these is a column of its field's row in
// [provider.SnapshotFields] (name, unit, kind, description, constant
// attribute); only available memory's name outside Linux and Android and
// the derived idle state of restel.cpu.time are entries of their own.
//
// and their values, from the snapshot (docs/contract.md §2):
//
//	process.memory.usage           process_rss_mb in bytes: the observed process's resident set
//	system.memory.limit            total_mem_mb in bytes
//	system.memory.linux.available  available_mem_mb in bytes (Linux and Android)
//	restel.memory.available        available_mem_mb in bytes (every other system)
//	hw.battery.charge              battery_pct / 100, with hw.id="battery" (label hw_id)
//	restel.cpu.time                device CPU time of all CPUs, state="busy" and state="idle"
//	restel.memory.pressure         memory_pressure as a level (below)
//	restel.thermal.state           thermal_state as a level (below)
//	restel.cpu.stall.time          Linux PSI cpu "some" total (from a FullSource only)
//	restel.memory.stall.time       Linux PSI memory "some" total (from a FullSource only)
//	restel.io.stall.time           Linux PSI io "some" total (from a FullSource only)
//	restel.cpu.throttled.time      cgroup CPU quota throttled time (from a FullSource only)
//
// Memory values are bytes at their source's precision where the provider
// has them ([provider.MemoryBytes]: the Linux provider's /proc/meminfo,
// cgroup and statm figures), otherwise the snapshot's whole MiB in bytes;
// like the snapshot, they are bounded by the process's container (cgroup)
// limit. The semantic conventions model memory sizes
// as up-down counters, which Prometheus types as gauges. hw.battery.charge carries the attribute
// hw.id="battery" that the convention requires: restel reports one charge
// for all the system's batteries together. A field the snapshot does not
// know emits no point at all, never a zero; a level that is unknown emits
// none either.
//
// Available memory has a convention only on Linux:
// system.memory.linux.available is defined as /proc/meminfo MemAvailable,
// which is what restel reads on Linux and Android. Other systems estimate
// available memory differently (macOS from its page counts, Windows
// ullAvailPhys), and the convention's cross-platform alternative,
// system.memory.usage with state=free, is free memory, which leaves out
// the reclaimable cache and would understate what an inference can
// allocate. There restel exports the same quantity under
// restel.memory.available, in the same unit, so a fleet dashboard selects
// `system_memory_linux_available_bytes or restel_memory_available_bytes`.
//
// # CPU
//
// CPU use is exported as time, not as a utilization: restel.cpu.time is
// the device's cumulative CPU time summed over all CPUs, in seconds, as
// two points of one counter, state="busy" and state="idle" (idle includes
// I/O wait; busy is the rest, as the snapshot's cpu_pct counts it). It is
// read from the snapshot's counters ([provider.Counters] CPUBusy and
// CPUTotal), which only grow whoever reads them, so any number of
// scrapers see the same series and the utilization over any window is
// a query:
//
//	sum without (state) (rate(restel_cpu_time_seconds_total{state="busy"}[1m]))
//	  / sum without (state) (rate(restel_cpu_time_seconds_total[1m]))
//
// No utilization gauge is exported. The snapshot's cpu_pct is the busy
// share since the provider's previous read, whoever made it, so as a
// gauge it would depend on who else scrapes and when; a gauge over a
// fixed window needs a sampler running between collections, which an
// OpenTelemetry callback has no owner for. The counter gives every
// window exactly.
//
// Conventions with a close name but another meaning are not used:
// system.cpu.time is per logical CPU and per cpu.mode (user, system,
// idle, iowait, ...), while restel reports all CPUs together in two
// states.
//
// # Headroom and accelerators
//
// [Metrics] adds, after [Table], the headroom gauges of a source that is
// a [HeadroomSource] (an orchestrator.Monitor; docs/contract.md §10) and
// the semantic conventions' per-GPU metrics of the snapshot's
// accelerators ([Collector.CollectPoints] emits them):
//
//	OpenTelemetry name                unit   kind            Prometheus name
//	restel.cpu.effective              {cpu}  gauge           restel_cpu_effective
//	restel.cpu.throttled_ratio        1      gauge           restel_cpu_throttled_ratio
//	restel.memory.usable              By     up-down counter restel_memory_usable_bytes
//	restel.gpu.memory.usable          By     up-down counter restel_gpu_memory_usable_bytes
//	restel.thermal.headroom           1      gauge           restel_thermal_headroom_ratio
//	restel.thermal.headroom.forecast  1      gauge           restel_thermal_headroom_forecast_ratio
//	hw.gpu.utilization                1      gauge           hw_gpu_utilization_ratio
//	hw.gpu.memory.usage               By     up-down counter hw_gpu_memory_usage_bytes
//	hw.gpu.memory.limit               By     up-down counter hw_gpu_memory_limit_bytes
//
// restel.cpu.effective and restel.memory.usable carry the limit that
// binds as restel.limit.by ("host", "cgroup:/kubepods/..."),
// restel.gpu.memory.usable the roomiest accelerator as hw.id, the
// forecast its window as restel.forecast.window="10s", and the hw.gpu.*
// points each GPU's name as hw.id and its maker as hw.vendor. A source
// without headroom has none of the headroom gauges; the headroom is read
// in the same collection as the snapshot, from the source's cached
// figures, never by a second provider read.
//
// # Counters
//
// A counter is never exported negative or decreasing: [Collector] drops
// a negative value and holds one that went backwards at the last value it
// emitted.
//
// # Levels
//
// Memory pressure and thermal state are severity levels, higher is worse,
// so a fleet's max() is its worst device:
//
//	restel.memory.pressure  0 normal, 1 warn, 2 critical      (unknown: no point)
//	restel.thermal.state    0 normal, 1 warm, 2 hot, 3 critical (unknown: no point)
//
// # Reading
//
// An exporter collects with a [Collector], which reads its [Source] once
// per collection ([Read]), and every metric's value comes from that one snapshot: at most one bounded read
// per collection, none when the source's cache is fresh. The stall and
// throttle counters come only from a source that is also a [FullSource];
// from any other source they are absent.
//
// The package imports only the standard library and restel's provider
// and headroom packages: the OpenTelemetry and Prometheus dependencies
// live with their exporters.
package export

import (
	"math"
	"sync"
	"time"

	"github.com/restel/restel/provider"
)

// Source is where exporters read snapshots: an orchestrator.Monitor, or
// anything else with its CurrentSnapshot method. CurrentSnapshot must
// return promptly (the Monitor waits on its provider at most its read
// timeout).
type Source interface {
	CurrentSnapshot(maxAge time.Duration) provider.Snapshot
}

// FullSource is an optional capability of a [Source]: FullSnapshot is
// CurrentSnapshot plus the run counters (pressure-stall and throttle
// totals) that CurrentSnapshot leaves out.
type FullSource interface {
	FullSnapshot(maxAge time.Duration) provider.Snapshot
}

// DefaultMaxAge is the snapshot age exporters accept by default: the
// orchestrator's TTL for internal callers, so a collection shares the
// cache with the hot path instead of forcing reads.
const DefaultMaxAge = 500 * time.Millisecond

// Read makes the one read of a collection: FullSnapshot when src is a
// [FullSource], CurrentSnapshot otherwise. full reports which it was. The
// snapshot is returned in its wire form ([provider.Snapshot.Wire]), so
// every exporter sees the same clamped values as the JSON. A nil src
// reads nothing and returns the all-unknown snapshot.
func Read(src Source, maxAge time.Duration) (s provider.Snapshot, full bool) {
	switch f := src.(type) {
	case nil:
		return provider.Snapshot{}, false
	case FullSource:
		return f.FullSnapshot(maxAge).Wire(), true
	default:
		return src.CurrentSnapshot(maxAge).Wire(), false
	}
}

// Collector is one exporter's collection: [Collector.Collect] makes the
// one [Read] of a collection and emits every metric of [Table] that the
// snapshot knows, [Collector.CollectPoints] those and the headroom and
// device metrics of [Metrics], and both keep every counter they emit
// monotonic. An exporter (a Prometheus registry, an OpenTelemetry
// callback) owns one Collector for its lifetime. Collect and
// CollectPoints are safe for concurrent use.
type Collector struct {
	src    Source
	maxAge time.Duration

	mu   sync.Mutex
	last []float64 // per table entry: the last counter value emitted
	seen []bool    // per table entry: whether last holds one
}

// NewCollector returns a collector reading src with maxAge.
func NewCollector(src Source, maxAge time.Duration) *Collector {
	return &Collector{src: src, maxAge: maxAge,
		last: make([]float64, len(table)),
		seen: make([]bool, len(table)),
	}
}

// Point is one value a collection emits: metric I of [Metrics], its
// value V, and the values of the metric's [Metric.Vars] in their order.
type Point struct {
	I    int
	V    float64
	Vars [2]string
}

// Collect reads the source once and calls emit with every metric of
// [Table] that the snapshot knows: i is the metric's index in Table, v its
// value. The run counters ([Metric.Full]) are skipped unless the source
// is a [FullSource]. Exporters keep their instruments in a slice parallel
// to Table and look them up by i (entries that share a Name are one
// instrument's points, told apart by their Attrs).
//
// A counter ([Counter]) is never emitted negative, not finite, or below
// a value this collector emitted before: a negative or non-finite one
// emits nothing, and one that went backwards (a custom provider's
// counter, a clock step) is emitted at the last value again until it
// passes it, as the snapshot's cpu_pct keeps its last value when
// /proc/stat goes backwards. So rate() and increase() never see a
// spurious reset.
func (c *Collector) Collect(emit func(i int, v float64)) {
	c.collect(emit, nil)
}

// CollectPoints is [Collector.Collect] over every metric of [Metrics]:
// the snapshot's metrics, then, when the source is a [HeadroomSource],
// the headroom it reports beside the snapshot (no second provider read:
// the headroom is the source's cached figures), then one point per
// accelerator of the snapshot that knows a device metric. A value the
// source does not know emits nothing.
func (c *Collector) CollectPoints(emit func(p Point)) {
	c.collect(nil, emit)
}

func (c *Collector) collect(emit func(i int, v float64), point func(p Point)) {
	s, full := Read(c.src, c.maxAge)
	for i := range table {
		m := &table[i]
		if m.Full && !full {
			continue
		}
		v, ok := m.Value(s)
		if !ok {
			continue
		}
		if m.Kind == Counter {
			if v, ok = c.monotonic(i, v); !ok {
				continue
			}
		}
		if point != nil {
			point(Point{I: i, V: v})
		} else {
			emit(i, v)
		}
	}
	if point == nil {
		return
	}
	i := len(table)
	if hs, ok := c.src.(HeadroomSource); ok {
		h := hs.Headroom(ForecastWindow)
		for j := range headroomMetrics {
			if v, by, ok := headroomMetrics[j].head(h); ok && finite(v) {
				point(Point{I: i + j, V: v, Vars: [2]string{by}})
			}
		}
	}
	i += len(headroomMetrics)
	devicePoints(s.Accelerators(), i, point)
}

// devicePoints emits the device metrics of every GPU of accels, the
// first of them as metric base of [Metrics].
func devicePoints(accels []provider.Accelerator, base int, point func(p Point)) {
	for k := range accels {
		a := &accels[k]
		if a.Kind != provider.AccelGPU {
			continue
		}
		vars := [2]string{a.Name, Vendor(a.Driver)}
		for j := range deviceMetrics {
			if v, ok := deviceMetrics[j].dev(a); ok && finite(v) {
				point(Point{I: base + j, V: v, Vars: vars})
			}
		}
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// monotonic returns the value to emit for counter i now that its source
// says v, and false when v is no counter value at all.
func (c *Collector) monotonic(i int, v float64) (float64, bool) {
	if v < 0 || !finite(v) {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[i] && v < c.last[i] {
		return c.last[i], true
	}
	c.last[i], c.seen[i] = v, true
	return v, true
}
