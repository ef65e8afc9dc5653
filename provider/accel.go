package provider

import (
	"context"
	"strconv"
	"time"
	"unicode/utf8"
)

// AccelKind says what an accelerator is.
type AccelKind uint8

// Accelerator kinds.
const (
	AccelUnknown AccelKind = iota
	AccelGPU
	AccelNPU
)

// String returns "gpu", "npu" or "unknown".
func (k AccelKind) String() string {
	switch k {
	case AccelGPU:
		return "gpu"
	case AccelNPU:
		return "npu"
	}
	return "unknown"
}

// Accelerator is one accelerator's reading (docs/contract.md §9). Every
// field but the identity is unknown where the driver does not tell.
type Accelerator struct {
	// Name identifies the device on this host ("card0", "accel0",
	// "nvidia0"); Driver is the kernel driver or library that reads it
	// ("amdgpu", "i915", "xe", "intel_vpu", "nvidia").
	Name, Driver string
	Kind         AccelKind
	// Unified is true when the device's memory is the host's (integrated
	// GPUs, Apple silicon, most NPUs): its memory is then not added to
	// the device-memory totals, and a model placed on it needs host
	// memory.
	Unified bool
	// MemUsedMB and MemTotalMB are the device-local memory in use and in
	// all, in MiB.
	MemUsedMB, MemTotalMB Opt[uint64]
	// BusyPct is the device's busy share over the reader's last interval,
	// in [0, 100].
	BusyPct Opt[float64]
	// BusyTime is the device's cumulative busy time where the driver
	// counts it (Intel NPU npu_busy_time_us): a run's busy share from the
	// counter at its two ends is exact whoever read in between.
	BusyTime Opt[time.Duration]
	// TempC is the device's temperature in °C.
	TempC Opt[float64]
	// Throttling is true when the driver says the device is held below
	// its clocks (NVML clock-event reasons, a thermal cooling device).
	Throttling Opt[bool]
	// ProcessMemMB is the device memory the observed process (for
	// `restel run`, its tree) holds on this device, in MiB.
	ProcessMemMB Opt[uint64]
}

// AcceleratorReader is an optional capability of a SnapshotProvider: it
// appends the device's accelerators to dst and returns it. Drivers can be
// slow (a sleeping GPU wakes to answer), so it is polled off the hot path
// on the slow-signal cadence. A device with no accelerator returns dst
// unchanged and a nil error; the error describes what could not be read.
type AcceleratorReader interface {
	Accelerators(ctx context.Context, dst []Accelerator) ([]Accelerator, error)
}

// AccelTotals are the flat accelerator fields of a snapshot: sums over
// the discrete devices' memory, the busiest device's share, and the
// observed process's memory over every device.
type AccelTotals struct {
	GPUMemUsedMB, GPUMemTotalMB Opt[uint64]
	GPUBusyPct                  Opt[float64]
	ProcessGPUMemMB             Opt[uint64]
}

// SumAccelerators computes the flat fields from a device list: device
// memory summed over the devices that are not unified (unknown when no
// such device reports it), the highest busy share (clamped to [0, 100]),
// and the process's device memory summed over every device.
func SumAccelerators(list []Accelerator) AccelTotals {
	var t AccelTotals
	for i := range list {
		a := &list[i]
		if !a.Unified {
			t.GPUMemUsedMB = addOpt(t.GPUMemUsedMB, a.MemUsedMB)
			t.GPUMemTotalMB = addOpt(t.GPUMemTotalMB, a.MemTotalMB)
		}
		if b := wirePercent(a.BusyPct); b.Valid && (!t.GPUBusyPct.Valid || b.V > t.GPUBusyPct.V) {
			t.GPUBusyPct = b
		}
		t.ProcessGPUMemMB = addOpt(t.ProcessGPUMemMB, a.ProcessMemMB)
	}
	return t
}

// addOpt adds b to a where b is known, saturating.
func addOpt(a, b Opt[uint64]) Opt[uint64] {
	if !b.Valid {
		return a
	}
	if !a.Valid {
		return b
	}
	s := a.V + b.V
	if s < a.V {
		s = ^uint64(0)
	}
	return Some(s)
}

// AppendJSON appends a as the JSON object `restel snapshot` lists under
// "accelerators" (docs/contract.md §9): name, driver, kind ("gpu", "npu"
// or "unknown"), unified, mem_used_mb, mem_total_mb, busy_pct (clamped to
// [0, 100]), temp_c, throttling and process_mem_mb, null where unknown.
func (a Accelerator) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"name":`...)
	dst = AppendJSONString(dst, a.Name)
	dst = append(dst, `,"driver":`...)
	dst = AppendJSONString(dst, a.Driver)
	dst = append(dst, `,"kind":"`...)
	dst = append(dst, a.Kind.String()...)
	dst = append(dst, `","unified":`...)
	dst = strconv.AppendBool(dst, a.Unified)
	dst = append(dst, `,"mem_used_mb":`...)
	dst = AppendUint(dst, a.MemUsedMB)
	dst = append(dst, `,"mem_total_mb":`...)
	dst = AppendUint(dst, a.MemTotalMB)
	dst = append(dst, `,"busy_pct":`...)
	dst = AppendFloat(dst, wirePercent(a.BusyPct))
	dst = append(dst, `,"temp_c":`...)
	dst = AppendFloat(dst, a.TempC)
	dst = append(dst, `,"throttling":`...)
	if a.Throttling.Valid {
		dst = strconv.AppendBool(dst, a.Throttling.V)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"process_mem_mb":`...)
	dst = AppendUint(dst, a.ProcessMemMB)
	return append(dst, '}')
}

// AppendJSONString appends s as a JSON string: quote and backslash
// escaped, control characters as \u00XX, invalid UTF-8 as U+FFFD.
func AppendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
			i++
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
		}
	}
	return append(dst, '"')
}
