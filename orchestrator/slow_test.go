package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
)

// slowProv has both slow capabilities; it records when each is read.
type slowProv struct {
	t0 time.Time
	mu sync.Mutex
	th []time.Duration
	ba []time.Duration

	thermal      provider.ThermalState
	battery      provider.Opt[uint8]
	thermalErr   error
	batteryPanic bool
	thermalHang  atomic.Bool   // hang until ctx ends
	sleep        time.Duration // thermal reads sleep this long, ignoring ctx
}

func (p *slowProv) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{Thermal: provider.ThermalNormal, BatteryPct: provider.Some[uint8](5)}, nil
}

func (p *slowProv) Thermal(ctx context.Context) (provider.ThermalState, error) {
	p.mu.Lock()
	p.th = append(p.th, time.Since(p.t0))
	st, err := p.thermal, p.thermalErr
	p.mu.Unlock()
	if p.sleep > 0 {
		time.Sleep(p.sleep)
	}
	if p.thermalHang.Load() {
		<-ctx.Done()
		return provider.ThermalUnknown, ctx.Err()
	}
	return st, err
}

func (p *slowProv) Battery(context.Context) (provider.Opt[uint8], error) {
	p.mu.Lock()
	p.ba = append(p.ba, time.Since(p.t0))
	b, pan := p.battery, p.batteryPanic
	p.mu.Unlock()
	if pan {
		panic("ec query failed")
	}
	return b, nil
}

func (p *slowProv) reads() (th, ba []time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Duration(nil), p.th...), append([]time.Duration(nil), p.ba...)
}

func durations(step time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i) * step
	}
	return out
}

// polled returns the slow values merged into a fresh snapshot; the fast
// read's own values are normal and 5.
func polled(m *Monitor) (provider.ThermalState, provider.Opt[uint8]) {
	s := m.CurrentSnapshot(0)
	return s.Thermal, s.BatteryPct
}

func TestSlowCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &slowProv{t0: time.Now(), thermal: provider.ThermalHot, battery: provider.Some[uint8](77)}
		m := newMonitor(t, p)
		m.Prewarm()
		// The slow round is immediate; the fast read has no CPU use, so
		// Prewarm reads again after PrewarmSpacing.
		if d := time.Since(p.t0); d != PrewarmSpacing {
			t.Fatalf("Prewarm took %v, want %v", d, PrewarmSpacing)
		}
		if th, b := polled(m); th != provider.ThermalHot || b != provider.Some[uint8](77) {
			t.Fatalf("polled %v %v, want hot and 77", th, b)
		}
		time.Sleep(61 * time.Second)
		synctest.Wait()
		m.Close()
		th, ba := p.reads()
		if want := durations(2*time.Second, 31); fmt.Sprint(th) != fmt.Sprint(want) {
			t.Errorf("thermal reads at %v, want %v", th, want)
		}
		if want := durations(30*time.Second, 3); fmt.Sprint(ba) != fmt.Sprint(want) {
			t.Errorf("battery reads at %v, want %v", ba, want)
		}
		if st := m.Stats(); st.SlowReads != 34 || st.SlowErrors != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestSlowCustomCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &slowProv{t0: time.Now()}
		m := newMonitor(t, p, WithThermalEvery(500*time.Millisecond), WithBatteryEvery(time.Second))
		m.Prewarm()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		m.Close()
		if th, ba := p.reads(); len(th) != 5 || len(ba) != 3 {
			t.Fatalf("thermal reads %v battery reads %v", th, ba)
		}
	})
}

func TestSlowFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &slowProv{t0: time.Now(), thermal: provider.ThermalCritical, battery: provider.Some[uint8](50)}
		m := newMonitor(t, p)
		m.Prewarm()
		if th, b := polled(m); th != provider.ThermalCritical || b != provider.Some[uint8](50) {
			t.Fatalf("polled %v %v", th, b)
		}
		// A failing thermal read and a panicking battery read make both
		// unknown; the fast snapshot's values then show through.
		p.mu.Lock()
		p.thermalErr = errors.New("EIO")
		p.batteryPanic = true
		p.mu.Unlock()
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if th, b := polled(m); th != provider.ThermalNormal || b != provider.Some[uint8](5) {
			t.Fatalf("after faults %v %v, want the fast read's normal and 5", th, b)
		}
		// A hung thermal read times out after 1s (its context deadline) and
		// never overlaps the next one.
		p.thermalHang.Store(true)
		th, _ := p.reads()
		before := len(th)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		th, _ = p.reads()
		if n := len(th) - before; n != 5 {
			t.Fatalf("%d thermal reads in 10s with hung reads, want 5", n)
		}
		if st := m.Stats(); st.SlowErrors == 0 {
			t.Fatal("no slow errors counted")
		}
	})
}

func TestSlowSkipsTicksWhileAReadHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &slowProv{t0: time.Now(), sleep: 5 * time.Second} // ignores its context
		m := New(p, WithThermalEvery(2*time.Second), WithBatteryEvery(time.Hour))
		m.Prewarm()
		time.Sleep(13 * time.Second)
		synctest.Wait()
		start := time.Now()
		m.Close() // the read begun at 12s sleeps to 17s: abandoned at the read timeout
		if d := time.Since(start); d != DefaultReadTimeout {
			t.Fatalf("Close took %v, want the read timeout", d)
		}
		// Busy 0-5s: ticks at 2, 4 skipped; read at 6 busy to 11; read at 12.
		th, _ := p.reads()
		if want := []time.Duration{0, 6 * time.Second, 12 * time.Second}; fmt.Sprint(th) != fmt.Sprint(want) {
			t.Fatalf("thermal reads at %v, want %v", th, want)
		}
		if st := m.Stats(); st.Abandoned != 1 {
			t.Fatalf("stats %+v, want 1 abandoned read", st)
		}
		time.Sleep(5 * time.Second) // the abandoned read ends
	})
}

// errBattery has batteries it cannot read: every Battery call fails.
type errBattery struct {
	provider.Func
	reads atomic.Int32
}

func (b *errBattery) Battery(context.Context) (provider.Opt[uint8], error) {
	b.reads.Add(1)
	return provider.Opt[uint8]{}, fmt.Errorf("power_supply/BAT0/capacity: %w", provider.ErrInvalid)
}

// A battery that exists but cannot be read is unknown, counted as an
// error, and read again only at the battery cadence: never in a loop.
func TestSlowUnreadableBatteryIsUnknownAtCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &errBattery{Func: func(context.Context) (provider.Snapshot, error) {
			return provider.Snapshot{BatteryPct: provider.Some[uint8](40)}, nil
		}}
		m := newMonitor(t, p)
		m.Prewarm()
		time.Sleep(61 * time.Second)
		synctest.Wait()
		if got := m.CurrentSnapshot(0).BatteryPct; got != provider.Some[uint8](40) {
			t.Fatalf("an unreadable battery hid the fast reading: %v", got)
		}
		m.Close()
		if n := p.reads.Load(); n != 3 {
			t.Fatalf("%d battery reads in 61s, want 3 (at 0, 30s, 60s)", n)
		}
		if st := m.Stats(); st.SlowReads != 3 || st.SlowErrors != 3 {
			t.Fatalf("stats %+v, want 3 reads and 3 errors", st)
		}
	})
}

// A provider without slow signals starts no goroutine for a read.
func TestNoSlowSignalsNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMonitor(t, provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil }), withInline)
		m.Prewarm()
		m.CurrentSnapshot(0)
		if m.state.Load() != idle {
			t.Fatal("reads of a provider without slow signals started the owner goroutine")
		}
	})
}
