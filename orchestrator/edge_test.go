package orchestrator

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"weak"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

// gated is a provider whose reads numbered in block wait for release
// (ignoring their context), and whose other reads return at once while
// hang is false; while hang is set they wait for release or their
// context.
type gated struct {
	n       atomic.Int64
	block   map[int64]bool
	release chan struct{}
	hang    atomic.Bool
}

func (g *gated) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	n := g.n.Add(1)
	if g.block[n] {
		<-g.release
	} else if g.hang.Load() {
		select {
		case <-g.release:
		case <-ctx.Done():
			return provider.Unknown(time.Now()), ctx.Err()
		}
	}
	return provider.Snapshot{CPUPct: provider.Some(float64(n))}, nil
}

// A run that joins a sampler while its read is in flight does not get
// that read: it began before the run did.
func TestRunJoiningDuringAReadSkipsThatRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Read 1 is run a's start, read 2 the first tick's (held), read 3
		// run b's start.
		p := &gated{block: map[int64]bool{2: true}, release: make(chan struct{})}
		m := newMonitor(t, p, WithReadTimeout(time.Minute))
		a := m.BeginRun(t.Context(), aggregate.SummaryEvery(time.Second))
		time.Sleep(time.Second)
		synctest.Wait() // the tick's read is held in the provider
		b := m.BeginRun(t.Context(), aggregate.SummaryEvery(time.Second))
		close(p.release)
		synctest.Wait() // the held read is delivered
		ub, ok := b.Finish()
		if !ok || ub.SampleCount != 2 || ub.CPUPeakPct != provider.Some(4.0) {
			t.Fatalf("run b %s: want its start and end only (reads 3 and 4), not the read begun before it", ub.AppendJSON(nil))
		}
		ua, ok := a.Finish()
		if !ok || ua.SampleCount != 3 {
			t.Fatalf("run a %s: want its start, the tick and its end", ua.AppendJSON(nil))
		}
	})
}

// While a sampler's read hangs, its ticks deliver nothing: no run counts
// the last snapshot again as a new sample, no Watch sees it repeated, no
// second read starts, and Stats counts the ticks skipped.
func TestHungTickReadDeliversNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &gated{release: make(chan struct{})}
		m := newMonitor(t, p, WithReadTimeout(100*time.Millisecond))
		r := m.BeginRun(t.Context(), aggregate.SummaryEvery(time.Second))
		w := m.Watch(t.Context(), time.Second)
		p.hang.Store(true)
		time.Sleep(time.Second) // the tick at 1s begins the read that hangs
		synctest.Wait()
		assertNoProviderRead(t, p.n.Load, "the ticks while the sampler's read hangs", func() {
			time.Sleep(4500 * time.Millisecond)
			synctest.Wait()
		})
		if len(w) != 0 {
			t.Fatalf("a Watch got %d samples while every read hung", len(w))
		}
		if st := m.Stats(); st.SkippedTicks != 5 {
			t.Fatalf("stats %+v: want 5 skipped ticks", st)
		}
		p.hang.Store(false)
		close(p.release) // the hung read ends, late: not a sample
		synctest.Wait()
		if u, ok := r.Finish(); !ok || u.SampleCount != 2 {
			t.Fatalf("run %s: want its start and end only, no sample from a hung read", u.AppendJSON(nil))
		}
	})
}

// stuckSensor's thermal reads after the first block, ignoring their
// context, until release is closed; then they report hot.
type stuckSensor struct {
	n       atomic.Int64
	release chan struct{}
}

func (*stuckSensor) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{CPUPct: provider.Some(1.0)}, nil
}

func (s *stuckSensor) Thermal(context.Context) (provider.ThermalState, error) {
	if s.n.Add(1) == 1 {
		return provider.ThermalWarm, nil
	}
	<-s.release
	return provider.ThermalHot, nil
}

// A slow read that outlives its timeout makes the value unknown and is
// counted; no second read starts while it hangs, and its late value is
// taken when it comes.
func TestStuckSensorGoesUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &stuckSensor{release: make(chan struct{})}
		release := sync.OnceFunc(func() { close(p.release) })
		defer release()
		m := newMonitor(t, p)
		m.Prewarm()
		if s := m.CurrentSnapshot(0); s.Thermal != provider.ThermalWarm {
			t.Fatalf("thermal %v, want warm", s.Thermal)
		}
		time.Sleep(2*time.Second + slowTimeout) // the 2s read hangs past its timeout
		synctest.Wait()
		if s := m.CurrentSnapshot(0); s.Thermal != provider.ThermalUnknown {
			t.Fatalf("thermal %v while the sensor hangs past its timeout, want unknown", s.Thermal)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		st := m.Stats()
		if st.SlowTimeouts != 1 || p.n.Load() != 2 {
			t.Fatalf("stats %+v after %d reads: want 1 slow timeout and no read beside the hung one", st, p.n.Load())
		}
		release()
		synctest.Wait()
		if s := m.CurrentSnapshot(0); s.Thermal != provider.ThermalHot {
			t.Fatalf("thermal %v after the late read, want its hot", s.Thermal)
		}
	})
}

