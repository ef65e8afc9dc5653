package headroom

import (
	"testing"

	"github.com/restel/restel/provider"
)

func TestUsable(t *testing.T) {
	// A cgroup limit on a parent only binds the process below it.
	got, ok := Usable([]MemLimit{{By: CgroupBy("/a/b"), AvailMB: 900}, {By: CgroupBy("/a"), AvailMB: 300}, {By: ByHost, AvailMB: 12000}})
	if !ok || got != (MemLimit{By: CgroupBy("/a"), AvailMB: 300}) {
		t.Errorf("Usable = %+v, %v", got, ok)
	}
	got, ok = Usable([]MemLimit{{By: CgroupBy("/a"), AvailMB: 500}, {By: ByHost, AvailMB: 500}})
	if !ok || got.By != CgroupBy("/a") {
		t.Errorf("a tie names the first listed: %+v", got)
	}
	if _, ok := Usable(nil); ok {
		t.Error("no limit gave a figure")
	}
}

func TestRoomiest(t *testing.T) {
	got, ok := Roomiest([]MemLimit{{By: GPUBy("card0"), AvailMB: 2000}, {By: GPUBy("card1"), AvailMB: 7000}, {By: GPUBy("card2"), AvailMB: 7000}})
	if !ok || got != (MemLimit{By: GPUBy("card1"), AvailMB: 7000}) {
		t.Errorf("Roomiest = %+v, %v", got, ok)
	}
	if _, ok := Roomiest(nil); ok {
		t.Error("no device gave a figure")
	}
}

func TestFits(t *testing.T) {
	const mib = 1 << 20
	h := Headroom{
		UsableMemMB: provider.Some[uint64](1000), MemLimitBy: CgroupBy("/pod"),
		UsableGPUMemMB: provider.Some[uint64](6000), GPULimitBy: GPUBy("card1"),
	}
	for _, tc := range []struct {
		name      string
		h         Headroom
		need      Need
		unified   bool
		fits, kn  bool
		by        string
		needMem   uint64
		usableMem provider.Opt[uint64]
	}{
		{"host fits", h, Need{MemBytes: 800 * mib}, false, true, true, CgroupBy("/pod"), 800 * mib, provider.Some[uint64](1000 * mib)},
		{"exactly fits", h, Need{MemBytes: 1000 * mib}, false, true, true, CgroupBy("/pod"), 1000 * mib, provider.Some[uint64](1000 * mib)},
		{"host refuses", h, Need{MemBytes: 1000*mib + 1}, false, false, true, CgroupBy("/pod"), 1000*mib + 1, provider.Some[uint64](1000 * mib)},
		{"gpu refuses first", h, Need{MemBytes: 100 * mib, GPUMemBytes: 7000 * mib}, false, false, true, GPUBy("card1"), 100 * mib, provider.Opt[uint64]{}},
		{"both fit", h, Need{MemBytes: 100 * mib, GPUMemBytes: 5000 * mib}, false, true, true, CgroupBy("/pod"), 100 * mib, provider.Some[uint64](1000 * mib)},
		{"gpu only fits", h, Need{GPUMemBytes: 5000 * mib}, false, true, true, GPUBy("card1"), 0, provider.Opt[uint64]{}},
		// Unified memory: no separate device budget, the device need is host memory.
		{"unified adds", h, Need{MemBytes: 600 * mib, GPUMemBytes: 600 * mib}, true, false, true, CgroupBy("/pod"), 1200 * mib, provider.Some[uint64](1000 * mib)},
		{"unified fits", h, Need{MemBytes: 300 * mib, GPUMemBytes: 600 * mib}, true, true, true, CgroupBy("/pod"), 900 * mib, provider.Some[uint64](1000 * mib)},
		{"unified overflow", h, Need{MemBytes: ^uint64(0), GPUMemBytes: 1}, true, false, true, CgroupBy("/pod"), ^uint64(0), provider.Some[uint64](1000 * mib)},
		{"no gpu known", Headroom{UsableMemMB: provider.Some[uint64](1000), MemLimitBy: ByHost}, Need{GPUMemBytes: 1}, false, false, false, UnknownGPUMemory, 0, provider.Opt[uint64]{}},
		{"memory unknown", Headroom{}, Need{MemBytes: 1}, false, false, false, UnknownMemory, 1, provider.Opt[uint64]{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.h.Fits(tc.need, tc.unified)
			if v.Fits != tc.fits || v.Known != tc.kn || v.By != tc.by || v.NeedMemBytes != tc.needMem || v.UsableMemBytes != tc.usableMem {
				t.Errorf("Fits = %+v; want fits=%v known=%v by=%q needMem=%d usableMem=%+v", v, tc.fits, tc.kn, tc.by, tc.needMem, tc.usableMem)
			}
		})
	}
}
