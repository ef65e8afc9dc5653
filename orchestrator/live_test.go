package orchestrator

import (
	"testing"

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
	if st := m.Stats(); st.Reads != 2 || !st.Inline {
		t.Fatalf("cache stats %+v: want 2 reads, both inline", st)
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
