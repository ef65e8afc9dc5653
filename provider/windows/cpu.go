package windows

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
