package main

import (
	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

// foldReaped completes the run's summary with the one figure only the
// kernel's reaping gives: the child's ru_maxrss (reaped), which covers the
// children it reaped too, raises process_rss_peak_mb. Everything else —
// the tree's high-water marks and CPU time — the monitor already read
// at the run's start and end (the tree provider is a provider.RunReader).
func foldReaped(u aggregate.Usage, reaped provider.Opt[uint64]) aggregate.Usage {
	if reaped.Valid && (!u.ProcessRSSPeakMB.Valid || reaped.V > u.ProcessRSSPeakMB.V) {
		u.ProcessRSSPeakMB = reaped
	}
	return u
}
