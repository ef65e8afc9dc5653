package export_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/export"
	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
)

// headroomSource is a full source that also reports headroom, counting
// the horizons it was asked for.
type headroomSource struct {
	fullSource
	h        headroom.Headroom
	horizons []time.Duration
}

func (s *headroomSource) Headroom(horizon time.Duration) headroom.Headroom {
	s.horizons = append(s.horizons, horizon)
	return s.h
}

// pointKey names a point: its metric's name, constant attributes and
// variable attributes, as "restel.memory.usable{restel.limit.by=host}".
func pointKey(p export.Point) string {
	m := export.Metrics()[p.I]
	k := m.Name
	for _, a := range m.Attrs {
		k += "{" + a.Key + "=" + a.Value + "}"
	}
	for j, a := range m.Vars {
		k += "{" + a.Key + "=" + p.Vars[j] + "}"
	}
	return k
}

func TestMetricsTable(t *testing.T) {
	all := export.Metrics()
	tab := export.Table()
	for i := range tab {
		if all[i].Name != tab[i].Name || all[i].PromName != tab[i].PromName {
			t.Errorf("Metrics()[%d] = %s, want Table's %s", i, all[i].Name, tab[i].Name)
		}
	}
	want := []struct{ name, unit, prom string }{
		{"restel.cpu.effective", "{cpu}", "restel_cpu_effective"},
		{"restel.cpu.throttled_ratio", "1", "restel_cpu_throttled_ratio"},
		{"restel.memory.usable", "By", "restel_memory_usable_bytes"},
		{"restel.gpu.memory.usable", "By", "restel_gpu_memory_usable_bytes"},
		{"restel.thermal.headroom", "1", "restel_thermal_headroom_ratio"},
		{"restel.thermal.headroom.forecast", "1", "restel_thermal_headroom_forecast_ratio"},
		{"hw.gpu.utilization", "1", "hw_gpu_utilization_ratio"},
		{"hw.gpu.memory.usage", "By", "hw_gpu_memory_usage_bytes"},
		{"hw.gpu.memory.limit", "By", "hw_gpu_memory_limit_bytes"},
	}
	more := all[len(tab):]
	if len(more) != len(want) {
		t.Fatalf("%d metrics after Table, want %d", len(more), len(want))
	}
	for i, w := range want {
		m := more[i]
		if m.Name != w.name || m.Unit != w.unit || m.PromName != w.prom || m.Kind == export.Counter {
			t.Errorf("metric %d = {%s %s %s %v}, want %+v (not a counter)", i, m.Name, m.Unit, m.PromName, m.Kind, w)
		}
		if p := promName(m.Name, m.Unit, m.Kind); p != m.PromName {
			t.Errorf("%s: PromName %q, the translation gives %q", m.Name, m.PromName, p)
		}
		if !strings.HasSuffix(m.Description, ".") {
			t.Errorf("%s: description %q, want a sentence", m.Name, m.Description)
		}
		if len(m.Vars) > 2 {
			t.Errorf("%s: %d variable attributes, a Point holds 2", m.Name, len(m.Vars))
		}
		if v, ok := m.Value(provider.Snapshot{CPUPct: provider.Some(1.0)}); ok {
			t.Errorf("%s: a snapshot gives it %v", m.Name, v)
		}
	}
}

func TestCollectPointsHeadroom(t *testing.T) {
	snap := provider.Snapshot{TotalMemMB: provider.Some[uint64](4096), AvailableMemMB: provider.Some[uint64](1024)}
	full := headroom.Headroom{
		EffectiveCPUs: provider.Some(8.5), CPULimitBy: headroom.CgroupBy("/kubepods/pod1"),
		ThrottledRatio: provider.Some(0.25),
		UsableMemMB:    provider.Some[uint64](1000), MemLimitBy: headroom.CgroupBy("/kubepods"),
		UsableGPUMemMB: provider.Some[uint64](2048), GPULimitBy: headroom.GPUBy("card1"),
		Thermal: provider.Some(0.5), ThermalForecast: provider.Some(0.75),
	}
	for _, tc := range []struct {
		name string
		src  export.Source
		want map[string]float64
	}{
		{"all known", &headroomSource{fullSource: fullSource{source: source{snap: snap}}, h: full}, map[string]float64{
			"restel.cpu.effective{restel.limit.by=cgroup:/kubepods/pod1}":  8.5,
			"restel.cpu.throttled_ratio":                                   0.25,
			"restel.memory.usable{restel.limit.by=cgroup:/kubepods}":       1000 << 20,
			"restel.gpu.memory.usable{hw.id=card1}":                        2048 << 20,
			"restel.thermal.headroom":                                      0.5,
			"restel.thermal.headroom.forecast{restel.forecast.window=10s}": 0.75,
		}},
		{"unknown: no points", &headroomSource{fullSource: fullSource{source: source{snap: snap}}, h: headroom.Headroom{
			ThrottledRatio: provider.Some(math.NaN()),
		}}, map[string]float64{}},
		{"host and zero", &headroomSource{fullSource: fullSource{source: source{snap: snap}}, h: headroom.Headroom{
			UsableMemMB: provider.Some[uint64](0), MemLimitBy: headroom.ByHost, Thermal: provider.Some(0.0),
		}}, map[string]float64{
			"restel.memory.usable{restel.limit.by=host}": 0,
			"restel.thermal.headroom":                    0,
		}},
		{"a source without headroom: none", &fullSource{source: source{snap: snap}}, map[string]float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]float64{}
			snapPoints := 0
			export.NewCollector(tc.src, time.Second).CollectPoints(func(p export.Point) {
				if p.I < len(export.Table()) {
					snapPoints++
					return
				}
				k := pointKey(p)
				if _, dup := got[k]; dup {
					t.Errorf("%s emitted twice", k)
				}
				got[k] = p.V
			})
			if snapPoints == 0 {
				t.Error("no snapshot metric emitted")
			}
			if len(got) != len(tc.want) {
				t.Errorf("emitted %v, want %v", got, tc.want)
			}
			for k, w := range tc.want {
				if v, ok := got[k]; !ok || v != w {
					t.Errorf("%s = %v (emitted %v), want %v", k, v, ok, w)
				}
			}
			if hs, ok := tc.src.(*headroomSource); ok {
				if len(hs.horizons) != 1 || hs.horizons[0] != export.ForecastWindow || hs.full.Load() != 1 {
					t.Errorf("headroom read at %v after %d snapshot reads; want once at %v after 1", hs.horizons, hs.full.Load(), export.ForecastWindow)
				}
			}
		})
	}
}

