package orchestrator

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/provider/linux"
)

var (
	sinkTime time.Time
	sinkSnap provider.Snapshot
)

// liveProvider is the real Linux provider on /proc and /sys, or the fake
// provider where there is none (the benchmark says which).
func liveProvider(b *testing.B) provider.SnapshotProvider {
	p, err := linux.New()
	if err != nil {
		b.Logf("no Linux provider (%v): using the fake provider", err)
		return fake.New(nil)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkTimeNow is the yardstick for the cached read: one time.Now().
func BenchmarkTimeNow(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkTime = time.Now()
	}
}

// BenchmarkCurrentSnapshotCached is the hot-path read that hits the cache:
// one atomic pointer load, one monotonic clock read, the host-pushed
// overlay (two atomic loads) and the snapshot copy.
func BenchmarkCurrentSnapshotCached(b *testing.B) {
	m := New(liveProvider(b), WithHost(&HostState{}))
	defer m.Close()
	m.Prewarm()
	b.ReportAllocs()
	for b.Loop() {
		sinkSnap = m.CurrentSnapshot(time.Hour)
	}
}

// BenchmarkCurrentSnapshotCachedParallel runs the cached read on 8
// goroutines at once: there is no lock and no written shared line, so the
// per-op time (wall time / total ops) is no worse than serial.
func BenchmarkCurrentSnapshotCachedParallel(b *testing.B) {
	m := New(liveProvider(b), WithHost(&HostState{}))
	defer m.Close()
	m.Prewarm()
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((8 + procs - 1) / procs)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var s provider.Snapshot
		for pb.Next() {
			s = m.CurrentSnapshot(time.Hour)
		}
		_ = s
	})
}

// BenchmarkRefresh is one forced refresh through the monitor: the live
// Linux provider is Bounded, so the read runs on the caller's goroutine.
func BenchmarkRefresh(b *testing.B) {
	m := New(liveProvider(b), WithHost(&HostState{}))
	defer m.Close()
	m.Prewarm()
	b.ReportAllocs()
	for b.Loop() {
		sinkSnap = m.CurrentSnapshot(0)
	}
}

// BenchmarkProviderRefresh is one bare provider read (provider/linux's
// BenchmarkRefresh), without the run counters.
func BenchmarkProviderRefresh(b *testing.B) {
	p := liveProvider(b)
	ctx := context.Background()
	p.Snapshot(ctx)
	b.ReportAllocs()
	for b.Loop() {
		sinkSnap, _ = p.Snapshot(ctx)
	}
}

// BenchmarkBoundaryRun is BeginRun + Finish in boundary mode: two forced
// refreshes and the aggregation.
func BenchmarkBoundaryRun(b *testing.B) {
	benchBoundaryRun(b, liveProvider(b))
}

// BenchmarkBoundaryRunHandoff is BenchmarkBoundaryRun with the live
// provider's Bounded capability hidden: every read is handed to the
// cache's reader goroutine, as for a custom provider.
func BenchmarkBoundaryRunHandoff(b *testing.B) {
	benchBoundaryRun(b, handoffOnly{liveProvider(b)})
}

// handoffOnly hides every capability of a provider but Snapshot.
type handoffOnly struct{ provider.SnapshotProvider }

func benchBoundaryRun(b *testing.B, p provider.SnapshotProvider) {
	m := New(p, WithHost(&HostState{}))
	defer m.Close()
	m.Prewarm()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := m.BeginRun(ctx, aggregate.ModeBoundary).Finish(); !ok {
			b.Fatal("no summary")
		}
	}
}

// BenchmarkBoundaryRunBookkeeping is BenchmarkBoundaryRun on a provider
// whose reads cost nothing (a fixed snapshot with run counters, read on
// the caller's goroutine, as the live provider is): what a boundary run
// costs beyond its two run-counter reads.
func BenchmarkBoundaryRunBookkeeping(b *testing.B) {
	s := provider.Snapshot{
		CPUPct: provider.Some(12.5), ProcessRSSMB: provider.Some[uint64](100),
		AvailableMemMB: provider.Some[uint64](8000), TotalMemMB: provider.Some[uint64](16000),
	}
	s.Counters.ProcessCPU = provider.Some(time.Second)
	m := New(freeRunReader{s}, WithHost(&HostState{}), withInline)
	defer m.Close()
	m.Prewarm()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := m.BeginRun(ctx, aggregate.ModeBoundary).Finish(); !ok {
			b.Fatal("no summary")
		}
	}
}

// freeRunReader returns its snapshot, with or without run counters, at no
// cost.
type freeRunReader struct{ s provider.Snapshot }

func (f freeRunReader) Snapshot(context.Context) (provider.Snapshot, error) {
	s := f.s
	s.Counters = provider.Counters{}
	return s, nil
}

func (f freeRunReader) RunSnapshot(context.Context) (provider.Snapshot, error) { return f.s, nil }

