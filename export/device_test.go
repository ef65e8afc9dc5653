package export

import (
	"math"
	"testing"

	"github.com/restel/restel/provider"
)

// TestDevicePoints checks the per-GPU metrics from a device list: one
// point per GPU and known value, hw.id and hw.vendor as its attributes,
// busy share as a ratio within [0, 1], memory in bytes; NPUs and unknown
// values have none.
func TestDevicePoints(t *testing.T) {
	list := []provider.Accelerator{
		{Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU,
			MemUsedMB: provider.Some[uint64](512), MemTotalMB: provider.Some[uint64](8192), BusyPct: provider.Some(37.5)},
		{Name: "card1", Driver: "i915", Kind: provider.AccelGPU, Unified: true, BusyPct: provider.Some(250.0)},
		{Name: "card2", Driver: "other", Kind: provider.AccelGPU, BusyPct: provider.Some(math.NaN())},
		{Name: "accel0", Driver: "intel_vpu", Kind: provider.AccelNPU, BusyPct: provider.Some(10.0)},
	}
	base := len(table) + len(headroomMetrics)
	got := map[string]float64{}
	devicePoints(list, base, func(p Point) {
		m := all[p.I]
		got[m.Name+"{"+p.Vars[0]+","+p.Vars[1]+"}"] = p.V
	})
	want := map[string]float64{
		"hw.gpu.utilization{card0,AMD}":   0.375,
		"hw.gpu.memory.usage{card0,AMD}":  512 << 20,
		"hw.gpu.memory.limit{card0,AMD}":  8192 << 20,
		"hw.gpu.utilization{card1,Intel}": 1,
	}
	if len(got) != len(want) {
		t.Errorf("points %v, want %v", got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
		}
	}
}
