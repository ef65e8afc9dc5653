package darwin

import (
	"fmt"

	"github.com/restel/restel/provider"
)

// thermalNotifyName is the notify(3) name on which the kernel publishes the
// thermal pressure level (kOSThermalNotificationPressureLevelName,
// <libkern/OSThermalNotification.h>). Its state is read with
// notify_register_check + notify_get_state.
const thermalNotifyName = "com.apple.system.thermalpressurelevel"

// thermalFromPressureLevel maps the state of com.apple.system.thermalpressurelevel
// to a ThermalState (docs/contract.md §2). macOS and iOS publish the same enum
// (OSThermalPressureLevel) on different scales, and the two scales only share
// 0, so one table serves both:
//
//	macOS  iOS  name       state
//	0      0    nominal    normal
//	-      10   light      normal   (like Android's "light": no action needed)
//	1      20   moderate   warm
//	2      30   heavy      hot
//	3      40   trapping   critical
//	4      50   sleeping   critical
//
// Any other value is ThermalUnknown with an error wrapping provider.ErrInvalid.
func thermalFromPressureLevel(level uint64) (provider.ThermalState, error) {
	switch level {
	case 0, 10:
		return provider.ThermalNormal, nil
	case 1, 20:
		return provider.ThermalWarm, nil
	case 2, 30:
		return provider.ThermalHot, nil
	case 3, 4, 40, 50:
		return provider.ThermalCritical, nil
	}
	return provider.ThermalUnknown, fmt.Errorf("darwin: %w: thermal pressure level %d", provider.ErrInvalid, level)
}
