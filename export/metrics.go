package export

import (
	"runtime"
	"strings"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
)

// Kind is how a metric's value behaves over time, which decides its
// OpenTelemetry instrument and its Prometheus type. It is the kind a
// field's row gives its metric ([provider.Metric]).
type Kind = provider.MetricKind

// Metric kinds.
const (
	// Gauge is a value sampled now (an OpenTelemetry observable gauge; a
	// Prometheus gauge).
	Gauge = provider.MetricGauge
	// UpDownCounter is an amount that can rise and fall, as the semantic
	// conventions model memory sizes (an OpenTelemetry observable
	// up-down counter, a non-monotonic sum; a Prometheus gauge).
	UpDownCounter = provider.MetricUpDownCounter
	// Counter is a cumulative total that never decreases (an
	// OpenTelemetry observable counter, a monotonic sum; a Prometheus
	// counter, named with _total).
	Counter = provider.MetricCounter
)

// Attr is one attribute every point of a metric carries: a constant that
// the semantic convention requires (hw.id for hw.battery.charge).
type Attr struct {
	// Key is the OpenTelemetry attribute key ("hw.id").
	Key string
	// PromKey is the Prometheus label the translation gives it ("hw_id").
	PromKey string
	// Value is its value.
	Value string
}

// Metric is one exported metric: its names, unit, description and kind
// in both worlds, and how its value is read from a snapshot.
type Metric struct {
	// Name is the OpenTelemetry instrument name.
	Name string
	// Unit is the UCUM unit of the OpenTelemetry instrument ("By", "s",
	// "1", "{level}").
	Unit string
	// Description is the instrument's description and the Prometheus
	// HELP text: the convention's brief where there is one.
	Description string
	// Kind is how the value behaves over time.
	Kind Kind
	// PromName is the Prometheus metric name, as the
	// OpenTelemetry-to-Prometheus translation gives it: dots to
	// underscores, the unit's suffix (_bytes, _seconds, _ratio for a
	// gauge of unit 1, none for an annotation like {level}) and _total
	// for a counter.
	PromName string
	// Attrs are the constant attributes of every point; nil for most.
	Attrs []Attr
	// Full is true for the run counters, which only a [FullSource]
	// reports.
	Full bool
	// Vars are the attributes whose values vary from point to point (the
	// limit that binds, a device's name), after Attrs; their Value is
	// empty, and [Point.Vars] holds each point's values in this order.
	// nil for the metrics of [Table].
	Vars []Attr

	value func(s provider.Snapshot) (float64, bool)
	// head reads a headroom metric and the value of its one variable
	// attribute; dev reads a per-device metric.
	head func(h headroom.Headroom) (float64, string, bool)
	dev  func(a *provider.Accelerator) (float64, bool)
}

// Value returns the metric's value in s, a snapshot [Read] returned,
// and whether s knows it. An unknown value emits no point. A Metric not
// from [Table] knows no value.
func (m Metric) Value(s provider.Snapshot) (float64, bool) {
	if m.value == nil {
		return 0, false
	}
	return m.value(s)
}

const bytesPerMiB = 1 << 20

// Table returns the exported metrics of the snapshot on this system
// (runtime.GOOS), in a fixed order. The result is shared: do not modify
// it.
func Table() []Metric { return table }

var table = TableFor(runtime.GOOS)

// publishedOrder is the order the table was first published in, by wire
// key (cpuIdleKey is the derived idle state of restel.cpu.time): these
// come first, every other exported row follows in row order.
var publishedOrder = [...]string{
	"process_rss_mb", "total_mem_mb", "available_mem_mb", "battery_pct",
	"cpu_busy", cpuIdleKey, "memory_pressure", "thermal_state",
	"cpu_stall", "memory_stall", "io_stall", "cpu_throttled",
}

// cpuIdleKey names the derived entry of restel.cpu.time's idle state.
const cpuIdleKey = "cpu_total-cpu_busy"

