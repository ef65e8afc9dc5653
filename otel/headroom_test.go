package restelotel_test

import (
	"testing"
	"time"

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
