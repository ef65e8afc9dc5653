package orchestrator

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/linux"
)

// deltaCPU is a provider like the live ones: its first read has no CPU
// use (no delta yet), every later one has.
type deltaCPU struct{ reads atomic.Int64 }

func (d *deltaCPU) Snapshot(context.Context) (provider.Snapshot, error) {
	s := provider.Snapshot{ProcessRSSMB: provider.Some[uint64](5), CapturedAtMS: time.Now().UnixMilli()}
	if d.reads.Add(1) > 1 {
		s.CPUPct = provider.Some(37.5)
	}
	return s, nil
}

// Prewarm keeps its promise: the snapshot a caller accepting the default
// TTL gets right after it is complete, CPU use included. It costs one
// PrewarmSpacing when the first read has no CPU use, nothing more later.
func TestPrewarmGivesCPU(t *testing.T) {
	readPaths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider, _ bool) {
		synctest.Test(t, func(t *testing.T) {
			p := &deltaCPU{}
			m := newMonitor(t, wrap(p))
			start := time.Now()
			m.Prewarm()
			if waited := time.Since(start); waited != PrewarmSpacing {
				t.Fatalf("Prewarm took %v, want %v", waited, PrewarmSpacing)
			}
			if s := m.CurrentSnapshot(DefaultTTL); s.CPUPct != provider.Some(37.5) {
				t.Fatalf("after Prewarm cpu_pct %+v, want the second read's", s.CPUPct)
			}
			start = time.Now()
			assertOneProviderRead(t, p.reads.Load, "a prewarmed monitor's Prewarm", m.Prewarm)
			if waited := time.Since(start); waited != 0 {
				t.Fatalf("a second Prewarm waited %v, want no wait", waited)
			}
		})
	})
}

// A monitor that can never give CPU use, and a closed one, do not wait.
func TestPrewarmDoesNotWaitForNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, m := range []*Monitor{
			newMonitor(t, Unavailable(errors.New("no /proc"))),
			func() *Monitor { m := newMonitor(t, &deltaCPU{}); m.Close(); return m }(),
		} {
			start := time.Now()
			m.Prewarm()
			if d := time.Since(start); d != 0 {
				t.Fatalf("Prewarm waited %v", d)
			}
		}
	})
}

// On the live provider, the snapshot right after Prewarm has cpu_pct.
func TestLivePrewarmGivesCPU(t *testing.T) {
	p, err := linux.New()
	if err != nil {
		t.Skip("no live Linux provider:", err)
	}
	defer p.Close()
	m := newMonitor(t, p)
	m.Prewarm()
	if s := m.CurrentSnapshot(DefaultTTL); !s.CPUPct.Valid {
		t.Fatalf("after Prewarm: %s; want cpu_pct", s.AppendJSON(nil))
	}
}
