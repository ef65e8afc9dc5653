package linux

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/restel/restel/provider"
)

// BenchmarkRefresh is one fast-signal refresh on the live /proc, in steady
// state: /proc/stat, /proc/meminfo and /proc/<pid>/statm, plus the
// bounding cgroup's usage and memory.stat when there is a bound; the
// cgroup limits and PSI are re-read on their 1 s cadence (slowEvery), so
// within the loop they are amortized away.
func BenchmarkRefresh(b *testing.B) { benchRefresh(b, slowEvery) }

// BenchmarkRefreshAllSources is BenchmarkRefresh with the cadence off:
// every refresh also re-reads every cgroup limit on the walk and
// /proc/pressure/memory. It is what a refresh costs once per second.
func BenchmarkRefreshAllSources(b *testing.B) { benchRefresh(b, 0) }

func benchRefresh(b *testing.B, every time.Duration) {
	p, read := liveReader(b, false)
	p.fast.slow.every = every
	benchRead(b, read)
}

// liveReader opens a Provider on the live /proc, closed when b ends, and
// returns it with its Snapshot or, with run, its RunSnapshot.
func liveReader(b *testing.B, run bool) (*Provider, func(context.Context) (provider.Snapshot, error)) {
	p := newLive(b)
	if run {
		return p, p.RunSnapshot
	}
	return p, p.Snapshot
}

// warmUp reads three times: files open, the buffer sized, a first CPU
// delta.
func warmUp(b *testing.B, read func(context.Context) (provider.Snapshot, error)) {
	for range 3 {
		if _, err := read(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRead times read in steady state, after warmUp.
func benchRead(b *testing.B, read func(context.Context) (provider.Snapshot, error)) {
	warmUp(b, read)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := read(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloor is the least any refresh can cost: pread the same three
// files (/proc/stat, /proc/meminfo, /proc/self/statm) into a fixed buffer
// and pull out one number from each.
func BenchmarkFloor(b *testing.B) {
	skipWithoutProc(b)
	benchFloor(b, []string{"/proc/stat", "/proc/meminfo", "/proc/self/statm"})
}

// benchFloor times preading paths into a fixed buffer and pulling one
// number from each (floorPass).
func benchFloor(b *testing.B, paths []string) {
	files := openFloor(b, paths)
	buf := make([]byte, initialBuf)
	var sink uint64
	b.ReportAllocs()
	for b.Loop() {
		sink += floorPass(b, files, buf)
	}
	_ = sink
}

// openFloor opens paths for a floor; they are closed when b ends.
func openFloor(b *testing.B, paths []string) []rawFile {
	files := make([]rawFile, len(paths))
	for i, name := range paths {
		f, err := openRaw(name)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.close() })
		files[i] = f
	}
	return files
}

// floorPass preads each file into buf and pulls one number from it: the
// first three as /proc/stat, /proc/meminfo and statm (floorNumber), the
// rest as statm.
func floorPass(b *testing.B, files []rawFile, buf []byte) uint64 {
	var sum uint64
	for i, f := range files {
		n, err := f.pread(buf)
		if err != nil {
			b.Fatal(err)
		}
		sum += floorNumber(buf[:n], min(i, 2))
	}
	return sum
}

// floorNumber minimally extracts user ticks (/proc/stat), MemTotal kB
// (/proc/meminfo) or the resident pages (statm): skip to the first digit of
// the wanted field and read digits.
func floorNumber(b []byte, which int) uint64 {
	i := 0
	if which == 2 {
		for i < len(b) && b[i] != ' ' {
			i++
		}
	}
	for i < len(b) && (b[i] < '0' || b[i] > '9') {
		i++
	}
	var v uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		v = v*10 + uint64(b[i]-'0')
	}
	return v
}

func skipWithoutProc(tb testing.TB) {
	tb.Helper()
	skipWineHostProc(tb)
	if _, err := os.Stat("/proc/self/statm"); err != nil {
		tb.Skip("no live /proc:", err)
	}
}

// BenchmarkRunSnapshot is one RunSnapshot on the live /proc in steady
// state: the refresh plus /proc/<pid>/stat, /proc/<pid>/status, the three
// PSI files and, under a CPU quota, its cpu.stat (which level has a quota
// is re-read once a second, amortized away here).
func BenchmarkRunSnapshot(b *testing.B) {
	_, read := liveReader(b, true)
	benchRead(b, read)
}

// BenchmarkRunSnapshotFloor is the least a RunSnapshot can cost: pread
// exactly the files a steady-state RunSnapshot reads on this machine (see
// runSnapshotPaths) into a fixed buffer and pull one number from each.
func BenchmarkRunSnapshotFloor(b *testing.B) {
	p, read := liveReader(b, true)
	if _, err := read(context.Background()); err != nil {
		b.Fatal(err)
	}
	paths := p.fast.runSnapshotPaths()
	p.Close()
	b.Logf("%d files: %q", len(paths), paths)
	benchFloor(b, paths)
}

// runSnapshotPaths lists the files a steady-state RunSnapshot reads: the
// refresh's (the bounding cgroup's usage and memory.stat when there is a
// bound), the process's stat and status, the PSI files the kernel has, and
// the cpu.stat of the level with a quota.
func (f *fastSignals) runSnapshotPaths() []string {
	paths := []string{f.stat.path, f.meminfo.path, f.statm.path}
	if f.cg.best >= 0 {
		lv := f.cg.levels[f.cg.best]
		paths = append(paths, lv.usage.path, lv.stat.path)
	}
	paths = append(paths, f.run.pidStat.path, f.run.pidStatus.path)
	for _, p := range f.run.psi {
		if !p.off {
			paths = append(paths, p.file.path)
		}
	}
	if q := f.run.quota; q.best >= 0 {
		paths = append(paths, q.levels[q.best].stat.path)
	}
	return paths
}

// BenchmarkRefreshVsFloor and BenchmarkRunSnapshotVsFloor interleave a read
// and its floor (the same files preaded into a fixed buffer) iteration by
// iteration and report the ratio of their total times: on a shared,
// noisy machine the separate benchmarks' medians can be minutes apart,
// the interleaved ratio is not.
func BenchmarkRefreshVsFloor(b *testing.B) {
	benchVsFloor(b, false)
}

func BenchmarkRunSnapshotVsFloor(b *testing.B) {
	benchVsFloor(b, true)
}

func benchVsFloor(b *testing.B, run bool) {
	p, read := liveReader(b, run)
	warmUp(b, read)
	paths := []string{"/proc/stat", "/proc/meminfo", "/proc/self/statm"}
	if run {
		paths = p.fast.runSnapshotPaths()
	}
	files := openFloor(b, paths)
	buf := make([]byte, initialBuf)
	ctx := context.Background()
	var sink uint64
	var readNS, floorNS time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := read(ctx); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		sink += floorPass(b, files, buf)
		readNS += t1.Sub(t0)
		floorNS += time.Since(t1)
	}
	_ = sink
	if floorNS > 0 {
		b.ReportMetric(float64(readNS)/float64(floorNS), "read/floor")
		b.ReportMetric(float64(readNS)/float64(b.N), "read-ns/op")
		b.ReportMetric(float64(floorNS)/float64(b.N), "floor-ns/op")
	}
}
