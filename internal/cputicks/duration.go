package cputicks

import (
	"math"
	"math/bits"
	"time"
)

// Duration converts a cumulative counter to time: count × num / den
// nanoseconds, rounded down, computed in 128 bits so that no intermediate
// product overflows. The platform counters it converts:
//
//   - Linux /proc/stat jiffies: num 1e9, den USER_HZ (100);
//   - Apple host_cpu_load_info ticks: num 1e9, den the kernel's hz
//     (sysctl kern.clockrate);
//   - Mach absolute time (rusage_info ri_user_time, ri_system_time):
//     num and den the numer and denom of mach_timebase_info;
//   - Windows FILETIME (GetSystemTimes, GetProcessTimes): 100 ns units,
//     num 100, den 1.
//
// ok is false when den is 0 or the result exceeds the largest Duration
// (about 292 years): such a counter is unknown, never a wrapped value.
func Duration(count, num, den uint64) (d time.Duration, ok bool) {
	if den == 0 {
		return 0, false
	}
	hi, lo := bits.Mul64(count, num)
	if hi >= den { // the quotient would not fit 64 bits
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, den)
	if q > math.MaxInt64 {
		return 0, false
	}
	return time.Duration(q), true
}
