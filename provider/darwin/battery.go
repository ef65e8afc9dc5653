package darwin

import (
	"fmt"

	"github.com/restel/restel/provider"
)

// powerSource is what the IOKit power-source walk reads from one
// IOPSGetPowerSourceDescription dictionary (<IOKit/ps/IOPSKeys.h>).
type powerSource struct {
	// Internal: kIOPSTypeKey ("Type") is kIOPSInternalBatteryType
	// ("InternalBattery"). UPSes and accessories are other types.
	Internal bool
	// Present: kIOPSIsPresentKey ("Is Present"); true when the key is absent.
	Present bool
	// Cur and Max: kIOPSCurrentCapacityKey ("Current Capacity") and
	// kIOPSMaxCapacityKey ("Max Capacity"). macOS reports both as a
	// percentage (Max 100), older systems in mAh. Has* say whether the key
	// held a CFNumber.
	Cur, Max       int64
	HasCur, HasMax bool
}

// batteryFromSources reduces the power sources to one battery percentage:
// internal, present batteries only, each contributing Current and Max
// Capacity, combined as 100·ΣCur/ΣMax (a mean weighted by capacity;
// with macOS's percentage units, the plain mean), rounded to the nearest
// integer and clamped to 100.
//
// No internal battery gives an invalid Opt and a nil error (a desktop Mac).
// Internal batteries none of which has a usable reading (missing key,
// Max <= 0, Cur < 0) give an error wrapping provider.ErrInvalid.
func batteryFromSources(srcs []powerSource) (provider.Opt[uint8], error) {
	var cur, max uint64
	batteries, usable := 0, 0
	for _, s := range srcs {
		if !s.Internal || !s.Present {
			continue
		}
		batteries++
		if !s.HasCur || !s.HasMax || s.Max <= 0 || s.Cur < 0 || s.Max > 1<<40 || s.Cur > 1<<40 {
			continue
		}
		usable++
		cur += uint64(s.Cur)
		max += uint64(s.Max)
	}
	if batteries == 0 {
		return provider.Opt[uint8]{}, nil
	}
	if usable == 0 {
		return provider.Opt[uint8]{}, fmt.Errorf("darwin: %w: %d internal batteries without a usable capacity", provider.ErrInvalid, batteries)
	}
	return provider.BatteryPct((200*cur + max) / (2 * max)), nil // round half up
}
