package aggregate

import (
	"iter"
	"time"
)

// Schedule yields the offsets at which a run of length end samples in mode
// m (docs/contract.md §5 replay timing): the start snapshot at 0; for Summary and
// DebugLocal, k·I for k >= 1 while k·I < end; and the end snapshot at end.
// Off yields nothing; a negative end is treated as 0. A run always has its
// start and end snapshot, even when end is 0.
func Schedule(m Mode, end time.Duration) iter.Seq[time.Duration] {
	m = m.Normalized()
	end = max(end, 0)
	return func(yield func(time.Duration) bool) {
		if m.Kind == Off {
			return
		}
		if !yield(0) {
			return
		}
		if m.Sampled() {
			// k·I < end <= the largest Duration, so no product overflows
			// (adding I to the last one could).
			for k := range Ticks(m, end) {
				if !yield(time.Duration(k+1) * m.Interval) {
					return
				}
			}
		}
		yield(end)
	}
}

// Ticks returns the number of mid-run samples of a run of length end in
// mode m: the k >= 1 with k·I < end for Summary and DebugLocal, 0 for the
// other modes or a run of length <= 0. It never overflows.
func Ticks(m Mode, end time.Duration) uint64 {
	m = m.Normalized()
	if !m.Sampled() || end <= 0 {
		return 0
	}
	return uint64((end - 1) / m.Interval)
}