// Available memory on the systems whose estimate is not /proc/meminfo
// MemAvailable (see the package documentation).
const (
	restelMemoryAvailable = "restel.memory.available"
	availableOtherDesc    = " The system's own estimate (macOS page counts, Windows ullAvailPhys), bounded by the process's container limit."
)

// TableFor returns the exported metrics of the snapshot on a system named
// as GOOS names it: one per row of [provider.SnapshotFields] that has a
// metric, with its name, unit, kind, description and constant attribute
// from the row, plus the derived idle state of restel.cpu.time. Only
// available memory differs between systems: system.memory.linux.available
// on linux and android, restel.memory.available elsewhere (see the package
// documentation).
func TableFor(goos string) []Metric {
	rows := provider.SnapshotFields()
	var out []Metric
	byKey := map[string]Metric{}
	var order []string
	for i, f := range rows {
		if f.Metric.Name == "" {
			continue
		}
		m := fromRow(i, f)
		if f.Key == "available_mem_mb" && goos != "linux" && goos != "android" {
			m.Name = restelMemoryAvailable
			m.Description += availableOtherDesc
			m.PromName = PromName(m.Name, m.Unit, m.Kind)
		}
		byKey[f.Key] = m
		order = append(order, f.Key)
		if f.Key == "cpu_busy" {
			byKey[cpuIdleKey] = cpuIdle(m)
			order = append(order, cpuIdleKey)
		}
	}
	for _, k := range publishedOrder {
		if m, ok := byKey[k]; ok {
			out = append(out, m)
			delete(byKey, k)
		}
	}
	for _, k := range order {
		if m, ok := byKey[k]; ok {
			out = append(out, m)
		}
	}
	return out
}

// fromRow is the metric of row i, f.
func fromRow(i int, f provider.Field) Metric {
	pm := f.Metric
	m := Metric{
		Name:        pm.Name,
		Unit:        pm.Unit,
		Description: pm.Description,
		Kind:        pm.Kind,
		PromName:    PromName(pm.Name, pm.Unit, pm.Kind),
		Full:        pm.Full,
		value:       rowValue(i, f),
	}
	if k, v, ok := strings.Cut(pm.Attr, "="); ok {
		m.Attrs = []Attr{{Key: k, PromKey: promLabel(k), Value: v}}
	}
	return m
}

// rowValue returns how row i's value is read and converted to its
// metric's unit: memory in MiB to bytes at the source's precision
// ([memBytes]; available memory at most the total, as the wire form
// keeps it), a percentage to a ratio for unit 1, a level to its exported
// level, a counter's seconds never below zero. The snapshot is read
// through its generated accessors, so no value allocates.
func rowValue(i int, f provider.Field) func(provider.Snapshot) (float64, bool) {
	switch {
	case f.Key == "available_mem_mb":
		return availableBytes
	case f.Type == provider.Uint && f.Unit == "MiB" && f.Metric.Unit == "By":
		return func(s provider.Snapshot) (float64, bool) { return memBytes(s.FieldUint(i)) }
	case (f.Type == provider.Pct8 || f.Type == provider.Percent) && f.Metric.Unit == "1":
		return func(s provider.Snapshot) (float64, bool) {
			v, ok := s.FieldFloat64(i)
			return v / 100, ok
		}
	case f.Type == provider.Pressure:
		return func(s provider.Snapshot) (float64, bool) {
			v, ok := s.FieldFloat64(i)
			if !ok {
				return 0, false
			}
			return PressureLevel(provider.MemoryPressure(v))
		}
	case f.Type == provider.Thermal:
		return func(s provider.Snapshot) (float64, bool) {
			v, ok := s.FieldFloat64(i)
			if !ok {
				return 0, false
			}
			return ThermalLevel(provider.ThermalState(v))
		}
	case f.Type == provider.Duration:
		return func(s provider.Snapshot) (float64, bool) {
			v, ok := s.FieldFloat64(i)
			return v, ok && v >= 0
		}
	}
	return func(s provider.Snapshot) (float64, bool) { return s.FieldFloat64(i) }
}