// BenchmarkBoundaryRunVsRefresh interleaves one boundary run with one bare
// read of a second live provider, so the two see the same machine state
// and the same noise: x-refresh is the run's time as a multiple of one
// provider refresh without the run counters, run-ns and refresh-ns the
// parts. ns/op is their sum plus three clock reads. "inline" is the live
// provider as it is (Bounded); "handoff" hides that, as for a custom
// provider (and, hiding RunSnapshot too, reads no run counters). The
// bound on a boundary run is against the floor of a read with the run
// counters: provider/linux's BenchmarkBoundaryRunVsRunFloor.
func BenchmarkBoundaryRunVsRefresh(b *testing.B) {
	for _, bc := range []struct {
		name string
		wrap func(provider.SnapshotProvider) provider.SnapshotProvider
	}{
		{"inline", func(p provider.SnapshotProvider) provider.SnapshotProvider { return p }},
		{"handoff", func(p provider.SnapshotProvider) provider.SnapshotProvider { return handoffOnly{p} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := New(bc.wrap(liveProvider(b)), WithHost(&HostState{}))
			defer m.Close()
			m.Prewarm()
			ref := liveProvider(b)
			ctx := context.Background()
			ref.Snapshot(ctx)
			var runD, refD time.Duration
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				if _, ok := m.BeginRun(ctx, aggregate.ModeBoundary).Finish(); !ok {
					b.Fatal("no summary")
				}
				t1 := time.Now()
				sinkSnap, _ = ref.Snapshot(ctx)
				refD += time.Since(t1)
				runD += t1.Sub(t0)
			}
			n := float64(b.N)
			b.ReportMetric(float64(runD)/float64(refD), "x-refresh")
			b.ReportMetric(float64(runD.Nanoseconds())/n, "run-ns")
			b.ReportMetric(float64(refD.Nanoseconds())/n, "refresh-ns")
		})
	}
}

// BenchmarkOffRun is what a run costs when telemetry is off.
func BenchmarkOffRun(b *testing.B) {
	m := New(fake.New(nil), WithHost(&HostState{}))
	defer m.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m.BeginRun(ctx, aggregate.ModeOff).Finish()
	}
}

// BenchmarkFanout delivers one sample to 10,000 in-flight summary runs
// sharing one sampler (fake provider): ns/tick is the sampler's cost per
// tick, B/run the bytes allocated to begin one run (what each in-flight
// run holds, at most).
func BenchmarkFanout(b *testing.B) {
	const runs = 10000
	p := fake.New(nil)
	m := New(provider.Func(p.Snapshot), WithHost(&HostState{}))
	defer m.Close()
	m.Prewarm()
	mode := aggregate.SummaryEvery(time.Hour) // the real ticker stays out of the way
	ctx := context.Background()

	// B/run is every byte allocated to begin one run (TotalAlloc counts
	// allocations only, so frees of an earlier invocation's runs, whose
	// cleanups run asynchronously, cannot hide any): an upper bound of
	// what an in-flight run holds.
	handles := make([]*Run, runs)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range handles {
		handles[i] = m.BeginRun(ctx, mode)
	}
	runtime.ReadMemStats(&after)
	perRun := float64(after.TotalAlloc-before.TotalAlloc) / runs

	// The tick itself, on an owner of its own holding 10,000 attached
	// runs: exactly what the owner goroutine does when a sample arrives.
	o := newOwner(m, time.Now())
	defer o.timer.Stop()
	for i := range runs {
		o.serve(request{op: opAttach, run: &runRec{mode: mode, ctx: ctx, handle: handles[i].rec.handle}})
	}
	s := o.sched.samplers[mode.Interval]
	if s == nil || len(s.users) != runs {
		b.Fatal("runs do not share one sampler")
	}
	snap := m.CurrentSnapshot(0)
	b.ReportAllocs()
	ticks := 0
	for b.Loop() {
		s.due, o.seq = true, o.seq+1 // what ticked does when a read starts
		o.deliver(sample{snap, true})
		ticks++
	}
	b.StopTimer()
	for _, r := range s.users {
		if r.agg.Usage(mode).SampleCount < uint64(ticks) {
			b.Fatal("a run missed a sample")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ticks), "ns/tick")
	b.ReportMetric(perRun, "B/run")
	for _, r := range handles {
		r.Finish()
	}
}

// BenchmarkTimeNowParallel is the yardstick of the parallel cached read:
// time.Now() on 8 goroutines.
func BenchmarkTimeNowParallel(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((8 + procs - 1) / procs)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var t time.Time
		for pb.Next() {
			t = time.Now()
		}
		_ = t
	})
}

// BenchmarkCurrentSnapshotCachedVsTimeNow interleaves blocks of 1,000
// cached reads with blocks of 1,000 time.Now() calls, so both see the same
// machine state: x-timenow is the cached read's time as a multiple of one
// time.Now() (the bound is 1.5).
func BenchmarkCurrentSnapshotCachedVsTimeNow(b *testing.B) {
	m := New(liveProvider(b), WithHost(&HostState{}))
	defer m.Close()
	m.Prewarm()
	benchVsTimeNow(b, func() { sinkSnap = m.CurrentSnapshot(time.Hour) })
}

// benchVsTimeNow interleaves blocks of 1,000 calls of f with blocks of
// 1,000 time.Now() calls, so both see the same machine state, and reports
// x-timenow (a call of f as a multiple of one time.Now()), read-ns and
// now-ns.
func benchVsTimeNow(b *testing.B, f func()) {
	const block = 1000
	var readD, nowD time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range block {
			f()
		}
		t1 := time.Now()
		for range block {
			sinkTime = time.Now()
		}
		t2 := time.Now()
		readD += t1.Sub(t0)
		nowD += t2.Sub(t1)
	}
	n := float64(b.N) * block
	b.ReportMetric(float64(readD)/float64(nowD), "x-timenow")
	b.ReportMetric(float64(readD.Nanoseconds())/n, "read-ns")
	b.ReportMetric(float64(nowD.Nanoseconds())/n, "now-ns")
}
