package export_test

import (
	"fmt"
	"time"

	"github.com/restel/restel/export"
	"github.com/restel/restel/provider"
)

// staticSource always returns the same snapshot.
type staticSource provider.Snapshot

func (s staticSource) CurrentSnapshot(time.Duration) provider.Snapshot { return provider.Snapshot(s) }

// One read per collection, then every metric the snapshot knows, under
// both names. The run counters are absent: the source has no FullSnapshot.
func Example() {
	src := staticSource{
		CPUPct:         provider.Some(12.5),
		AvailableMemMB: provider.Some[uint64](1024),
		TotalMemMB:     provider.Some[uint64](8192),
		Thermal:        provider.ThermalWarm,
		BatteryPct:     provider.Some[uint8](80),
		Counters:       provider.Counters{CPUBusy: provider.Some(90 * time.Second), CPUTotal: provider.Some(360 * time.Second)},
	}
	s, _ := export.Read(src, export.DefaultMaxAge)
	for _, m := range export.TableFor("linux") {
		if v, ok := m.Value(s); ok {
			attrs := ""
			for _, a := range m.Attrs {
				attrs += a.PromKey + "=" + a.Value
			}
			fmt.Printf("%-30s %-7s %-36s %-12s %g\n", m.Name, m.Unit, m.PromName, attrs, v)
		}
	}
	// Output:
	// system.memory.limit            By      system_memory_limit_bytes                         8.589934592e+09
	// system.memory.linux.available  By      system_memory_linux_available_bytes               1.073741824e+09
	// hw.battery.charge              1       hw_battery_charge_ratio              hw_id=battery 0.8
	// restel.cpu.time                s       restel_cpu_time_seconds_total        state=busy   90
	// restel.cpu.time                s       restel_cpu_time_seconds_total        state=idle   270
	// restel.memory.pressure         {level} restel_memory_pressure                            1
	// restel.thermal.state           {level} restel_thermal_state                              1
}
