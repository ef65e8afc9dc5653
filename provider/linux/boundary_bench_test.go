package linux

import (
	"context"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/orchestrator"
)

// BenchmarkBoundaryRunVsRunFloor interleaves one boundary run (BeginRun +
// Finish in boundary mode on a monitor over the live provider, as
// restel.Default builds it) with one floor of a run-counter read: pread
// exactly the files a steady-state RunSnapshot reads (runSnapshotPaths)
// into a fixed buffer and pull one number from each. Both see the same
// machine state and noise. x-runfloor is the run's time as a multiple of
// that floor (the bound is 2.5: the run's two reads, each held to 1.3× the
// floor, leave the bookkeeping the rest); run-ns and floor-ns are the
// parts. Each iteration also times two bare RunSnapshots of a second live
// provider (reads-ns): run-ns minus reads-ns is what the monitor adds to
// the two reads, x-reads the reads alone as a multiple of the floor.
func BenchmarkBoundaryRunVsRunFloor(b *testing.B) {
	p := newLive(b)
	m := orchestrator.New(p, orchestrator.WithHost(&orchestrator.HostState{}))
	defer m.Close()
	m.Prewarm()
	ctx := context.Background()
	if _, ok := m.BeginRun(ctx, aggregate.ModeBoundary).Finish(); !ok {
		b.Fatal("no summary")
	}
	_, read := liveReader(b, true)
	warmUp(b, read)
	files := openFloor(b, p.fast.runSnapshotPaths())
	buf := make([]byte, initialBuf)
	var sink uint64
	var runD, floorD, readsD time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, ok := m.BeginRun(ctx, aggregate.ModeBoundary).Finish(); !ok {
			b.Fatal("no summary")
		}
		t1 := time.Now()
		sink += floorPass(b, files, buf)
		t2 := time.Now()
		read(ctx)
		read(ctx)
		readsD += time.Since(t2)
		floorD += t2.Sub(t1)
		runD += t1.Sub(t0)
	}
	_ = sink
	n := float64(b.N)
	b.ReportMetric(float64(runD)/float64(floorD), "x-runfloor")
	b.ReportMetric(float64(readsD)/float64(floorD), "x-reads")
	b.ReportMetric(float64(runD.Nanoseconds())/n, "run-ns")
	b.ReportMetric(float64(readsD.Nanoseconds())/n, "reads-ns")
	b.ReportMetric(float64(floorD.Nanoseconds())/n, "floor-ns")
}
