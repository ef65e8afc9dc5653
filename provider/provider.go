package provider

import (
	"context"
	"time"
)

// SnapshotProvider reads the device's resource state. It is the one seam
// for pluggable platform readers, fakes and a user's custom device support.
//
// Snapshot returns the fields it could read. A non-nil error describes what
// could not be read (wrapping [ErrUnavailable], [ErrInvalid], fs errors...);
// the returned snapshot is still meaningful, with the unreadable fields left
// unknown. Implementations must honour ctx cancellation, be safe for
// concurrent use, and never report a guess as a reading. CapturedAtMS should
// be set; callers fill it in when it is zero.
//
// Providers must not start goroutines in their constructors. The
// [providertest] package is a conformance suite every provider can run
// against itself.
//
// [providertest]: https://pkg.go.dev/github.com/restel/restel/provider/providertest
type SnapshotProvider interface {
	Snapshot(ctx context.Context) (Snapshot, error)
}

// ThermalReader is an optional capability of a SnapshotProvider: it reads
// the thermal state, which can be slow (sysfs drivers, embedded
// controllers). The orchestrator calls it off the hot path on its own
// cadence, never inside a Snapshot refresh. ThermalUnknown with a nil error
// means no usable sensor.
type ThermalReader interface {
	Thermal(ctx context.Context) (ThermalState, error)
}

// BatteryReader is an optional capability of a SnapshotProvider: it reads
// the battery charge off the hot path. An invalid Opt with a nil error means
// the device has no battery.
type BatteryReader interface {
	Battery(ctx context.Context) (Opt[uint8], error)
}

// RunReader is an optional capability of a SnapshotProvider: RunSnapshot
// is Snapshot plus the counters that only a run's start and end need
// (process CPU time, pressure-stall and throttle totals, the kernel's RSS
// high-water mark; see [Counters]). They cost extra reads, so the hot path
// never pays for them: the orchestrator calls RunSnapshot for a run's
// start and end snapshots and Snapshot everywhere else. The error rules
// of Snapshot apply.
type RunReader interface {
	RunSnapshot(ctx context.Context) (Snapshot, error)
}

// Func adapts a function to a SnapshotProvider.
type Func func(ctx context.Context) (Snapshot, error)

// Snapshot calls f.
func (f Func) Snapshot(ctx context.Context) (Snapshot, error) { return f(ctx) }

// Clock is the time source providers and actors use; tests inject a fake.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock. Inside a testing/synctest bubble it is the
// bubble's fake clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
