package mobile

import (
	"fmt"

	"github.com/restel/restel/provider"
)

// androidThermal maps Android's thermal status
// (PowerManager.getCurrentThermalStatus / OnThermalStatusChangedListener,
// API 29+) to a ThermalState (docs/contract.md §2):
//
//	0 THERMAL_STATUS_NONE       normal
//	1 THERMAL_STATUS_LIGHT      normal
//	2 THERMAL_STATUS_MODERATE   warm
//	3 THERMAL_STATUS_SEVERE     hot
//	4 THERMAL_STATUS_CRITICAL   critical
//	5 THERMAL_STATUS_EMERGENCY  critical
//	6 THERMAL_STATUS_SHUTDOWN   critical
//
// Anything else is ThermalUnknown with an error wrapping provider.ErrInvalid.
func androidThermal(status int) (provider.ThermalState, error) {
	switch status {
	case 0, 1:
		return provider.ThermalNormal, nil
	case 2:
		return provider.ThermalWarm, nil
	case 3:
		return provider.ThermalHot, nil
	case 4, 5, 6:
		return provider.ThermalCritical, nil
	}
	return provider.ThermalUnknown, fmt.Errorf("%w: Android thermal status %d (want 0..6, PowerManager.THERMAL_STATUS_*)", provider.ErrInvalid, status)
}

// appleThermalNames are the cases of ProcessInfo.ThermalState
// (NSProcessInfoThermalState) in raw-value order.
var appleThermalNames = [...]string{"nominal", "fair", "serious", "critical"}

// appleThermal maps the raw value of ProcessInfo.ThermalState (iOS 11+,
// macOS 10.10.3+) to a ThermalState (docs/contract.md §2):
//
//	0 nominal   normal
//	1 fair      warm
//	2 serious   hot
//	3 critical  critical
//
// Anything else is ThermalUnknown with an error wrapping provider.ErrInvalid.
func appleThermal(raw int) (provider.ThermalState, error) {
	if raw < 0 || raw >= len(appleThermalNames) {
		return provider.ThermalUnknown, fmt.Errorf("%w: ProcessInfo.ThermalState raw value %d (want 0..3)", provider.ErrInvalid, raw)
	}
	return provider.ThermalNormal + provider.ThermalState(raw), nil
}

// appleThermalName maps a ProcessInfo.ThermalState case name (nominal,
// fair, serious, critical; exact lower case, as Swift spells them) to a
// ThermalState, as appleThermal does for raw values.
func appleThermalName(name string) (provider.ThermalState, error) {
	for i, n := range appleThermalNames {
		if name == n {
			return appleThermal(i)
		}
	}
	return provider.ThermalUnknown, fmt.Errorf("%w: ProcessInfo.ThermalState %q (want nominal, fair, serious or critical)", provider.ErrInvalid, name)
}
