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
		// The run counters are read for a run's start and end only
		// (docs/contract.md §2), and only there.
		var r *Run
		assertNoProviderRead(t, p.fast.Load, "a run's start (Snapshot)", func() {
			assertOneProviderRead(t, p.full.Load, "a run's start (RunSnapshot)", func() {
				r = m.BeginRun(t.Context(), aggregate.SummaryEvery(250*time.Millisecond))
			})
		})
		assertNoProviderRead(t, p.full.Load, "a run's mid-run samples (RunSnapshot)", func() {
			time.Sleep(1100 * time.Millisecond)
		})
		var u aggregate.Usage
		var ok bool
		assertNoProviderRead(t, p.fast.Load, "a run's end (Snapshot)", func() {
			assertOneProviderRead(t, p.full.Load, "a run's end (RunSnapshot)", func() { u, ok = r.Finish() })
		})
		if !ok || u.SampleCount != 6 {
			t.Fatalf("got %s %v: want the start, 4 ticks and the end", u.AppendJSON(nil), ok)
		}
		assertNoProviderRead(t, p.fast.Load, "a boundary run (Snapshot)", func() {
			b := m.BeginRun(t.Context(), aggregate.ModeBoundary)
			if _, ok := b.Finish(); !ok {
				t.Fatal("boundary run: no summary")
			}
		})
	})
}

// RunSnapshot carries the run counters under the same TTL rules; the hot
// path never reads them.
func TestRunSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &counters{}
		m := newMonitor(t, p)
		assertNoProviderRead(t, p.full.Load, "CurrentSnapshot (the run counters)", func() {
			if s := m.CurrentSnapshot(time.Hour); s.Counters.CPUStall.Valid {
				t.Fatalf("CurrentSnapshot carries the run counters: %+v", s)
			}
		})
		s := m.RunSnapshot(time.Second)
		if s.Counters.CPUStall != provider.Some(10*time.Millisecond) {
			t.Fatalf("RunSnapshot %+v, want the first stall total", s)
		}
		time.Sleep(time.Second)
		assertNoProviderRead(t, p.full.Load, "a RunSnapshot within its maxAge", func() {
			if s := m.RunSnapshot(time.Second); s.Counters.CPUStall != provider.Some(10*time.Millisecond) {
				t.Fatalf("RunSnapshot within its maxAge %+v, want the cached first stall total", s)
			}
		})
		time.Sleep(time.Millisecond)
		if s := m.RunSnapshot(time.Second); s.Counters.CPUStall != provider.Some(20*time.Millisecond) {
			t.Fatalf("past the TTL: %+v, want a fresh read", s)
		}
		// A full read refreshes the hot cache too: the cached snapshot is
		// that read's, counters and all.
		if s := m.CurrentSnapshot(time.Hour); s.Counters.CPUStall != provider.Some(20*time.Millisecond) {
			t.Fatalf("a full read refreshes the hot cache too: %+v", s)
		}
	})
}
