package aggregate

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/restel/restel/internal/strictjson"
	"github.com/restel/restel/provider"
)

// Aggregator folds a run's snapshots into a [Usage] summary. The zero value
// is ready to use. It is a plain struct of a few dozen bytes: no goroutines,
// no clock, no allocation per observation. It is not safe for concurrent
// use; each run owns one.
type Aggregator struct {
	cpuSum      float64
	cpuN        uint64
	cpuMin      float64
	cpuPeak     float64
	rssPeak     provider.Opt[uint64]
	availMin    provider.Opt[uint64]
	pressure    provider.MemoryPressure
	thermal     provider.ThermalState
	batteryLast provider.Opt[uint8]
	count       uint64
}

// Observe folds one snapshot in. Every snapshot counts in the sample count,
// an all-unknown one included. A CPU value outside [0, 100] is clamped and
// a non-finite one is ignored, so a misbehaving custom provider cannot
// poison the summary.
func (a *Aggregator) Observe(s provider.Snapshot) {
	a.count++
	if s.CPUPct.Valid {
		if c := provider.CPUPercent(s.CPUPct.V); c.Valid {
			if a.cpuN == 0 {
				a.cpuMin, a.cpuPeak = c.V, c.V
			} else {
				a.cpuMin = min(a.cpuMin, c.V)
				a.cpuPeak = max(a.cpuPeak, c.V)
			}
			a.cpuSum += c.V
			a.cpuN++
		}
	}
	if s.ProcessRSSMB.Valid && (!a.rssPeak.Valid || s.ProcessRSSMB.V > a.rssPeak.V) {
		a.rssPeak = s.ProcessRSSMB
	}
	if s.AvailableMemMB.Valid && (!a.availMin.Valid || s.AvailableMemMB.V < a.availMin.V) {
		a.availMin = s.AvailableMemMB
	}
	// A level no constant names (a misbehaving custom provider) is no
	// reading: it must not become the peak.
	if s.MemoryPressure <= provider.MemoryPressureCritical {
		a.pressure = a.pressure.Worst(s.MemoryPressure)
	}
	if s.Thermal <= provider.ThermalCritical {
		a.thermal = a.thermal.Worst(s.Thermal)
	}
	if s.BatteryPct.Valid {
		a.batteryLast = provider.BatteryPct(uint64(s.BatteryPct.V))
	}
}

// Count returns the number of snapshots observed.
func (a *Aggregator) Count() uint64 { return a.count }

// Usage returns the summary of everything observed so far, labelled with
// mode (normalized). It does not reset the aggregator.
func (a *Aggregator) Usage(mode Mode) Usage {
	u := Usage{
		ProcessRSSPeakMB:   a.rssPeak,
		AvailableMemMinMB:  a.availMin,
		MemoryPressurePeak: a.pressure,
		ThermalPeak:        a.thermal.Worst(provider.ThermalNormal), // normal baseline (docs/contract.md §4)
		BatteryPctEnd:      a.batteryLast,
		SampleCount:        a.count,
		Mode:               mode.Normalized(),
	}
	if a.cpuN > 0 {
		// The mean of values in [min, peak] lies in [min, peak]; clamping
		// keeps float rounding from stepping outside.
		avg := min(max(a.cpuSum/float64(a.cpuN), a.cpuMin), a.cpuPeak)
		u.CPUAvgPct = provider.Some(avg)
		u.CPUPeakPct = provider.Some(a.cpuPeak)
	}
	return u
}

// Usage is the per-run usage summary (docs/contract.md §4), attached by callers to
// their "model complete" / "pipeline complete" telemetry event as
// resource_summary.
type Usage struct {
	CPUAvgPct          provider.Opt[float64]
	CPUPeakPct         provider.Opt[float64]
	ProcessRSSPeakMB   provider.Opt[uint64]
	AvailableMemMinMB  provider.Opt[uint64]
	MemoryPressurePeak provider.MemoryPressure
	ThermalPeak        provider.ThermalState
	BatteryPctEnd      provider.Opt[uint8]
	SampleCount        uint64
	// Mode is the run's (normalized) mode: its label is sampling_mode and,
	// for summary and debug_local, its interval is sampling_interval_ms.
	Mode Mode

	// The extension fields follow the original module's fields on the
	// wire, always present, null when unknown.

	// DurationMS is the wall time from the start snapshot to the end
	// snapshot.
	DurationMS provider.Opt[uint64]
	// ProcessCPUPct is the CPU time the observed process used during the
	// run over (duration × CPUs), in percent of all CPUs: the scale of
	// CPUAvgPct, so CPUAvgPct − ProcessCPUPct is other load.
	ProcessCPUPct provider.Opt[float64]
	// CPUStallMS, MemoryStallMS and IOStallMS are the growth over the run
	// of the pressure-stall "some" totals (time some task waited for CPU,
	// memory, IO).
	CPUStallMS, MemoryStallMS, IOStallMS provider.Opt[uint64]
	// CPUThrottledMS is the growth over the run of the cgroup CPU quota's
	// throttled time; unknown when no quota applies.
	CPUThrottledMS provider.Opt[uint64]
}

