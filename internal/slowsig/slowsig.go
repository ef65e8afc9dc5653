// Package slowsig is the list of slow signals: readings a provider makes
// off the hot path, each on its own cadence (the thermal state, the
// battery charge; docs/contract.md §2). A signal is one [Signal] entry —
// a read, a default cadence — whose reads yield a [Reading] that knows how
// to merge itself into a snapshot. The live monitor polls the list, a
// replay and the CLI's one-shot snapshot read it once per snapshot; all
// of them merge through [Merge], and every read passes through the panic
// guard.
//
// A new slow signal is a new entry in [Of] and a Reading type with its
// Merge method.
package slowsig

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/internal/guard"
	"github.com/restel/restel/provider"
)

// Default cadences.
const (
	ThermalEvery = 2 * time.Second
	BatteryEvery = 30 * time.Second
)

// Reading is one slow signal's known value. Merge returns s with it
// written in (by value, so a snapshot merged on the hot path stays on the
// stack). A nil Reading is unknown and merges nothing.
type Reading interface {
	Merge(s provider.Snapshot) provider.Snapshot
}

// Signal is one slow signal of a provider.
type Signal struct {
	// Name names the signal in errors ("thermal", "battery").
	Name string
	// Every is the default polling cadence.
	Every time.Duration
	// Read reads the signal once. It never panics: a panic is an error
	// wrapping guard.ErrPanic. Its Reading is nil (unknown) when the read
	// failed or found no sensor (a nil error or one wrapping
	// provider.ErrUnavailable).
	Read func(context.Context) (Reading, error)
}

// Of lists p's slow signals, one entry per capability p has, in a fixed
// order; nil when it has none.
func Of(p provider.SnapshotProvider) []Signal {
	var sigs []Signal
	if r, ok := p.(provider.ThermalReader); ok {
		sigs = append(sigs, Signal{Name: "thermal", Every: ThermalEvery, Read: func(ctx context.Context) (Reading, error) {
			if t, err := guard.Call(ctx, r.Thermal); err != nil || !t.Known() {
				return nil, err
			} else {
				return thermal(t), nil
			}
		}})
	}
	if r, ok := p.(provider.BatteryReader); ok {
		sigs = append(sigs, Signal{Name: "battery", Every: BatteryEvery, Read: func(ctx context.Context) (Reading, error) {
			if b, err := guard.Call(ctx, r.Battery); err != nil || !b.Valid {
				return nil, err
			} else {
				return battery(min(b.V, 100)), nil
			}
		}})
	}
	return sigs
}

// thermal is a known thermal state.
type thermal provider.ThermalState

func (t thermal) Merge(s provider.Snapshot) provider.Snapshot {
	s.Thermal = provider.ThermalState(t)
	return s
}

// battery is a known battery charge in percent, at most 100.
type battery uint8

func (b battery) Merge(s provider.Snapshot) provider.Snapshot {
	s.BatteryPct = provider.Some(uint8(b))
	return s
}

// Merge merges the known readings into s, in order; unknown (nil) ones
// leave s's fields alone.
func Merge(s *provider.Snapshot, rs []Reading) {
	for _, r := range rs {
		if r != nil {
			*s = r.Merge(*s)
		}
	}
}

