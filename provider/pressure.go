package provider

import (
	"fmt"
	"math/bits"
)

// MemoryPressure is how close the device is to running out of memory.
// The zero value is MemoryPressureUnknown.
type MemoryPressure uint8

// Memory pressure levels, in severity order: a real reading always beats
// MemoryPressureUnknown.
const (
	MemoryPressureUnknown MemoryPressure = iota
	MemoryPressureNormal
	MemoryPressureWarn
	MemoryPressureCritical
)

var pressureNames = [...]string{"unknown", "normal", "warn", "critical"}

// String returns the wire label: "unknown", "normal", "warn" or "critical".
func (p MemoryPressure) String() string {
	if int(p) < len(pressureNames) {
		return pressureNames[p]
	}
	return fmt.Sprintf("MemoryPressure(%d)", uint8(p))
}

// WireLabel returns the label written on the wire: String for the four
// levels, and "unknown" for a value no constant names, so that a
// misbehaving provider cannot put an enum string outside docs/contract.md §2 on the
// wire.
func (p MemoryPressure) WireLabel() string {
	if p > MemoryPressureCritical {
		return pressureNames[MemoryPressureUnknown]
	}
	return pressureNames[p]
}

// ParseMemoryPressure parses a wire label.
func ParseMemoryPressure(s string) (MemoryPressure, error) {
	for i, n := range pressureNames {
		if s == n {
			return MemoryPressure(i), nil
		}
	}
	return MemoryPressureUnknown, fmt.Errorf("%w: memory pressure %q (want unknown, normal, warn or critical)", ErrInvalid, s)
}

// Worst returns the more severe of p and q:
// critical > warn > normal > unknown.
func (p MemoryPressure) Worst(q MemoryPressure) MemoryPressure {
	if q > p {
		return q
	}
	return p
}

// DerivePressure derives memory pressure from available and total memory:
// available below 5 % of total is critical, below 15 % is warn, otherwise
// normal. Exactly 5 % is warn and exactly 15 % is normal. Either side unknown,
// or a total of 0, gives MemoryPressureUnknown. The comparison is exact
// integer arithmetic, so the edges do not wobble with rounding.
func DerivePressure(available, total Opt[uint64]) MemoryPressure {
	if !available.Valid || !total.Valid || total.V == 0 {
		return MemoryPressureUnknown
	}
	a, t := available.V, total.V
	if a > t {
		a = t // a bound larger than the total says nothing more than "all free"
	}
	// Compared as 128-bit products, so no value overflows.
	switch {
	case less128(a, 100, t, 5):
		return MemoryPressureCritical
	case less128(a, 100, t, 15):
		return MemoryPressureWarn
	default:
		return MemoryPressureNormal
	}
}

// PressureFrom is the pressure a snapshot reports: the pressure derived from
// available/total, raised (never lowered) by a native signal such as Linux
// PSI or macOS memorystatus. Pass MemoryPressureUnknown when there is no
// native signal.
func PressureFrom(available, total Opt[uint64], native MemoryPressure) MemoryPressure {
	return DerivePressure(available, total).Worst(native)
}

// less128 reports whether a·x < b·y, exactly, for any uint64 values.
func less128(a, x, b, y uint64) bool {
	ah, al := bits.Mul64(a, x)
	bh, bl := bits.Mul64(b, y)
	return ah < bh || (ah == bh && al < bl)
}
