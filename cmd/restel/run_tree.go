package main

import (
	"time"

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

// treeWatcher is a tree provider that can read the tree in the
// background between a run's reads (linux.Tree).
type treeWatcher interface {
	Watch(interval time.Duration) (stop func())
}

// treeWatchInterval is the cadence of the background reads of a
// boundary run's tree: fine enough to see two children of a few hundred
// milliseconds overlap, and a small tree's read costs about a tenth of a
// millisecond (a large tree's read sets a slower cadence itself).
const treeWatchInterval = 100 * time.Millisecond

// watchTree starts p's background tree reads for a run in mode, when p
// has them and the mode takes no samples of its own (boundary): the
// tree's true peak then still reaches the summary, through the end read's
// high-water mark, while sample_count stays 2. A sampled mode's samples
// read the tree already. The returned stop ends the reads.
func watchTree(p provider.SnapshotProvider, mode aggregate.Mode) (stop func()) {
	w, ok := p.(treeWatcher)
	if !ok || mode.Kind != aggregate.Boundary {
		return func() {}
	}
	return w.Watch(treeWatchInterval)
}
