package orchestrator

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

// counters is a provider with the run counters: RunSnapshot adds a CPU
// stall total that grows by 10ms per read.
type counters struct{ fast, full atomic.Int64 }

func (c *counters) Snapshot(context.Context) (provider.Snapshot, error) {
	c.fast.Add(1)
	return provider.Snapshot{CPUPct: provider.Some(50.0)}, nil
}

func (c *counters) RunSnapshot(context.Context) (provider.Snapshot, error) {
	n := c.full.Add(1)
	return provider.Snapshot{CPUPct: provider.Some(50.0), Counters: provider.Counters{
		CPUStall: provider.Some(time.Duration(n) * 10 * time.Millisecond),
	}}, nil
}

// A run's start and end snapshots are RunSnapshot reads; its mid-run
// samples are the shared sampler's Snapshot reads.
func TestRunBoundariesReadTheRunCounters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &counters{}
		m := newMonitor(t, p)
		r := m.BeginRun(t.Context(), aggregate.SummaryEvery(250*time.Millisecond))
		time.Sleep(1100 * time.Millisecond)
		u, ok := r.Finish()
		if !ok || u.SampleCount != 6 {
			t.Fatalf("got %s %v", u.AppendJSON(nil), ok)
		}
		if f, s := p.full.Load(), p.fast.Load(); f != 2 || s != 4 {
			t.Fatalf("%d RunSnapshot and %d Snapshot reads, want 2 (start, end) and 4 (ticks)", f, s)
		}
		if _, ok := m.BeginRun(t.Context(), aggregate.ModeBoundary).Finish(); !ok || p.full.Load() != 4 || p.fast.Load() != 4 {
			t.Fatalf("boundary run: %d RunSnapshot and %d Snapshot reads, want 4 and 4", p.full.Load(), p.fast.Load())
		}
	})
}

// RunSnapshot carries the run counters under the same TTL rules; the hot
// path never reads them.
func TestRunSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &counters{}
		m := newMonitor(t, p)
		if s := m.CurrentSnapshot(time.Hour); s.Counters.CPUStall.Valid || p.full.Load() != 0 {
			t.Fatalf("CurrentSnapshot read the run counters: %+v", s)
		}
		s := m.RunSnapshot(time.Second)
		if s.Counters.CPUStall != provider.Some(10*time.Millisecond) {
			t.Fatalf("RunSnapshot %+v, want the first stall total", s)
		}
		time.Sleep(time.Second)
		if m.RunSnapshot(time.Second); p.full.Load() != 1 {
			t.Fatal("a RunSnapshot within its TTL read again")
		}
		time.Sleep(time.Millisecond)
		if s := m.RunSnapshot(time.Second); s.Counters.CPUStall != provider.Some(20*time.Millisecond) {
			t.Fatalf("past the TTL: %+v, want a fresh read", s)
		}
		if s := m.CurrentSnapshot(time.Hour); s.Counters.CPUStall != provider.Some(20*time.Millisecond) || p.fast.Load() != 1 {
			t.Fatalf("a full read refreshes the hot cache too: %+v (%d fast reads)", s, p.fast.Load())
		}
	})
}
