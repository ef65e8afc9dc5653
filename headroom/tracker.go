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
// accels are the device's accelerators from the same moment: the
// roomiest discrete one gives the usable device memory, and one that
// throttles makes the headroom say so. state is the device's thermal
// state: where c has no temperature sensor (platforms that give only
// levels), the headroom is the level's band ([FromState]) now and ahead.
func (t *Tracker) Update(now time.Time, c *provider.Capacity, accels []provider.Accelerator, state provider.ThermalState, horizon time.Duration) Headroom {
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
	var best provider.Accelerator
	for i := range accels {
		a := &accels[i]
		if a.Throttling.Valid && (a.Throttling.V || !h.Throttling.Valid) && !(h.Throttling.Valid && h.Throttling.V) {
			h.Throttling = a.Throttling
			if a.Throttling.V {
				h.ThrottlingBy = GPUBy(a.Name)
			}
		}
		if free, ok := FreeDeviceMemMB(a); ok && (!h.UsableGPUMemMB.Valid || free > h.UsableGPUMemMB.V) {
			h.UsableGPUMemMB, best = provider.Some(free), *a
		}
	}
	if h.UsableGPUMemMB.Valid {
		h.GPULimitBy = GPUBy(best.Name)
	}
	h.Unified = Unified(accels)
	return h
}

// FreeDeviceMemMB is an accelerator's device memory not in use (MiB),
// whoever uses it: another tenant's allocation is as unavailable as the
// process's own. ok is false for a unified device (its memory is the
// host's, budgeted as host memory) and where the driver does not give
// both figures.
func FreeDeviceMemMB(a *provider.Accelerator) (uint64, bool) {
	if a.Unified || !a.MemTotalMB.Valid || !a.MemUsedMB.Valid {
		return 0, false
	}
	return a.MemTotalMB.V - min(a.MemUsedMB.V, a.MemTotalMB.V), true
}

// Unified reports whether the device's accelerators all share host
// memory: a model's device memory is then host memory ([Headroom.Fits]).
// A device without accelerators is not unified.
func Unified(accels []provider.Accelerator) bool {
	for i := range accels {
		if !accels[i].Unified {
			return false
		}
	}
	return len(accels) > 0
}

// Sensors appends each sensor's headroom now and at horizon to dst.
func (t *Tracker) Sensors(dst []SensorHeadroom, horizon time.Duration) []SensorHeadroom {
	return t.fc.Sensors(dst, horizon)
}
