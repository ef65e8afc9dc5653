package stream

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

func TestPollerCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &slowProv{t0: time.Now(), thermal: provider.ThermalHot, battery: provider.Some[uint8](77)}
		po := NewPoller(p, PollerOptions{})
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { po.Run(ctx) })
		<-po.Ready()
		if d := time.Since(p.t0); d != 0 {
			t.Fatalf("first round took %v", d)
		}
		s := po.Apply(provider.Snapshot{Thermal: provider.ThermalNormal})
		if s.Thermal != provider.ThermalHot || s.BatteryPct != provider.Some[uint8](77) {
			t.Fatalf("Apply = %+v, want polled hot and 77", s)
		}
		time.Sleep(61 * time.Second)
		synctest.Wait()
		cancel()
		wg.Wait()
		if got, want := p.th, durations(2*time.Second, 31); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("thermal reads at %v, want %v", got, want)
		}
		if got, want := p.ba, durations(30*time.Second, 3); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("battery reads at %v, want %v", got, want)
		}
		if r, e := po.Stats(); r != 34 || e != 0 {
			t.Errorf("stats %d reads %d errors", r, e)
		}
	})
}

func TestPollerCustomCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &slowProv{t0: time.Now()}
		po := NewPoller(p, PollerOptions{ThermalEvery: 500 * time.Millisecond, BatteryEvery: time.Second})
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { po.Run(ctx) })
		time.Sleep(2 * time.Second)
		synctest.Wait()
		cancel()
		wg.Wait()
		if len(p.th) != 5 || len(p.ba) != 3 {
			t.Fatalf("thermal reads %v battery reads %v", p.th, p.ba)
		}
	})
}

func TestPollerFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &slowProv{t0: time.Now(), thermal: provider.ThermalCritical, battery: provider.Some[uint8](50)}
		po := NewPoller(p, PollerOptions{})
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { po.Run(ctx) })
		synctest.Wait()
		if po.Thermal() != provider.ThermalCritical || po.Battery() != provider.Some[uint8](50) {
			t.Fatalf("polled %v %v", po.Thermal(), po.Battery())
		}
		// A failing thermal read and a panicking battery read make both
		// unknown; the fast snapshot's values then show through.
		p.mu.Lock()
		p.thermalErr = errors.New("EIO")
		p.batteryPanic = true
		p.mu.Unlock()
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if po.Thermal() != provider.ThermalUnknown || po.Battery().Valid {
			t.Fatalf("after faults polled %v %v, want unknown", po.Thermal(), po.Battery())
		}
		fast := provider.Snapshot{Thermal: provider.ThermalWarm, BatteryPct: provider.Some[uint8](9)}
		if got := po.Apply(fast); got != fast {
			t.Fatalf("Apply with unknown polled values changed %+v to %+v", fast, got)
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
		cancel()
		wg.Wait()
		if _, e := po.Stats(); e == 0 {
			t.Fatal("no slow errors counted")
		}
	})
}

func TestPollerSkipsTicksWhileAReadHangs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &slowProv{t0: time.Now(), sleep: 5 * time.Second} // ignores its context
		po := NewPoller(p, PollerOptions{ThermalEvery: 2 * time.Second, BatteryEvery: time.Hour})
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { po.Run(ctx) })
		time.Sleep(13 * time.Second)
		synctest.Wait()
		cancel()
		wg.Wait() // Run waits for the read still sleeping
		// Busy 0-5s: ticks at 2, 4 skipped; read at 6 busy to 11; read at 12.
		th, _ := p.reads()
		if want := []time.Duration{0, 6 * time.Second, 12 * time.Second}; fmt.Sprint(th) != fmt.Sprint(want) {
			t.Fatalf("thermal reads at %v, want %v", th, want)
		}
		if d := time.Since(p.t0); d != 17*time.Second {
			t.Fatalf("Run returned at %v, want 17s (after the last read)", d)
		}
	})
}

func TestNewPollerWithoutCapabilities(t *testing.T) {
	po := NewPoller(provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil }), PollerOptions{})
	if po != nil {
		t.Fatal("a provider without slow signals got a poller")
	}
	s := provider.Snapshot{Thermal: provider.ThermalHot}
	if po.Apply(s) != s || po.Thermal() != provider.ThermalUnknown || po.Battery().Valid {
		t.Fatal("nil poller changed values")
	}
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
func TestPollerUnreadableBatteryIsUnknownAtCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &errBattery{}
		po := NewPoller(p, PollerOptions{})
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { po.Run(ctx) })
		<-po.Ready()
		time.Sleep(61 * time.Second)
		synctest.Wait()
		if po.Battery().Valid {
			t.Fatalf("battery %v, want unknown", po.Battery())
		}
		if got := po.Apply(provider.Snapshot{BatteryPct: provider.Some[uint8](40)}); got.BatteryPct != provider.Some[uint8](40) {
			t.Fatalf("an unreadable battery hid the fast reading: %v", got.BatteryPct)
		}
		cancel()
		wg.Wait()
		if n := p.reads.Load(); n != 3 {
			t.Fatalf("%d battery reads in 61s, want 3 (at 0, 30s, 60s)", n)
		}
		if r, e := po.Stats(); r != 3 || e != 3 {
			t.Fatalf("stats %d reads %d errors, want 3 and 3", r, e)
		}
	})
}

func TestNilPollerIsInert(t *testing.T) {
	var po *Poller
	select {
	case <-po.Ready():
	default:
		t.Fatal("a nil poller is never ready")
	}
	if r, e := po.Stats(); r != 0 || e != 0 {
		t.Fatal("nil poller stats")
	}
	po.Run(t.Context()) // returns at once
}

func TestMergeSlow(t *testing.T) {
	fast := provider.Snapshot{Thermal: provider.ThermalWarm, BatteryPct: provider.Some[uint8](9)}
	for _, tc := range []struct {
		name string
		p    provider.SnapshotProvider
		want provider.Snapshot
	}{
		{"read", &slowProv{thermal: provider.ThermalHot, battery: provider.Some[uint8](77)},
			provider.Snapshot{Thermal: provider.ThermalHot, BatteryPct: provider.Some[uint8](77)}},
		{"no sensor, no battery", &slowProv{}, fast},
		{"failing and panicking", &slowProv{thermal: provider.ThermalHot, thermalErr: errors.New("EIO"), battery: provider.Some[uint8](1), batteryPanic: true}, fast},
		{"unreadable battery", &errBattery{}, fast},
		{"no capability", provider.Func(nil), fast},
	} {
		if got := MergeSlow(t.Context(), tc.p, fast); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
