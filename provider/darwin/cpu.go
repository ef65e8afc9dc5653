package darwin

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
