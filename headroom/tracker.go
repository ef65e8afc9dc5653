package headroom

import (
	"time"

	"github.com/restel/restel/provider"
)

// Tracker turns successive capacity readings into [Headroom]: it keeps
// what a single reading cannot give — the previous throttle counters for
// the throttle ratio over the last window, and each sensor's temperature
// history for the forecast. It is a plain value for one owner (a
// monitor's slow-signal loop); not safe for concurrent use.
type Tracker struct {
	fc     Forecaster
	prev   provider.ThrottleCounts
	prevOK bool
}

// Update folds the reading c taken at now into the tracker and returns
// the headroom, forecast horizon ahead (clamped to [0, MaxHorizon]).
// state is the device's thermal state from the same moment: where c has
// no temperature sensor (platforms that give only levels), the headroom
// is the level's band ([FromState]) now and ahead.
func (t *Tracker) Update(now time.Time, c *provider.Capacity, state provider.ThermalState, horizon time.Duration) Headroom {
	var h Headroom
	h.Forecast = ClampHorizon(horizon)
	if l, ok := EffectiveCPUs(c.CPULimits); ok {
		h.EffectiveCPUs, h.CPULimitBy = provider.Some(l.CPUs), l.By
	}
	if c.Throttle.Valid {
		if t.prevOK {
			if r, ok := ThrottledRatio(t.prev, c.Throttle.V); ok {
				h.ThrottledRatio = provider.Some(r)
			}
		}
		t.prev, t.prevOK = c.Throttle.V, true
	} else {
		t.prevOK = false
	}
	if l, ok := Usable(c.MemLimits); ok {
		h.UsableMemMB, h.MemLimitBy = provider.Some(l.AvailMB), l.By
	}
	t.fc.Update(now, c.Sensors)
	h.Thermal, h.ThermalForecast = t.fc.Headroom(h.Forecast)
	if !h.Thermal.Valid {
		h.Thermal = FromState(state)
		h.ThermalForecast = h.Thermal
	}
	h.Throttling, h.ThrottlingBy = c.Throttling, c.ThrottlingBy
	return h
}

// Sensors appends each sensor's headroom now and at horizon to dst.
func (t *Tracker) Sensors(dst []SensorHeadroom, horizon time.Duration) []SensorHeadroom {
	return t.fc.Sensors(dst, horizon)
}
