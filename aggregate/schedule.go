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
			for t := m.Interval; t < end; t += m.Interval {
				if !yield(t) {
					return
				}
			}
		}
		yield(end)
	}
}
