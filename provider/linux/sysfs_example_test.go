package linux

import (
	"context"
	"fmt"
)

// The slow signals of a laptop-like sysfs tree: x86_pkg_temp at 62 °C with
// only unused trip points falls in the warm band; BAT0 reports 87 %, and the
// wireless mouse's battery (scope Device) is left out.
func Example_slowSignals() {
	s := newSysfsSignals("testdata/sysfs-laptop", nil)
	thermal, err := s.Thermal(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	battery, err := s.Battery(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("thermal:", thermal)
	if pct, ok := battery.Get(); ok {
		fmt.Println("battery:", pct)
	}
	// Output:
	// thermal: warm
	// battery: 87
}
