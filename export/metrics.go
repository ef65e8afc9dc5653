package export

import (
	"runtime"
	"strconv"
	"time"

	"github.com/restel/restel/provider"
)

// Kind is how a metric's value behaves over time, which decides its
// OpenTelemetry instrument and its Prometheus type.
type Kind uint8

const (
	// Gauge is a value sampled now (an OpenTelemetry observable gauge; a
	// Prometheus gauge).
	Gauge Kind = iota
	// UpDownCounter is an amount that can rise and fall, as the semantic
	// conventions model memory sizes (an OpenTelemetry observable
	// up-down counter, a non-monotonic sum; a Prometheus gauge).
	UpDownCounter
	// Counter is a cumulative total that never decreases (an
	// OpenTelemetry observable counter, a monotonic sum; a Prometheus
	// counter, named with _total).
	Counter
)

var kindNames = [...]string{"gauge", "updowncounter", "counter"}

// String returns the kind's name as the semantic conventions write it:
// "gauge", "updowncounter" or "counter".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

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

	value func(s provider.Snapshot) (float64, bool)
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

// Names and descriptions of the semantic conventions' metrics (OpenTelemetry
// semantic conventions, system, process and hardware metrics).
const (
	processMemoryUsage         = "process.memory.usage"
	systemMemoryLimit          = "system.memory.limit"
	systemMemoryLinuxAvailable = "system.memory.linux.available"
	hwBatteryCharge            = "hw.battery.charge"
	descProcessMemoryUsage     = "The amount of physical memory in use."
	descSystemMemoryLimit      = "Total virtual memory available in the system."
	descSystemMemoryAvailable  = "An estimate of how much memory is available for starting new applications, without causing swapping."
	descHWBatteryCharge        = "Remaining fraction of battery charge."
	hwIDKey                    = "hw.id"
	batteryHWID                = "battery"
	restelMemoryAvailable      = "restel.memory.available"
	restelMemoryAvailableDesc  = descSystemMemoryAvailable + " The system's own estimate (macOS page counts, Windows ullAvailPhys), bounded by the process's container limit."
	promAvailableLinux         = "system_memory_linux_available_bytes"
	promAvailableOther         = "restel_memory_available_bytes"
)

// Table returns the exported metrics on this system (runtime.GOOS), in a
// fixed order. The result is shared: do not modify it.
func Table() []Metric { return table }

var table = TableFor(runtime.GOOS)