// AppendJSON appends the wire form of docs/contract.md §4 to dst: field names and order
// exactly, null for unknown, sampling_interval_ms omitted for boundary. A
// Usage built by hand with values outside the contract is written within
// it: CPU values clamped to [0, 100], battery to 100, a level no constant
// names as unknown ("unknown", "normal").
func (u Usage) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"cpu_avg_pct":`...)
	dst = provider.AppendFloat(dst, wirePercent(u.CPUAvgPct))
	dst = append(dst, `,"cpu_peak_pct":`...)
	dst = provider.AppendFloat(dst, wirePercent(u.CPUPeakPct))
	dst = append(dst, `,"process_rss_peak_mb":`...)
	dst = provider.AppendUint(dst, u.ProcessRSSPeakMB)
	dst = append(dst, `,"available_mem_min_mb":`...)
	dst = provider.AppendUint(dst, u.AvailableMemMinMB)
	dst = append(dst, `,"memory_pressure_peak":"`...)
	dst = append(dst, wirePressure(u.MemoryPressurePeak).String()...)
	dst = append(dst, `","thermal_state_peak":"`...)
	dst = append(dst, wireThermal(u.ThermalPeak).String()...)
	dst = append(dst, `","battery_pct_end":`...)
	dst = provider.AppendUint(dst, wireBattery(u.BatteryPctEnd))
	dst = append(dst, `,"sample_count":`...)
	dst = strconv.AppendUint(dst, u.SampleCount, 10)
	dst = append(dst, `,"sampling_mode":"`...)
	dst = append(dst, u.Mode.Label()...)
	dst = append(dst, '"')
	if u.Mode.Sampled() {
		dst = append(dst, `,"sampling_interval_ms":`...)
		dst = strconv.AppendInt(dst, u.Mode.Interval.Milliseconds(), 10)
	}
	dst = append(dst, `,"duration_ms":`...)
	dst = provider.AppendUint(dst, u.DurationMS)
	dst = append(dst, `,"process_cpu_pct":`...)
	dst = provider.AppendFloat(dst, wirePercent(u.ProcessCPUPct))
	dst = append(dst, `,"cpu_stall_ms":`...)
	dst = provider.AppendUint(dst, u.CPUStallMS)
	dst = append(dst, `,"memory_stall_ms":`...)
	dst = provider.AppendUint(dst, u.MemoryStallMS)
	dst = append(dst, `,"io_stall_ms":`...)
	dst = provider.AppendUint(dst, u.IOStallMS)
	dst = append(dst, `,"cpu_throttled_ms":`...)
	dst = provider.AppendUint(dst, u.CPUThrottledMS)
	return append(dst, '}')
}

// wirePercent is a CPU value as the wire carries it: clamped to [0, 100],
// unknown when not finite.
func wirePercent(o provider.Opt[float64]) provider.Opt[float64] {
	if !o.Valid {
		return o
	}
	return provider.CPUPercent(o.V)
}

// wireBattery is a battery level as the wire carries it: at most 100.
func wireBattery(o provider.Opt[uint8]) provider.Opt[uint8] {
	if o.Valid && o.V > 100 {
		o.V = 100
	}
	return o
}

// wirePressure is p, or unknown when no constant names it.
func wirePressure(p provider.MemoryPressure) provider.MemoryPressure {
	if p > provider.MemoryPressureCritical {
		return provider.MemoryPressureUnknown
	}
	return p
}

// wireThermal is t, or normal (how the wire writes no reading) when t is
// no reading.
func wireThermal(t provider.ThermalState) provider.ThermalState {
	if !t.Known() {
		return provider.ThermalNormal
	}
	return t
}

// MarshalJSON implements json.Marshaler with [Usage.AppendJSON].
func (u Usage) MarshalJSON() ([]byte, error) { return u.AppendJSON(make([]byte, 0, 256)), nil }

