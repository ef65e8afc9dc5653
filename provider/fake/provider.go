package fake

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/restel/restel/provider"
)

// ErrInjected is wrapped by the error of every read that fails because the
// trace says error=TEXT; the error's message carries TEXT.
var ErrInjected = errors.New("injected read error")

// Option configures a Provider.
type Option func(*Provider)

// WithClock makes the provider read and wait on c instead of SystemClock.
func WithClock(c Clock) Option {
	return func(p *Provider) {
		if c != nil {
			p.clock = c
		}
	}
}

// WithSlowSignals leaves thermal and battery out of Snapshot: they are
// reported only by Thermal and Battery, as a platform provider whose
// sensors are slow does, so an orchestrator's slow-signal poller can be
// tested.
func WithSlowSignals() Option { return func(p *Provider) { p.slow = true } }

// Provider replays a Trace (see the package doc). It is safe for
// concurrent use and starts no goroutines.
type Provider struct {
	trace     *Trace
	clock     Clock
	start     time.Time
	slow      bool
	reads     atomic.Int64
	slowReads atomic.Int64
	capReads  atomic.Int64
}

var (
	_ provider.SnapshotProvider = (*Provider)(nil)
	_ provider.ThermalReader    = (*Provider)(nil)
	_ provider.BatteryReader    = (*Provider)(nil)
)

// New returns a provider replaying t; the run starts at the clock's time
// now. A nil t replays nothing: every read is all-unknown.
func New(t *Trace, opts ...Option) *Provider {
	p := &Provider{trace: t, clock: SystemClock{}}
	for _, o := range opts {
		if o != nil {
			o(p)
		}
	}
	p.start = p.clock.Now()
	return p
}

// Trace returns the trace being replayed.
func (p *Provider) Trace() *Trace { return p.trace }

// Offset returns how far into the run the provider's clock is.
func (p *Provider) Offset() time.Duration { return p.clock.Now().Sub(p.start) }

// read applies the state at the current offset: its delay, then its
// error. It returns the state and the time the read completed.
func (p *Provider) read(ctx context.Context) (State, time.Time, error) {
	st := p.trace.At(p.Offset())
	if st.Delay > 0 {
		if err := p.clock.Sleep(ctx, st.Delay); err != nil {
			return State{}, p.clock.Now(), fmt.Errorf("fake: read interrupted during delay=%v: %w", st.Delay, err)
		}
	}
	now := p.clock.Now()
	if st.Err != "" {
		return State{}, now, fmt.Errorf("fake: %w: %s", ErrInjected, st.Err)
	}
	return st, now, nil
}

// Snapshot returns the trace's readings at the clock's current offset
// (without thermal and battery under WithSlowSignals). A failing or
// interrupted read returns the all-unknown snapshot and an error.
func (p *Provider) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	p.reads.Add(1)
	st, now, err := p.read(ctx)
	if err != nil {
		return provider.Unknown(now), err
	}
	s := st.Snapshot(now)
	if p.slow {
		s.Thermal, s.BatteryPct = provider.ThermalUnknown, provider.Opt[uint8]{}
	}
	return s, nil
}

// Thermal implements provider.ThermalReader: the trace's thermal state at
// the current offset, ThermalUnknown when the trace has none.
func (p *Provider) Thermal(ctx context.Context) (provider.ThermalState, error) {
	p.slowReads.Add(1)
	st, _, err := p.read(ctx)
	if err != nil {
		return provider.ThermalUnknown, err
	}
	return st.Readings.Thermal, nil
}

// Battery implements provider.BatteryReader: the trace's battery charge at
// the current offset, invalid when the trace has none.
func (p *Provider) Battery(ctx context.Context) (provider.Opt[uint8], error) {
	p.slowReads.Add(1)
	st, _, err := p.read(ctx)
	if err != nil {
		return provider.Opt[uint8]{}, err
	}
	return st.Readings.BatteryPct, nil
}

// Reads returns how many times Snapshot has been called.
func (p *Provider) Reads() int64 { return p.reads.Load() }

// SlowReads returns how many times Thermal and Battery have been called.
func (p *Provider) SlowReads() int64 { return p.slowReads.Load() }

// Replay is a Provider on a ManualClock that the caller steers; it
// implements replay.Timeline. The run starts at time.Unix(0, 0), so
// a snapshot's CapturedAtMS is its offset in milliseconds (plus any delay).
type Replay struct {
	*Provider
	clock *ManualClock
}

// replayEpoch is where a Replay's clock starts.
var replayEpoch = time.Unix(0, 0)

// NewReplay returns a Replay of t with its clock at offset 0.
func NewReplay(t *Trace, opts ...Option) *Replay {
	c := NewManualClock(replayEpoch)
	opts = append(opts[:len(opts):len(opts)], WithClock(c))
	return &Replay{Provider: New(t, opts...), clock: c}
}

// Seek moves the clock to offset from the start of the run.
func (r *Replay) Seek(offset time.Duration) { r.clock.Set(r.start.Add(offset)) }

// End returns the trace's end offset.
func (r *Replay) End() time.Duration { return r.trace.End() }

// NextChange returns the offset of the trace's first line after off; see
// [Trace.NextChange].
func (r *Replay) NextChange(off time.Duration) (time.Duration, bool) { return r.trace.NextChange(off) }

// Now returns the replay clock's time, so a Replay is also a provider.Clock
// (replay.Run stamps unstamped snapshots with it).
func (r *Replay) Now() time.Time { return r.clock.Now() }

// Clock returns the replay's clock.
func (r *Replay) Clock() *ManualClock { return r.clock }
