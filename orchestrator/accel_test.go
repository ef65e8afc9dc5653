package orchestrator

import (
	"context"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

// npuDevice has an NPU whose busy counter grows 0.6 s a second (60 %) and
// a discrete GPU whose memory grows 100 MiB a second from 1000 MiB; it
// counts its accelerator reads. hang makes a read block until its context
// ends.
type npuDevice struct {
	start time.Time
	mu    sync.Mutex
	reads int
	hang  bool
}

func (d *npuDevice) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{CPUPct: provider.Some(5.0), CapturedAtMS: time.Now().UnixMilli()}, nil
}

func (d *npuDevice) Accelerators(ctx context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	d.mu.Lock()
	d.reads++
	hang := d.hang
	d.mu.Unlock()
	if hang {
		<-ctx.Done()
		return dst, ctx.Err()
	}
	el := time.Since(d.start)
	return append(dst,
		provider.Accelerator{Name: "accel0", Driver: "intel_vpu", Kind: provider.AccelNPU, Unified: true,
			BusyTime: provider.Some(el * 6 / 10), BusyPct: provider.Some(60.0)},
		provider.Accelerator{Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU,
			MemUsedMB: provider.Some(1000 + 100*uint64(el/time.Second)), MemTotalMB: provider.Some[uint64](8192),
			BusyPct: provider.Some(20.0), ProcessMemMB: provider.Some[uint64](700)},
	), nil
}

func (d *npuDevice) readCount() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return int64(d.reads)
}

// TestMonitorAccelerators: the monitor's one accelerator read a second
// (the capacity signal's) serves Headroom and every snapshot, a run's
// start and end included, and the run's summary folds them.
func TestMonitorAccelerators(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &npuDevice{start: time.Now()}
		m := New(d)
		defer m.Close()
		m.Prewarm()
		s := m.CurrentSnapshot(0)
		if s.GPUMemTotalMB != provider.Some[uint64](8192) || s.ProcessGPUMemMB != provider.Some[uint64](700) || s.GPUBusyPct != provider.Some(60.0) {
			t.Fatalf("live snapshot: %v %v %v", s.GPUMemTotalMB, s.ProcessGPUMemMB, s.GPUBusyPct)
		}
		if l := s.Accelerators(); len(l) != 2 || l[0].Name != "accel0" || l[1].Name != "card0" {
			t.Fatalf("live list %+v", l)
		}
		if h := m.Headroom(0); h.UsableGPUMemMB != provider.Some[uint64](8192-1000) {
			t.Errorf("headroom device memory %+v", h.UsableGPUMemMB)
		}
		reads := d.readCount()
		// Accelerators are a slow signal, polled on their own cadence:
		// snapshots and Headroom take the polled value.
		assertNoProviderRead(t, d.readCount, "150 snapshots and headrooms in no time (accelerator reads)", func() {
			for range 50 {
				m.CurrentSnapshot(0)
				m.FullSnapshot(0)
				m.Headroom(0)
			}
		})

		run := m.BeginRun(t.Context(), aggregate.SummaryEvery(500*time.Millisecond))
		for range 4 {
			time.Sleep(time.Second)
			synctest.Wait()
		}
		u, ok := run.Finish()
		if !ok {
			t.Fatal("no summary")
		}
		if !u.GPUBusyAvgPct.Valid || math.Abs(u.GPUBusyAvgPct.V-60) > 1e-6 || u.GPUBusyPeakPct != u.GPUBusyAvgPct {
			t.Errorf("busy avg %+v peak %+v, want 60 %% from the counter", u.GPUBusyAvgPct, u.GPUBusyPeakPct)
		}
		if u.GPUMemPeakMB != provider.Some[uint64](1400) || u.ProcessGPUMemPeakMB != provider.Some[uint64](700) {
			t.Errorf("memory peaks %+v %+v, want 1400 and 700", u.GPUMemPeakMB, u.ProcessGPUMemPeakMB)
		}
		// About one read a second, whatever read the snapshots.
		if got := d.readCount() - reads; got < 3 || got > 5 {
			t.Errorf("%d accelerator reads in 4 s, want one a second", got)
		}
	})
}

// TestMonitorAcceleratorsHung: a driver that never answers makes the
// accelerator fields unknown after the read timeout and delays no
// snapshot.
func TestMonitorAcceleratorsHung(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := &npuDevice{start: time.Now()}
		m := New(d, WithReadTimeout(200*time.Millisecond))
		defer m.Close()
		m.Prewarm()
		if s := m.CurrentSnapshot(0); !s.GPUMemUsedMB.Valid {
			t.Fatal("no device memory before the hang")
		}
		d.mu.Lock()
		d.hang = true
		d.mu.Unlock()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		t0 := time.Now()
		s := m.CurrentSnapshot(0)
		if time.Since(t0) != 0 {
			t.Errorf("a snapshot waited %v on the hung driver", time.Since(t0))
		}
		if s.GPUMemUsedMB.Valid || s.GPUBusyPct.Valid || s.ProcessGPUMemMB.Valid || len(s.Accelerators()) != 0 || !s.CPUPct.Valid {
			t.Errorf("after the hang: gpu %v %v %v, %d devices, cpu %v", s.GPUMemUsedMB, s.GPUBusyPct, s.ProcessGPUMemMB, len(s.Accelerators()), s.CPUPct)
		}
	})
}
