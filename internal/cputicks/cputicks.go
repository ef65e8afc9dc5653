// Package cputicks turns successive readings of cumulative CPU time
// counters into a CPU-use percentage. It is the arithmetic every platform
// provider shares: Linux /proc/stat jiffies, macOS host_statistics
// HOST_CPU_LOAD_INFO ticks and Windows GetSystemTimes FILETIMEs differ only
// in how a pair of readings becomes a busy and a total delta, which each
// platform supplies as the [Reading.Since] method of its reading type.
// [Duration] turns a cumulative counter into time, for the off-wire
// counters a snapshot carries.
package cputicks

import "github.com/restel/restel/provider"

// Reading is one platform's counter reading. Since returns the busy and
// total time elapsed from prev to the receiver, in the platform's unit;
// ok is false when the pair gives no usable delta (a counter went
// backwards, nothing elapsed, arithmetic overflowed).
type Reading[T any] interface {
	Since(prev T) (busy, total uint64, ok bool)
}

// Tracker turns successive readings into CPU percentages (docs/contract.md §2): the
// first reading gives no value (no delta yet); later ones give
// 100·Δbusy/Δtotal, clamped to [0, 100]; a reading whose delta is unusable
// keeps the last value (unknown if there is none). The zero value is ready
// to use. A Tracker is not safe for concurrent use: its provider guards it.
type Tracker[T Reading[T]] struct {
	prev    T
	hasPrev bool
	last    provider.Opt[float64]
}

// Observe records a reading and returns the CPU percentage to report.
func (t *Tracker[T]) Observe(cur T) provider.Opt[float64] {
	if t.hasPrev {
		if busy, total, ok := cur.Since(t.prev); ok && total > 0 {
			t.last = provider.CPUPercent(100 * float64(busy) / float64(total))
		}
	}
	t.prev, t.hasPrev = cur, true
	return t.last
}

// Last returns the last percentage without a new reading: what a provider
// reports when its counter read fails.
func (t *Tracker[T]) Last() provider.Opt[float64] { return t.last }
