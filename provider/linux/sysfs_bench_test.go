package linux

import (
	"fmt"
	"testing"

	"github.com/restel/restel/provider"
)

// slowBenchTree is a laptop-sized sysfs tree: 8 thermal zones with a
// realistic mix of trip points, 4 cooling devices, an AC adapter and two
// batteries (energy_*), so both batteries are weighted.
func slowBenchTree(tb testing.TB) string {
	root := tb.TempDir()
	files := map[string]string{}
	for i := range 8 {
		z := fmt.Sprintf("class/thermal/thermal_zone%d/", i)
		files[z+"type"] = "acpitz\n"
		files[z+"mode"] = "enabled\n"
		files[z+"temp"] = fmt.Sprintf("%d\n", 40000+i*2500)
		files[z+"trip_point_0_type"] = "critical\n"
		files[z+"trip_point_0_temp"] = "105000\n"
		files[z+"trip_point_1_type"] = "passive\n"
		files[z+"trip_point_1_temp"] = "95000\n"
		files[z+"trip_point_2_type"] = "active\n"
		files[z+"trip_point_2_temp"] = "60000\n"
	}
	for i, typ := range []string{"Processor", "Fan", "intel_powerclamp", "TCC Offset"} {
		c := fmt.Sprintf("class/thermal/cooling_device%d/", i)
		files[c+"type"] = typ + "\n"
		files[c+"cur_state"] = "0\n"
	}
	files["class/power_supply/AC/type"] = "Mains\n"
	files["class/power_supply/AC/online"] = "1\n"
	for i, full := range []string{"23480000", "71000000"} {
		p := fmt.Sprintf("class/power_supply/BAT%d/", i)
		files[p+"type"] = "Battery\n"
		files[p+"scope"] = "System\n"
		files[p+"capacity"] = "80\n"
		files[p+"energy_now"] = "18784000\n"
		files[p+"energy_full"] = full + "\n"
	}
	writeTree(tb, root, files)
	return root
}

// BenchmarkSlowSignals is one slow-signal refresh (Thermal and Battery) on
// a laptop-sized tree of 8 zones and 2 batteries, with the default
// bounded, non-blocking reader.
func BenchmarkSlowSignals(b *testing.B) {
	s := newSysfsSignals(slowBenchTree(b), nil)
	ctx := b.Context()
	th, err := s.Thermal(ctx)
	if th != provider.ThermalNormal || err != nil {
		b.Fatalf("Thermal = %v, %v", th, err)
	}
	bat, err := s.Battery(ctx)
	if bat != provider.Some[uint8](80) || err != nil {
		b.Fatalf("Battery = %+v, %v", bat, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Thermal(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Battery(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSlowSignalsFloor is the floor under BenchmarkSlowSignals: the
// same open/read/close of exactly the attributes one refresh reads (and
// the same directory listings), with no parsing, mapping or path building.
// The ratio of the two is the walk's own overhead.
func BenchmarkSlowSignalsFloor(b *testing.B) {
	root := slowBenchTree(b)
	var paths []string
	record := func(path string) ([]byte, error) {
		paths = append(paths, path)
		return readAttr(path)
	}
	s := newSysfsSignals(root, record)
	if _, err := s.Thermal(b.Context()); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Battery(b.Context()); err != nil {
		b.Fatal(err)
	}
	dirs := []string{root + "/class/thermal", root + "/class/power_supply"}
	var buf [maxAttrBytes]byte
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range dirs {
			if _, err := listDir(d); err != nil {
				b.Fatal(err)
			}
		}
		for _, p := range paths {
			readAttrOnce(p, buf[:])
		}
	}
	b.ReportMetric(float64(len(paths)), "attrs/op")
}
