package windows

import (
	"time"

	"github.com/restel/restel/internal/cputicks"
	"github.com/restel/restel/provider"
)

// systemTimes is one GetSystemTimes reading, in 100 ns units summed over all
// processors. Kernel time INCLUDES idle time (the idle thread runs in kernel
// mode), so busy = (kernel − idle) + user and total = kernel + user.
type systemTimes struct {
	idle, kernel, user uint64
}

// Since returns the busy and total deltas from prev to cur, for
// cputicks.Tracker; ok is false when a counter went backwards, idle grew
// more than kernel (which contains it), or no time elapsed.
func (cur systemTimes) Since(prev systemTimes) (busy, total uint64, ok bool) {
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

// counters returns the cumulative busy and total CPU time of a
// GetSystemTimes reading for Counters.CPUBusy and CPUTotal: total =
// kernel + user, busy = total − idle (kernel time includes idle), each
// 100 ns summed over all processors. Both are unknown when idle exceeds
// kernel, which contains it, or the sum overflows.
func (st systemTimes) counters() (busy, total provider.Opt[time.Duration]) {
	t := st.kernel + st.user
	if st.idle > st.kernel || t < st.kernel {
		return provider.Opt[time.Duration]{}, provider.Opt[time.Duration]{}
	}
	bd, ok1 := cputicks.Duration(t-st.idle, 100, 1)
	td, ok2 := cputicks.Duration(t, 100, 1)
	if !ok1 || !ok2 {
		return provider.Opt[time.Duration]{}, provider.Opt[time.Duration]{}
	}
	return provider.Some(bd), provider.Some(td)
}

// processTimes is one GetProcessTimes reading of the observed process's
// kernel and user time, in 100 ns units summed over its threads.
type processTimes struct {
	kernel, user uint64
}

// cpu returns kernel + user time for Counters.ProcessCPU; unknown when the
// sum overflows or does not fit a Duration.
func (pt processTimes) cpu() provider.Opt[time.Duration] {
	sum := pt.kernel + pt.user
	if sum < pt.kernel {
		return provider.Opt[time.Duration]{}
	}
	d, ok := cputicks.Duration(sum, 100, 1)
	if !ok {
		return provider.Opt[time.Duration]{}
	}
	return provider.Some(d)
}
