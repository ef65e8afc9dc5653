package main

import (
	"runtime"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

func mark(at time.Duration, proc, total provider.Opt[time.Duration], hwm provider.Opt[uint64]) runMark {
	var s provider.Snapshot
	s.Counters.ProcessCPU, s.Counters.CPUTotal, s.Counters.RSSHighWaterMB = proc, total, hwm
	return runMark{at: time.Unix(1000, 0).Add(at), s: s, ok: true}
}

var (
	none    provider.Opt[time.Duration]
	noneMiB provider.Opt[uint64]
)

func TestProcessCPUPct(t *testing.T) {
	sec := func(s float64) provider.Opt[time.Duration] {
		return provider.Some(time.Duration(s * float64(time.Second)))
	}
	for _, tc := range []struct {
		name       string
		start, end runMark
		want       provider.Opt[float64]
	}{
		{"device counters", mark(0, sec(1), sec(100), noneMiB), mark(time.Second, sec(1.5), sec(102), noneMiB), provider.Some(25.0)},
		{"wall time without device counters", mark(0, sec(1), none, noneMiB), mark(time.Second, sec(2), none, noneMiB), provider.Some(50.0)},
		{"device counters not moving: wall time", mark(0, sec(1), sec(5), noneMiB), mark(2*time.Second, sec(2), sec(5), noneMiB), provider.Some(25.0)},
		{"more than all CPUs is clamped", mark(0, sec(0), none, noneMiB), mark(time.Second, sec(3), none, noneMiB), provider.Some(100.0)},
		{"process counter backwards", mark(0, sec(2), none, noneMiB), mark(time.Second, sec(1), none, noneMiB), provider.Opt[float64]{}},
		{"no process counter at the start", mark(0, none, none, noneMiB), mark(time.Second, sec(1), none, noneMiB), provider.Opt[float64]{}},
		{"no process counter at the end", mark(0, sec(1), none, noneMiB), mark(time.Second, none, none, noneMiB), provider.Opt[float64]{}},
		{"no time elapsed", mark(0, sec(1), none, noneMiB), mark(0, sec(1), none, noneMiB), provider.Opt[float64]{}},
		{"no start mark", runMark{}, mark(time.Second, sec(1), none, noneMiB), provider.Opt[float64]{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := processCPUPct(tc.start, tc.end, 2); got != tc.want {
				t.Errorf("processCPUPct = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFoldTree: the peak is the highest of the sampled peak, the tree's
// high-water mark and the reaped child's; a process_cpu_pct the summary
// already has is kept.
func TestFoldTree(t *testing.T) {
	some := provider.Some[uint64]
	for _, tc := range []struct {
		name            string
		sampled, hwm    provider.Opt[uint64]
		reaped, want    provider.Opt[uint64]
		cpuPct, wantPct provider.Opt[float64]
	}{
		{"sampled highest", some(50), some(40), some(30), some(50), provider.Some(7.0), provider.Some(7.0)},
		{"high-water mark highest", some(50), some(60), some(30), some(60), provider.Opt[float64]{}, provider.Some(50.0)},
		{"reaped highest", some(50), some(40), some(300), some(300), provider.Opt[float64]{}, provider.Some(50.0)},
		{"nothing sampled", noneMiB, noneMiB, some(300), some(300), provider.Opt[float64]{}, provider.Some(50.0)},
		{"nothing known", noneMiB, noneMiB, noneMiB, noneMiB, provider.Opt[float64]{}, provider.Some(50.0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := aggregate.Usage{ProcessRSSPeakMB: tc.sampled, ProcessCPUPct: tc.cpuPct}
			start := mark(0, provider.Some(time.Second), none, noneMiB)
			// The tree used half of every CPU for a second: 50 %.
			end := mark(time.Second, provider.Some(time.Second+time.Duration(runtime.NumCPU())*time.Second/2), none, tc.hwm)
			got := foldTree(u, start, end, tc.reaped)
			if got.ProcessRSSPeakMB != tc.want {
				t.Errorf("peak %v, want %v", got.ProcessRSSPeakMB, tc.want)
			}
			if got.ProcessCPUPct != tc.wantPct {
				t.Errorf("process_cpu_pct %v, want %v", got.ProcessCPUPct, tc.wantPct)
			}
		})
	}
}
