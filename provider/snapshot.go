package provider

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Snapshot is one point-in-time observation of device resource state
// (docs/contract.md §2). It is a plain value: copy it freely; building one never
// allocates. Every optional field carries its own presence flag.
type Snapshot struct {
	// CPUPct is system-wide CPU use in percent of all CPUs, in [0, 100].
	// Unknown on a provider's first read (no delta yet).
	CPUPct Opt[float64]
	// ProcessRSSMB is the observed process's resident set size in MiB
	// (floor): a known RSS under 1 MiB is 0. A source reading 0 bytes
	// leaves it unknown ([MiB] does so).
	ProcessRSSMB Opt[uint64]
	// AvailableMemMB is memory available to the process in MiB, bounded by
	// its container's limit.
	AvailableMemMB Opt[uint64]
	// TotalMemMB is total memory in MiB, bounded by its container's limit.
	TotalMemMB Opt[uint64]
	// MemoryPressure is derived from available/total and raised by any
	// native pressure signal; see [PressureFrom].
	MemoryPressure MemoryPressure
	// Thermal is the device's thermal state; ThermalUnknown is "normal" on
	// the wire.
	Thermal ThermalState
	// BatteryPct is the battery charge in percent; unknown when the device
	// has no battery.
	BatteryPct Opt[uint8]
	// CapturedAtMS is when the snapshot was taken, in milliseconds since the
	// Unix epoch.
	CapturedAtMS int64

	// GPUMemUsedMB, GPUMemTotalMB, GPUBusyPct and ProcessGPUMemMB are the
	// accelerator totals of docs/contract.md §9 ([SumAccelerators]): device
	// memory in use and in all summed over the discrete accelerators, the
	// busiest accelerator's busy share, and the device memory the observed
	// process holds on every accelerator. Unknown on a device without
	// accelerators. Set them with the list by [Snapshot.SetAccelerators].
	GPUMemUsedMB, GPUMemTotalMB Opt[uint64]
	GPUBusyPct                  Opt[float64]
	ProcessGPUMemMB             Opt[uint64]

	// ProcessCPUPct is the observed process's CPU use over the provider's
	// last interval, in percent of all CPUs (the scale of CPUPct). It is
	// off the wire; a scripted trace sets it with pcpu=, and a run uses it
	// only where the process CPU counter is unknown.
	ProcessCPUPct Opt[float64]
	// Counters are the provider's cumulative counters, off the wire: what
	// makes a run's summary exact whoever else reads the provider.
	Counters Counters
	// Bytes are the memory fields at their source's precision, off the
	// wire, where the provider has bytes (exporters publish them); each is
	// unknown otherwise, and the wire's MiB field is what counts.
	Bytes MemoryBytes
}

// Accelerators returns the snapshot's accelerator list (docs/contract.md
// §9): the reading its flat accelerator fields were summed from, off the
// flat wire; nil when it carries none. The list is shared by every copy
// of the snapshot and must not be modified.
func (s *Snapshot) Accelerators() []Accelerator { return s.Counters.Accel.List() }

// SetAccelerators makes l the snapshot's accelerator reading and writes
// its flat totals ([SumAccelerators]). A nil l clears both. It does not
// allocate: the reading is shared, not copied.
func (s *Snapshot) SetAccelerators(l *AccelList) {
	s.Counters.Accel = l
	s.SetAccelTotals(l.Totals())
}

// AccelList is one reading of a device's accelerators, shared by the
// snapshots that carry it: a copy of a snapshot copies a pointer, never
// the list, so a snapshot stays a small value that never allocates. It
// holds each device's cumulative busy counter ([Accelerator.BusyTime]) as
// read at ReadMS, so a run's busy share over an interval comes from their
// growth between two readings. Build it with [NewAccelList]; it is never
// changed afterwards.
type AccelList struct {
	devices []Accelerator
	readMS  int64
	totals  AccelTotals
}

// NewAccelList returns a reading of devices (copied) taken at readMS
// (milliseconds since the Unix epoch).
func NewAccelList(devices []Accelerator, readMS int64) *AccelList {
	l := &AccelList{devices: append([]Accelerator(nil), devices...), readMS: readMS}
	l.totals = SumAccelerators(l.devices)
	return l
}

