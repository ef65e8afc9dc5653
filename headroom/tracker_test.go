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
	h := tr.Update(t0, &c, nil, provider.ThermalNormal, 0)
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
	h = tr.Update(t0.Add(time.Second), &c, nil, provider.ThermalNormal, 2*time.Minute)
	if h.ThrottledRatio != provider.Some(0.5) {
		t.Errorf("ratio over the window %+v, want 0.5", h.ThrottledRatio)
	}
	if h.Forecast != MaxHorizon {
		t.Errorf("horizon %v, want clamped to %v", h.Forecast, MaxHorizon)
	}
	// No quota any more: no ratio, and the next quota starts afresh.
	c.Throttle = provider.Opt[provider.ThrottleCounts]{}
	if h = tr.Update(t0.Add(2*time.Second), &c, nil, provider.ThermalNormal, 0); h.ThrottledRatio.Valid {
		t.Errorf("ratio without a quota: %+v", h.ThrottledRatio)
	}
	// A platform with levels only: the band of the level.
	c.Sensors = nil
	if h = tr.Update(t0.Add(3*time.Second), &c, nil, provider.ThermalHot, 10*time.Second); h.Thermal != provider.Some(1.0) || h.ThermalForecast != provider.Some(1.0) {
		t.Errorf("levels only: %+v %+v", h.Thermal, h.ThermalForecast)
	}
	if h = tr.Update(t0.Add(4*time.Second), &c, nil, provider.ThermalUnknown, 0); h.Thermal.Valid {
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
		tr.Update(t0.Add(time.Duration(i)*time.Second), &c, nil, provider.ThermalNormal, DefaultHorizon)
	}); n != 0 {
		t.Errorf("Update allocates %v times", n)
	}
}

func TestTrackerAccelerators(t *testing.T) {
	var tr Tracker
	c := provider.Capacity{MemLimits: []provider.MemLimit{{By: "host", AvailMB: 30000}}}
	gpus := []provider.Accelerator{
		// A GPU whose other tenants hold most of it.
		{Name: "card0", MemTotalMB: provider.Some[uint64](24576), MemUsedMB: provider.Some[uint64](20480)},
		{Name: "card1", MemTotalMB: provider.Some[uint64](8192), MemUsedMB: provider.Some[uint64](1024), Throttling: provider.Some(false)},
		{Name: "card2", MemTotalMB: provider.Some[uint64](8192)}, // use unknown: not a budget
		{Name: "igpu", Unified: true, MemUsedMB: provider.Some[uint64](100)},
	}
	h := tr.Update(t0, &c, gpus, provider.ThermalNormal, 0)
	if h.UsableGPUMemMB != provider.Some[uint64](7168) || h.GPULimitBy != "gpu:card1" {
		t.Errorf("usable device memory %+v by %q, want 7168 on card1", h.UsableGPUMemMB, h.GPULimitBy)
	}
	if h.Throttling != provider.Some(false) {
		t.Errorf("throttling %+v", h.Throttling)
	}
	gpus[0].Throttling = provider.Some(true)
	if h = tr.Update(t0.Add(time.Second), &c, gpus, provider.ThermalNormal, 0); h.Throttling != provider.Some(true) || h.ThrottlingBy != "gpu:card0" {
		t.Errorf("a throttling GPU: %+v %q", h.Throttling, h.ThrottlingBy)
	}
	if Unified(gpus) || !Unified(gpus[3:]) || Unified(nil) {
		t.Error("Unified")
	}
	// Unified memory only: no device budget, and a device need is host memory.
	h = tr.Update(t0.Add(2*time.Second), &c, gpus[3:], provider.ThermalNormal, 0)
	if h.UsableGPUMemMB.Valid {
		t.Errorf("unified: device budget %+v", h.UsableGPUMemMB)
	}
	if !h.Unified {
		t.Error("integrated GPU only: Unified is false")
	}
	if v := h.Fits(Need{MemBytes: 20 << 30, GPUMemBytes: 12 << 30}, h.Unified); v.Fits || !v.Known || !v.Unified || v.NeedMemBytes != 32<<30 {
		t.Errorf("unified fit %+v", v)
	}
}
