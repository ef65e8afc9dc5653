package orchestrator

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func TestHostPushedWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &HostState{}
		// Fast snapshot: thermal normal, battery 80. Polled: hot, 60.
		fast := provider.Func(func(ctx context.Context) (provider.Snapshot, error) {
			return provider.Snapshot{CPUPct: provider.Some(1.0), Thermal: provider.ThermalNormal, BatteryPct: provider.Some[uint8](80)}, nil
		})
		p := fake.New(trace(t, "@0s thermal=hot battery=60\n@1h end\n"))
		m := New(slowOf{fast, p}, WithHost(h))
		defer m.Close()
		m.Prewarm()
		check := func(what string, th provider.ThermalState, bat provider.Opt[uint8]) {
			t.Helper()
			// The cached read sees a push at once: pushed values are applied
			// to every result, not stored in the cache.
			for _, s := range []provider.Snapshot{m.CurrentSnapshot(time.Hour), m.CurrentSnapshot(0)} {
				if s.Thermal != th || s.BatteryPct != bat {
					t.Fatalf("%s: thermal %v battery %v, want %v %v", what, s.Thermal, s.BatteryPct, th, bat)
				}
			}
		}
		check("polled over fast", provider.ThermalHot, provider.Some[uint8](60))
		h.SetThermalState(provider.ThermalCritical)
		h.SetBatteryLevel(12)
		check("pushed over polled", provider.ThermalCritical, provider.Some[uint8](12))
		h.SetThermalState(provider.ThermalNormal) // a pushed "normal" wins too
		check("pushed normal", provider.ThermalNormal, provider.Some[uint8](12))
		h.ClearThermalState()
		h.ClearBatteryLevel()
		check("cleared", provider.ThermalHot, provider.Some[uint8](60))
	})
}

// slowOf is a fast provider with another provider's slow signals.
type slowOf struct {
	provider.Func
	slow *fake.Provider
}

func (s slowOf) Thermal(ctx context.Context) (provider.ThermalState, error) {
	return s.slow.Thermal(ctx)
}

func (s slowOf) Battery(ctx context.Context) (provider.Opt[uint8], error) {
	return s.slow.Battery(ctx)
}

func TestHostPushedWinsInRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &HostState{}
		p := fake.New(trace(t, "@0s cpu=5 thermal=normal battery=90\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot), WithHost(h))
		r := m.BeginRun(t.Context(), aggregate.SummaryEvery(250*time.Millisecond))
		time.Sleep(300 * time.Millisecond)
		h.SetThermalState(provider.ThermalCritical)
		time.Sleep(300 * time.Millisecond)
		h.SetBatteryLevel(41)
		h.ClearThermalState()
		u, ok := r.Finish()
		if !ok || u.ThermalPeak != provider.ThermalCritical || u.BatteryPctEnd != provider.Some[uint8](41) {
			t.Fatalf("summary %s", u.AppendJSON(nil))
		}
	})
}

func TestHostValues(t *testing.T) {
	var h HostState
	if h.BatteryLevel().Valid || h.ThermalState() != provider.ThermalUnknown {
		t.Fatal("zero HostState has values")
	}
	for _, tc := range []struct {
		in   int
		want provider.Opt[uint8]
	}{
		{0, provider.Some[uint8](0)},
		{57, provider.Some[uint8](57)},
		{100, provider.Some[uint8](100)},
		{101, provider.Some[uint8](100)},
		{1 << 40, provider.Some[uint8](100)},
		{-1, provider.Opt[uint8]{}},
		{-1 << 40, provider.Opt[uint8]{}},
	} {
		h.SetBatteryLevel(50)
		h.SetBatteryLevel(tc.in)
		if got := h.BatteryLevel(); got != tc.want {
			t.Errorf("SetBatteryLevel(%d): %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in, want provider.ThermalState
	}{
		{provider.ThermalNormal, provider.ThermalNormal},
		{provider.ThermalCritical, provider.ThermalCritical},
		{provider.ThermalUnknown, provider.ThermalUnknown},
		{provider.ThermalState(200), provider.ThermalUnknown},
	} {
		h.SetThermalState(provider.ThermalWarm)
		h.SetThermalState(tc.in)
		if got := h.ThermalState(); got != tc.want {
			t.Errorf("SetThermalState(%v): %v, want %v", tc.in, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		h.SetBatteryLevel(3)
		h.SetThermalState(provider.ThermalHot)
		h.ClearBatteryLevel()
		h.ClearThermalState()
	}); n != 0 {
		t.Fatalf("pushes allocate %v times", n)
	}
}

// Pushes from many threads (as a mobile host's notification callbacks
// arrive) race snapshot reads without tearing: every snapshot shows a
// value some goroutine pushed, or the provider's.
func TestHostConcurrentPushes(t *testing.T) {
	h := &HostState{}
	m := newMonitor(t, provider.Func(func(ctx context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{Thermal: provider.ThermalNormal, BatteryPct: provider.Some[uint8](7)}, nil
	}), WithHost(h), WithReadTimeout(time.Minute))
	// Fill the cache before the pushers spin: on a loaded machine their
	// busy loops could otherwise starve the first read past its timeout,
	// and the readers would rightly see the all-unknown fallback.
	m.CurrentSnapshot(0)
	var pushers, readers sync.WaitGroup
	stop := make(chan struct{})
	for i := range 4 {
		pushers.Go(func() {
			for j := 0; ; j++ {
				select {
				case <-stop:
					return
				default:
				}
				switch (i + j) % 4 {
				case 0:
					h.SetBatteryLevel(50 + i)
				case 1:
					h.SetThermalState(provider.ThermalWarm + provider.ThermalState(i%3))
				case 2:
					h.ClearBatteryLevel()
				case 3:
					h.ClearThermalState()
				}
			}
		})
	}
	for range 4 {
		readers.Go(func() {
			for range 20000 {
				s := m.CurrentSnapshot(time.Hour)
				if b := s.BatteryPct.V; !s.BatteryPct.Valid || (b != 7 && (b < 50 || b > 53)) {
					t.Errorf("battery %v", s.BatteryPct)
					return
				}
				if !s.Thermal.Known() {
					t.Errorf("thermal %v", s.Thermal)
					return
				}
			}
		})
	}
	readers.Wait()
	close(stop)
	pushers.Wait()
}
