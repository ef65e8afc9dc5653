package providertest

import (
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
)

func TestCheckSnapshot(t *testing.T) {
	some := provider.Some[uint64]
	good := provider.Snapshot{
		CPUPct: provider.Some(42.5), ProcessRSSMB: some(0), AvailableMemMB: some(300), TotalMemMB: some(8000),
		MemoryPressure: provider.MemoryPressureCritical, Thermal: provider.ThermalHot, BatteryPct: provider.Some[uint8](100),
		CapturedAtMS: 1,
	}
	for _, tc := range []struct {
		name   string
		mutate func(*provider.Snapshot)
		want   string // "" for a conforming snapshot
	}{
		{"good", func(*provider.Snapshot) {}, ""},
		{"all unknown", func(s *provider.Snapshot) { *s = provider.Snapshot{} }, ""},
		{"native pressure raises derived", func(s *provider.Snapshot) { s.AvailableMemMB = some(8000) }, ""},
		{"pressure without memory readings", func(s *provider.Snapshot) {
			s.AvailableMemMB, s.TotalMemMB = provider.Opt[uint64]{}, provider.Opt[uint64]{}
		}, ""},
		{"available equals total", func(s *provider.Snapshot) { s.AvailableMemMB = some(8000) }, ""},
		{"cpu edges", func(s *provider.Snapshot) { s.CPUPct = provider.Some(0.0) }, ""},
		{"cpu NaN", func(s *provider.Snapshot) { s.CPUPct = provider.Some(math.NaN()) }, "cpu_pct NaN"},
		{"cpu Inf", func(s *provider.Snapshot) { s.CPUPct = provider.Some(math.Inf(1)) }, "cpu_pct +Inf"},
		{"cpu negative", func(s *provider.Snapshot) { s.CPUPct = provider.Some(-0.5) }, "cpu_pct -0.5"},
		{"cpu above 100", func(s *provider.Snapshot) { s.CPUPct = provider.Some(100.01) }, "cpu_pct 100.01"},
		{"battery above 100", func(s *provider.Snapshot) { s.BatteryPct = provider.Some[uint8](101) }, "battery_pct 101"},
		{"zero total", func(s *provider.Snapshot) { s.TotalMemMB, s.AvailableMemMB = some(0), provider.Opt[uint64]{} }, "known 0"},
		{"available above total", func(s *provider.Snapshot) { s.AvailableMemMB = some(8001) }, "exceeds total_mem_mb"},
		{"pressure below derived", func(s *provider.Snapshot) { s.MemoryPressure = provider.MemoryPressureWarn }, "below critical derived"},
		{"pressure unknown with readings", func(s *provider.Snapshot) { s.MemoryPressure = provider.MemoryPressureUnknown }, "memory_pressure unknown below"},
		{"pressure out of range", func(s *provider.Snapshot) { s.MemoryPressure = 9 }, "not a known level"},
		{"thermal out of range", func(s *provider.Snapshot) { s.Thermal = 5 }, "thermal_state ThermalState(5)"},
		{"negative time", func(s *provider.Snapshot) { s.CapturedAtMS = -1 }, "captured_at_ms -1"},
		{"several problems", func(s *provider.Snapshot) { s.CPUPct = provider.Some(-1.0); s.BatteryPct = provider.Some[uint8](200) }, "battery_pct 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.mutate(&s)
			err := CheckSnapshot(s)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckSnapshot(%+v) = %v, want nil", s, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckSnapshot(%+v) = %v, want an error containing %q", s, err, tc.want)
			}
		})
	}
}

func TestCall(t *testing.T) {
	if v, err := call(time.Minute, func() int { return 7 }); v != 7 || err != nil {
		t.Errorf("call(ok) = %v, %v", v, err)
	}
	if _, err := call(time.Minute, func() int { panic("boom") }); !errors.Is(err, errPanicked) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("call(panic) = %v, want errPanicked naming the value", err)
	}
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		start := time.Now()
		_, err := call(3*time.Second, func() int { <-release; return 1 })
		if !errors.Is(err, errHung) || time.Since(start) != 3*time.Second {
			t.Errorf("call(hang) = %v after %v, want errHung after 3s", err, time.Since(start))
		}
		close(release) // the abandoned call finishes without blocking
	})
}