// TestCollectMatchesCollectPoints checks that Collect emits exactly the
// snapshot points of CollectPoints.
func TestCollectMatchesCollectPoints(t *testing.T) {
	src := &headroomSource{fullSource: fullSource{source: source{snap: provider.Snapshot{
		TotalMemMB: provider.Some[uint64](8),
		Counters:   provider.Counters{CPUBusy: provider.Some(time.Second), CPUTotal: provider.Some(3 * time.Second)},
	}}}, h: headroom.Headroom{Thermal: provider.Some(0.1)}}
	a, b := map[int]float64{}, map[int]float64{}
	export.NewCollector(src, time.Second).Collect(func(i int, v float64) { a[i] = v })
	export.NewCollector(src, time.Second).CollectPoints(func(p export.Point) {
		if p.I < len(export.Table()) {
			b[p.I] = p.V
		}
	})
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("Collect %v, CollectPoints %v", a, b)
	}
	for i, v := range a {
		if b[i] != v {
			t.Errorf("metric %d: Collect %v, CollectPoints %v", i, v, b[i])
		}
	}
}

func TestCollectPointsAllocs(t *testing.T) {
	src := &headroomSource{fullSource: fullSource{source: source{snap: provider.Snapshot{
		CPUPct:   provider.Some(3.0),
		Counters: provider.Counters{CPUBusy: provider.Some(time.Second), CPUTotal: provider.Some(2 * time.Second)},
	}}}, h: headroom.Headroom{
		EffectiveCPUs: provider.Some(2.0), CPULimitBy: headroom.ByHost,
		UsableMemMB: provider.Some[uint64](10), MemLimitBy: headroom.ByHost,
		Thermal: provider.Some(0.2), ThermalForecast: provider.Some(0.3),
	}}
	src.horizons = make([]time.Duration, 0, 1000)
	c := export.NewCollector(src, time.Second)
	n := 0
	if a := testing.AllocsPerRun(100, func() {
		c.CollectPoints(func(export.Point) { n++ })
	}); a != 0 {
		t.Errorf("CollectPoints allocates %v times, want 0", a)
	}
	if n == 0 {
		t.Error("CollectPoints emitted nothing")
	}
}

func TestVendor(t *testing.T) {
	for driver, want := range map[string]string{
		"amdgpu": "AMD", "i915": "Intel", "xe": "Intel", "intel_vpu": "Intel", "nvidia": "NVIDIA",
		"msm": "Qualcomm", "panfrost": "Arm", "panthor": "Arm", "v3d": "Broadcom", "": "", "mystery": "",
	} {
		if got := export.Vendor(driver); got != want {
			t.Errorf("Vendor(%q) = %q, want %q", driver, got, want)
		}
	}
}

// TestCollectPointsAccelerators: the snapshot's GPUs give the hw.gpu.*
// points, with hw.id and hw.vendor; an NPU gives none.
func TestCollectPointsAccelerators(t *testing.T) {
	snap := provider.Snapshot{}
	snap.SetAccelerators(provider.NewAccelList([]provider.Accelerator{
		{Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU,
			MemUsedMB: provider.Some[uint64](512), MemTotalMB: provider.Some[uint64](8192), BusyPct: provider.Some(25.0)},
		{Name: "nvidia0", Driver: "nvidia", Kind: provider.AccelGPU, MemTotalMB: provider.Some[uint64](24576)},
		{Name: "accel0", Driver: "intel_vpu", Kind: provider.AccelNPU, BusyPct: provider.Some(10.0)},
	}, 1))
	got := map[string]float64{}
	c := export.NewCollector(&source{snap: snap}, time.Second)
	c.CollectPoints(func(p export.Point) {
		if p.I >= len(export.Table()) {
			got[pointKey(p)] = p.V
		}
	})
	want := map[string]float64{
		"hw.gpu.utilization{hw.id=card0}{hw.vendor=AMD}":       0.25,
		"hw.gpu.memory.usage{hw.id=card0}{hw.vendor=AMD}":      512 << 20,
		"hw.gpu.memory.limit{hw.id=card0}{hw.vendor=AMD}":      8192 << 20,
		"hw.gpu.memory.limit{hw.id=nvidia0}{hw.vendor=NVIDIA}": 24576 << 20,
	}
	if len(got) != len(want) {
		t.Errorf("points %v, want %v", got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
		}
	}
	if a := testing.AllocsPerRun(50, func() { c.CollectPoints(func(export.Point) {}) }); a != 0 {
		t.Errorf("CollectPoints with accelerators allocates %v times, want 0", a)
	}
}
