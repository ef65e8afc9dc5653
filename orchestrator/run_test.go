package orchestrator

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/internal/winacl"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/replay"
)

// A live run on the fake provider's trace, begun at 0 and finished at the
// trace's end, summarizes exactly what replay.Run does (docs/contract.md §5
// timing: start at 0, samples at k·I < end, end snapshot at end).
func TestLiveRunMatchesReplay(t *testing.T) {
	files, err := filepath.Glob("../testdata/scripts/*.trace")
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	modes := []aggregate.Mode{aggregate.ModeBoundary, aggregate.SummaryEvery(250 * time.Millisecond), aggregate.SummaryEvery(time.Second)}
	for _, file := range files {
		tr, err := fake.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		src, _ := os.ReadFile(file)
		for _, mode := range modes {
			t.Run(filepath.Base(file)+"/"+mode.String(), func(t *testing.T) {
				if strings.Contains(string(src), "delay=") {
					t.Skip("delayed reads: a live run answers from the cache after the read timeout; replay waits")
				}
				end := tr.End()
				if end == 0 || tr.At(end) != tr.At(end-time.Nanosecond) {
					t.Skip("the trace changes at its end offset")
				}
				want, err := replay.Run(t.Context(), fake.NewReplay(tr), mode)
				if err != nil {
					t.Fatal(err)
				}
				synctest.Test(t, func(t *testing.T) {
					p := fake.New(tr)
					// Begin a nanosecond into the trace: every capture
					// then falls on the replay's millisecond (the trace
					// reads the same there), and the end, a nanosecond
					// before the run's end tick, does too.
					time.Sleep(time.Nanosecond)
					// Hide the slow capabilities: polled values would lag the trace.
					m := newMonitor(t, provider.Func(p.Snapshot))
					r := m.BeginRun(t.Context(), mode)
					// Finish a nanosecond before the end: a sample due at the end
					// itself would race the end snapshot.
					time.Sleep(end - time.Nanosecond)
					got, ok := r.Finish()
					if !ok || got != want.Summary {
						t.Fatalf("live run\n got %s (%v)\nwant %s", got.AppendJSON(nil), ok, want.Summary.AppendJSON(nil))
					}
					// Sharing one read per tick (docs/contract.md §3): a
					// lone run's every read is one of its samples.
					if n := int64(got.SampleCount); p.Reads() != n {
						t.Fatalf("%d provider reads for %d samples", p.Reads(), n)
					}
				})
			})
		}
	}
}

func TestBoundaryRunStartsNothing(t *testing.T) {
	readPaths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider, inline bool) {
		synctest.Test(t, func(t *testing.T) {
			p := fake.New(trace(t, "@0s cpu=10 rss=100\n@1s cpu=30 rss=300\n@2s end\n"))
			m := newMonitor(t, wrap(provider.Func(p.Snapshot)))
			// A boundary run reads its start and its end, nothing else.
			var r *Run
			assertOneProviderRead(t, p.Reads, "a boundary run's start", func() {
				r = m.BeginRun(t.Context(), aggregate.ModeBoundary)
			})
			if m.Stats().Samplers != 0 {
				t.Fatal("a boundary run started a sampler")
			}
			assertNoProviderRead(t, p.Reads, "a boundary run between its start and end", func() {
				time.Sleep(5 * time.Second)
			})
			var u aggregate.Usage
			var ok bool
			assertOneProviderRead(t, p.Reads, "a boundary run's end", func() { u, ok = r.Finish() })
			if !ok || u.SampleCount != 2 || u.CPUAvgPct != provider.Some(30.0) || u.ProcessRSSPeakMB != provider.Some[uint64](300) || u.Mode != aggregate.ModeBoundary {
				t.Fatalf("got %s", u.AppendJSON(nil))
			}
			if st := m.Stats(); st.Inline != inline {
				t.Fatalf("cache stats %+v: want inline %v", st, inline)
			}
		})
	})
}

func TestOffRun(t *testing.T) {
	p := fake.New(nil)
	m := newMonitor(t, p)
	assertNoProviderRead(t, p.Reads, "an off run", func() {
		if n := testing.AllocsPerRun(100, func() {
			r := m.BeginRun(t.Context(), aggregate.ModeOff)
			if _, ok := r.Finish(); ok {
				t.Fatal("off run yielded a summary")
			}
			r.Close()
		}); n != 0 {
			t.Fatalf("an off run allocates %v times", n)
		}
	})
	var r *Run
	if _, ok := r.Finish(); ok {
		t.Fatal("nil run")
	}
	r.Close()
}

