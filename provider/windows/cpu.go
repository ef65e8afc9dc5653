package windows

import "github.com/restel/restel/provider"

// systemTimes is one GetSystemTimes reading, in 100 ns units summed over all
// processors. Kernel time INCLUDES idle time (the idle thread runs in kernel
// mode), so busy = (kernel − idle) + user and total = kernel + user.
type systemTimes struct {
	idle, kernel, user uint64
}

// cpuDelta returns the busy and total deltas between two readings; ok is
// false when a counter went backwards, idle grew more than kernel (which
// contains it), or no time elapsed.
func cpuDelta(prev, cur systemTimes) (busy, total uint64, ok bool) {
	if cur.idle < prev.idle || cur.kernel < prev.kernel || cur.user < prev.user {
		return 0, 0, false
	}
	dIdle, dKernel, dUser := cur.idle-prev.idle, cur.kernel-prev.kernel, cur.user-prev.user
	if dIdle > dKernel {
		return 0, 0, false
	}
	total = dKernel + dUser
	if total < dKernel || total == 0 { // overflow or nothing elapsed
		return 0, 0, false
	}
	return dKernel - dIdle + dUser, total, true
}

// cpuState turns successive readings into CPU percentages: the first gives
// no value (no delta yet), later ones 100·Δbusy/Δtotal; an unusable delta
// keeps the last value. Not safe for concurrent use; the Provider guards it.
type cpuState struct {
	prev    systemTimes
	hasPrev bool
	last    provider.Opt[float64]
}

// observe records a reading and returns the CPU percentage to report.
func (c *cpuState) observe(cur systemTimes) provider.Opt[float64] {
	if c.hasPrev {
		if busy, total, ok := cpuDelta(c.prev, cur); ok {
			c.last = provider.CPUPercent(100 * float64(busy) / float64(total))
		}
	}
	c.prev, c.hasPrev = cur, true
	return c.last
}
