package darwin

import "github.com/restel/restel/provider"

// wrapLimit bounds a believable per-counter delta. The tick counters of
// host_cpu_load_info are 32-bit and wrap (at 100 ticks/s on 16 CPUs, about
// every 31 days), so deltas are taken modulo 2^32. A modular delta of 2^31
// or more cannot be a forward step between two snapshots (that would be
// months of ticks): it means the counter went backwards, and the sample
// gives no new value.
const wrapLimit = 1 << 31

// cpuDelta is the busy and total tick delta between two readings.
// ok is false when a counter went backwards or no tick elapsed.
func cpuDelta(prev, cur cpuTicks) (busy, total uint64, ok bool) {
	var d [4]uint32
	for i, pair := range [4][2]uint32{
		{prev.user, cur.user},
		{prev.system, cur.system},
		{prev.idle, cur.idle},
		{prev.nice, cur.nice},
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

// cpuState turns successive tick readings into CPU percentages: the first
// reading gives no value (no delta yet); later ones give
// 100·Δbusy/Δtotal. A reading whose delta is unusable (a counter going
// backwards, no elapsed tick) keeps the last value. That also covers xnu's
// rate limiting of host_statistics for third-party processes, which answers
// calls made too often with the previous counters: a zero delta. It is not
// safe for concurrent use; the Provider guards it.
type cpuState struct {
	prev    cpuTicks
	hasPrev bool
	last    provider.Opt[float64]
}

// observe records a reading and returns the CPU percentage to report.
func (c *cpuState) observe(cur cpuTicks) provider.Opt[float64] {
	if c.hasPrev {
		if busy, total, ok := cpuDelta(c.prev, cur); ok {
			c.last = provider.CPUPercent(100 * float64(busy) / float64(total))
		}
	}
	c.prev, c.hasPrev = cur, true
	return c.last
}