func TestRunFinishIdempotent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=10\n@1s cpu=50\n@3s end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		for _, mode := range []aggregate.Mode{aggregate.ModeBoundary, aggregate.SummaryEvery(500 * time.Millisecond)} {
			r := m.BeginRun(t.Context(), mode)
			time.Sleep(1200 * time.Millisecond)
			u1, ok1 := r.Finish()
			var u2, u3 aggregate.Usage
			var ok2, ok3 bool
			assertNoProviderRead(t, p.Reads, mode.String()+": a second Finish", func() {
				time.Sleep(time.Second)
				u2, ok2 = r.Finish()
				r.Close()
				u3, ok3 = r.Finish()
			})
			if !ok1 || !ok2 || !ok3 || u1 != u2 || u2 != u3 {
				t.Fatalf("%v: Finish/Finish/Close/Finish gave %v %v %v", mode, ok1, ok2, ok3)
			}
			if m.Stats().Samplers != 0 {
				t.Fatalf("%v: sampler left running", mode)
			}
		}
	})
}

func TestRunCloseDiscards(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=10\n@3s end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		r := m.BeginRun(t.Context(), aggregate.SummaryEvery(250*time.Millisecond))
		time.Sleep(1100 * time.Millisecond)
		r.Close()
		r.Close()
		if _, ok := r.Finish(); ok {
			t.Fatal("Finish after Close yielded a summary")
		}
		synctest.Wait()
		assertNoProviderRead(t, p.Reads, "sampling after the last run closed", func() {
			time.Sleep(10 * time.Second)
		})
		if m.Stats().Samplers != 0 {
			t.Fatal("a sampler went on after the last run closed")
		}
	})
}

func TestRunContextCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=10\n@3s end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		ctx, cancel := context.WithCancel(t.Context())
		r := m.BeginRun(ctx, aggregate.SummaryEvery(250*time.Millisecond))
		keep := m.BeginRun(t.Context(), aggregate.SummaryEvery(time.Second))
		time.Sleep(600 * time.Millisecond)
		if m.Stats().Samplers != 2 {
			t.Fatalf("samplers %d, want 2", m.Stats().Samplers)
		}
		cancel()
		// The owner sees the cancel at the run's next tick (750 ms), before
		// reading: the run leaves, and its sampler with it.
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if m.Stats().Samplers != 1 {
			t.Fatalf("after cancel samplers %d, want 1", m.Stats().Samplers)
		}
		// The run keeps its start and its samples at 250 and 500 ms; the
		// end snapshot completes it.
		if u, ok := r.Finish(); !ok || u.SampleCount != 4 {
			t.Fatalf("cancelled run: ok %v, %s; want 4 samples", ok, u.AppendJSON(nil))
		}
		// A run begun on a cancelled context samples nothing between its
		// start and end snapshots.
		if u, ok := m.BeginRun(ctx, aggregate.SummaryEvery(250*time.Millisecond)).Finish(); !ok || u.SampleCount != 2 {
			t.Fatalf("run on a cancelled context: ok %v, %s", ok, u.AppendJSON(nil))
		}
		// A cancel after Finish changes nothing.
		ctx2, cancel2 := context.WithCancel(t.Context())
		r2 := m.BeginRun(ctx2, aggregate.ModeBoundary)
		u, ok := r2.Finish()
		cancel2()
		if u2, ok2 := r2.Finish(); !ok || !ok2 || u != u2 {
			t.Fatal("cancel after Finish changed the result")
		}
		if _, ok := keep.Finish(); !ok {
			t.Fatal("the other run was disturbed")
		}
	})
}

func TestSamplerSharedPerInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=10\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		quarter := aggregate.SummaryEvery(250 * time.Millisecond)
		a := m.BeginRun(t.Context(), quarter) // starts the 250ms sampler at 0
		b := m.BeginRun(t.Context(), quarter)
		c := m.BeginRun(t.Context(), aggregate.SummaryEvery(400*time.Millisecond))
		if got := m.Stats().Samplers; got != 2 {
			t.Fatalf("%d samplers, want one per interval (2)", got)
		}
		time.Sleep(600 * time.Millisecond)
		d := m.BeginRun(t.Context(), quarter) // joins at 600ms: ticks at 750, 1000
		// A run adds no provider read of its own (docs/contract.md §3).
		// Ticks at 250, 500, 750, 1000 (250ms) and 400, 800 (400ms): one
		// read each whatever the number of runs, plus 4 start snapshots.
		// (Intervals whose ticks coincide would share one coalesced read.)
		time.Sleep(500 * time.Millisecond) // to 1100ms
		synctest.Wait()
		if got := p.Reads(); got != 4+4+2 {
			t.Fatalf("%d reads, want 10 (4 starts, 6 ticks)", got)
		}
		ua, _ := a.Finish()
		ud, _ := d.Finish()
		if ua.SampleCount != 6 || ud.SampleCount != 4 {
			t.Fatalf("sample counts %d and %d, want 6 (start, 4 ticks, end) and 4 (start, 2 ticks, end)", ua.SampleCount, ud.SampleCount)
		}
		b.Finish()
		if got := m.Stats().Samplers; got != 1 {
			t.Fatalf("%d samplers after the 250ms runs finished, want 1", got)
		}
		c.Finish()
		if got := m.Stats().Samplers; got != 0 {
			t.Fatalf("%d samplers after every run finished", got)
		}
		assertNoProviderRead(t, p.Reads, "a stopped sampler", func() {
			time.Sleep(time.Minute)
		})
		// The next run starts a fresh sampler, ticking from its own start.
		e := m.BeginRun(t.Context(), quarter)
		time.Sleep(260 * time.Millisecond)
		if ue, _ := e.Finish(); ue.SampleCount != 3 {
			t.Fatalf("restarted sampler: %d samples, want 3", ue.SampleCount)
		}
	})
}

func TestConcurrentRuns(t *testing.T) {
	readPaths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider, inline bool) {
		synctest.Test(t, func(t *testing.T) {
			p := fake.New(trace(t, "@0s cpu=10 rss=100\n@1s cpu=90 rss=900\n@1h end\n"))
			m := newMonitor(t, wrap(provider.Func(p.Snapshot)))
			modes := []aggregate.Mode{aggregate.ModeBoundary, aggregate.SummaryEvery(250 * time.Millisecond), aggregate.SummaryEvery(time.Second), aggregate.ModeOff}
			var wg sync.WaitGroup
			for i := range 1000 {
				wg.Go(func() {
					mode := modes[i%len(modes)]
					time.Sleep(time.Duration(i) * time.Millisecond)
					r := m.BeginRun(t.Context(), mode)
					time.Sleep(time.Duration(i%7) * 300 * time.Millisecond)
					u, ok := r.Finish()
					if ok != (mode.Kind != aggregate.Off) {
						t.Errorf("run %d (%v): ok %v", i, mode, ok)
					}
					if ok && (u.SampleCount < 2 || u.Mode != mode) {
						t.Errorf("run %d: %s", i, u.AppendJSON(nil))
					}
				})
			}
			wg.Wait()
			if m.Stats().Samplers != 0 {
				t.Fatal("samplers left after every run finished")
			}
		})
	})
}

func TestFinishRacingClose(t *testing.T) {
	readPaths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider, inline bool) {
		synctest.Test(t, func(t *testing.T) {
			p := fake.New(trace(t, "@0s cpu=10\n@1h end\n"))
			m := newMonitor(t, wrap(provider.Func(p.Snapshot)))
			var wg sync.WaitGroup
			for i := range 200 {
				mode := aggregate.ModeBoundary
				if i%2 == 0 {
					mode = aggregate.SummaryEvery(250 * time.Millisecond)
				}
				r := m.BeginRun(t.Context(), mode)
				var u1, u2 aggregate.Usage
				var ok1, ok2 bool
				wg.Go(func() { u1, ok1 = r.Finish() })
				wg.Go(func() { r.Close() })
				wg.Go(func() { u2, ok2 = r.Finish() })
				wg.Wait()
				if ok1 != ok2 || u1 != u2 {
					t.Fatalf("racing Finish calls disagree: %v %v", ok1, ok2)
				}
				if u3, ok3 := r.Finish(); ok3 != ok1 || u3 != u1 {
					t.Fatal("a later Finish disagrees")
				}
			}
			if m.Stats().Samplers != 0 {
				t.Fatal("sampler left")
			}
		})
	})
}

