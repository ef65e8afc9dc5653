package main

import (
	"context"
	"runtime"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

// runMark is one read of the child tree's run counters (a
// provider.RunReader's RunSnapshot) and when it was taken.
type runMark struct {
	at time.Time
	s  provider.Snapshot
	ok bool
}

// markRun reads rr's run counters now; a nil rr gives an empty mark.
func markRun(ctx context.Context, rr provider.RunReader) runMark {
	if rr == nil {
		return runMark{}
	}
	s, _ := rr.RunSnapshot(ctx) // what could not be read is unknown in s
	return runMark{at: time.Now(), s: s, ok: true}
}

// foldTree completes the run's summary with what only `restel run` knows
// of its child tree: the kernel's high-water marks, from the end read
// (the highest VmHWM of any process of the tree seen while it ran) and
// from reaping the child (reaped: its ru_maxrss, which covers the children
// it reaped too), raise process_rss_peak_mb; and process_cpu_pct, when
// the summary does not have it, is the tree's CPU time between the start
// and end reads over the device's CPU time meanwhile (see
// processCPUPct).
func foldTree(u aggregate.Usage, start, end runMark, reaped provider.Opt[uint64]) aggregate.Usage {
	for _, hwm := range []provider.Opt[uint64]{end.s.Counters.RSSHighWaterMB, reaped} {
		if hwm.Valid && (!u.ProcessRSSPeakMB.Valid || hwm.V > u.ProcessRSSPeakMB.V) {
			u.ProcessRSSPeakMB = hwm
		}
	}
	if !u.ProcessCPUPct.Valid {
		u.ProcessCPUPct = processCPUPct(start, end, runtime.NumCPU())
	}
	return u
}

// processCPUPct is the tree's CPU time between two marks in % of all
// CPUs (docs/contract.md §4): its growth over the growth of the device's
// total CPU time when both marks have that, else over the wall time
// between them times cpus. Unknown when either mark lacks the tree's CPU
// time or a counter went backwards.
func processCPUPct(start, end runMark, cpus int) provider.Opt[float64] {
	c0, c1 := start.s.Counters.ProcessCPU, end.s.Counters.ProcessCPU
	if !start.ok || !end.ok || !c0.Valid || !c1.Valid || c1.V < c0.V {
		return provider.Opt[float64]{}
	}
	var all time.Duration
	if t0, t1 := start.s.Counters.CPUTotal, end.s.Counters.CPUTotal; t0.Valid && t1.Valid && t1.V > t0.V {
		all = t1.V - t0.V
	} else if wall := end.at.Sub(start.at); wall > 0 && cpus > 0 {
		all = wall * time.Duration(cpus)
	} else {
		return provider.Opt[float64]{}
	}
	return provider.CPUPercent(100 * float64(c1.V-c0.V) / float64(all))
}
