package orchestrator

import (
	"math"
	"runtime"
	"time"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/internal/slowsig"
	"github.com/restel/restel/internal/snapcache"
	"github.com/restel/restel/provider"
)

// Headroom returns what the device can still give the observed process
// (docs/contract.md §10) — effective CPUs, the throttle ratio, usable
// memory, free accelerator memory and the thermal headroom now and
// horizon ahead (clamped to [0, 60 s]), each figure with what binds it —
// from the monitor's capacity signal, polled every second off the hot
// path like the other slow signals. It never reads the provider: a call
// is an atomic load and a little arithmetic, and costs nanoseconds. Until
// the first capacity read has landed (Prewarm waits for it) the figures
// are unknown.
//
// A provider that cannot read its limits ([provider.CapacityReader]) is
// bounded by the host alone: its available memory (from the last
// snapshot, whatever its age; unknown before the first) and the CPUs the
// Go runtime sees; its accelerators
// ([provider.AcceleratorReader]) still give the device-memory figures. Where no sensor gives a
// temperature, the thermal headroom is the band of the snapshot's
// thermal state ([headroom.FromState]), now and ahead.
func (m *Monitor) Headroom(horizon time.Duration) headroom.Headroom {
	h := m.headroom(horizon)
	if m == nil {
		return h
	}
	if p, ok := m.cfg.host.ThermalHeadroom(); ok {
		h.Thermal, h.ThermalForecast = provider.Some(p.Now), provider.Some(p.Forecast)
		h.Forecast = headroom.ClampHorizon(p.Horizon)
	}
	return h
}

// headroom is Headroom before the host's pushed values.
func (m *Monitor) headroom(horizon time.Duration) headroom.Headroom {
	h := headroom.Headroom{Forecast: headroom.ClampHorizon(horizon)}
	if m == nil {
		return h
	}
	if m.capIdx >= 0 {
		if m.state.Load() == idle {
			m.start()
		}
		if rs := m.readings.Load(); rs != nil {
			if r, ok := (*rs)[m.capIdx].(slowsig.CapacityReading); ok {
				h = r.Headroom
				h.Forecast = headroom.ClampHorizon(horizon)
				h.Thermal, h.ThermalForecast = headroom.ThermalAt(r.Trends, horizon)
			}
		}
		if h.Thermal.Valid && m.capLimits {
			return h
		}
	}
	// The last snapshot, whatever its age: Headroom never reads the
	// provider. Before the first read there is none, and what it would
	// give stays unknown.
	var s provider.Snapshot
	if p := m.cache.Fresh(snapcache.Fast, time.Duration(math.MaxInt64)); p != nil {
		s = *p
	}
	m.cfg.host.overlay(&s)
	if !m.capLimits {
		h.EffectiveCPUs, h.CPULimitBy = provider.Some(float64(runtime.NumCPU())), headroom.ByHost
		h.UsableMemMB, h.MemLimitBy = provider.Opt[uint64]{}, ""
		if s.AvailableMemMB.Valid {
			h.UsableMemMB, h.MemLimitBy = s.AvailableMemMB, headroom.ByHost
		}
	}
	if h.Thermal.Valid {
		return h
	}
	h.Thermal = headroom.FromState(s.Thermal)
	h.ThermalForecast = h.Thermal
	return h
}