// slowCancel is a provider whose reads, once cancelled, take a while to
// return (within the read timeout).
type slowCancel struct{ returned atomic.Bool }

func (s *slowCancel) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	<-ctx.Done()
	time.Sleep(30 * time.Millisecond)
	s.returned.Store(true)
	return provider.Unknown(time.Now()), ctx.Err()
}

// Every Close, the first or a concurrent later one, returns only once
// the reads in flight have been waited for.
func TestConcurrentCloseWaitsForReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &slowCancel{}
		m := New(p, WithReadTimeout(time.Minute))
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Go(func() { m.CurrentSnapshot(0) })
		synctest.Wait() // the read is in flight
		wg.Go(func() { m.Close() })
		synctest.Wait() // the first Close waits for the read
		m.Close()
		if !p.returned.Load() {
			t.Fatal("a second Close returned before the read in flight ended")
		}
	})
}

// Finish and Close unregister the handle's cleanup, so the run's record
// is freed with its handle.
func TestFinishedRunHoldsNoCleanup(t *testing.T) {
	for _, end := range []string{"finish", "close"} {
		t.Run(end, func(t *testing.T) {
			m := newMonitor(t, provider.Func(constant))
			rec := func() weak.Pointer[runRec] {
				r := m.BeginRun(t.Context(), aggregate.SummaryEvery(time.Hour))
				if end == "finish" {
					r.Finish()
				} else {
					r.Close()
					m.Stats() // a round trip: the owner has let go of the run
				}
				return weak.Make(r.rec)
			}()
			runtime.GC()
			if rec.Value() != nil {
				t.Fatal("a finished run's record outlived its handle: its cleanup is still registered")
			}
		})
	}
}

// A monitor on Unavailable reads nothing and starts no goroutine for a
// read: every snapshot is all-unknown, and Stats says why.
func TestUnavailableIsReadInline(t *testing.T) {
	errNative := errors.New("no /proc")
	for _, tc := range []struct {
		name string
		p    provider.SnapshotProvider
		err  error
	}{
		{"unavailable", Unavailable(errNative), errNative},
		{"nil", nil, ErrNoProvider},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMonitor(t, tc.p)
			if s := m.CurrentSnapshot(0); s.CPUPct.Valid || s.CapturedAtMS == 0 {
				t.Fatalf("snapshot %+v, want all-unknown", s)
			}
			if st := m.Stats(); !st.Inline || st.Errors != 1 {
				t.Fatalf("stats %+v: want one failed read, inline", st)
			}
			if _, err := m.p.Snapshot(t.Context()); !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
		})
	}
}

// A dropped handle is discarded at a skipped tick too: a hung provider
// does not keep forgotten runs attached.
func TestDroppedRunIsDetachedWhileReadsHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &gated{release: make(chan struct{})}
		defer close(p.release)
		m := newMonitor(t, p, WithReadTimeout(100*time.Millisecond))
		func() {
			r := m.BeginRun(t.Context(), aggregate.SummaryEvery(250*time.Millisecond))
			p.hang.Store(true)
			time.Sleep(600 * time.Millisecond) // ticks at 250 and 500 ms: the reads hang
			synctest.Wait()
			runtime.KeepAlive(r) // dropped from here on, while reads hang
		}()
		for i := 0; i < 1000 && m.Stats().Samplers != 0; i++ {
			runtime.GC()
			time.Sleep(250 * time.Millisecond)
			synctest.Wait()
		}
		if st := m.Stats(); st.Samplers != 0 || st.SkippedTicks == 0 {
			t.Fatalf("stats %+v: a dropped run kept its sampler while every read hung", st)
		}
	})
}

// A summary whose samples were skipped says how many (samples_skipped):
// every tick that gave the run no sample while it was in flight, and
// nothing for a read still running when the run ends.
func TestSummaryCountsSkippedSamples(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		hang    bool  // every read after the start hangs until release
		block   int64 // this read waits for release, past the run's end
		sleep   time.Duration
		count   uint64 // sample_count, start and end included
		skipped uint64
	}{
		{"every tick read", 100 * time.Millisecond, false, 0, 3500 * time.Millisecond, 5, 0},
		{"every tick read timed out", 100 * time.Millisecond, true, 0, 5500 * time.Millisecond, 2, 5},
		{"a read in flight at the end", time.Minute, false, 4, 3500 * time.Millisecond, 4, 0},
		{"later ticks join a hung read", time.Minute, false, 3, 4500 * time.Millisecond, 3, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &gated{block: map[int64]bool{tc.block: true}, release: make(chan struct{})}
				m := newMonitor(t, p, WithReadTimeout(tc.timeout))
				r := m.BeginRun(t.Context(), aggregate.SummaryEvery(time.Second))
				p.hang.Store(tc.hang)
				time.Sleep(tc.sleep)
				synctest.Wait()
				p.hang.Store(false)
				u, ok := r.Finish()
				close(p.release)
				synctest.Wait()
				if !ok || u.SampleCount != tc.count || u.SamplesSkipped != tc.skipped {
					t.Fatalf("run %s: want sample_count %d, samples_skipped %d", u.AppendJSON(nil), tc.count, tc.skipped)
				}
			})
		})
	}
}
