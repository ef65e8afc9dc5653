package headroom

import (
	"testing"
	"time"

	"github.com/restel/restel/provider"
)

func TestTracker(t *testing.T) {
	var tr Tracker
	c := provider.Capacity{
		CPULimits: []provider.CPULimit{{By: "cgroup:/pod", CPUs: 2}, {By: "affinity", CPUs: 5}, {By: "host", CPUs: 5}},
		Throttle:  provider.Some(provider.ThrottleCounts{By: "cgroup:/pod", Periods: 100, Throttled: 10}),
		MemLimits: []provider.MemLimit{{By: "cgroup:/pod", AvailMB: 700}, {By: "host", AvailMB: 8000}},
		Sensors:   []provider.ThermalReading{{Sensor: "z0", Celsius: 70, SevereC: 85}},
	}
	h := tr.Update(t0, &c, provider.ThermalNormal, 0)
	if h.EffectiveCPUs != provider.Some(2.0) || h.CPULimitBy != "cgroup:/pod" {
		t.Errorf("CPUs %+v by %q", h.EffectiveCPUs, h.CPULimitBy)
	}
	if h.ThrottledRatio.Valid {
		t.Errorf("a ratio from one reading: %+v", h.ThrottledRatio)
	}
	if h.UsableMemMB != provider.Some[uint64](700) || h.MemLimitBy != "cgroup:/pod" {
		t.Errorf("memory %+v by %q", h.UsableMemMB, h.MemLimitBy)
	}
	if h.Thermal != provider.Some(0.5) || h.Forecast != 0 {
		t.Errorf("thermal %+v forecast %v", h.Thermal, h.Forecast)
	}
	c.Throttle.V.Periods, c.Throttle.V.Throttled = 200, 60
	h = tr.Update(t0.Add(time.Second), &c, provider.ThermalNormal, 2*time.Minute)
	if h.ThrottledRatio != provider.Some(0.5) {
		t.Errorf("ratio over the window %+v, want 0.5", h.ThrottledRatio)
	}
	if h.Forecast != MaxHorizon {
		t.Errorf("horizon %v, want clamped to %v", h.Forecast, MaxHorizon)
	}
	// No quota any more: no ratio, and the next quota starts afresh.
	c.Throttle = provider.Opt[provider.ThrottleCounts]{}
	if h = tr.Update(t0.Add(2*time.Second), &c, provider.ThermalNormal, 0); h.ThrottledRatio.Valid {
		t.Errorf("ratio without a quota: %+v", h.ThrottledRatio)
	}
	// A platform with levels only: the band of the level.
	c.Sensors = nil
	if h = tr.Update(t0.Add(3*time.Second), &c, provider.ThermalHot, 10*time.Second); h.Thermal != provider.Some(1.0) || h.ThermalForecast != provider.Some(1.0) {
		t.Errorf("levels only: %+v %+v", h.Thermal, h.ThermalForecast)
	}
	if h = tr.Update(t0.Add(4*time.Second), &c, provider.ThermalUnknown, 0); h.Thermal.Valid {
		t.Errorf("nothing known: %+v", h.Thermal)
	}
}

func TestTrackerSteadyStateAllocs(t *testing.T) {
	var tr Tracker
	c := provider.Capacity{
		CPULimits: []provider.CPULimit{{By: "host", CPUs: 8}},
		Throttle:  provider.Some(provider.ThrottleCounts{By: "cgroup:/", Periods: 1, Throttled: 0}),
		MemLimits: []provider.MemLimit{{By: "host", AvailMB: 8000}},
		Sensors:   []provider.ThermalReading{{Sensor: "z0", Celsius: 50, SevereC: 85}},
	}
	i := 0
	if n := testing.AllocsPerRun(100, func() {
		i++
		c.Throttle.V.Periods++
		tr.Update(t0.Add(time.Duration(i)*time.Second), &c, provider.ThermalNormal, DefaultHorizon)
	}); n != 0 {
		t.Errorf("Update allocates %v times", n)
	}
}
