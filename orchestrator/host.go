package orchestrator

import (
	"math"
	"sync/atomic"
	"time"

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
	// headroom is the platform's own thermal headroom (Android's
	// PowerManager.getThermalHeadroom), nil when none is pushed.
	headroom atomic.Pointer[PushedHeadroom]
}

// PushedHeadroom is a thermal headroom the host read from its platform:
// Now, and Forecast the platform's forecast Horizon ahead.
type PushedHeadroom struct {
	Now, Forecast float64
	Horizon       time.Duration
}

// SetThermalHeadroom pushes the platform's own numeric thermal headroom
// (Android: PowerManager.getThermalHeadroom(0) for now and
// getThermalHeadroom(n) for n seconds ahead; 1.0 is the severe
// threshold). It is used as given by [Monitor.Headroom], in place of any
// reading of restel's, until cleared. A value that is not a number (what
// Android returns when it cannot tell) or negative clears it.
func (h *HostState) SetThermalHeadroom(now, forecast float64, horizon time.Duration) {
	if math.IsNaN(now) || math.IsNaN(forecast) || now < 0 || forecast < 0 || math.IsInf(now, 0) || math.IsInf(forecast, 0) {
		h.headroom.Store(nil)
		return
	}
	h.headroom.Store(&PushedHeadroom{Now: now, Forecast: forecast, Horizon: max(horizon, 0)})
}

// ClearThermalHeadroom forgets the pushed thermal headroom.
func (h *HostState) ClearThermalHeadroom() { h.headroom.Store(nil) }

// ThermalHeadroom returns the pushed thermal headroom; ok is false when
// none is pushed.
func (h *HostState) ThermalHeadroom() (PushedHeadroom, bool) {
	if h == nil {
		return PushedHeadroom{}, false
	}
	if p := h.headroom.Load(); p != nil {
		return *p, true
	}
	return PushedHeadroom{}, false
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
