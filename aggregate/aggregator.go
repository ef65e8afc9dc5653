package aggregate

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"
	"time"

	"github.com/restel/restel/internal/strictjson"
	"github.com/restel/restel/provider"
)

// Aggregator folds a run's snapshots into a [Usage] summary
// (docs/contract.md §4). The zero value is ready to use. It is a plain
// struct of a few hundred bytes: no goroutines, no clock, no allocation
// per observation. It is not safe for concurrent use; each run owns one.
//
// The first snapshot observed is the run's start, the last one its end.
// Every snapshot goes through [provider.Snapshot.Wire] first, so a
// misbehaving custom provider cannot poison the summary.
type Aggregator struct {
	count uint64
	// The counters and capture times of the first snapshot (the run's
	// start) and of the last one (its end, once the run is over).
	start, last     provider.Counters
	startMS, lastMS int64

	// The fields folded per interval and level by level, one per row of
	// SummaryFields that folds so (fields_gen.go).
	iv intervals
	lv levels

	// Mid-run samples due but not taken (Skip), saturating: 32 bits
	// count 34 years of 250 ms ticks.
	skipped uint32
}

// intervalMean is the duration-weighted mean and the peak of per-interval
// utilizations. Consecutive intervals of the same utilization are kept as
// one pending run and folded into the sums only when the utilization
// changes: the sum of their durations telescopes, so a span of identical
// snapshots observed at once ([Aggregator.ObserveRepeat]) gives exactly the
// result of observing them one by one.
type intervalMean struct {
	wsum, wdur float64 // Σ u·d and Σ d (ms) of the folded runs
	usum, n    float64 // Σ u and the number of intervals, folded runs
	lo, hi     float64 // lowest and highest utilization seen
	known      bool

	// The pending run: k intervals of utilization u lasting dur ms in all.
	u   float64
	k   uint64
	dur uint64
}

// add records k consecutive intervals of utilization u lasting dur ms in
// all.
func (m *intervalMean) add(u float64, k, dur uint64) {
	if !m.known {
		m.known, m.lo, m.hi = true, u, u
	} else {
		m.lo, m.hi = min(m.lo, u), max(m.hi, u)
	}
	if m.k > 0 && m.u == u {
		m.k += k
		m.dur = satAdd(m.dur, dur)
		return
	}
	m.fold()
	m.u, m.k, m.dur = u, k, dur
}

// fold moves the pending run into the sums.
func (m *intervalMean) fold() {
	if m.k == 0 {
		return
	}
	m.wsum, m.wdur, m.usum, m.n = m.totals()
	m.k, m.dur = 0, 0
}

// totals returns the sums with the pending run folded in.
func (m *intervalMean) totals() (wsum, wdur, usum, n float64) {
	wsum, wdur, usum, n = m.wsum, m.wdur, m.usum, m.n
	if m.k > 0 {
		d, k := float64(m.dur), float64(m.k)
		wsum += m.u * d
		wdur += d
		usum += m.u * k
		n += k
	}
	return wsum, wdur, usum, n
}

// mean returns the duration-weighted mean, or the plain mean when every
// interval lasted zero milliseconds; unknown when no interval is known.
// Rounding never takes it outside [lowest, highest].
func (m *intervalMean) mean() provider.Opt[float64] {
	if !m.known {
		return provider.Opt[float64]{}
	}
	wsum, wdur, usum, n := m.totals()
	var avg float64
	if wdur > 0 {
		avg = wsum / wdur
	} else {
		avg = usum / n
	}
	return provider.Some(min(max(avg, m.lo), m.hi))
}

// peak returns the highest utilization, unknown when none is known.
func (m *intervalMean) peak() provider.Opt[float64] {
	if !m.known {
		return provider.Opt[float64]{}
	}
	return provider.Some(m.hi)
}

func satAdd(a, b uint64) uint64 {
	s, c := bits.Add64(a, b, 0)
	if c != 0 {
		return math.MaxUint64
	}
	return s
}

