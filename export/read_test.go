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
