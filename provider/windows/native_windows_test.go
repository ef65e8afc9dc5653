//go:build windows

package windows

import (
	"context"
	"testing"
	"time"

	"github.com/restel/restel/provider"
)

// burn spends about d of CPU time on the calling goroutine.
func burn(d time.Duration) {
	x := uint64(1)
	for start := time.Now(); time.Since(start) < d; {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	_ = x
}

// TestRunSnapshotNative checks that the real kernel32 calls fill every run
// counter Windows has.
func TestRunSnapshotNative(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	burn(50 * time.Millisecond)
	s1, err := p.RunSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := s1.Counters
	if !c.CPUBusy.Valid || !c.CPUTotal.Valid || c.CPUTotal.V <= 0 || c.CPUBusy.V > c.CPUTotal.V {
		t.Errorf("CPU counters busy %+v total %+v; want known, 0 < busy <= total", c.CPUBusy, c.CPUTotal)
	}
	if !c.ProcessCPU.Valid || c.ProcessCPU.V <= 0 {
		t.Fatalf("ProcessCPU %+v; want a known, positive time", c.ProcessCPU)
	}
	if !c.RSSHighWaterMB.Valid || !s1.ProcessRSSMB.Valid || c.RSSHighWaterMB.V < s1.ProcessRSSMB.V {
		t.Errorf("peak working set %+v, working set %+v; want the peak known and at least the current", c.RSSHighWaterMB, s1.ProcessRSSMB)
	}
	if c.CPUStall.Valid || c.MemoryStall.Valid || c.IOStall.Valid || c.Throttled.Valid {
		t.Errorf("stall or throttle counters on Windows: %+v", c)
	}

	burn(50 * time.Millisecond)
	s2, err := p.RunSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Counters.ProcessCPU.V <= c.ProcessCPU.V {
		t.Errorf("ProcessCPU did not grow while burning: %v then %v", c.ProcessCPU.V, s2.Counters.ProcessCPU.V)
	}
	if s2.Counters.CPUTotal.V <= c.CPUTotal.V || s2.Counters.CPUBusy.V <= c.CPUBusy.V {
		t.Errorf("CPU counters did not grow while burning: %+v then %+v", c, s2.Counters)
	}
	// Snapshot carries the CPU counters but not the run counters.
	s3, err := p.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !s3.Counters.CPUTotal.Valid || s3.Counters.ProcessCPU.Valid || s3.Counters.RSSHighWaterMB.Valid {
		t.Errorf("Snapshot counters %+v; want CPU counters only", s3.Counters)
	}
	var _ provider.RunReader = p
}
