package main

import (
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
)

// TestTableFrameHeadroom: a view with a headroom source ends its frame
// with the headroom line, one line taller; unknown figures are "-".
func TestTableFrameHeadroom(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    headroom.Headroom
		want string
	}{
		{"all known", headroom.Headroom{
			EffectiveCPUs: provider.Some(8.5), CPULimitBy: headroom.CgroupBy("/kubepods"),
			UsableMemMB: provider.Some[uint64](3000), MemLimitBy: headroom.ByHost,
			UsableGPUMemMB: provider.Some[uint64](2048), GPULimitBy: headroom.GPUBy("card0"),
			Thermal: provider.Some(0.42), ThermalForecast: provider.Some(0.555), Forecast: 10 * time.Second,
		}, "  headroom     8.5 CPUs (cgroup:/kubepods)  3000 MiB usable (host)  2048 MiB free (gpu:card0)  thermal 0.42 -> 0.56 in 10s\n"},
		{"unknown", headroom.Headroom{}, "  headroom     - CPUs  - usable  thermal - -> - in 0s\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked []time.Duration
			v := &tableView{caps: termCaps{}, interval: time.Second, loc: time.UTC,
				headroom: func(h time.Duration) headroom.Headroom { asked = append(asked, h); return tc.h }}
			var out strings.Builder
			v.w = &out
			if err := v.show(fullSnap); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if n := strings.Count(got, "\n"); n != tableLines+1 {
				t.Errorf("frame has %d lines, want %d:\n%s", n, tableLines+1, got)
			}
			if !strings.HasSuffix(got, "  restel rss   12 MiB\n"+tc.want) {
				t.Errorf("frame:\n%s\nwant it to end with the headroom line\n%s", got, tc.want)
			}
			if len(asked) != 1 || asked[0] != headroomHorizon {
				t.Errorf("headroom asked for %v, want once for %v", asked, headroomHorizon)
			}
		})
	}
}

// TestViewLinesRows: every field line of the live table shows a row of
// the snapshot table.
func TestViewLinesRows(t *testing.T) {
	rows := provider.SnapshotFields()
	for _, l := range viewLines {
		if rows[l.row].Key != l.key || (l.of != "" && rows[l.ofRow].Key != l.of) {
			t.Errorf("line %q: rows %d, %d are not %s, %s", l.label, l.row, l.ofRow, l.key, l.of)
		}
		if len(l.label) > labelWidth-3 {
			t.Errorf("line %q: label wider than the label column", l.label)
		}
	}
}

// TestTableFrameAccelerators: a snapshot with accelerators gets a line
// per device, after the field lines: kind and name, busy share, memory in
// use of its total, driver; "-" for what the driver does not tell.
func TestTableFrameAccelerators(t *testing.T) {
	s := fullSnap
	s.SetAccelerators(provider.NewAccelList([]provider.Accelerator{
		{Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU,
			MemUsedMB: provider.Some[uint64](512), MemTotalMB: provider.Some[uint64](8192), BusyPct: provider.Some(37.54)},
		{Name: "accel0", Driver: "intel_vpu", Kind: provider.AccelNPU, Unified: true},
	}, 1))
	v := &tableView{caps: termCaps{}, interval: time.Second, loc: time.UTC}
	got := string(v.frame(nil, s))
	want := "  restel rss   12 MiB\n" +
		"  gpu card0    37.5 % busy  512 of 8192 MiB  amdgpu\n" +
		"  npu accel0   - % busy  - of - (host memory)  intel_vpu\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("frame:\n%s\nwant it to end with\n%s", got, want)
	}
	if n := strings.Count(got, "\n"); n != tableLines+2 {
		t.Errorf("frame has %d lines, want %d", n, tableLines+2)
	}
}