// elapsedMS is the duration from a to b in milliseconds; a clock that went
// backwards gives 0.
func elapsedMS(a, b int64) uint64 {
	if b <= a {
		return 0
	}
	return uint64(b) - uint64(a) // exact: both are >= 0 after Wire
}

// busyRatio is ratio for the device's busy and total CPU time, which
// also needs the idle time (total − busy) not to have shrunk: counters
// that went backwards say nothing about the interval.
func busyRatio(busy0, busy1, total0, total1 provider.Opt[time.Duration]) provider.Opt[float64] {
	if busy0.Valid && busy1.Valid && total0.Valid && total1.Valid && total1.V-busy1.V < total0.V-busy0.V {
		return provider.Opt[float64]{}
	}
	return ratio(busy0, busy1, total0, total1)
}

// accelBusy is an interval's accelerator busy share from the busy
// counters of its two ends (docs/contract.md §9): for each accelerator of
// s whose counter both ends have (the same device at the same place in
// both readings), its growth over the time between the two readings; for the others, their own busy share in s; the busiest.
// It is unknown when no counter serves (no accelerator keeps one, or both
// ends carry the same reading), and the interval then takes s's
// GPUBusyPct.
func accelBusy(prev *provider.Counters, s *provider.Snapshot) provider.Opt[float64] {
	p, c := prev.Accel, s.Counters.Accel
	if p.ReadMS() <= 0 || c.ReadMS() <= p.ReadMS() {
		return provider.Opt[float64]{}
	}
	dt := time.Duration(c.ReadMS()-p.ReadMS()) * time.Millisecond
	var best provider.Opt[float64]
	counted := false
	before := p.List()
	for i, a := range c.List() {
		u := a.BusyPct
		if i < len(before) && before[i].Name == a.Name {
			if b0, b1 := before[i].BusyTime, a.BusyTime; b0.Valid && b1.Valid {
				if b1.V < b0.V || b0.V < 0 {
					continue // the counter went backwards: nothing about the interval
				}
				u, counted = provider.Some(100*float64(b1.V-b0.V)/float64(dt)), true
			}
		}
		if u = wirePercent(u); u.Valid && (!best.Valid || u.V > best.V) {
			best = u
		}
	}
	if !counted {
		return provider.Opt[float64]{}
	}
	return best
}

// ratio returns 100·Δpart/Δtotal over the two readings when all four are
// known, the total grew and the part did not shrink.
func ratio(part0, part1, total0, total1 provider.Opt[time.Duration]) provider.Opt[float64] {
	if !part0.Valid || !part1.Valid || !total0.Valid || !total1.Valid {
		return provider.Opt[float64]{}
	}
	if part0.V < 0 || total0.V < 0 || part1.V < part0.V || total1.V <= total0.V {
		return provider.Opt[float64]{}
	}
	return provider.CPUPercent(100 * float64(part1.V-part0.V) / float64(total1.V-total0.V))
}

// Observe folds one snapshot in, after [provider.Snapshot.Wire]. Every
// snapshot counts in the sample count, an all-unknown one included. From
// the second one on, it closes an interval: its utilization comes from
// the CPU busy/total counters of both ends when they are known, else from
// this snapshot's CPUPct (docs/contract.md §4).
func (a *Aggregator) Observe(s provider.Snapshot) {
	s = s.Wire()
	a.observe(&s)
}

// ObserveWired is Observe for a snapshot already in wire form (the result
// of [provider.Snapshot.Wire]), passed by pointer and not copied: what a
// fan-out of one sample to many runs calls, applying Wire once for all of
// them. Passing a snapshot not in wire form breaks the summary's
// invariants (an out-of-range CPU value would reach it).
func (a *Aggregator) ObserveWired(s *provider.Snapshot) { a.observe(s) }