// List returns the devices; nil for a nil reading. It must not be modified.
func (l *AccelList) List() []Accelerator {
	if l == nil {
		return nil
	}
	return l.devices
}

// ReadMS returns when the reading was taken; 0 for a nil reading.
func (l *AccelList) ReadMS() int64 {
	if l == nil {
		return 0
	}
	return l.readMS
}

// Totals returns the reading's flat totals; all unknown for a nil one.
func (l *AccelList) Totals() AccelTotals {
	if l == nil {
		return AccelTotals{}
	}
	return l.totals
}

// SetAccelTotals writes the flat accelerator fields of s.
func (s *Snapshot) SetAccelTotals(t AccelTotals) {
	s.GPUMemUsedMB, s.GPUMemTotalMB = t.GPUMemUsedMB, t.GPUMemTotalMB
	s.GPUBusyPct, s.ProcessGPUMemMB = t.GPUBusyPct, t.ProcessGPUMemMB
}

// MemoryBytes are a snapshot's memory fields in bytes, as the provider
// read them before rounding to whole MiB: ProcessRSS for ProcessRSSMB,
// Available for AvailableMemMB, Total for TotalMemMB.
type MemoryBytes struct {
	ProcessRSS, Available, Total Opt[uint64]
}

// Counters are cumulative counters a provider reports beside a snapshot.
// They are never on the wire: the summary of a run is computed from their
// growth between two snapshots. Each is unknown where the platform does
// not have it, and a custom provider may leave all of them unknown.
//
// CPUBusy and CPUTotal are cheap (the same read as CPUPct) and come with
// every snapshot of a provider that has them. The others cost extra reads
// and are filled only by [RunReader.RunSnapshot], at a run's start and end.
type Counters struct {
	// CPUBusy and CPUTotal are the device's busy and total CPU time summed
	// over all CPUs (Linux /proc/stat, Apple host CPU ticks, Windows
	// GetSystemTimes). Busy/total over an interval is its utilization.
	CPUBusy, CPUTotal Opt[time.Duration]
	// ProcessCPU is the user+system CPU time of the observed process (for
	// `restel run`, the child and its descendants).
	ProcessCPU Opt[time.Duration]
	// CPUStall, MemoryStall and IOStall are the pressure-stall totals
	// ("some" tasks waiting) of Linux PSI for cpu, memory and io: the
	// process's cgroup v2 files when present, else the system-wide ones.
	CPUStall, MemoryStall, IOStall Opt[time.Duration]
	// Throttled is the cgroup CPU quota's cumulative throttled time.
	Throttled Opt[time.Duration]
	// RSSHighWaterMB is the kernel's high-water mark of the observed
	// process's resident set, in MiB (Linux VmHWM, Windows
	// PeakWorkingSetSize, Apple ri_lifetime_max_phys_footprint).
	RSSHighWaterMB Opt[uint64]
	// Accel is the accelerator reading the snapshot carries (its devices'
	// cumulative busy counters, read at its ReadMS); nil when none. See
	// [Snapshot.Accelerators].
	Accel *AccelList
}

// Unknown returns the all-unknown snapshot captured at t: what a failing
// provider degrades to.
func Unknown(t time.Time) Snapshot { return Snapshot{CapturedAtMS: t.UnixMilli()} }

// CPUPercent returns pct clamped to [0, 100]; a NaN or infinite value is
// unknown.
func CPUPercent(pct float64) Opt[float64] {
	if math.IsNaN(pct) || math.IsInf(pct, 0) {
		return Opt[float64]{}
	}
	return Some(min(max(pct, 0), 100))
}

// CapturedAt returns CapturedAtMS as a time.
func (s Snapshot) CapturedAt() time.Time { return time.UnixMilli(s.CapturedAtMS) }

