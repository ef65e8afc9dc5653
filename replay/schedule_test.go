package replay

import (
	"iter"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
)

// schedule yields the offsets at which a run of length end samples in mode
// m, one by one, as docs/contract.md §5 states the replay timing: the
// start snapshot at 0; for Summary and DebugLocal, k·I for k >= 1 while
// k·I < end; and the end snapshot at end. Off yields nothing; a negative
// end is treated as 0. It is the reference Run's span walk must equal.
func schedule(m aggregate.Mode, end time.Duration) iter.Seq[time.Duration] {
	m = m.Normalized()
	end = max(end, 0)
	return func(yield func(time.Duration) bool) {
		if m.Kind == aggregate.Off {
			return
		}
		if !yield(0) {
			return
		}
		// k·I < end <= the largest Duration, so no product overflows
		// (adding I to the last one could).
		for k := range tickCount(m, end) {
			if !yield(time.Duration(k+1) * m.Interval) {
				return
			}
		}
		yield(end)
	}
}

func TestSchedule(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		m    aggregate.Mode
		end  time.Duration
		want []time.Duration
	}{
		{"off", aggregate.ModeOff, time.Second, nil},
		{"boundary", aggregate.ModeBoundary, 1200 * ms, []time.Duration{0, 1200 * ms}},
		{"summary 250ms over 1.2s", aggregate.SummaryEvery(250 * ms), 1200 * ms, []time.Duration{0, 250 * ms, 500 * ms, 750 * ms, 1000 * ms, 1200 * ms}},
		{"sample exactly at end is the end snapshot", aggregate.SummaryEvery(250 * ms), 1000 * ms, []time.Duration{0, 250 * ms, 500 * ms, 750 * ms, 1000 * ms}},
		{"run shorter than a tick", aggregate.SummaryEvery(time.Second), 10 * ms, []time.Duration{0, 10 * ms}},
		{"zero-length run", aggregate.SummaryEvery(time.Second), 0, []time.Duration{0, 0}},
		{"the longest run, a huge interval", aggregate.SummaryEvery(1000000 * time.Hour), 2562047 * time.Hour,
			[]time.Duration{0, 1000000 * time.Hour, 2000000 * time.Hour, 2562047 * time.Hour}},
		{"an interval of 2^62 ns: the next tick would overflow", aggregate.SummaryEvery(1 << 62), 1281024 * time.Hour,
			[]time.Duration{0, 1 << 62, 1281024 * time.Hour}},
		{"the largest end", aggregate.DebugLocalEvery(1 << 62), math.MaxInt64,
			[]time.Duration{0, 1 << 62, math.MaxInt64}},
	}
	for _, tt := range tests {
		if got := slices.Collect(schedule(tt.m, tt.end)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		if n := tickCount(tt.m, tt.end); tt.want != nil && n != uint64(len(tt.want)-2) {
			t.Errorf("%s: tickCount = %d, want %d", tt.name, n, len(tt.want)-2)
		}
	}
	// Stopping early is honoured.
	for range schedule(aggregate.SummaryEvery(250*ms), time.Hour) {
		break
	}
}
