package export_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restel/restel/export"
	"github.com/restel/restel/provider"
)

var goos = runtime.GOOS

// source counts its reads and the maxAge each was asked for.
type source struct {
	snap    provider.Snapshot
	current atomic.Int64
	maxAge  time.Duration
}

func (s *source) CurrentSnapshot(maxAge time.Duration) provider.Snapshot {
	s.current.Add(1)
	s.maxAge = maxAge
	return s.snap
}

// fullSource is a source with FullSnapshot.
type fullSource struct {
	source
	full atomic.Int64
}

func (s *fullSource) FullSnapshot(maxAge time.Duration) provider.Snapshot {
	s.full.Add(1)
	s.maxAge = maxAge
	return s.snap
}

func TestRead(t *testing.T) {
	snap := provider.Snapshot{
		CPUPct:         provider.Some(250.0), // out of contract: Read clamps it
		AvailableMemMB: provider.Some[uint64](900),
		TotalMemMB:     provider.Some[uint64](500),
		Counters:       provider.Counters{CPUStall: provider.Some(time.Second)},
	}
	t.Run("current", func(t *testing.T) {
		src := &source{snap: snap}
		s, full := export.Read(src, 3*time.Second)
		if full || src.current.Load() != 1 || src.maxAge != 3*time.Second {
			t.Errorf("full %v after %d CurrentSnapshot(%v) calls; want false after 1 (3s)", full, src.current.Load(), src.maxAge)
		}
		if s.CPUPct != provider.Some(100.0) || s.AvailableMemMB != provider.Some[uint64](500) {
			t.Errorf("Read gave cpu %v avail %v; want the wire form 100, 500", s.CPUPct, s.AvailableMemMB)
		}
	})
	t.Run("full", func(t *testing.T) {
		src := &fullSource{source: source{snap: snap}}
		s, full := export.Read(src, time.Second)
		if !full || src.full.Load() != 1 || src.current.Load() != 0 {
			t.Errorf("full %v after %d FullSnapshot and %d CurrentSnapshot calls; want true after 1 and 0", full, src.full.Load(), src.current.Load())
		}
		if s.Counters.CPUStall != provider.Some(time.Second) || s.CPUPct != provider.Some(100.0) {
			t.Errorf("Read gave %+v", s)
		}
	})
	t.Run("nil", func(t *testing.T) {
		s, full := export.Read(nil, time.Second)
		if full || s != (provider.Snapshot{}) {
			t.Errorf("Read(nil) = %+v, %v; want the unknown snapshot", s, full)
		}
	})
}

func TestReadAllocs(t *testing.T) {
	src := &fullSource{source: source{snap: provider.Snapshot{CPUPct: provider.Some(3.0)}}}
	tab := export.Table()
	if n := testing.AllocsPerRun(100, func() {
		s, _ := export.Read(src, time.Second)
		for _, m := range tab {
			m.Value(s)
		}
	}); n != 0 {
		t.Errorf("Read and every Value allocate %v times, want 0", n)
	}
}

func TestCollect(t *testing.T) {
	snap := provider.Snapshot{
		CPUPct:     provider.Some(250.0), // out of contract: the wire form clamps it
		TotalMemMB: provider.Some[uint64](2),
		Counters:   provider.Counters{CPUStall: provider.Some(2 * time.Second)},
	}
	tab := export.Table()
	index := func(name string) int {
		for i, m := range tab {
			if m.Name == name {
				return i
			}
		}
		t.Fatalf("no metric %s in Table", name)
		return -1
	}
	cpu, total, stall := index("restel.cpu.utilization"), index("system.memory.limit"), index("restel.cpu.stall.time")
	for _, tc := range []struct {
		name string
		src  export.Source
		want map[int]float64
	}{
		{"current", &source{snap: snap}, map[int]float64{cpu: 1, total: 2 << 20}},
		{"full", &fullSource{source: source{snap: snap}}, map[int]float64{cpu: 1, total: 2 << 20, stall: 2}},
		{"nil", nil, map[int]float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[int]float64{}
			export.Collect(tc.src, time.Second, func(i int, v float64) {
				if _, dup := got[i]; dup {
					t.Errorf("metric %d emitted twice", i)
				}
				got[i] = v
			})
			if len(got) != len(tc.want) {
				t.Errorf("emitted %v, want %v", got, tc.want)
			}
			for i, w := range tc.want {
				if v, ok := got[i]; !ok || v != w {
					t.Errorf("%s = %v (emitted %v), want %v", tab[i].Name, v, ok, w)
				}
			}
		})
	}
}

func TestCollectAllocs(t *testing.T) {
	src := &fullSource{source: source{snap: provider.Snapshot{CPUPct: provider.Some(3.0)}}}
	n := 0
	if a := testing.AllocsPerRun(100, func() {
		export.Collect(src, time.Second, func(int, float64) { n++ })
	}); a != 0 {
		t.Errorf("Collect allocates %v times, want 0", a)
	}
	if n == 0 {
		t.Error("Collect emitted nothing")
	}
}
