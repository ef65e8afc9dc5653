package orchestrator

import (
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/procfs"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider/linux"
)

// On the live Linux provider (procfs and cgroupfs: Bounded) a boundary
// run's two forced reads happen on the caller's goroutine, and the run
// still gets a complete summary.
func TestLiveBoundaryRunReadsInline(t *testing.T) {
	p, err := linux.New()
	if err != nil {
		t.Skip("no live Linux provider:", err)
	}
	defer p.Close()
	if !p.Bounded() {
		t.Skip("the live provider is not Bounded here (/proc or the cgroup is not on a kernel file system)")
	}
	m := newMonitor(t, p)
	u, ok := m.BeginRun(t.Context(), aggregate.ModeBoundary).Finish()
	if !ok || u.SampleCount != 2 || !u.ProcessRSSPeakMB.Valid || !u.AvailableMemMinMB.Valid {
		t.Fatalf("live boundary run: ok %v, %s", ok, u.AppendJSON(nil))
	}
	if st := m.Stats(); !st.Inline {
		t.Fatalf("cache stats %+v: want the live provider read inline", st)
	}
}

// A type that embeds restel's live provider inherits its Bounded method,
// but not the vouching: its reads are handed off and bounded.
func TestWrappedLiveProviderIsNotVouchedFor(t *testing.T) {
	p, err := linux.New()
	if err != nil {
		t.Skip("no live Linux provider:", err)
	}
	defer p.Close()
	wrapped := struct{ *linux.Provider }{p}
	if !wrapped.Bounded() {
		t.Skip("the live provider is not Bounded here")
	}
	if st := newMonitor(t, wrapped).Stats(); st.Inline {
		t.Fatal("a wrapper around the live provider is read inline")
	}
	if st := newMonitor(t, p).Stats(); !st.Inline {
		t.Fatal("the live provider itself is not read inline")
	}
}

// An idle run right after a burn of every CPU reports the idle run, not
// the burn: the start snapshot's own cpu_pct (which covers the burn) never
// counts. The truth is the device's /proc/stat over the same second, read
// by the test itself around the run.
func TestLiveIdleRunAfterBurn(t *testing.T) {
	p, err := linux.New()
	if err != nil {
		t.Skip("no live Linux provider:", err)
	}
	defer p.Close()
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		t.Skip("no /proc:", err)
	}
	stat := func() (busy, total float64) {
		s, err := fs.Stat()
		if err != nil {
			t.Fatal(err)
		}
		c := s.CPUTotal
		total = c.User + c.Nice + c.System + c.Idle + c.Iowait + c.IRQ + c.SoftIRQ + c.Steal
		return total - c.Idle - c.Iowait, total
	}
	m := newMonitor(t, p)
	m.CurrentSnapshot(0) // the provider's CPU baseline, before the burn

	// Burn every CPU for half a second: bounded work, no sleep.
	var wg sync.WaitGroup
	end := time.Now().Add(500 * time.Millisecond)
	for range runtime.NumCPU() {
		wg.Go(func() {
			for x := 0; time.Now().Before(end); x++ {
				_ = x * x
			}
		})
	}
	wg.Wait()

	b0, t0 := stat()
	run := m.BeginRun(t.Context(), aggregate.ModeBoundary)
	time.Sleep(time.Second) // the run itself: this process does nothing
	u, ok := run.Finish()
	b1, t1 := stat()
	if !ok || !u.CPUAvgPct.Valid || !u.CPUPeakPct.Valid {
		t.Fatalf("live idle run: ok %v, %s", ok, u.AppendJSON(nil))
	}
	truth := 100 * (b1 - b0) / (t1 - t0)
	if got := u.CPUAvgPct.V; math.Abs(got-truth) > 10 {
		t.Errorf("cpu_avg_pct %.1f after a burn; /proc/stat says %.1f over the run", got, truth)
	}
	if u.CPUPeakPct.V != u.CPUAvgPct.V {
		t.Errorf("a boundary run has one interval: peak %v, avg %v", u.CPUPeakPct.V, u.CPUAvgPct.V)
	}
}
