package export_test

import (
	"runtime"
	"sync"
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
		AvailableMemMB: provider.Some[uint64](900), // out of contract: the wire form bounds it by the total
		TotalMemMB:     provider.Some[uint64](2),
		Counters: provider.Counters{
			CPUStall: provider.Some(2 * time.Second),
			CPUBusy:  provider.Some(3 * time.Second),
			CPUTotal: provider.Some(8 * time.Second),
		},
	}
	tab := export.Table()
	index := func(k string) int {
		for i, m := range tab {
			if key(m) == k {
				return i
			}
		}
		t.Fatalf("no metric %s in Table", k)
		return -1
	}
	busy, idle := index("restel.cpu.time{state=busy}"), index("restel.cpu.time{state=idle}")
	total, stall := index("system.memory.limit"), index("restel.cpu.stall.time")
	pressure := index("restel.memory.pressure") // normal: available is total
	availName := "system.memory.linux.available"
	if goos != "linux" && goos != "android" {
		availName = "restel.memory.available"
	}
	avail := index(availName)
	for _, tc := range []struct {
		name string
		src  export.Source
		want map[int]float64
	}{
		{"current", &source{snap: snap}, map[int]float64{busy: 3, idle: 5, total: 2 << 20, avail: 2 << 20, pressure: 0}},
		{"full", &fullSource{source: source{snap: snap}}, map[int]float64{busy: 3, idle: 5, total: 2 << 20, avail: 2 << 20, pressure: 0, stall: 2}},
		{"nil", nil, map[int]float64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[int]float64{}
			export.NewCollector(tc.src, time.Second).Collect(func(i int, v float64) {
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
					t.Errorf("%s = %v (emitted %v), want %v", key(tab[i]), v, ok, w)
				}
			}
		})
	}
}

// seqSource returns its snapshots in turn, then the last one again.
type seqSource struct {
	snaps []provider.Snapshot
	n     int
}

func (s *seqSource) FullSnapshot(time.Duration) provider.Snapshot {
	snap := s.snaps[min(s.n, len(s.snaps)-1)]
	s.n++
	return snap
}

func (s *seqSource) CurrentSnapshot(maxAge time.Duration) provider.Snapshot {
	return s.FullSnapshot(maxAge)
}

// TestCollectorCounters checks that a counter is never emitted negative
// or below what the collector emitted before, whatever a custom provider
// reports, while a gauge follows its source down.
func TestCollectorCounters(t *testing.T) {
	snap := func(stall, busy, total time.Duration, pressure provider.MemoryPressure) provider.Snapshot {
		return provider.Snapshot{MemoryPressure: pressure, Counters: provider.Counters{
			CPUStall: provider.Some(stall), CPUBusy: provider.Some(busy), CPUTotal: provider.Some(total),
		}}
	}
	const none = -1.0 // no point
	type point struct{ stall, busy, idle, pressure float64 }
	for _, tc := range []struct {
		name  string
		snaps []provider.Snapshot
		want  []point
	}{
		{"growing", []provider.Snapshot{
			snap(1*time.Second, 2*time.Second, 10*time.Second, provider.MemoryPressureWarn),
			snap(2*time.Second, 3*time.Second, 12*time.Second, provider.MemoryPressureNormal),
		}, []point{{1, 2, 8, 1}, {2, 3, 9, 0}}},
		{"negative: no point, and no floor for later values", []provider.Snapshot{
			snap(-3*time.Second, -time.Second, 10*time.Second, provider.MemoryPressureNormal),
			snap(1*time.Second, 2*time.Second, 4*time.Second, provider.MemoryPressureNormal),
		}, []point{{none, none, none, 0}, {1, 2, 2, 0}}},
		{"backwards: held at the last value until passed", []provider.Snapshot{
			snap(5*time.Second, 50*time.Second, 100*time.Second, provider.MemoryPressureCritical),
			snap(4*time.Second, 40*time.Second, 70*time.Second, provider.MemoryPressureWarn),
			snap(5500*time.Millisecond, 45*time.Second, 110*time.Second, provider.MemoryPressureNormal),
			snap(6*time.Second, 51*time.Second, 115*time.Second, provider.MemoryPressureNormal),
		}, []point{{5, 50, 50, 2}, {5, 50, 50, 1}, {5.5, 50, 65, 0}, {6, 51, 65, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := export.Table()
			c := export.NewCollector(&seqSource{snaps: tc.snaps}, time.Second)
			for n, w := range tc.want {
				got := point{none, none, none, none}
				c.Collect(func(i int, v float64) {
					switch key(tab[i]) {
					case "restel.cpu.stall.time":
						got.stall = v
					case "restel.cpu.time{state=busy}":
						got.busy = v
					case "restel.cpu.time{state=idle}":
						got.idle = v
					case "restel.memory.pressure":
						got.pressure = v
					}
				})
				if got != w {
					t.Errorf("collection %d: stall, busy, idle, pressure = %v, want %v (-1: no point)", n, got, w)
				}
			}
		})
	}
}

// TestCollectorConcurrent runs collections concurrently (as two scrapes
// of one registry do) under the race detector: each one's counters are
// at least what any collection that finished before it emitted.
func TestCollectorConcurrent(t *testing.T) {
	var clock atomic.Int64
	src := sourceFunc(func() provider.Snapshot {
		n := time.Duration(clock.Add(1))
		return provider.Snapshot{Counters: provider.Counters{CPUBusy: provider.Some(n * time.Second), CPUTotal: provider.Some(2 * n * time.Second)}}
	})
	c := export.NewCollector(src, time.Second)
	var floor atomic.Int64 // the highest busy value a finished collection emitted
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				before := floor.Load()
				var busy float64
				c.Collect(func(i int, v float64) {
					if key(export.Table()[i]) == "restel.cpu.time{state=busy}" {
						busy = v
					}
				})
				if int64(busy) < before {
					t.Errorf("busy %v after a collection emitted %d", busy, before)
					return
				}
				for {
					f := floor.Load()
					if int64(busy) <= f || floor.CompareAndSwap(f, int64(busy)) {
						break
					}
				}
			}
		})
	}
	wg.Wait()
}

// sourceFunc is a Source calling a function.
type sourceFunc func() provider.Snapshot

func (f sourceFunc) CurrentSnapshot(time.Duration) provider.Snapshot { return f() }

func TestCollectAllocs(t *testing.T) {
	src := &fullSource{source: source{snap: provider.Snapshot{
		CPUPct:   provider.Some(3.0),
		Counters: provider.Counters{CPUBusy: provider.Some(time.Second), CPUTotal: provider.Some(2 * time.Second)},
	}}}
	c := export.NewCollector(src, time.Second)
	n := 0
	if a := testing.AllocsPerRun(100, func() {
		c.Collect(func(int, float64) { n++ })
	}); a != 0 {
		t.Errorf("Collect allocates %v times, want 0", a)
	}
	if n == 0 {
		t.Error("Collect emitted nothing")
	}
}
