//go:build darwin

package darwin

import (
	"context"
	"syscall"
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

// selfCPU is the calling process's user+system time from getrusage(2),
// the reference the Mach-time conversion must agree with.
func selfCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestRunSnapshotNative checks that the real system calls fill every run
// counter Apple systems have, in the right unit.
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
	ref := selfCPU(t)
	c := s1.Counters
	if !c.CPUBusy.Valid || !c.CPUTotal.Valid || c.CPUTotal.V <= 0 || c.CPUBusy.V > c.CPUTotal.V {
		t.Errorf("CPU counters busy %+v total %+v; want known, 0 < busy <= total", c.CPUBusy, c.CPUTotal)
	}
	if !c.ProcessCPU.Valid || c.ProcessCPU.V <= 0 {
		t.Fatalf("ProcessCPU %+v; want a known, positive time", c.ProcessCPU)
	}
	// Mach time left unconverted would be 24 times too small on Apple
	// silicon; the two sources differ only by rounding and the time between
	// the two calls.
	if c.ProcessCPU.V < ref/2 || c.ProcessCPU.V > ref*2 {
		t.Errorf("ProcessCPU %v, getrusage says %v: a unit is wrong", c.ProcessCPU.V, ref)
	}
	if !c.RSSHighWaterMB.Valid || c.RSSHighWaterMB.V == 0 {
		t.Errorf("RSSHighWaterMB %+v; want a known, positive size", c.RSSHighWaterMB)
	}
	if c.CPUStall.Valid || c.MemoryStall.Valid || c.IOStall.Valid || c.Throttled.Valid {
		t.Errorf("stall or throttle counters on an Apple system: %+v", c)
	}

	burn(50 * time.Millisecond)
	s2, err := p.RunSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Counters.ProcessCPU.V <= c.ProcessCPU.V {
		t.Errorf("ProcessCPU did not grow while burning: %v then %v", c.ProcessCPU.V, s2.Counters.ProcessCPU.V)
	}
	// host_statistics may answer a third-party process's frequent calls
	// with its previous counters, so the device counters only never
	// decrease.
	if s2.Counters.CPUTotal.V < c.CPUTotal.V || s2.Counters.CPUBusy.V < c.CPUBusy.V {
		t.Errorf("CPU counters went backwards: %+v then %+v", c, s2.Counters)
	}
	if s2.Counters.RSSHighWaterMB.V < c.RSSHighWaterMB.V {
		t.Errorf("the lifetime footprint peak went down: %d then %d MiB", c.RSSHighWaterMB.V, s2.Counters.RSSHighWaterMB.V)
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