func (a *Aggregator) observe(s *provider.Snapshot) {
	if a.count == 0 {
		a.start, a.startMS = s.Counters, s.CapturedAtMS
	} else {
		a.interval(&a.last, s, 1, elapsedMS(a.lastMS, s.CapturedAtMS))
	}
	a.count++
	a.levels(s)
	a.last, a.lastMS = s.Counters, s.CapturedAtMS
}

// ObserveRepeat observes n snapshots equal to s except for their capture
// time: the i-th (from 0) is captured step·i after s, in whole
// milliseconds (c + (step·i).Milliseconds(), where c is s.CapturedAtMS
// after [provider.Snapshot.Wire], saturating at the largest int64). The result is exactly that of n calls to Observe, at
// the cost of one: a replay aggregates a span of identical samples this
// way. n = 0 observes nothing; a negative step counts as 0.
func (a *Aggregator) ObserveRepeat(s provider.Snapshot, n uint64, step time.Duration) {
	if n == 0 {
		return
	}
	s = s.Wire()
	a.observe(&s)
	if n == 1 {
		return
	}
	last := addSat(s.CapturedAtMS, spanMS(n-1, step))
	// Between two copies of s the counters do not move, so every interval
	// takes s's own CPUPct and ProcessCPUPct; their durations sum to the
	// span.
	a.interval(&s.Counters, &s, n-1, elapsedMS(s.CapturedAtMS, last))
	a.count = satAdd(a.count, n-1)
	a.lastMS = last
}

// spanMS is (k·step).Milliseconds() computed without overflow, saturating
// at the largest int64.
func spanMS(k uint64, step time.Duration) int64 {
	if step <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(k, uint64(step))
	if hi >= uint64(time.Millisecond) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(time.Millisecond))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// addSat is a+b for b >= 0, saturating at the largest int64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// interval records k consecutive intervals from a snapshot with counters
// prev to s (identical when k > 1) lasting dur ms in all: each
// IntervalMean or IntervalPeak row of SummaryFields takes the value its
// counters give over the interval, else its snapshot field's value in s.
func (a *Aggregator) interval(prev *provider.Counters, s *provider.Snapshot, k, dur uint64) {
	a.iv.add(prev, s, k, dur)
}

// levels folds in s's levels: peaks, minimum, last battery (the Max,
// Min, Worst and Last rows of SummaryFields).
func (a *Aggregator) levels(s *provider.Snapshot) { a.lv.fold(s) }

// Count returns the number of snapshots observed.
func (a *Aggregator) Count() uint64 { return a.count }

// Skip records n mid-run samples that were due but not taken — a read
// that outlived the read timeout, a tick that came late — so that the
// summary says it is incomplete ([Usage.SamplesSkipped]). The count
// saturates at the largest uint32.
func (a *Aggregator) Skip(n uint64) {
	a.skipped = uint32(min(uint64(a.skipped)+min(n, math.MaxUint32), math.MaxUint32))
}

// Usage returns the summary of everything observed so far, labelled with
// mode (normalized); the last snapshot observed is taken as the run's
// end. It does not reset the aggregator.
func (a *Aggregator) Usage(mode Mode) Usage {
	u := Usage{
		SampleCount:    a.count,
		Mode:           mode.Normalized(),
		SamplesSkipped: uint64(a.skipped),
	}
	end := a.last
	a.foldInto(&u, &end)
	if a.count == 0 {
		return u
	}
	if a.lastMS >= a.startMS {
		u.DurationMS = provider.Some(uint64(a.lastMS - a.startMS))
	}
	// The kernel's high-water mark counts when it grew during the run:
	// then the peak it records was reached after the start.
	if hwm := end.RSSHighWaterMB; hwm.Valid && hwm.V > 0 && (!a.start.RSSHighWaterMB.Valid || hwm.V > a.start.RSSHighWaterMB.V) {
		if !u.ProcessRSSPeakMB.Valid || hwm.V > u.ProcessRSSPeakMB.V {
			u.ProcessRSSPeakMB = hwm
		}
	}
	return u
}

