package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restel/restel/provider"
)

// Default slow-signal cadences (docs/contract.md §2: thermal and battery are refreshed
// off the hot path on their own cadence).
const (
	DefaultThermalEvery = 2 * time.Second
	DefaultBatteryEvery = 30 * time.Second
	// DefaultSlowTimeout bounds one slow-signal read.
	DefaultSlowTimeout = time.Second
)

// PollerOptions configures [NewPoller]. Zero fields take the defaults.
type PollerOptions struct {
	ThermalEvery time.Duration // default DefaultThermalEvery
	BatteryEvery time.Duration // default DefaultBatteryEvery
	// Timeout is the deadline of each read's context (default
	// DefaultSlowTimeout, and never more than the read's cadence).
	Timeout time.Duration
}

// Poller reads a provider's slow signals — [provider.ThermalReader] and
// [provider.BatteryReader], found by type assertion — each on its own
// cadence, and keeps the latest values in atomics that [Poller.Apply]
// merges into fast snapshots. The hot path never waits on it: Apply is two
// atomic loads.
//
// Each read runs in its own goroutine, owned by [Poller.Run], under a
// context with a timeout. A read still running when the next one is due
// makes the poller skip that one (a hung sensor never piles up
// goroutines). A failed or panicking read makes the value unknown; so does
// a read reporting no sensor or no battery.
type Poller struct {
	thermalR provider.ThermalReader
	batteryR provider.BatteryReader
	opts     PollerOptions

	thermal atomic.Uint32 // provider.ThermalState
	battery atomic.Uint32 // 0: unknown; otherwise pct+1

	thermalBusy, batteryBusy   atomic.Bool
	thermalFirst, batteryFirst atomic.Bool  // first read still to finish
	firstLeft                  atomic.Int32 // first reads not yet finished
	ready                      chan struct{}

	reads, errs atomic.Uint64
	wg          sync.WaitGroup
}

// NewPoller returns a poller for p's slow signals. It starts no goroutine.
// When p has neither capability, NewPoller returns nil; a nil *Poller's
// Apply returns its argument unchanged.
func NewPoller(p provider.SnapshotProvider, opts PollerOptions) *Poller {
	tr, _ := p.(provider.ThermalReader)
	br, _ := p.(provider.BatteryReader)
	if tr == nil && br == nil {
		return nil
	}
	if opts.ThermalEvery <= 0 {
		opts.ThermalEvery = DefaultThermalEvery
	}
	if opts.BatteryEvery <= 0 {
		opts.BatteryEvery = DefaultBatteryEvery
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultSlowTimeout
	}
	po := &Poller{thermalR: tr, batteryR: br, opts: opts, ready: make(chan struct{})}
	n := int32(0)
	if tr != nil {
		po.thermalFirst.Store(true)
		n++
	}
	if br != nil {
		po.batteryFirst.Store(true)
		n++
	}
	po.firstLeft.Store(n)
	return po
}

// Apply merges the polled values into s: a known polled value replaces
// whatever s had for that field; an unknown one leaves s alone.
func (p *Poller) Apply(s provider.Snapshot) provider.Snapshot {
	if p == nil {
		return s
	}
	if t := provider.ThermalState(p.thermal.Load()); t.Known() {
		s.Thermal = t
	}
	if b := p.battery.Load(); b != 0 {
		s.BatteryPct = provider.Some(uint8(b - 1))
	}
	return s
}

// Thermal returns the latest polled thermal state (ThermalUnknown when
// none).
func (p *Poller) Thermal() provider.ThermalState {
	if p == nil {
		return provider.ThermalUnknown
	}
	return provider.ThermalState(p.thermal.Load())
}

// Battery returns the latest polled battery charge.
func (p *Poller) Battery() provider.Opt[uint8] {
	if p == nil {
		return provider.Opt[uint8]{}
	}
	if b := p.battery.Load(); b != 0 {
		return provider.Some(uint8(b - 1))
	}
	return provider.Opt[uint8]{}
}

// closedChan is what a nil poller's Ready returns: nothing to wait for.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Ready is closed once the first read of every signal has finished (at
// once for a nil poller).
func (p *Poller) Ready() <-chan struct{} {
	if p == nil {
		return closedChan
	}
	return p.ready
}