// TableFor returns the exported metrics of a system named as GOOS names
// it. Only available memory differs: system.memory.linux.available on
// linux and android, restel.memory.available elsewhere (see the package
// documentation).
func TableFor(goos string) []Metric {
	available := Metric{
		Name:        restelMemoryAvailable,
		Unit:        "By",
		Description: restelMemoryAvailableDesc,
		Kind:        UpDownCounter,
		PromName:    promAvailableOther,
		value:       availableBytes,
	}
	if goos == "linux" || goos == "android" {
		available.Name = systemMemoryLinuxAvailable
		available.Description = descSystemMemoryAvailable
		available.PromName = promAvailableLinux
	}
	return []Metric{
		{
			Name:        processMemoryUsage,
			Unit:        "By",
			Description: descProcessMemoryUsage,
			Kind:        UpDownCounter,
			PromName:    "process_memory_usage_bytes",
			value: func(s provider.Snapshot) (float64, bool) {
				return memBytes(s.ProcessRSSMB, s.Bytes.ProcessRSS)
			},
		},
		{
			Name:        systemMemoryLimit,
			Unit:        "By",
			Description: descSystemMemoryLimit,
			Kind:        UpDownCounter,
			PromName:    "system_memory_limit_bytes",
			value:       func(s provider.Snapshot) (float64, bool) { return memBytes(s.TotalMemMB, s.Bytes.Total) },
		},
		available,
		{
			Name:        hwBatteryCharge,
			Unit:        "1",
			Description: descHWBatteryCharge,
			Kind:        Gauge,
			PromName:    "hw_battery_charge_ratio",
			Attrs:       []Attr{{Key: hwIDKey, PromKey: "hw_id", Value: batteryHWID}},
			value: func(s provider.Snapshot) (float64, bool) {
				return float64(s.BatteryPct.V) / 100, s.BatteryPct.Valid
			},
		},
		cpuTime(cpuStateBusy, func(c provider.Counters) (time.Duration, bool) {
			return c.CPUBusy.V, c.CPUBusy.Valid
		}),
		cpuTime(cpuStateIdle, func(c provider.Counters) (time.Duration, bool) {
			// Idle and iowait together: total less busy.
			if !c.CPUBusy.Valid || !c.CPUTotal.Valid || c.CPUBusy.V < 0 || c.CPUTotal.V < c.CPUBusy.V {
				return 0, false
			}
			return c.CPUTotal.V - c.CPUBusy.V, true
		}),
		{
			Name:        "restel.memory.pressure",
			Unit:        "{level}",
			Description: "Memory pressure level: 0 normal, 1 warn, 2 critical.",
			Kind:        Gauge,
			PromName:    "restel_memory_pressure",
			value:       func(s provider.Snapshot) (float64, bool) { return PressureLevel(s.MemoryPressure) },
		},
		{
			Name:        "restel.thermal.state",
			Unit:        "{level}",
			Description: "Thermal state level: 0 normal, 1 warm, 2 hot, 3 critical.",
			Kind:        Gauge,
			PromName:    "restel_thermal_state",
			value:       func(s provider.Snapshot) (float64, bool) { return ThermalLevel(s.Thermal) },
		},
		{
			Name:        "restel.cpu.stall.time",
			Unit:        "s",
			Description: "Time some task waited for a CPU (Linux pressure stall information, cpu some total).",
			Kind:        Counter,
			PromName:    "restel_cpu_stall_time_seconds_total",
			Full:        true,
			value:       func(s provider.Snapshot) (float64, bool) { return seconds(s.Counters.CPUStall) },
		},
		{
			Name:        "restel.memory.stall.time",
			Unit:        "s",
			Description: "Time some task waited for memory (Linux pressure stall information, memory some total).",
			Kind:        Counter,
			PromName:    "restel_memory_stall_time_seconds_total",
			Full:        true,
			value:       func(s provider.Snapshot) (float64, bool) { return seconds(s.Counters.MemoryStall) },
		},
		{
			Name:        "restel.io.stall.time",
			Unit:        "s",
			Description: "Time some task waited for IO (Linux pressure stall information, io some total).",
			Kind:        Counter,
			PromName:    "restel_io_stall_time_seconds_total",
			Full:        true,
			value:       func(s provider.Snapshot) (float64, bool) { return seconds(s.Counters.IOStall) },
		},
		{
			Name:        "restel.cpu.throttled.time",
			Unit:        "s",
			Description: "Time the process's cgroup was throttled by its CPU quota.",
			Kind:        Counter,
			PromName:    "restel_cpu_throttled_time_seconds_total",
			Full:        true,
			value:       func(s provider.Snapshot) (float64, bool) { return seconds(s.Counters.Throttled) },
		},
	}
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

// seconds returns a counter in seconds. A negative one (only a custom
// provider can report that) is no value: a counter is never exported
// below zero.
func seconds(o provider.Opt[time.Duration]) (float64, bool) {
	return o.V.Seconds(), o.Valid && o.V >= 0
}

// CPU time states: the attribute restel.cpu.time's points carry.
const (
	cpuStateKey  = "state"
	cpuStateBusy = "busy"
	cpuStateIdle = "idle"
)

// cpuTime is restel.cpu.time's entry for one state: the device's CPU
// time in that state, summed over all CPUs, read from the snapshot's
// counters by get.
func cpuTime(state string, get func(provider.Counters) (time.Duration, bool)) Metric {
	return Metric{
		Name:        "restel.cpu.time",
		Unit:        "s",
		Description: "CPU time of all CPUs together, by state: busy, or idle (idle includes I/O wait).",
		Kind:        Counter,
		PromName:    "restel_cpu_time_seconds_total",
		Attrs:       []Attr{{Key: cpuStateKey, PromKey: cpuStateKey, Value: state}},
		value: func(s provider.Snapshot) (float64, bool) {
			d, ok := get(s.Counters)
			return seconds(provider.Opt[time.Duration]{V: d, Valid: ok})
		},
	}
}
