package windows

import (
	"fmt"

	"github.com/restel/restel/provider"
)

// Battery flag and percent sentinels of SYSTEM_POWER_STATUS.
const (
	batteryFlagNoBattery  = 128
	batteryFlagUnknown    = 255
	batteryPercentUnknown = 255
)

// batteryFromPowerStatus maps GetSystemPowerStatus to a battery percentage
// (docs/contract.md §2): BatteryLifePercent 255 (unknown) or BatteryFlag bit 128 (no
// system battery) is no battery, reported as an invalid Opt with a nil
// error. BatteryFlag 255 means the flags could not be read, not "no
// battery", so a valid percentage is still used then. Percentages above
// 100 clamp to 100.
func batteryFromPowerStatus(s systemPowerStatus) provider.Opt[uint8] {
	if s.BatteryLifePercent == batteryPercentUnknown {
		return provider.Opt[uint8]{}
	}
	if s.BatteryFlag != batteryFlagUnknown && s.BatteryFlag&batteryFlagNoBattery != 0 {
		return provider.Opt[uint8]{}
	}
	return provider.BatteryPct(uint64(s.BatteryLifePercent))
}

// memoryFromStatus returns available and total physical memory in bytes
// from GlobalMemoryStatusEx (ullAvailPhys, ullTotalPhys). An available
// above total is invalid.
func memoryFromStatus(m memoryStatusEx) (avail, total uint64, err error) {
	if m.AvailPhys > m.TotalPhys {
		return 0, 0, fmt.Errorf("windows: %w: ullAvailPhys %d above ullTotalPhys %d", provider.ErrInvalid, m.AvailPhys, m.TotalPhys)
	}
	return m.AvailPhys, m.TotalPhys, nil
}

// pressureFromLowMemory maps QueryMemoryResourceNotification on a
// LowMemoryResourceNotification handle to a native pressure level.
//
// The low-memory notification is signalled when available physical memory
// falls below a system threshold of about 32 MB per 4 GB of RAM, at most
// 64 MB: under 1 % of memory, deep inside docs/contract.md §2's critical band (< 5 %),
// and the point at which Windows itself starts trimming working sets. So a
// signalled notification is MemoryPressureCritical. An unsignalled one only
// says "not that low", which is no evidence of normal (3 % free is
// critical by the derived rule), so it is MemoryPressureUnknown and the
// derived level stands.
func pressureFromLowMemory(low bool) provider.MemoryPressure {
	if low {
		return provider.MemoryPressureCritical
	}
	return provider.MemoryPressureUnknown
}