// Stats returns how many slow reads completed and how many failed (an
// unavailable signal is not a failure).
func (p *Poller) Stats() (reads, errs uint64) {
	if p == nil {
		return 0, 0
	}
	return p.reads.Load(), p.errs.Load()
}

// Run reads each signal at once and then every cadence, until ctx is done;
// it returns after every read it started has returned (reads run under
// contexts derived from ctx). A nil poller's Run returns at once.
func (p *Poller) Run(ctx context.Context) {
	if p == nil {
		return
	}
	defer p.wg.Wait()
	var thermalC, batteryC <-chan time.Time
	if p.thermalR != nil {
		t := time.NewTicker(p.opts.ThermalEvery)
		defer t.Stop()
		thermalC = t.C
		p.pollThermal(ctx)
	}
	if p.batteryR != nil {
		t := time.NewTicker(p.opts.BatteryEvery)
		defer t.Stop()
		batteryC = t.C
		p.pollBattery(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-thermalC:
			p.pollThermal(ctx)
		case <-batteryC:
			p.pollBattery(ctx)
		}
	}
}

func (p *Poller) timeout(every time.Duration) time.Duration { return min(p.opts.Timeout, every) }

func (p *Poller) pollThermal(ctx context.Context) {
	if p.thermalBusy.Swap(true) {
		return
	}
	p.wg.Go(func() {
		defer p.thermalBusy.Store(false)
		rctx, cancel := context.WithTimeout(ctx, p.timeout(p.opts.ThermalEvery))
		t, err := safeThermal(rctx, p.thermalR)
		cancel()
		if err != nil || !t.Known() {
			t = provider.ThermalUnknown
		}
		p.thermal.Store(uint32(t))
		p.done(err, &p.thermalFirst)
	})
}

func (p *Poller) pollBattery(ctx context.Context) {
	if p.batteryBusy.Swap(true) {
		return
	}
	p.wg.Go(func() {
		defer p.batteryBusy.Store(false)
		rctx, cancel := context.WithTimeout(ctx, p.timeout(p.opts.BatteryEvery))
		b, err := safeBattery(rctx, p.batteryR)
		cancel()
		v := uint32(0)
		if err == nil && b.Valid {
			v = uint32(min(b.V, 100)) + 1
		}
		p.battery.Store(v)
		p.done(err, &p.batteryFirst)
	})
}

// done counts a finished read; the first round's last read closes ready.
func (p *Poller) done(err error, first *atomic.Bool) {
	p.reads.Add(1)
	if err != nil && !errors.Is(err, provider.ErrUnavailable) {
		p.errs.Add(1)
	}
	if first.Swap(false) && p.firstLeft.Add(-1) == 0 {
		close(p.ready)
	}
}

func safeThermal(ctx context.Context, r provider.ThermalReader) (t provider.ThermalState, err error) {
	defer func() {
		if v := recover(); v != nil {
			t, err = provider.ThermalUnknown, fmt.Errorf("%w: %v", ErrPanic, v)
		}
	}()
	return r.Thermal(ctx)
}

func safeBattery(ctx context.Context, r provider.BatteryReader) (b provider.Opt[uint8], err error) {
	defer func() {
		if v := recover(); v != nil {
			b, err = provider.Opt[uint8]{}, fmt.Errorf("%w: %v", ErrPanic, v)
		}
	}()
	return r.Battery(ctx)
}

// MergeSlow reads p's slow signals once each, on the calling goroutine,
// when p has them ([provider.ThermalReader], [provider.BatteryReader]),
// and merges the known values into s as [Poller.Apply] does: a failed,
// panicking or empty read leaves s's field alone. It is for replays on a
// steered clock, where a read takes no real time; a live caller uses a
// Poller, which keeps slow reads off the hot path. MergeSlow never panics.
func MergeSlow(ctx context.Context, p provider.SnapshotProvider, s provider.Snapshot) provider.Snapshot {
	if r, ok := p.(provider.ThermalReader); ok {
		if t, err := safeThermal(ctx, r); err == nil && t.Known() {
			s.Thermal = t
		}
	}
	if r, ok := p.(provider.BatteryReader); ok {
		if b, err := safeBattery(ctx, r); err == nil && b.Valid {
			s.BatteryPct = provider.Some(min(b.V, 100))
		}
	}
	return s
}
