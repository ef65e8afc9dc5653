// Package export is the one table of metrics restel exports to the
// observability stacks its users already run (docs/contract.md §8): the
// OpenTelemetry bridge (the nested module github.com/restel/restel/otel)
// registers an instrument per entry, and `restel serve` exposes the same
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
//	restel.cpu.utilization         1        gauge           restel_cpu_utilization_ratio (gauge)
//	restel.memory.pressure         {level}  gauge           restel_memory_pressure (gauge)
//	restel.thermal.state           {level}  gauge           restel_thermal_state (gauge)
//	restel.cpu.stall.time          s        counter         restel_cpu_stall_time_seconds_total (counter)
//	restel.memory.stall.time       s        counter         restel_memory_stall_time_seconds_total (counter)
//	restel.io.stall.time           s        counter         restel_io_stall_time_seconds_total (counter)
//	restel.cpu.throttled.time      s        counter         restel_cpu_throttled_time_seconds_total (counter)
//
// and their values, from the snapshot (docs/contract.md §2):
//
//	process.memory.usage           process_rss_mb × 2^20: the observed process's resident set
//	system.memory.limit            total_mem_mb × 2^20
//	system.memory.linux.available  available_mem_mb × 2^20 (Linux and Android)
//	restel.memory.available        available_mem_mb × 2^20 (every other system)
//	hw.battery.charge              battery_pct / 100, with hw.id="battery" (label hw_id)
//	restel.cpu.utilization         cpu_pct / 100: busy share of all CPUs, 0 to 1
//	restel.memory.pressure         memory_pressure as a level (below)
//	restel.thermal.state           thermal_state as a level (below)
//	restel.cpu.stall.time          Linux PSI cpu "some" total (from a FullSource only)
//	restel.memory.stall.time       Linux PSI memory "some" total (from a FullSource only)
//	restel.io.stall.time           Linux PSI io "some" total (from a FullSource only)
//	restel.cpu.throttled.time      cgroup CPU quota throttled time (from a FullSource only)
//
// Memory values are the snapshot's whole MiB in bytes, so they move in
// steps of 1 MiB; like the snapshot, they are bounded by the process's
// container (cgroup) limit. The semantic conventions model memory sizes
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
// Conventions with a close name but another meaning are not used:
// system.cpu.utilization is per logical CPU and per cpu.mode, while restel
// reports the busy share of all CPUs together.
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
// An exporter collects with [Collect], which reads its [Source] once
// ([Read]), and every metric's value comes from that one snapshot: at most one bounded read
// per collection, none when the source's cache is fresh. The stall and
// throttle counters come only from a source that is also a [FullSource];
// from any other source they are absent.
//
// The package imports only the standard library and restel's provider
// package: the OpenTelemetry and Prometheus dependencies live with their
// exporters.
package export

import (
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

// Collect makes the one [Read] of a collection and calls emit with every
// metric of [Table] that the snapshot knows: i is the metric's index in
// Table, v its value. The run counters ([Metric.Full]) are skipped unless
// src is a [FullSource]. Exporters keep their instruments in a slice
// parallel to Table and look them up by i.
func Collect(src Source, maxAge time.Duration, emit func(i int, v float64)) {
	s, full := Read(src, maxAge)
	for i := range table {
		m := &table[i]
		if m.Full && !full {
			continue
		}
		if v, ok := m.Value(s); ok {
			emit(i, v)
		}
	}
}