func TestFinishRacingMonitorClose(t *testing.T) {
	readPaths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider, inline bool) {
		synctest.Test(t, func(t *testing.T) {
			p := fake.New(trace(t, "@0s cpu=10\n@1h end\n"))
			m := New(wrap(provider.Func(p.Snapshot)), WithHost(&HostState{}))
			runs := make([]*Run, 100)
			for i := range runs {
				runs[i] = m.BeginRun(t.Context(), aggregate.SummaryEvery(250*time.Millisecond))
			}
			time.Sleep(time.Second)
			var wg sync.WaitGroup
			for _, r := range runs {
				wg.Go(func() {
					u, ok := r.Finish()
					if ok && u.SampleCount < 2 {
						t.Errorf("summary %s", u.AppendJSON(nil))
					}
				})
			}
			wg.Go(func() { m.Close() })
			wg.Wait()
			if _, ok := m.BeginRun(t.Context(), aggregate.ModeBoundary).Finish(); ok {
				t.Fatal("run after Close")
			}
		})
	})
}

// 64 runs dropped without Finish or Close hold their sampler until the
// monitor closes; after Close no goroutine remains.
func TestDroppedRunsThenClose(t *testing.T) {
	p := fake.New(trace(t, "@0s cpu=10\n@1h end\n"))
	m := New(provider.Func(p.Snapshot), WithHost(&HostState{}))
	for i := range 64 {
		mode := aggregate.SummaryEvery(time.Duration(250+i%4*250) * time.Millisecond)
		if i%8 == 0 {
			mode = aggregate.ModeBoundary
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		m.BeginRun(ctx, mode)
	}
	w := m.Watch(t.Context(), time.Second)
	if m.Stats().Samplers != 4 {
		t.Fatalf("%d samplers, want 4", m.Stats().Samplers)
	}
	m.Close()
	if _, ok := <-w; ok {
		// a sample may be buffered; drain until closed
		for range w {
		}
	}
	goleak.VerifyNone(t)
}

// A dropped handle is collected and its sampler discards the run at the
// next tick, so forgotten runs do not pin a sampler forever.
func TestDroppedRunIsDetachedAfterGC(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := fake.New(trace(t, "@0s cpu=10\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot))
		func() {
			m.BeginRun(t.Context(), aggregate.SummaryEvery(250*time.Millisecond))
		}()
		for i := 0; i < 1000 && m.Stats().Samplers != 0; i++ {
			runtime.GC()
			time.Sleep(250 * time.Millisecond)
			synctest.Wait()
		}
		if m.Stats().Samplers != 0 {
			t.Fatal("a dropped run kept its sampler")
		}
	})
}

func TestDebugLocalRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "debug")
		p := fake.New(trace(t, "@0s cpu=10\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot), WithDebugDir(dir))
		r := m.BeginRun(t.Context(), aggregate.DebugLocalEvery(250*time.Millisecond))
		time.Sleep(1100 * time.Millisecond)
		u, ok := r.Finish()
		if !ok || u.SampleCount != 6 || u.Mode.Kind != aggregate.DebugLocal {
			t.Fatalf("got %s %v", u.AppendJSON(nil), ok)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "run-*.ndjson"))
		if len(files) != 1 {
			t.Fatalf("debug files %v", files)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(lines) != 6 {
			t.Fatalf("%d raw samples, want 6:\n%s", len(lines), b)
		}
		for _, l := range lines {
			var s provider.Snapshot
			if err := s.UnmarshalJSON([]byte(l)); err != nil || cpu(s) != 10 {
				t.Fatalf("line %q: %v", l, err)
			}
		}
		for path, want := range map[string]os.FileMode{dir: 0o700, files[0]: 0o600} {
			if runtime.GOOS == "windows" { // an owner-only DACL; mode bits mean nothing
				if why, err := winacl.Unsafe(path); why != "" || err != nil {
					t.Errorf("%s: %s (%v), want private to the user", path, why, err)
				}
				continue
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
				t.Fatalf("%s: mode %v, want %v (%v)", path, fi.Mode().Perm(), want, err)
			}
		}
	})
}

func TestDebugLocalUnwritableDirNeverFailsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		notDir := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(notDir, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		var logs strings.Builder
		p := fake.New(trace(t, "@0s cpu=10\n@1h end\n"))
		m := newMonitor(t, provider.Func(p.Snapshot), WithDebugDir(filepath.Join(notDir, "sub")), WithLogger(newTextLogger(&logs)))
		for range 2 {
			r := m.BeginRun(t.Context(), aggregate.DebugLocalEvery(250*time.Millisecond))
			time.Sleep(600 * time.Millisecond)
			if u, ok := r.Finish(); !ok || u.SampleCount != 4 {
				t.Fatalf("got %s %v", u.AppendJSON(nil), ok)
			}
		}
		if strings.Count(logs.String(), "WARN") != 1 {
			t.Fatalf("want one warning, got %q", logs.String())
		}
	})
}
