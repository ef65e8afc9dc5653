package provider

// Opt is an optional value: V is meaningful only when Valid is true. It is
// modelled on database/sql's Null[T] and is a plain value type, so building,
// copying and comparing one never allocates.
type Opt[T any] struct {
	V     T
	Valid bool
}

// Some returns a valid Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{V: v, Valid: true} }

// Get returns the value and whether it is present.
func (o Opt[T]) Get() (T, bool) { return o.V, o.Valid }

// Or returns the value when present and def otherwise.
func (o Opt[T]) Or(def T) T {
	if o.Valid {
		return o.V
	}
	return def
}

const bytesPerMiB = 1 << 20

// MiB converts a byte count to whole mebibytes (floor), as every memory field
// of a [Snapshot] is reported. Zero bytes is reported as unknown: no real
// device has no memory and no running process has no resident pages, so a
// zero comes from a source that did not know.
func MiB(bytes uint64) Opt[uint64] {
	if bytes == 0 {
		return Opt[uint64]{}
	}
	return Some(bytes / bytesPerMiB)
}

// AvailableMiB converts an amount of available memory in bytes to whole
// mebibytes (floor). Unlike [MiB] it is always known: a known amount under
// 1 MiB — a container at its memory limit — is 0, the moment memory
// pressure matters most.
func AvailableMiB(bytes uint64) Opt[uint64] { return Some(bytes / bytesPerMiB) }

// TotalMiB converts a total memory size in bytes to whole mebibytes
// (floor); a total under 1 MiB is unknown (no device that runs restel has
// so little, so it comes from a source that did not know).
func TotalMiB(bytes uint64) Opt[uint64] {
	if bytes < bytesPerMiB {
		return Opt[uint64]{}
	}
	return Some(bytes / bytesPerMiB)
}

// BatteryPct returns a battery percentage clamped to 100. Negative values are
// not representable in the argument; callers reject them before calling.
func BatteryPct(pct uint64) Opt[uint8] {
	if pct > 100 {
		pct = 100
	}
	return Some(uint8(pct))
}
