package darwin

import (
	"time"

	"github.com/restel/restel/internal/cputicks"
	"github.com/restel/restel/provider"
)

// wrapLimit bounds a believable per-counter delta. The tick counters of
// host_cpu_load_info are 32-bit and wrap (at 100 ticks/s on 16 CPUs, about
// every 31 days), so deltas are taken modulo 2^32. A modular delta of 2^31
// or more cannot be a forward step between two snapshots (that would be
// months of ticks): it means the counter went backwards, and the sample
// gives no new value.
const wrapLimit = 1 << 31

// Since returns the busy and total tick delta from prev to c, for
// cputicks.Tracker: busy = user + system + nice, total = busy + idle.
// ok is false when a counter went backwards or no tick elapsed. xnu's
// rate limiting of host_statistics for third-party processes answers calls
// made too often with the previous counters: a zero delta, so the tracker
// keeps its last value.
func (c cpuTicks) Since(prev cpuTicks) (busy, total uint64, ok bool) {
	var d [4]uint32
	for i, pair := range [4][2]uint32{
		{prev.user, c.user},
		{prev.system, c.system},
		{prev.idle, c.idle},
		{prev.nice, c.nice},
	} {
		d[i] = pair[1] - pair[0] // modulo 2^32: a wrapped counter still gives its true step
		if d[i] >= wrapLimit {
			return 0, 0, false
		}
	}
	busy = uint64(d[0]) + uint64(d[1]) + uint64(d[3]) // user + system + nice
	total = busy + uint64(d[2])                       // + idle
	if total == 0 {
		return 0, 0, false
	}
	return busy, total, true
}

// cpuCounters returns the cumulative busy and total CPU time of a
// host_cpu_load_info reading for Counters.CPUBusy and CPUTotal: busy =
// user + system + nice ticks, total = busy + idle, each tick 1 s / hz
// (kern.clockrate). The four counters are 32-bit and wrap, and their sum
// is taken in 64 bits, so a wrap makes busy or total go backwards by
// 2^32 ticks: a consumer of the counters treats that interval as unknown
// (the snapshot's CPUPct, taken modulo 2^32, still covers it). An idle
// counter of ten CPUs wraps about every 50 days. Both are unknown when hz
// is 0 (not known).
func cpuCounters(c cpuTicks, hz uint64) (busy, total provider.Opt[time.Duration]) {
	b := uint64(c.user) + uint64(c.system) + uint64(c.nice)
	t := b + uint64(c.idle)
	bd, ok1 := cputicks.Duration(b, uint64(time.Second), hz)
	td, ok2 := cputicks.Duration(t, uint64(time.Second), hz)
	if !ok1 || !ok2 {
		return provider.Opt[time.Duration]{}, provider.Opt[time.Duration]{}
	}
	return provider.Some(bd), provider.Some(td)
}

// processCPU converts rusage_info's ri_user_time + ri_system_time (Mach
// absolute time units) to Counters.ProcessCPU with the mach_timebase_info
// ratio numer/denom; unknown when the timebase is not known (denom 0) or
// the result does not fit a Duration.
func processCPU(machTime uint64, numer, denom uint32) provider.Opt[time.Duration] {
	d, ok := cputicks.Duration(machTime, uint64(numer), uint64(denom))
	if !ok {
		return provider.Opt[time.Duration]{}
	}
	return provider.Some(d)
}
