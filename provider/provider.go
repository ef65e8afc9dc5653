package provider

import (
	"context"
	"reflect"
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

// Bounded is the capability of restel's own platform providers whose
// reads cannot block: Bounded reports whether every Snapshot call returns
// promptly because it only makes system calls that cannot wait
// indefinitely (reads of kernel pseudo-files such as procfs and cgroupfs,
// sysctls, counters) — no lock held across I/O, no device, network or
// FUSE file system, no sleep, no IPC.
//
// The orchestrator reads a provider restel vouches for ([IsBounded]) on
// the caller's own goroutine without a deadline, saving a hand-off to a
// read goroutine. Only the module's own providers are taken at their
// word: a Bounded method on any other type — a custom provider, or a type
// that embeds or wraps one of restel's — is ignored, and that provider is
// read on a goroutine of its own, where a hung read holds no caller past
// the read timeout.
type Bounded interface {
	Bounded() bool
}

// vouched lists the types whose Bounded answer restel takes: the platform
// providers of this module (package path and type name).
var vouched = map[[2]string]bool{
	{"github.com/restel/restel/provider/linux", "Provider"}:   true,
	{"github.com/restel/restel/provider/darwin", "Provider"}:  true,
	{"github.com/restel/restel/provider/windows", "Provider"}: true,
}

// IsBounded reports whether restel vouches for p: p is one of this
// module's platform providers itself (a pointer to provider/linux,
// provider/darwin or provider/windows's Provider, not a type wrapping or
// embedding one) and its [Bounded] method reports true. A Bounded method
// that panics counts as false.
func IsBounded(p SnapshotProvider) (ok bool) {
	b, is := p.(Bounded)
	if !is {
		return false
	}
	t := reflect.TypeOf(p)
	if t.Kind() != reflect.Pointer || !vouched[[2]string{t.Elem().PkgPath(), t.Elem().Name()}] {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return b.Bounded()
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