// ReadOnce reads each of sigs once on the calling goroutine, each read
// bounded by timeout (<= 0: by ctx alone), and merges the known readings
// into s. The error joins the failures; a signal reporting no sensor is
// not a failure.
func ReadOnce(ctx context.Context, sigs []Signal, s *provider.Snapshot, timeout time.Duration) error {
	var errs []error
	for _, sig := range sigs {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if timeout > 0 {
			rctx, cancel = context.WithTimeout(ctx, timeout)
		}
		r, err := sig.Read(rctx)
		cancel()
		if r != nil {
			*s = r.Merge(*s)
		}
		if err != nil && !errors.Is(err, provider.ErrUnavailable) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CapacityReading is the capacity signal's reading: the headroom of its
// last read and its sensors' trends, from which a caller forecasts at
// any horizon ([orchestrator.Monitor.Headroom] reads it), and the
// accelerators that read found. Its Merge writes the accelerators into
// the snapshot, so one read of them serves both headroom and snapshots.
type CapacityReading struct {
	Headroom headroom.Headroom
	Trends   []headroom.Trend
	// Accels is the accelerator reading; nil when the provider does not
	// read accelerators.
	Accels *AccelReading
}

// Merge writes the accelerators of the reading into s (see
// [AccelReading.Merge]); capacity itself is not a snapshot field.
func (r CapacityReading) Merge(s provider.Snapshot) provider.Snapshot {
	if r.Accels != nil {
		return r.Accels.Merge(s)
	}
	return s
}

// AccelReading is one read of a provider's accelerators: the devices
// (owned by the reading, never changed after it is published), their
// flat totals and when they were read. An empty list is a device
// without accelerators: its Merge makes the accelerator fields unknown.
type AccelReading struct {
	// List is the devices, read at its ReadMS (the time base of their
	// busy counters); shared with every snapshot it is merged into.
	List *provider.AccelList
}

// Merge makes the reading the accelerators of s
// ([provider.Snapshot.SetAccelerators]); it does not allocate.
func (r *AccelReading) Merge(s provider.Snapshot) provider.Snapshot {
	s.SetAccelerators(r.List)
	return s
}

// newAccelReading copies list into a reading of its own, read at t.
func newAccelReading(list []provider.Accelerator, t time.Time) *AccelReading {
	return &AccelReading{List: provider.NewAccelList(list, t.UnixMilli())}
}

// readAccels reads ar's accelerators into dst[:0] through the panic guard.
func readAccels(ctx context.Context, ar provider.AcceleratorReader, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	return guard.Call(ctx, func(ctx context.Context) ([]provider.Accelerator, error) { return ar.Accelerators(ctx, dst[:0]) })
}

// Accelerators returns a signal that reads p's accelerators alone
// (provider.AcceleratorReader), and false when p has none. It is for a
// one-shot snapshot ([ReadOnce]); a monitor reads accelerators with its
// capacity signal ([Capacity]) and must not list this one too.
func Accelerators(p provider.SnapshotProvider) (Signal, bool) {
	ar, ok := p.(provider.AcceleratorReader)
	if !ok {
		return Signal{}, false
	}
	return Signal{Name: "accelerators", Every: CapacityEvery, Read: func(ctx context.Context) (Reading, error) {
		t := time.Now()
		list, err := readAccels(ctx, ar, nil)
		if err != nil && len(list) == 0 {
			return nil, err // nothing read: unknown, not "no accelerator"
		}
		return newAccelReading(list, t), err
	}}, true
}

// CapacityEvery is the capacity signal's cadence: one second, the spacing
// of the thermal forecast's samples (docs/contract.md §10).
const CapacityEvery = time.Second

// Capacity returns the capacity signal of p — its provider.CapacityReader
// and its provider.AcceleratorReader, whichever it has, folded into
// headroom by a [headroom.Tracker] that keeps the throttle counters and
// the sensors' one-second history between reads — and false when p has
// neither. The accelerators it reads are also its reading's snapshot
// fields. It is not in [Of]: only a monitor polls it; a one-shot
// snapshot reads the accelerators alone ([Accelerators]).
func Capacity(p provider.SnapshotProvider) (Signal, bool) {
	r, _ := p.(provider.CapacityReader)
	ar, _ := p.(provider.AcceleratorReader)
	if r == nil && ar == nil {
		return Signal{}, false
	}
	var (
		mu     sync.Mutex // reads of one signal never overlap; this keeps it so for an abandoned one
		tr     headroom.Tracker
		c      provider.Capacity
		accels []provider.Accelerator
	)
	return Signal{Name: "capacity", Every: CapacityEvery, Read: func(ctx context.Context) (Reading, error) {
		mu.Lock()
		defer mu.Unlock()
		var err error
		if r != nil {
			_, err = guard.Call(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, r.Capacity(ctx, &c) })
		}
		var (
			aerr error
			ar2  *AccelReading
		)
		accels = accels[:0]
		if ar != nil {
			t := time.Now()
			accels, aerr = readAccels(ctx, ar, accels)
			if aerr == nil || len(accels) > 0 {
				ar2 = newAccelReading(accels, t)
			}
		}
		h := tr.Update(time.Now(), &c, accels, provider.ThermalUnknown, 0)
		return CapacityReading{Headroom: h, Trends: tr.Trends(nil), Accels: ar2}, errors.Join(err, aerr)
	}}, true
}
