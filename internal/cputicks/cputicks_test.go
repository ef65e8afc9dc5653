package cputicks_test

import (
	"fmt"
	"testing"

	"github.com/restel/restel/internal/cputicks"
	"github.com/restel/restel/provider"
)

// counters is a reading of cumulative busy and idle ticks; a counter going
// backwards gives no delta.
type counters struct{ busy, idle uint64 }

func (c counters) Since(prev counters) (busy, total uint64, ok bool) {
	if c.busy < prev.busy || c.idle < prev.idle {
		return 0, 0, false
	}
	busy = c.busy - prev.busy
	return busy, busy + c.idle - prev.idle, true
}

// overclaim is a reading whose Since claims more busy than total time and,
// when zero is set, a usable delta of no time at all.
type overclaim struct{ zero bool }

func (o overclaim) Since(overclaim) (uint64, uint64, bool) {
	if o.zero {
		return 0, 0, true
	}
	return 3, 2, true
}

func TestTracker(t *testing.T) {
	none := provider.Opt[float64]{}
	steps := []struct {
		name string
		in   counters
		want provider.Opt[float64]
	}{
		{"first reading: no delta yet", counters{100, 900}, none},
		{"half busy", counters{150, 950}, provider.Some(50.0)},
		{"nothing elapsed: keep last", counters{150, 950}, provider.Some(50.0)},
		{"busy backwards: keep last", counters{140, 1000}, provider.Some(50.0)},
		{"all idle since the previous reading", counters{140, 1100}, provider.Some(0.0)},
		{"all busy", counters{240, 1100}, provider.Some(100.0)},
		{"three quarters", counters{540, 1200}, provider.Some(75.0)},
	}
	var tr cputicks.Tracker[counters]
	if got := tr.Last(); got != none {
		t.Fatalf("zero Tracker Last = %+v, want unknown", got)
	}
	for _, s := range steps {
		got := tr.Observe(s.in)
		if got != s.want {
			t.Errorf("%s: Observe(%+v) = %+v, want %+v", s.name, s.in, got, s.want)
		}
		if last := tr.Last(); last != got {
			t.Errorf("%s: Last = %+v, Observe returned %+v", s.name, last, got)
		}
	}
}

func TestTrackerUnusableFromTheStart(t *testing.T) {
	var tr cputicks.Tracker[counters]
	tr.Observe(counters{10, 10})
	if got := tr.Observe(counters{5, 20}); got.Valid {
		t.Errorf("backwards second reading = %+v, want unknown (no value yet)", got)
	}
	if got := tr.Observe(counters{15, 20}); got != provider.Some(100.0) {
		t.Errorf("after a backwards step the new baseline counts: got %+v, want 100", got)
	}
}

func TestTrackerGuardsSince(t *testing.T) {
	var tr cputicks.Tracker[overclaim]
	tr.Observe(overclaim{})
	if got := tr.Observe(overclaim{}); got != provider.Some(100.0) {
		t.Errorf("busy above total = %+v, want clamped to 100", got)
	}
	if got := tr.Observe(overclaim{zero: true}); got != provider.Some(100.0) {
		t.Errorf("zero total reported ok = %+v, want the last value kept", got)
	}
}

func ExampleTracker() {
	var tr cputicks.Tracker[counters]
	for _, c := range []counters{{100, 900}, {160, 940}, {160, 940}} {
		fmt.Println(string(provider.AppendFloat(nil, tr.Observe(c))))
	}
	// Output:
	// null
	// 60
	// 60
}

func BenchmarkObserve(b *testing.B) {
	var tr cputicks.Tracker[counters]
	c := counters{100, 900}
	b.ReportAllocs()
	for b.Loop() {
		c.busy += 3
		c.idle += 7
		tr.Observe(c)
	}
}
