package linux

import (
	"context"
	"os"
	"testing"
	"time"
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
	skipWithoutProc(b)
	p, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	p.fast.every = every
	ctx := context.Background()
	for range 3 { // warm up: open files, size the buffer, first CPU delta
		if _, err := p.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Snapshot(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloor is the least any refresh can cost: pread the same three
// files (/proc/stat, /proc/meminfo, /proc/self/statm) into a fixed buffer
// and pull out one number from each.
func BenchmarkFloor(b *testing.B) {
	skipWithoutProc(b)
	var files [3]rawFile
	for i, name := range []string{"/proc/stat", "/proc/meminfo", "/proc/self/statm"} {
		f, err := openRaw(name)
		if err != nil {
			b.Fatal(err)
		}
		defer f.close()
		files[i] = f
	}
	buf := make([]byte, initialBuf)
	var sink uint64
	b.ReportAllocs()
	for b.Loop() {
		for i, f := range files {
			n, err := f.pread(buf)
			if err != nil {
				b.Fatal(err)
			}
			sink += floorNumber(buf[:n], i)
		}
	}
	_ = sink
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
	if _, err := os.Stat("/proc/self/statm"); err != nil {
		tb.Skip("no live /proc:", err)
	}
}
