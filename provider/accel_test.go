package provider_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/restel/restel/provider"
)

// TestSetAccelerators: a snapshot lists at most MaxAccelerators devices,
// its totals cover the whole list, and the listed devices' busy counters
// land in its Counters with the time they were read.
func TestSetAccelerators(t *testing.T) {
	u := provider.Some[uint64]
	dev := func(i int) provider.Accelerator {
		return provider.Accelerator{
			Name: fmt.Sprintf("card%d", i), Driver: "amdgpu", Kind: provider.AccelGPU,
			MemUsedMB: u(100), MemTotalMB: u(1000), BusyPct: provider.Some(float64(i)),
			BusyTime: provider.Some(time.Duration(i) * time.Second), ProcessMemMB: u(10),
		}
	}
	for _, n := range []int{0, 1, provider.MaxAccelerators, provider.MaxAccelerators + 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var list []provider.Accelerator
			for i := range n {
				list = append(list, dev(i))
			}
			// A snapshot that listed more devices before keeps none of them.
			var s provider.Snapshot
			s.SetAccelerators([]provider.Accelerator{dev(0), dev(1), dev(2), dev(3), dev(4), dev(5), dev(6), dev(7)}, 1)
			s.SetAccelerators(list, 42)

			want := min(n, provider.MaxAccelerators)
			if got := len(s.Accelerators()); got != want {
				t.Fatalf("%d accelerators listed, want %d", got, want)
			}
			for i, a := range s.Accelerators() {
				if a != list[i] {
					t.Errorf("accelerator %d = %+v, want %+v", i, a, list[i])
				}
			}
			for i := want; i < provider.MaxAccelerators; i++ {
				if s.Accels[i] != (provider.Accelerator{}) || s.Counters.AccelBusy[i].Valid {
					t.Errorf("slot %d not cleared: %+v %v", i, s.Accels[i], s.Counters.AccelBusy[i])
				}
			}
			for i := range want {
				if got := s.Counters.AccelBusy[i]; got != provider.Some(time.Duration(i)*time.Second) {
					t.Errorf("AccelBusy[%d] = %v", i, got)
				}
			}
			if s.Counters.AccelReadMS != 42 {
				t.Errorf("AccelReadMS = %d, want 42", s.Counters.AccelReadMS)
			}
			tot := provider.SumAccelerators(list)
			if s.GPUMemUsedMB != tot.GPUMemUsedMB || s.GPUMemTotalMB != tot.GPUMemTotalMB || s.GPUBusyPct != tot.GPUBusyPct || s.ProcessGPUMemMB != tot.ProcessGPUMemMB {
				t.Errorf("flat fields %v %v %v %v, want the whole list's %+v", s.GPUMemUsedMB, s.GPUMemTotalMB, s.GPUBusyPct, s.ProcessGPUMemMB, tot)
			}
			if n > 0 && s.GPUMemTotalMB != u(uint64(1000*n)) {
				t.Errorf("gpu_mem_total_mb %v, want %d (every device, listed or not)", s.GPUMemTotalMB, 1000*n)
			}
		})
	}
}

// TestSetAcceleratorsAllocs: writing the list into a snapshot copies it
// into the snapshot's own array.
func TestSetAcceleratorsAllocs(t *testing.T) {
	list := []provider.Accelerator{{Name: "card0", MemUsedMB: provider.Some[uint64](1)}, {Name: "accel0", Unified: true}}
	var s provider.Snapshot
	if a := testing.AllocsPerRun(100, func() { s.SetAccelerators(list, 1) }); a != 0 {
		t.Fatalf("%v allocs per SetAccelerators, want 0", a)
	}
}