// Wire returns the snapshot as the wire carries it, holding to the
// contract whatever a provider put in it: cpu_pct clamped to [0, 100]
// (unknown when not finite), a total under 1 MiB unknown,
// available at most total, device memory in use at most its total, battery at most 100, a level no constant names
// unknown, memory pressure at least what available/total derive, and a
// capture time before the Unix epoch clamped to it. Off-wire fields are
// kept as they are. Wire is the one place these rules live: the JSON
// encoders and the aggregator apply it.
func (s Snapshot) Wire() Snapshot {
	s.wireFields() // each field's own rule, from its row in SnapshotFields
	if s.AvailableMemMB.Valid && s.TotalMemMB.Valid && s.AvailableMemMB.V > s.TotalMemMB.V {
		s.AvailableMemMB.V = s.TotalMemMB.V
	}
	if s.GPUMemUsedMB.Valid && s.GPUMemTotalMB.Valid && s.GPUMemUsedMB.V > s.GPUMemTotalMB.V {
		s.GPUMemUsedMB.V = s.GPUMemTotalMB.V
	}
	s.MemoryPressure = s.MemoryPressure.Worst(DerivePressure(s.AvailableMemMB, s.TotalMemMB))
	return s
}

// AppendJSON appends the snapshot's wire form (docs/contract.md §2: field
// names, order and enum strings exactly; null for unknown) to dst, after
// [Snapshot.Wire]. It does not allocate when dst has room. The encoder is
// generated from [SnapshotFields].
func (s Snapshot) AppendJSON(dst []byte) []byte {
	s = s.Wire()
	return s.appendWire(dst)
}

// MarshalJSON implements json.Marshaler with [Snapshot.AppendJSON].
func (s Snapshot) MarshalJSON() ([]byte, error) {
	return s.AppendJSON(make([]byte, 0, 320)), nil
}

// wireKeys are the wire keys of SnapshotFields, in wire order; wireRows
// their rows' indexes.
var wireKeys, wireRows = func() (keys []string, rows []int) {
	for i, f := range snapshotFields {
		if !f.OffWire {
			keys, rows = append(keys, f.Key), append(rows, i)
		}
	}
	return keys, rows
}()

// UnmarshalJSON parses the wire form strictly, by the rows of
// [SnapshotFields]: unknown fields, a missing or null field that is never
// null (memory_pressure, thermal_state, captured_at_ms), a bad enum string
// or an out-of-range value is an error wrapping [ErrInvalid] that names
// the field. A missing field that may be null is unknown. A thermal_state
// of "normal" parses as ThermalNormal.
func (s *Snapshot) UnmarshalJSON(b []byte) error {
	var out Snapshot
	seen, err := decodeFields(b, &out, "snapshot", wireKeys, func(i int) Access[Snapshot] { return snapshotAccess[wireRows[i]] })
	if err != nil {
		return err
	}
	for i, k := range wireKeys {
		if !seen[i] && neverNull(snapshotFields[wireRows[i]].Type) {
			return fmt.Errorf("%w: snapshot: %s is required", ErrInvalid, k)
		}
	}
	*s = out
	return nil
}

// neverNull reports whether a field of type t is always on the wire with
// a value.
func neverNull(t Type) bool { return t == Pressure || t == Thermal || t == UnixMS || t == Count }

func optFromPtr(p *uint64) Opt[uint64] {
	if p == nil {
		return Opt[uint64]{}
	}
	return Some(*p)
}

// wirePercent returns o as the wire carries a percentage: clamped to
// [0, 100], unknown when not finite (see [CPUPercent]).
func wirePercent(o Opt[float64]) Opt[float64] {
	if !o.Valid {
		return o
	}
	return CPUPercent(o.V)
}

// AppendFloat appends o as a JSON number in its shortest exact decimal
// form, or null when o is invalid or not finite.
func AppendFloat(dst []byte, o Opt[float64]) []byte {
	if !o.Valid || math.IsNaN(o.V) || math.IsInf(o.V, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, o.V, 'f', -1, 64)
}

// AppendUint appends o as a JSON integer, or null when o is invalid.
func AppendUint[T uint8 | uint32 | uint64](dst []byte, o Opt[T]) []byte {
	if !o.Valid {
		return append(dst, "null"...)
	}
	return strconv.AppendUint(dst, uint64(o.V), 10)
}
