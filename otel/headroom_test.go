package restelotel_test

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/semconv/v1.43.0/hwconv"

	"github.com/restel/restel/export"
	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
)

// headroomScript is a full script that also reports headroom.
type headroomScript struct {
	fullScript
	h headroom.Headroom
}

func (s *headroomScript) Headroom(time.Duration) headroom.Headroom { return s.h }

// TestHeadroomMetrics collects a source that reports headroom: each
// headroom gauge with its unit, kind and attributes, beside the
// snapshot's metrics of the same one read.
func TestHeadroomMetrics(t *testing.T) {
	src := &headroomScript{fullScript: fullScript{script: script{snaps: []provider.Snapshot{device}}}, h: headroom.Headroom{
		EffectiveCPUs: provider.Some(8.5), CPULimitBy: headroom.CgroupBy("/kubepods"),
		ThrottledRatio: provider.Some(0.125),
		UsableMemMB:    provider.Some[uint64](700), MemLimitBy: headroom.CgroupBy("/kubepods/pod"),
		UsableGPUMemMB: provider.Some[uint64](4096), GPULimitBy: headroom.GPUBy("card1"),
		Thermal: provider.Some(0.5), ThermalForecast: provider.Some(0.9),
	}}
	got := collect(t, newReader(t, src))
	want := map[string]struct {
		unit, kind string
		value      float64
		attrs      string
	}{
		"restel.cpu.effective":             {"{cpu}", "gauge", 8.5, "restel.limit.by=cgroup:/kubepods"},
		"restel.cpu.throttled_ratio":       {"1", "gauge", 0.125, ""},
		"restel.memory.usable":             {"By", "updowncounter", 700 << 20, "restel.limit.by=cgroup:/kubepods/pod"},
		"restel.gpu.memory.usable":         {"By", "updowncounter", 4096 << 20, "hw.id=card1"},
		"restel.thermal.headroom":          {"1", "gauge", 0.5, ""},
		"restel.thermal.headroom.forecast": {"1", "gauge", 0.9, "restel.forecast.window=10s"},
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok || g.unit != w.unit || g.kind != w.kind || g.value != w.value || g.attrs != w.attrs || g.desc == "" {
			t.Errorf("%s = %+v (present %v), want %+v", name, g, ok, w)
		}
	}
	if _, ok := got["process.memory.usage"]; !ok {
		t.Error("no snapshot metric beside the headroom")
	}
	if src.Reads() != 1 {
		t.Errorf("%d snapshot reads, want 1", src.Reads())
	}
}

// TestNoHeadroomSource: a source without Headroom has no headroom metric.
func TestNoHeadroomSource(t *testing.T) {
	got := collect(t, newReader(t, &fullScript{script: script{snaps: []provider.Snapshot{device}}}))
	for _, name := range []string{"restel.cpu.effective", "restel.cpu.throttled_ratio", "restel.memory.usable", "restel.gpu.memory.usable", "restel.thermal.headroom", "restel.thermal.headroom.forecast"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s from a source without headroom", name)
		}
	}
}

// TestGPUConventions checks the per-GPU metrics against the conventions'
// generated Go package: name and unit, and the description where restel
// measures exactly the convention's quantity (the utilization is the
// whole device's busy share, not one task's).
func TestGPUConventions(t *testing.T) {
	for _, c := range []struct {
		name, unit, desc string
		sameDesc         bool
	}{
		{hwconv.GpuMemoryUsage{}.Name(), hwconv.GpuMemoryUsage{}.Unit(), hwconv.GpuMemoryUsage{}.Description(), true},
		{hwconv.GpuMemoryLimit{}.Name(), hwconv.GpuMemoryLimit{}.Unit(), hwconv.GpuMemoryLimit{}.Description(), true},
		{hwconv.GpuUtilization{}.Name(), hwconv.GpuUtilization{}.Unit(), "", false},
	} {
		found := false
		for _, m := range export.Metrics() {
			if m.Name != c.name {
				continue
			}
			found = true
			if m.Unit != c.unit || (c.sameDesc && m.Description != c.desc) {
				t.Errorf("%s: unit %q description %q; the convention says %q, %q", m.Name, m.Unit, m.Description, c.unit, c.desc)
			}
			if len(m.Vars) == 0 || m.Vars[0].Key != "hw.id" {
				t.Errorf("%s: attributes %v, want hw.id first (the convention requires it)", m.Name, m.Vars)
			}
		}
		if !found {
			t.Errorf("%s: not exported", c.name)
		}
	}
}

// TestGPUMetrics: each GPU of the snapshot is a point of the hw.gpu.*
// instruments with hw.id and, where its driver names one, hw.vendor.
func TestGPUMetrics(t *testing.T) {
	snap := device
	snap.SetAccelerators(provider.NewAccelList([]provider.Accelerator{
		{Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU,
			MemUsedMB: provider.Some[uint64](512), MemTotalMB: provider.Some[uint64](8192), BusyPct: provider.Some(50.0)},
		{Name: "card1", Driver: "mystery", Kind: provider.AccelGPU, BusyPct: provider.Some(10.0)},
	}, 1))
	got := collect(t, newReader(t, &fullScript{script: script{snaps: []provider.Snapshot{snap}}}))
	for key, w := range map[string]struct {
		kind  string
		value float64
		attrs string
	}{
		"hw.gpu.utilization{hw.id=card0,hw.vendor=AMD}": {"gauge", 0.5, "hw.id=card0,hw.vendor=AMD"},
		"hw.gpu.utilization{hw.id=card1}":               {"gauge", 0.1, "hw.id=card1"},
		"hw.gpu.memory.usage":                           {"updowncounter", 512 << 20, "hw.id=card0,hw.vendor=AMD"},
		"hw.gpu.memory.limit":                           {"updowncounter", 8192 << 20, "hw.id=card0,hw.vendor=AMD"},
	} {
		g, ok := got[key]
		if !ok || g.kind != w.kind || g.value != w.value || g.attrs != w.attrs {
			t.Errorf("%s = %+v (present %v), want %+v", key, g, ok, w)
		}
	}
}