// growthMS is end − start in whole milliseconds (floor); unknown when
// either is unknown or the counter went backwards.
func growthMS(start, end provider.Opt[time.Duration]) provider.Opt[uint64] {
	if !start.Valid || !end.Valid || end.V < start.V || start.V < 0 {
		return provider.Opt[uint64]{}
	}
	return provider.Some(uint64((end.V - start.V).Milliseconds()))
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

	// The extension fields follow the fields above on the wire, always
	// present, null when unknown.

	// DurationMS is the wall time from the start snapshot to the end
	// snapshot.
	DurationMS provider.Opt[uint64]
	// ProcessCPUPct is the CPU time the observed process used during the
	// run over the device's CPU time meanwhile (duration × CPUs, as the
	// kernel counts it), in percent of all CPUs: the scale of CPUAvgPct,
	// so CPUAvgPct − ProcessCPUPct is other load. Without those counters,
	// the duration-weighted mean of the snapshots' ProcessCPUPct.
	ProcessCPUPct provider.Opt[float64]
	// CPUStallMS, MemoryStallMS and IOStallMS are the growth over the run
	// of the pressure-stall "some" totals (time some task waited for CPU,
	// memory, IO).
	CPUStallMS, MemoryStallMS, IOStallMS provider.Opt[uint64]
	// CPUThrottledMS is the growth over the run of the cgroup CPU quota's
	// throttled time; unknown when no quota applies.
	CPUThrottledMS provider.Opt[uint64]
	// SamplesSkipped counts the mid-run samples that were due but not
	// taken: a sampler read that outlived the read timeout, a tick that
	// came late. A summary with SamplesSkipped > 0 is missing those
	// samples (its peaks and minimum may miss what happened then). Never
	// unknown: 0 when nothing was skipped, and always 0 for a boundary
	// run and a replay.
	SamplesSkipped uint64

	// GPUBusyAvgPct is the accelerators' busy share over the run, as
	// CPUAvgPct is the CPU's: the duration-weighted mean over the run's
	// intervals, each from the accelerators' busy counters at its two
	// ends where they keep them, else the later snapshot's GPUBusyPct;
	// GPUBusyPeakPct is the busiest interval.
	GPUBusyAvgPct, GPUBusyPeakPct provider.Opt[float64]
	// GPUMemPeakMB is the highest device memory in use
	// (gpu_mem_used_mb); ProcessGPUMemPeakMB the highest the observed
	// process held (process_gpu_mem_mb).
	GPUMemPeakMB, ProcessGPUMemPeakMB provider.Opt[uint64]
}

// Wire returns u as the wire carries it, holding to the contract whatever
// a hand-built Usage put in it: CPU values clamped to [0, 100] (unknown
// when not finite), battery at most 100, a level no constant names
// unknown, the mode normalized (its interval clamped). Every writer of a
// summary (AppendJSON, the OpenTelemetry attributes) writes this form.
func (u Usage) Wire() Usage {
	u.wireFields() // each field's own rule, from its row in SummaryFields
	u.Mode = u.Mode.Normalized()
	return u
}

// AppendJSON appends the wire form of docs/contract.md §4 to dst: field names and order
// exactly, null for unknown, sampling_interval_ms omitted for boundary. A
// Usage built by hand with values outside the contract is written within
// it ([Usage.Wire]): an unknown level as "unknown" for memory pressure,
// "normal" for the thermal peak.
func (u Usage) AppendJSON(dst []byte) []byte {
	u = u.Wire()
	return u.appendWire(dst)
}

// wirePercent is a CPU value as the wire carries it: clamped to [0, 100],
// unknown when not finite.
func wirePercent(o provider.Opt[float64]) provider.Opt[float64] {
	if !o.Valid {
		return o
	}
	return provider.CPUPercent(o.V)
}

// MarshalJSON implements json.Marshaler with [Usage.AppendJSON].
func (u Usage) MarshalJSON() ([]byte, error) { return u.AppendJSON(make([]byte, 0, 256)), nil }