type usageWire struct {
	CPUAvgPct          *float64 `json:"cpu_avg_pct"`
	CPUPeakPct         *float64 `json:"cpu_peak_pct"`
	ProcessRSSPeakMB   *uint64  `json:"process_rss_peak_mb"`
	AvailableMemMinMB  *uint64  `json:"available_mem_min_mb"`
	MemoryPressurePeak *string  `json:"memory_pressure_peak"`
	ThermalStatePeak   *string  `json:"thermal_state_peak"`
	BatteryPctEnd      *uint8   `json:"battery_pct_end"`
	SampleCount        *uint64  `json:"sample_count"`
	SamplingMode       *string  `json:"sampling_mode"`
	SamplingIntervalMS *int64   `json:"sampling_interval_ms"`
	DurationMS         *uint64  `json:"duration_ms"`
	ProcessCPUPct      *float64 `json:"process_cpu_pct"`
	CPUStallMS         *uint64  `json:"cpu_stall_ms"`
	MemoryStallMS      *uint64  `json:"memory_stall_ms"`
	IOStallMS          *uint64  `json:"io_stall_ms"`
	CPUThrottledMS     *uint64  `json:"cpu_throttled_ms"`
}

// UnmarshalJSON parses the wire form strictly (unknown fields, bad enums,
// a missing required field or an interval on a boundary summary are errors
// wrapping provider.ErrInvalid).
func (u *Usage) UnmarshalJSON(b []byte) error {
	var w usageWire
	if err := strictjson.Decode(b, &w); err != nil {
		return fmt.Errorf("%w: usage summary: %v", provider.ErrInvalid, err)
	}
	if w.MemoryPressurePeak == nil || w.ThermalStatePeak == nil || w.SampleCount == nil || w.SamplingMode == nil {
		return fmt.Errorf("%w: usage summary: memory_pressure_peak, thermal_state_peak, sample_count and sampling_mode are required", provider.ErrInvalid)
	}
	var out Usage
	var err error
	for _, f := range []struct {
		p   *float64
		dst *provider.Opt[float64]
	}{{w.CPUAvgPct, &out.CPUAvgPct}, {w.CPUPeakPct, &out.CPUPeakPct}, {w.ProcessCPUPct, &out.ProcessCPUPct}} {
		if f.p != nil {
			if math.IsNaN(*f.p) || *f.p < 0 || *f.p > 100 {
				return fmt.Errorf("%w: usage summary: cpu value %v outside [0,100]", provider.ErrInvalid, *f.p)
			}
			*f.dst = provider.Some(*f.p)
		}
	}
	for _, f := range []struct {
		p   *uint64
		dst *provider.Opt[uint64]
	}{
		{w.ProcessRSSPeakMB, &out.ProcessRSSPeakMB}, {w.AvailableMemMinMB, &out.AvailableMemMinMB},
		{w.DurationMS, &out.DurationMS}, {w.CPUStallMS, &out.CPUStallMS}, {w.MemoryStallMS, &out.MemoryStallMS},
		{w.IOStallMS, &out.IOStallMS}, {w.CPUThrottledMS, &out.CPUThrottledMS},
	} {
		if f.p != nil {
			*f.dst = provider.Some(*f.p)
		}
	}
	if w.BatteryPctEnd != nil {
		if *w.BatteryPctEnd > 100 {
			return fmt.Errorf("%w: usage summary: battery_pct_end %d above 100", provider.ErrInvalid, *w.BatteryPctEnd)
		}
		out.BatteryPctEnd = provider.Some(*w.BatteryPctEnd)
	}
	if out.MemoryPressurePeak, err = provider.ParseMemoryPressure(*w.MemoryPressurePeak); err != nil {
		return fmt.Errorf("usage summary: %w", err)
	}
	if out.ThermalPeak, err = provider.ParseThermalState(*w.ThermalStatePeak); err != nil {
		return fmt.Errorf("usage summary: %w", err)
	}
	out.SampleCount = *w.SampleCount
	switch *w.SamplingMode {
	case "boundary":
		if w.SamplingIntervalMS != nil {
			return fmt.Errorf("%w: usage summary: boundary summary with sampling_interval_ms", provider.ErrInvalid)
		}
		out.Mode = ModeBoundary
	case "summary", "debug_local":
		if w.SamplingIntervalMS == nil || *w.SamplingIntervalMS < MinInterval.Milliseconds() {
			return fmt.Errorf("%w: usage summary: %s summary needs sampling_interval_ms >= %d", provider.ErrInvalid, *w.SamplingMode, MinInterval.Milliseconds())
		}
		out.Mode, _ = ParseMode(*w.SamplingMode)
		out.Mode.Interval = time.Duration(*w.SamplingIntervalMS) * time.Millisecond
	default:
		return fmt.Errorf("%w: usage summary: sampling_mode %q (want boundary, summary or debug_local)", provider.ErrInvalid, *w.SamplingMode)
	}
	*u = out
	return nil
}
