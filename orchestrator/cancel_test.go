package orchestrator

import (
	"context"
	"errors"
	"os"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/provider/linux"
)

// A run whose context is cancelled gets no sample after the cancel and
// keeps what it has: finished a second later, its summary holds the start, the
// samples before the cancel and the end, and spans the whole run
// (docs/contract.md §4, failed and cancelled runs).
func TestCancelledRunFinishedLater(t *testing.T) {
	for _, mode := range []aggregate.Mode{aggregate.SummaryEvery(250 * time.Millisecond), aggregate.DebugLocalEvery(250 * time.Millisecond)} {
		t.Run(mode.String(), func(t *testing.T) {
			readPaths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider, _ bool) {
				synctest.Test(t, func(t *testing.T) {
					p := fake.New(trace(t, "@0s cpu=10 rss=100\n@600ms cpu=90 rss=900\n@1h end\n"))
					m := newMonitor(t, wrap(provider.Func(p.Snapshot)), WithDebugDir(privateDir(t)))
					ctx, cancel := context.WithCancel(t.Context())
					r := m.BeginRun(ctx, mode)
					time.Sleep(550 * time.Millisecond) // samples at 250 and 500 ms
					cancel()
					synctest.Wait()
					assertNoProviderRead(t, p.Reads, "a run after its context's cancel", func() {
						time.Sleep(time.Second) // the work goes on; nothing is sampled
					})
					if n := m.Stats().Samplers; n != 0 {
						t.Fatalf("%d samplers a second after the cancel, want 0", n)
					}
					u, ok := r.Finish()
					if !ok || u.SampleCount != 4 || u.DurationMS != provider.Some(uint64(1550)) || u.ProcessRSSPeakMB != provider.Some(uint64(900)) {
						t.Fatalf("ok %v, %s: want start + 2 samples + end over 1550 ms, peak 900 from the end", ok, u.AppendJSON(nil))
					}
					if again, ok2 := r.Finish(); !ok2 || again != u {
						t.Fatal("a second Finish differs")
					}
				})
			})
		})
	}
}

// Close after a cancel discards the run; so does a monitor Close; a
// handle dropped after a cancel is released. None leaves a goroutine or
// a sampler behind.
func TestCancelledRunClosedOrDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=10\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		every := aggregate.SummaryEvery(250 * time.Millisecond)

		ctx, cancel := context.WithCancel(t.Context())
		closed := m.BeginRun(ctx, every)
		func() { // dropped after the cancel
			m.BeginRun(ctx, every)
		}()
		time.Sleep(300 * time.Millisecond)
		cancel()
		synctest.Wait()
		runtime.GC()
		runtime.GC()
		synctest.Wait()
		closed.Close()
		if _, ok := closed.Finish(); ok {
			t.Fatal("a closed run yielded a summary")
		}

		ctx2, cancel2 := context.WithCancel(t.Context())
		defer cancel2()
		late := m.BeginRun(ctx2, every)
		cancel2()
		synctest.Wait()
		m.Close()
		if _, ok := late.Finish(); ok {
			t.Fatal("a run whose monitor closed yielded a summary")
		}
	})
}

// A stage whose call hits its deadline mid-work emits the error and the
// summary together: the samples before the deadline, none after it, and
// the end snapshot when the work returns.
func TestStageTimeoutMidWork(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=10 rss=100\n@300ms rss=300\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		var events []Event
		stage := Stage(m, "generate", aggregate.SummaryEvery(250*time.Millisecond), func(ctx context.Context, _ int) (int, error) {
			time.Sleep(time.Second) // the work outlives its deadline
			return 0, ctx.Err()
		}, func(e Event) { events = append(events, e) })
		ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
		defer cancel()
		if _, err := stage(ctx, 0); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("stage error %v", err)
		}
		if len(events) != 1 {
			t.Fatalf("%d events", len(events))
		}
		ev := events[0]
		u := ev.ResourceSummary
		if !ev.HasSummary || !errors.Is(ev.Err, context.DeadlineExceeded) || u.SampleCount != 3 || u.DurationMS != provider.Some(uint64(1000)) {
			t.Fatalf("event %s: want the deadline error and start + 1 sample + end over 1000 ms", ev.AppendJSON(nil))
		}
		if m.Stats().Samplers != 0 {
			t.Fatal("sampler left running")
		}
	})
}

// The same on the live provider with real goroutines and a real clock: a
// stage whose 400 ms deadline passes while its work goes on still emits
// its summary, of at least the start and end snapshots.
func TestLiveStageTimeoutMidWork(t *testing.T) {
	p, err := linux.New()
	if err != nil {
		t.Skip("no live Linux provider:", err)
	}
	defer p.Close()
	m := newMonitor(t, p)
	var ev Event
	stage := Stage(m, "generate", aggregate.SummaryEvery(250*time.Millisecond), func(ctx context.Context, _ int) (int, error) {
		<-ctx.Done()
		buf := make([]byte, 8<<20) // work that goes on past the deadline
		for i := range buf {
			buf[i] = byte(i)
		}
		runtime.KeepAlive(buf)
		return 0, ctx.Err()
	}, func(e Event) { ev = e })
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	_, _ = stage(ctx, 0)
	u := ev.ResourceSummary
	if !ev.HasSummary || !errors.Is(ev.Err, context.DeadlineExceeded) || u.SampleCount < 2 || !u.ProcessRSSPeakMB.Valid || !u.DurationMS.Valid {
		t.Fatalf("event %s", ev.AppendJSON(nil))
	}
	if m.Stats().Samplers != 0 {
		t.Fatal("sampler left running")
	}
}

// privateDir is a directory DebugLocal runs may write into (0700).
func privateDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}
