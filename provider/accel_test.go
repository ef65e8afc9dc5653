package provider_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/provider"
)

// TestSetAccelerators: a snapshot carries the whole reading (the list,
// its busy counters and when they were read), shared, and its totals.
func TestSetAccelerators(t *testing.T) {
	u := provider.Some[uint64]
	dev := func(i int) provider.Accelerator {
		return provider.Accelerator{
			Name: fmt.Sprintf("card%d", i), Driver: "amdgpu", Kind: provider.AccelGPU,
			MemUsedMB: u(100), MemTotalMB: u(1000), BusyPct: provider.Some(float64(i)),
			BusyTime: provider.Some(time.Duration(i) * time.Second), ProcessMemMB: u(10),
		}
	}
	for _, n := range []int{0, 1, 8, 11} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var list []provider.Accelerator
			for i := range n {
				list = append(list, dev(i))
			}
			var s provider.Snapshot
			s.SetAccelerators(provider.NewAccelList([]provider.Accelerator{dev(0), dev(1), dev(2)}, 1))
			l := provider.NewAccelList(list, 42)
			list = append(list[:0:0], list...) // the reading keeps a copy of its own
			s.SetAccelerators(l)
			if got := s.Accelerators(); len(got) != n {
				t.Fatalf("%d accelerators, want %d", len(got), n)
			}
			for i, a := range s.Accelerators() {
				if a != list[i] {
					t.Errorf("accelerator %d = %+v, want %+v", i, a, list[i])
				}
			}
			if s.Counters.Accel.ReadMS() != 42 {
				t.Errorf("ReadMS = %d, want 42", s.Counters.Accel.ReadMS())
			}
			tot := provider.SumAccelerators(list)
			if s.GPUMemUsedMB != tot.GPUMemUsedMB || s.GPUMemTotalMB != tot.GPUMemTotalMB || s.GPUBusyPct != tot.GPUBusyPct || s.ProcessGPUMemMB != tot.ProcessGPUMemMB {
				t.Errorf("flat fields %v %v %v %v, want the list's %+v", s.GPUMemUsedMB, s.GPUMemTotalMB, s.GPUBusyPct, s.ProcessGPUMemMB, tot)
			}
			if n > 0 && s.GPUMemTotalMB != u(uint64(1000*n)) {
				t.Errorf("gpu_mem_total_mb %v, want %d", s.GPUMemTotalMB, 1000*n)
			}
		})
	}
	var s provider.Snapshot
	s.SetAccelerators(provider.NewAccelList([]provider.Accelerator{dev(0)}, 1))
	s.SetAccelerators(nil)
	if s.Accelerators() != nil || s.GPUMemTotalMB.Valid || s.Counters.Accel.ReadMS() != 0 {
		t.Errorf("a nil reading left %+v", s)
	}
}

// TestSetAcceleratorsAllocs: a snapshot shares the reading: merging it
// (on every provider read) does not allocate, and copying a snapshot
// copies a pointer.
func TestSetAcceleratorsAllocs(t *testing.T) {
	l := provider.NewAccelList([]provider.Accelerator{{Name: "card0", MemUsedMB: provider.Some[uint64](1)}, {Name: "accel0", Unified: true}}, 1)
	var s provider.Snapshot
	if a := testing.AllocsPerRun(100, func() { s.SetAccelerators(l) }); a != 0 {
		t.Fatalf("%v allocs per SetAccelerators, want 0", a)
	}
}

func TestAcceleratorAppendJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   provider.Accelerator
		want string
	}{
		{"discrete, every field known",
			provider.Accelerator{Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU,
				MemUsedMB: provider.Some[uint64](5800), MemTotalMB: provider.Some[uint64](8192), BusyPct: provider.Some(97.5),
				TempC: provider.Some(71.0), Throttling: provider.Some(false), ProcessMemMB: provider.Some[uint64](5200)},
			`{"name":"card0","driver":"amdgpu","kind":"gpu","unified":false,"mem_used_mb":5800,"mem_total_mb":8192,"busy_pct":97.5,"temp_c":71,"throttling":false,"process_mem_mb":5200}`},
		{"unified NPU, nothing else known",
			provider.Accelerator{Name: "accel0", Driver: "intel_vpu", Kind: provider.AccelNPU, Unified: true},
			`{"name":"accel0","driver":"intel_vpu","kind":"npu","unified":true,"mem_used_mb":null,"mem_total_mb":null,"busy_pct":null,"temp_c":null,"throttling":null,"process_mem_mb":null}`},
		{"hostile values",
			provider.Accelerator{Name: "a\"b\\c\n\x01\xff", Kind: 9, BusyPct: provider.Some(250.0), TempC: provider.Some(math.NaN()), Throttling: provider.Some(true)},
			`{"name":"a\"b\\c\u000a\u0001\ufffd","driver":"","kind":"unknown","unified":false,"mem_used_mb":null,"mem_total_mb":null,"busy_pct":100,"temp_c":null,"throttling":true,"process_mem_mb":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(tc.in.AppendJSON(nil)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// FuzzAcceleratorAppendJSON: whatever a driver names a device, the object
// is valid JSON and its strings read back (invalid UTF-8 as U+FFFD).
func FuzzAcceleratorAppendJSON(f *testing.F) {
	f.Add("card0", "amdgpu", 12.5)
	f.Add("\x00\"\\\u2028", "\xff\xfe", math.Inf(1))
	f.Fuzz(func(t *testing.T, name, driver string, busy float64) {
		b := provider.Accelerator{Name: name, Driver: driver, BusyPct: provider.Some(busy)}.AppendJSON(nil)
		var back struct {
			Name, Driver string
			BusyPct      *float64 `json:"busy_pct"`
		}
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if back.Name != strings.ToValidUTF8(name, "\ufffd") && back.Name != string([]rune(name)) {
			t.Errorf("name %q read back as %q", name, back.Name)
		}
		if back.BusyPct != nil && (*back.BusyPct < 0 || *back.BusyPct > 100) {
			t.Errorf("busy_pct %v outside [0, 100]", *back.BusyPct)
		}
	})
}
