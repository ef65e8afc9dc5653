package orchestrator

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func TestWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=10\n@600ms cpu=20\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		t0 := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		w := m.Watch(ctx, 250*time.Millisecond)
		r := m.BeginRun(t.Context(), aggregate.SummaryEvery(250*time.Millisecond))
		if m.Stats().Samplers != 1 {
			t.Fatal("Watch and a run at the same interval should share one sampler")
		}
		for i, want := range []float64{10, 10, 20} {
			s := <-w
			if d := time.Since(t0); d != time.Duration(i+1)*250*time.Millisecond || cpu(s) != want {
				t.Fatalf("sample %d at %v cpu %v", i, d, cpu(s))
			}
		}
		cancel()
		synctest.Wait()
		if _, ok := <-w; ok {
			t.Fatal("Watch channel open after its context ended")
		}
		if m.Stats().Samplers != 1 {
			t.Fatal("the run's sampler stopped with the watcher")
		}
		r.Finish()
		if m.Stats().Samplers != 0 {
			t.Fatal("sampler outlived its last user")
		}
	})
}

func TestWatchSlowReaderLosesOldest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=0\n@10s cpu=100\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		t0 := time.Now()
		w := m.Watch(t.Context(), 10*time.Millisecond) // clamped to 250ms
		time.Sleep(20 * time.Second)                   // 80 ticks, nobody reading
		synctest.Wait()
		first := <-w
		// The buffer kept the newest 16 samples: ticks at 16.25s ... 20s.
		if got := first.CapturedAt().Sub(t0); got != 16250*time.Millisecond {
			t.Fatalf("oldest kept sample captured at %v, want 16.25s", got)
		}
		n := 1
		for len(w) > 0 {
			<-w
			n++
		}
		if n != watchBuffer {
			t.Fatalf("%d buffered samples, want %d", n, watchBuffer)
		}
		// The sampler ticks on regardless of the reader: all 80 ticks
		// were delivered, the 16 newest kept and the rest dropped.
		if got := m.Stats().WatchDropped; got != 80-watchBuffer {
			t.Fatalf("WatchDropped %d, want %d", got, 80-watchBuffer)
		}
		m.Close() // an ended watch's drops still count
		if got := m.Stats().WatchDropped; got != 80-watchBuffer {
			t.Fatalf("after Close WatchDropped %d, want %d", got, 80-watchBuffer)
		}
	})
}

func TestWatchClosedByMonitorClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := New(provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil }), WithHost(&HostState{}))
		w1 := m.Watch(t.Context(), time.Second)
		w2 := m.Watch(t.Context(), 0)
		w3 := m.Watch(t.Context(), -time.Second)
		if m.Stats().Samplers != 1 {
			t.Fatalf("%d samplers: 0 and negative intervals mean the 1s default", m.Stats().Samplers)
		}
		m.Close()
		for _, w := range []<-chan provider.Snapshot{w1, w2, w3} {
			for range w {
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		m2 := newMonitor(t, nil)
		if _, ok := <-m2.Watch(ctx, time.Second); ok {
			t.Fatal("Watch on a done context delivered")
		}
		if m2.Stats().Samplers != 0 {
			t.Fatal("Watch on a done context started a sampler")
		}
	})
}

// foreignCtx is a context the context package does not know: AfterFunc
// on it starts a goroutine that waits for Done until stopped.
type foreignCtx struct{ done chan struct{} }

func (foreignCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c foreignCtx) Done() <-chan struct{}     { return c.done }
func (c foreignCtx) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}
func (foreignCtx) Value(any) any { return nil }

// Close lets go of every Watch and run context: nothing it registered
// outlives it, even on a context that never ends, and a run in flight
// (never finished) is discarded by Close itself.
func TestCloseReleasesContexts(t *testing.T) {
	m := New(provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil }), WithHost(&HostState{}))
	ctx := foreignCtx{make(chan struct{})}
	w := m.Watch(ctx, time.Hour)
	r := m.BeginRun(ctx, aggregate.SummaryEvery(time.Hour))
	m.Close()
	for range w {
	}
	goleak.VerifyNone(t)
	if _, ok := r.Finish(); ok {
		t.Fatal("a run in flight at Close yielded a summary")
	}
}

// A Watch over a trace, tick by tick at k·I: the slow span (delay=400ms,
// past the 100ms read timeout) yields nothing (its ticks are skipped, not
// filled with the last snapshot), the error span the all-unknown one.
func TestWatchOnTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, `
@0s     cpu=10
@300ms  cpu=20
@600ms  cpu=30 delay=400ms
@1s     cpu=40 delay=0s
@1.2s   error=meminfo: EIO
@1.4s   cpu=50
@2s     end
`))
		m := newMonitor(t, provider.Func(p.Snapshot))
		ctx, cancel := context.WithCancel(t.Context())
		t0 := time.Now()
		w := m.Watch(ctx, 250*time.Millisecond)
		var got []string
		done := make(chan struct{})
		go func() {
			defer close(done)
			for s := range w {
				c := "-"
				if s.CPUPct.Valid {
					c = fmt.Sprint(s.CPUPct.V)
				}
				got = append(got, time.Since(t0).String()+"="+c)
			}
		}()
		time.Sleep(1900 * time.Millisecond)
		synctest.Wait()
		cancel()
		<-done
		want := []string{
			"250ms=10", "500ms=20",
			// Tick 750 reads into the delay=400ms span: the sampler gives
			// up after the 100ms timeout and delivers nothing. Tick 1000
			// joins that read (it runs to 1150ms), already past its
			// deadline: nothing either.
			"1.25s=-", // the error span: all-unknown
			"1.5s=50", "1.75s=50",
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("samples\n got %v\nwant %v", got, want)
		}
		if st := m.Stats(); st.Reads != 6 || st.Errors != 1 || st.Timeouts != 2 || st.SkippedTicks != 2 {
			t.Fatalf("stats %+v, want 6 reads (one late), 1 error, 2 timeouts, 2 skipped ticks", st)
		}
	})
}
