package orchestrator

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

func constant(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{CPUPct: provider.Some(10.0)}, nil
}

// BeginRun racing Close, 2,000 times: the run's attachment to its
// sampler is the owner goroutine's alone, so -race finds nothing, and
// the run either yields its summary or none.
func TestBeginRunRacingClose(t *testing.T) {
	for range 2000 {
		m := New(provider.Func(constant))
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			r := m.BeginRun(ctx, aggregate.SummaryEvery(time.Second))
			if u, ok := r.Finish(); ok && u.SampleCount < 2 {
				t.Errorf("summary %s", u.AppendJSON(nil))
			}
		})
		wg.Go(func() { m.Close() })
		wg.Wait()
		cancel()
	}
}

// deaf is a provider whose reads from the second on ignore their context
// and block until release is closed.
type deaf struct {
	n       atomic.Int64
	release chan struct{}
}

func (d *deaf) Snapshot(context.Context) (provider.Snapshot, error) {
	if d.n.Add(1) > 1 {
		<-d.release
	}
	return provider.Snapshot{CPUPct: provider.Some(10.0)}, nil
}

func (d *deaf) Thermal(context.Context) (provider.ThermalState, error) {
	<-d.release
	return provider.ThermalWarm, nil
}

// Close returns within the read timeout whatever the provider does: a
// read that ignores its context is abandoned and counted.
func TestCloseDoesNotWaitForADeafProvider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &deaf{release: make(chan struct{})}
		m := New(p, WithReadTimeout(50*time.Millisecond))
		m.CurrentSnapshot(0)
		r := m.BeginRun(t.Context(), aggregate.SummaryEvery(time.Second))
		time.Sleep(1100 * time.Millisecond) // a tick's read hangs too
		start := time.Now()
		m.Close()
		if d := time.Since(start); d > 50*time.Millisecond {
			t.Errorf("Close waited %v for a provider ignoring its context, want at most the 50ms read timeout", d)
		}
		if _, ok := r.Finish(); ok {
			t.Error("a run of a closed monitor yielded a summary")
		}
		if st := m.Stats(); st.Abandoned != 3 {
			t.Errorf("stats %+v: want 3 abandoned reads (the start snapshot, the tick and the thermal read)", st)
		}
		close(p.release) // let the abandoned reads end before the bubble does
	})
}

// A provider that calls runtime.Goexit (t.FailNow in a test fake, say)
// ends its read; the next read proceeds.
func TestGoexitInProviderDoesNotWedgeReads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		p := provider.Func(func(context.Context) (provider.Snapshot, error) {
			if n.Add(1) == 1 {
				runtime.Goexit()
			}
			return provider.Snapshot{CPUPct: provider.Some(5.0)}, nil
		})
		m := newMonitor(t, p)
		if s := m.CurrentSnapshot(0); s.CPUPct.Valid {
			t.Fatalf("the read that called Goexit gave %+v", s)
		}
		if got := cpu(m.CurrentSnapshot(0)); got != 5 {
			t.Fatalf("after a Goexit: cpu %v, want a fresh read's 5", got)
		}
		if st := m.Stats(); st.Errors != 1 {
			t.Fatalf("stats %+v: want the read that called Goexit counted as an error", st)
		}
	})
}

// goexitSensor is a provider whose thermal reads call runtime.Goexit.
type goexitSensor struct{ provider.Func }

func (goexitSensor) Thermal(context.Context) (provider.ThermalState, error) {
	runtime.Goexit()
	return provider.ThermalUnknown, nil
}

func TestGoexitInSlowSignalDoesNotWedgePolling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMonitor(t, goexitSensor{constant})
		m.Prewarm()
		time.Sleep(4100 * time.Millisecond)
		synctest.Wait()
		if st := m.Stats(); st.SlowReads != 3 || st.SlowErrors != 3 {
			t.Fatalf("stats %+v: want 3 thermal reads (0, 2s, 4s), each failed", st)
		}
	})
}

// claimsBounded is a third-party provider that claims to be Bounded but
// takes 300ms.
type claimsBounded struct{}

func (claimsBounded) Snapshot(context.Context) (provider.Snapshot, error) {
	time.Sleep(300 * time.Millisecond)
	return provider.Snapshot{CPUPct: provider.Some(1.0)}, nil
}

func (claimsBounded) Bounded() bool { return true }

// The read timeout holds for every provider restel does not vouch for,
// whatever it claims: a third-party Bounded method is not taken at its
// word.
func TestTimeoutHoldsForAThirdPartyBoundedClaim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := New(claimsBounded{}, WithReadTimeout(50*time.Millisecond))
		defer m.Close()
		start := time.Now()
		m.CurrentSnapshot(0)
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Fatalf("a refresh waited %v, want the 50ms read timeout", d)
		}
		if m.Stats().Inline {
			t.Fatal("a third-party Bounded claim was taken at its word")
		}
		time.Sleep(time.Second) // let the slow read finish in the bubble
	})
}
