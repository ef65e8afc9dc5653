package orchestrator

import (
	"sync/atomic"

	"github.com/restel/restel/provider"
)

// HostState holds the platform values a mobile host pushes from its own
// notifications (docs/contract.md §2: Android's ACTION_BATTERY_CHANGED and thermal
// status listener, iOS's UIDevice battery level and
// ProcessInfo.thermalState). A pushed value wins over the provider's
// reading of the same field, in every snapshot a Monitor returns, until it
// is cleared. A Monitor merges the HostState given [WithHost], and none
// without it; the process-wide one is restel.Host.
//
// Every method is two atomic operations at most: safe from any thread,
// never blocking, never allocating. The zero HostState has nothing pushed.
type HostState struct {
	battery atomic.Uint32 // 0: nothing pushed; otherwise pct+1
	thermal atomic.Uint32 // provider.ThermalState; ThermalUnknown: nothing pushed
}

// SetBatteryLevel pushes the battery charge in percent; above 100 is
// clamped to 100. A negative pct means the host does not know the level
// (Android reports -1 when BatteryManager has none): it clears the pushed
// value, as ClearBatteryLevel does, so the provider's reading shows again.
func (h *HostState) SetBatteryLevel(pct int) {
	if pct < 0 {
		h.battery.Store(0)
		return
	}
	h.battery.Store(uint32(min(pct, 100)) + 1)
}

// ClearBatteryLevel withdraws the pushed battery level.
func (h *HostState) ClearBatteryLevel() { h.battery.Store(0) }

// SetThermalState pushes the thermal state. ThermalUnknown, or a value
// outside the defined states, is no reading: it clears the pushed value,
// as ClearThermalState does.
func (h *HostState) SetThermalState(s provider.ThermalState) {
	if !s.Known() {
		s = provider.ThermalUnknown
	}
	h.thermal.Store(uint32(s))
}

// ClearThermalState withdraws the pushed thermal state.
func (h *HostState) ClearThermalState() { h.thermal.Store(uint32(provider.ThermalUnknown)) }

// BatteryLevel returns the pushed battery level, if any.
func (h *HostState) BatteryLevel() provider.Opt[uint8] {
	if b := h.battery.Load(); b != 0 {
		return provider.Some(uint8(b - 1))
	}
	return provider.Opt[uint8]{}
}

// ThermalState returns the pushed thermal state (ThermalUnknown if none).
func (h *HostState) ThermalState() provider.ThermalState {
	return provider.ThermalState(h.thermal.Load())
}

// overlay overrides *s with the pushed values; a nil h pushes nothing.
func (h *HostState) overlay(s *provider.Snapshot) {
	if h == nil {
		return
	}
	if b := h.battery.Load(); b != 0 {
		s.BatteryPct = provider.Some(uint8(b - 1))
	}
	if t := h.thermal.Load(); t != 0 {
		s.Thermal = provider.ThermalState(t)
	}
}