// UnmarshalJSON parses the wire form strictly, by the rows of
// [SummaryFields] (unknown fields, bad enums, a missing required field or
// an interval on a boundary summary are errors wrapping
// provider.ErrInvalid that name the field). A missing (or null)
// samples_skipped reads as 0, as a summary written before the field
// existed means.
func (u *Usage) UnmarshalJSON(b []byte) error {
	var out Usage
	var seen [len(summaryFields)]bool
	var mode, interval json.RawMessage
	err := strictjson.Object(b, func(key string, raw json.RawMessage) error {
		i := lookupKey(key)
		if i < 0 {
			return fmt.Errorf("%w: usage summary: unknown field %q", provider.ErrInvalid, key)
		}
		seen[i] = true
		switch f := summaryFields[i]; f.Key {
		case "sampling_mode":
			mode = raw
		case "sampling_interval_ms":
			interval = raw
		default:
			if string(raw) == "null" && !f.Optional && neverNull(f.Type) {
				return fmt.Errorf("%w: usage summary: %s is required (never null)", provider.ErrInvalid, f.Key)
			}
			if err := summaryAccess[i].SetJSON(&out, raw); err != nil {
				return fmt.Errorf("usage summary: %s: %w", f.Key, err)
			}
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, provider.ErrInvalid) {
			err = fmt.Errorf("%w: usage summary: %v", provider.ErrInvalid, err)
		}
		return err
	}
	for i, f := range summaryFields {
		if !seen[i] && !f.Optional && (f.Key == "sampling_mode" || f.Name != "" && neverNull(f.Type)) {
			return fmt.Errorf("%w: usage summary: %s is required", provider.ErrInvalid, f.Key)
		}
	}
	if out.Mode, err = decodeMode(mode, interval); err != nil {
		return err
	}
	*u = out
	return nil
}

// neverNull reports whether a field of type t is always on the wire with
// a value.
func neverNull(t provider.Type) bool {
	return t == provider.Pressure || t == provider.Thermal || t == provider.UnixMS || t == provider.Count
}

// lookupKey returns the row of SummaryFields with wire key key, matched
// as encoding/json matches struct fields (exactly, else ignoring case),
// or -1.
func lookupKey(key string) int {
	for i, f := range summaryFields {
		if f.Key == key {
			return i
		}
	}
	for i, f := range summaryFields {
		if strings.EqualFold(f.Key, key) {
			return i
		}
	}
	return -1
}

// decodeMode reads sampling_mode and sampling_interval_ms.
func decodeMode(modeRaw, intervalRaw json.RawMessage) (Mode, error) {
	var label string
	if err := json.Unmarshal(modeRaw, &label); err != nil {
		return Mode{}, fmt.Errorf("%w: usage summary: sampling_mode: %v", provider.ErrInvalid, err)
	}
	var ms *int64
	if intervalRaw != nil {
		if err := json.Unmarshal(intervalRaw, &ms); err != nil {
			return Mode{}, fmt.Errorf("%w: usage summary: sampling_interval_ms: %v", provider.ErrInvalid, err)
		}
	}
	switch label {
	case "boundary":
		if ms != nil {
			return Mode{}, fmt.Errorf("%w: usage summary: boundary summary with sampling_interval_ms", provider.ErrInvalid)
		}
		return ModeBoundary, nil
	case "summary", "debug_local":
		if ms == nil || *ms < MinInterval.Milliseconds() {
			return Mode{}, fmt.Errorf("%w: usage summary: %s summary needs sampling_interval_ms >= %d", provider.ErrInvalid, label, MinInterval.Milliseconds())
		}
		m, _ := ParseMode(label)
		m.Interval = time.Duration(*ms) * time.Millisecond
		return m, nil
	}
	return Mode{}, fmt.Errorf("%w: usage summary: sampling_mode %q (want boundary, summary or debug_local)", provider.ErrInvalid, label)
}
