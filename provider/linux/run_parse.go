package linux

import (
	"math"
	"math/bits"
	"time"

	"github.com/restel/restel/internal/cputicks"
	"github.com/restel/restel/provider"
)

// The parsers of the files only RunSnapshot reads. Like the hot-path
// parsers they never allocate, never panic, and report malformed input as
// "not ok".

// procPIDStatCPU returns the process's utime and stime (proc(5), fields
// 14 and 15, in USER_HZ ticks) from /proc/<pid>/stat, as [procPIDStat]
// parses it.
func procPIDStatCPU(b []byte) (utime, stime uint64, ok bool) {
	s, ok := procPIDStat(b)
	if !ok {
		return 0, 0, false
	}
	return s.utime, s.stime, true
}

// procPIDStatusHWM returns VmHWM of /proc/<pid>/status
// (Documentation/filesystems/proc.rst, Table 1-2: "peak resident set size
// (high water mark)") in bytes, as [procPIDStatus] parses it. A kernel
// thread or a zombie has none.
func procPIDStatusHWM(b []byte) (uint64, bool) {
	m, ok := procPIDStatus(b)
	if !ok || !m.hwmOK {
		return 0, false
	}
	hi, lo := bits.Mul64(m.hwm, 1024)
	if hi != 0 {
		return 0, false
	}
	return lo, true
}

// pressureSomeTotal parses a PSI file — /proc/pressure/{cpu,memory,io} or a
// cgroup v2 {cpu,memory,io}.pressure (Documentation/accounting/psi.rst) —
// and returns the "some" line's total=, the cumulative time in
// microseconds that at least one task stalled on the resource.
func pressureSomeTotal(b []byte) (uint64, bool) {
	for len(b) > 0 {
		var ln []byte
		ln, b, _ = line(b)
		kind, rest := field(ln)
		if string(kind) != "some" {
			continue
		}
		for {
			var f []byte
			if f, rest = field(rest); len(f) == 0 {
				return 0, false
			}
			if hasPrefix(f, "total=") {
				return decimal(f[len("total="):])
			}
		}
	}
	return 0, false
}

// cgroupCPUMax parses cgroup v2 cpu.max (Documentation/admin-guide/
// cgroup-v2.rst, "cpu.max": "$MAX $PERIOD", $MAX "max" for no limit).
// limited is false for "max".
func cgroupCPUMax(b []byte) (limited, ok bool) {
	ln, rest, _ := line(b)
	if len(rest) != 0 {
		return false, false
	}
	quota, rest2 := field(ln)
	period, extra := field(rest2)
	if x, _ := field(extra); len(x) != 0 {
		return false, false
	}
	if len(period) > 0 {
		if _, ok := decimal(period); !ok {
			return false, false
		}
	}
	if string(quota) == "max" {
		return false, true
	}
	v, ok := decimal(quota)
	return ok && v > 0, ok
}

// cgroupCFSQuota parses cgroup v1 cpu.cfs_quota_us (Documentation/
// scheduler/sched-bwc.rst): a quota in microseconds, or -1 for none.
func cgroupCFSQuota(b []byte) (limited, ok bool) {
	ln, rest, _ := line(b)
	if len(rest) != 0 {
		return false, false
	}
	if string(ln) == "-1" {
		return false, true
	}
	v, ok := decimal(ln)
	return ok && v > 0, ok
}

// ticksDuration converts a count of 1/hz-second ticks to a duration,
// exactly; a count whose duration does not fit (or hz 0) is unknown, never
// negative.
func ticksDuration(ticks, hz uint64) provider.Opt[time.Duration] {
	d, ok := cputicks.Duration(ticks, uint64(time.Second), hz)
	if !ok {
		return provider.Opt[time.Duration]{}
	}
	return provider.Some(d)
}

// unitDuration converts a count of unit-long steps (time.Microsecond for
// PSI and cgroup v2, time.Nanosecond for cgroup v1) to a duration; one
// that does not fit is unknown, never negative.
func unitDuration(n uint64, unit time.Duration) provider.Opt[time.Duration] {
	if unit <= 0 || n > uint64(math.MaxInt64/unit) {
		return provider.Opt[time.Duration]{}
	}
	return provider.Some(time.Duration(n) * unit)
}