// cpuIdle is restel.cpu.time's idle state, derived from the busy state's
// entry busy: the device's CPU time less its busy time (idle and iowait
// together).
func cpuIdle(busy Metric) Metric {
	m := busy
	m.Attrs = []Attr{{Key: busy.Attrs[0].Key, PromKey: busy.Attrs[0].PromKey, Value: "idle"}}
	m.value = func(s provider.Snapshot) (float64, bool) {
		c := s.Counters
		if !c.CPUBusy.Valid || !c.CPUTotal.Valid || c.CPUBusy.V < 0 || c.CPUTotal.V < c.CPUBusy.V {
			return 0, false
		}
		return (c.CPUTotal.V - c.CPUBusy.V).Seconds(), true
	}
	return m
}

// PromName is the Prometheus name the OpenTelemetry-to-Prometheus
// translation gives a metric: characters outside [a-zA-Z0-9_:] become
// '_', a unit's annotation ({level}) adds nothing, By and s add _bytes
// and _seconds, unit 1 adds _ratio to what Prometheus types as a gauge,
// and a counter ends in _total.
func PromName(name, unit string, k Kind) string {
	out := promLabel(name)
	suffix := ""
	switch unit {
	case "By":
		suffix = "bytes"
	case "s":
		suffix = "seconds"
	case "1":
		if k != Counter {
			suffix = "ratio"
		}
	}
	if suffix != "" && !strings.HasSuffix(out, "_"+suffix) {
		out += "_" + suffix
	}
	if k == Counter {
		out += "_total"
	}
	return out
}

// promLabel turns an OpenTelemetry name into a Prometheus one: every
// character outside [a-zA-Z0-9_:] becomes '_'.
func promLabel(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ':') {
			b[i] = '_'
		}
	}
	return string(b)
}

// PressureLevel maps memory pressure to its exported level: 0 normal,
// 1 warn, 2 critical. Unknown (or a value no constant names) has no
// level.
func PressureLevel(p provider.MemoryPressure) (float64, bool) {
	switch p {
	case provider.MemoryPressureNormal:
		return 0, true
	case provider.MemoryPressureWarn:
		return 1, true
	case provider.MemoryPressureCritical:
		return 2, true
	}
	return 0, false
}

// ThermalLevel maps a thermal state to its exported level: 0 normal,
// 1 warm, 2 hot, 3 critical. Unknown (no usable sensor, or a value no
// constant names) has no level.
func ThermalLevel(t provider.ThermalState) (float64, bool) {
	switch t {
	case provider.ThermalNormal:
		return 0, true
	case provider.ThermalWarm:
		return 1, true
	case provider.ThermalHot:
		return 2, true
	case provider.ThermalCritical:
		return 3, true
	}
	return 0, false
}

// memBytes returns a memory field in bytes: the source's own byte count
// when the snapshot carries one that agrees with the wire field (the same
// whole MiB), else the wire field's MiB in bytes. An unknown wire field
// is no value, whatever the bytes say: the wire field has the last word
// on whether a value is known.
func memBytes(mb, bytes provider.Opt[uint64]) (float64, bool) {
	if !mb.Valid {
		return 0, false
	}
	if bytes.Valid && bytes.V/bytesPerMiB == mb.V {
		return float64(bytes.V), true
	}
	return float64(mb.V) * bytesPerMiB, true
}

// availableBytes is available memory in bytes (see [memBytes]), at most
// the total in bytes, as the wire form keeps available at most total.
func availableBytes(s provider.Snapshot) (float64, bool) {
	avail, ok := memBytes(s.AvailableMemMB, s.Bytes.Available)
	if total, known := memBytes(s.TotalMemMB, s.Bytes.Total); ok && known {
		avail = min(avail, total)
	}
	return avail, ok
}
