package replay

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/stream"
)

func traceFiles(t testing.TB) []*fake.Trace {
	t.Helper()
	files, err := filepath.Glob("../testdata/scripts/*.trace")
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	var out []*fake.Trace
	for _, file := range files {
		tr, err := fake.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tr)
	}
	return out
}

func mustReplay(t testing.TB, tl Timeline, mode aggregate.Mode, opts ...Option) Result {
	t.Helper()
	res, err := Run(t.Context(), tl, mode, opts...)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return res
}

// A replay reads the slow signals of a timeline that has them at every
// read: hiding thermal and battery behind the slow-signal capabilities
// changes nothing in the summary.
func TestReplaySlowSignals(t *testing.T) {
	for _, tr := range traceFiles(t) {
		for _, mode := range []aggregate.Mode{aggregate.ModeBoundary, aggregate.SummaryEvery(250 * time.Millisecond)} {
			want := mustReplay(t, fake.NewReplay(tr), mode)
			got := mustReplay(t, fake.NewReplay(tr, fake.WithSlowSignals()), mode)
			if got != want {
				t.Errorf("%s %v: with slow signals\n got %s\nwant %s", tr.Name, mode, got.Summary.AppendJSON(nil), want.Summary.AppendJSON(nil))
			}
		}
	}
}

// oneByOne is the replay as the timing rule states it, one read per
// scheduled sample: the reference the span replay must equal exactly.
func oneByOne(ctx context.Context, tl Timeline, mode aggregate.Mode) (provider.Opt[aggregate.Usage], uint64) {
	if mode.Normalized().Kind == aggregate.Off {
		return provider.Opt[aggregate.Usage]{}, 0
	}
	var a aggregate.Aggregator
	var failed uint64
	for off := range schedule(mode, tl.End()) {
		tl.Seek(off)
		s, err := tl.Snapshot(ctx)
		if err != nil {
			failed++
		}
		a.Observe(s)
	}
	return provider.Some(a.Usage(mode)), failed
}

var replayModes = []aggregate.Mode{
	aggregate.ModeOff, aggregate.ModeBoundary,
	aggregate.SummaryEvery(250 * time.Millisecond), aggregate.SummaryEvery(time.Second),
	aggregate.SummaryEvery(333 * time.Millisecond),
	aggregate.SummaryEvery(250*time.Millisecond + 500*time.Microsecond), // not whole milliseconds
	aggregate.SummaryEvery(1 * time.Hour),
}

// Aggregating spans of identical samples at once gives exactly what
// reading every sample gives.
func TestReplayEqualsOneByOne(t *testing.T) {
	traces := traceFiles(t)
	for _, src := range []string{
		"@0s cpu=10 pcpu=1\n@10s cpu=90 pcpu=80\n@20s error=gone\n@25.1s cpu=5\n@31.0005s end\n",
		"@5s cpu=1\n@5s cpu=2\n@6s end\n", // nothing before the first line; two lines at one offset
		"@0s cpu=50 delay=333ms\n@3s delay=0s\n@4s end\n",
	} {
		tr, err := fake.Parse("inline.trace", strings.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		traces = append(traces, tr)
	}
	for _, tr := range traces {
		for _, mode := range replayModes {
			got := mustReplay(t, fake.NewReplay(tr), mode)
			want, failed := oneByOne(t.Context(), fake.NewReplay(tr), mode)
			if diff := cmp.Diff(want, provider.Opt[aggregate.Usage]{V: got.Summary, Valid: got.HasSummary}); diff != "" || got.ReadErrors != failed {
				t.Errorf("%s %v: span replay vs one by one (-one +span), read errors %d vs %d:\n%s", tr.Name, mode, failed, got.ReadErrors, diff)
			}
		}
	}
}

// Replay costs O(trace lines): a run as long as a Go duration allows, and
// intervals whose next tick would overflow, finish with the exact
// sample_count. The deadline turns a regression into a failure, not a
// hang.
func TestReplayLongRuns(t *testing.T) {
	const h = time.Hour
	for _, tc := range []struct {
		name  string
		trace string
		mode  aggregate.Mode
		count uint64
	}{
		{"2562047h at 250ms", "@0s cpu=10\n@1h cpu=50 pcpu=20\n@2562047h end\n", aggregate.SummaryEvery(250 * time.Millisecond),
			uint64(2562047*h/(250*time.Millisecond)) - 1 + 2},
		{"an error span in a 2562047h run", "@0s cpu=10\n@1h error=gone\n@2h cpu=20\n@2562047h end\n", aggregate.DebugLocalEvery(250 * time.Millisecond),
			uint64(2562047*h/(250*time.Millisecond)) - 1 + 2},
		{"2^62 ns interval", "@0s cpu=1\n@1281024h end\n", aggregate.SummaryEvery(1 << 62), 3},
		{"1000000h interval", "@0s cpu=1\n@2562047h end\n", aggregate.SummaryEvery(1000000 * h), 4},
		{"the largest offset", "@0s cpu=1\n@2562047h47m16.854775807s end\n", aggregate.SummaryEvery(time.Second), math.MaxInt64/uint64(time.Second) + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := fake.Parse("long.trace", strings.NewReader(tc.trace))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			res, err := Run(ctx, fake.NewReplay(tr), tc.mode, WithDebugDir(filepath.Join(t.TempDir(), "debug")))
			if err != nil {
				t.Fatalf("Replay: %v", err)
			}
			if res.Summary.SampleCount != tc.count {
				t.Errorf("sample_count %d, want %d", res.Summary.SampleCount, tc.count)
			}
			if want := uint64(tr.End().Milliseconds()); res.Summary.DurationMS != provider.Some(want) {
				t.Errorf("duration_ms %v, want %d", res.Summary.DurationMS, want)
			}
		})
	}
}

// The hand-computed summary of a run of 36,893,476,801 samples: a 1 h
// span at cpu 10 and the rest at 50, weighted by duration.
func TestReplayLongRunSummary(t *testing.T) {
	tr, err := fake.Parse("long.trace", strings.NewReader("@0s cpu=10\n@1h cpu=50 pcpu=20\n@2562047h end\n"))
	if err != nil {
		t.Fatal(err)
	}
	res := mustReplay(t, fake.NewReplay(tr), aggregate.SummaryEvery(250*time.Millisecond))
	const endMS = 2562047 * 3600 * 1000
	// Intervals ending at 250 ms … 3599.75 s read cpu 10: 3,599,750 ms.
	wantAvg := (10*3599750.0 + 50*(endMS-3599750.0)) / endMS
	wantPCPU := 20 * (endMS - 3600000.0) / (endMS - 3599750.0 + 3599750.0) // pcpu unknown before 1 h
	u := res.Summary
	if math.Abs(u.CPUAvgPct.V-wantAvg) > 1e-9 || u.CPUPeakPct != provider.Some(50.0) {
		t.Errorf("cpu avg %v peak %v, want %v and 50", u.CPUAvgPct, u.CPUPeakPct, wantAvg)
	}
	// pcpu is known only from 1 h on, so its mean over those intervals is 20.
	if u.ProcessCPUPct != provider.Some(20.0) {
		t.Errorf("process_cpu_pct %v, want 20 (not %v)", u.ProcessCPUPct, wantPCPU)
	}
}

// A DebugLocal replay of a very long run writes samples one by one until
// its file is full, then aggregates the rest by spans.
func TestReplayDebugLocalStopsAtItsCap(t *testing.T) {
	tr, err := fake.Parse("long.trace", strings.NewReader("@0s cpu=10\n@2562047h end\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	res, err := Run(ctx, fake.NewReplay(tr), aggregate.DebugLocalEvery(250*time.Millisecond), WithDebugDir(filepath.Join(t.TempDir(), "debug")))
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res.DebugErr, stream.ErrDebugLogFull) {
		t.Errorf("DebugErr = %v, want the size limit", res.DebugErr)
	}
	fi, err := os.Stat(res.DebugPath)
	if err != nil {
		t.Fatalf("debug file: %v", err)
	}
	if fi.Size() > stream.DefaultDebugFileLimit || fi.Size() < stream.DefaultDebugFileLimit/2 {
		t.Errorf("debug file %v (%v): want close to, never above, %d bytes", fi.Size(), err, stream.DefaultDebugFileLimit)
	}
	if want := uint64(2562047*time.Hour/(250*time.Millisecond)) + 1; res.Summary.SampleCount != want {
		t.Errorf("sample_count %d, want %d", res.Summary.SampleCount, want)
	}
}

// cancelAfter is a timeline that cancels its context after n reads and
// claims a change at every nanosecond, so that Replay would read every
// sample of a long run.
type cancelAfter struct {
	*fake.Replay
	n      int
	reads  int
	cancel context.CancelFunc
}

func (c *cancelAfter) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	c.reads++
	if c.reads == c.n {
		c.cancel()
	}
	return c.Replay.Snapshot(ctx)
}

func (c *cancelAfter) NextChange(off time.Duration) (time.Duration, bool) { return off + 1, true }

func TestReplayHonoursItsContext(t *testing.T) {
	tr, err := fake.Parse("long.trace", strings.NewReader("@0s cpu=10\n@2562047h end\n"))
	if err != nil {
		t.Fatal(err)
	}
	mode := aggregate.SummaryEvery(250 * time.Millisecond)
	t.Run("done before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		tl := &cancelAfter{Replay: fake.NewReplay(tr)}
		res, err := Run(ctx, tl, mode)
		if !errors.Is(err, context.Canceled) || res.HasSummary || tl.reads != 0 {
			t.Fatalf("err %v, summary %v, %d reads: want context.Canceled, none, 0", err, res.HasSummary, tl.reads)
		}
	})
	t.Run("done during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		tl := &cancelAfter{Replay: fake.NewReplay(tr), n: 1000, cancel: cancel}
		res, err := Run(ctx, tl, mode)
		if !errors.Is(err, context.Canceled) || res.HasSummary || tl.reads != 1000 {
			t.Fatalf("err %v, summary %v, %d reads: want context.Canceled, none, 1000", err, res.HasSummary, tl.reads)
		}
	})
	t.Run("off ignores it", func(t *testing.T) {
		res, err := Run(t.Context(), fake.NewReplay(tr), aggregate.ModeOff)
		if err != nil || res.HasSummary {
			t.Fatalf("off: %+v %v", res, err)
		}
	})
}

// faulty is a timeline whose reads fail with a partial snapshot, or panic.
type faulty struct {
	*fake.Replay
	panics bool
}

func (f *faulty) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	if f.panics {
		panic("boom")
	}
	s, _ := f.Replay.Snapshot(ctx)
	s.CPUPct = provider.Opt[float64]{}
	return s, errors.New("cpu counters unreadable")
}

// A read that fails keeps what it could read (the provider contract); a
// panicking one is an all-unknown sample. Both count as read errors.
func TestReplayFailingReads(t *testing.T) {
	tr, err := fake.Parse("t.trace", strings.NewReader("@0s cpu=10 rss=100\n@1s cpu=20 rss=300\n@2s end\n"))
	if err != nil {
		t.Fatal(err)
	}
	mode := aggregate.SummaryEvery(250 * time.Millisecond)
	res := mustReplay(t, &faulty{Replay: fake.NewReplay(tr)}, mode)
	if u := res.Summary; res.ReadErrors != 9 || u.SampleCount != 9 || u.ProcessRSSPeakMB != provider.Some[uint64](300) || u.CPUAvgPct.Valid {
		t.Errorf("partial reads: %d errors, %s", res.ReadErrors, u.AppendJSON(nil))
	}
	res = mustReplay(t, &faulty{Replay: fake.NewReplay(tr), panics: true}, mode)
	if u := res.Summary; res.ReadErrors != 9 || u.SampleCount != 9 || u.ProcessRSSPeakMB.Valid || u.DurationMS != provider.Some[uint64](2000) {
		t.Errorf("panicking reads: %d errors, %s", res.ReadErrors, u.AppendJSON(nil))
	}
}

// runReader adds run counters to the start and end reads.
type runReader struct {
	*fake.Replay
	runReads int
}

func (r *runReader) RunSnapshot(ctx context.Context) (provider.Snapshot, error) {
	r.runReads++
	s, err := r.Replay.Snapshot(ctx)
	s.Counters.ProcessCPU = provider.Some(time.Duration(r.runReads) * time.Second)
	s.Counters.CPUTotal = provider.Some(time.Duration(r.runReads) * 4 * time.Second)
	return s, err
}

// A timeline that is a RunReader is read with RunSnapshot at the start and
// the end, and its counters make process_cpu_pct.
func TestReplayRunReader(t *testing.T) {
	tr, err := fake.Parse("t.trace", strings.NewReader("@0s cpu=10 pcpu=90\n@2s end\n"))
	if err != nil {
		t.Fatal(err)
	}
	tl := &runReader{Replay: fake.NewReplay(tr)}
	res := mustReplay(t, tl, aggregate.SummaryEvery(250*time.Millisecond))
	// 100 · (2s − 1s) / (8s − 4s), not the trace's pcpu.
	if tl.runReads != 2 || res.Summary.ProcessCPUPct != provider.Some(25.0) {
		t.Errorf("%d run reads, process_cpu_pct %v: want 2 and 25", tl.runReads, res.Summary.ProcessCPUPct)
	}
}

// FuzzReplay drives the whole replay path (parse, schedule, aggregate) with
// arbitrary traces and modes: it never panics, finishes, counts exactly
// the scheduled samples, writes a summary that parses back, and equals
// the one-by-one replay where that is cheap enough to run.
func FuzzReplay(f *testing.F) {
	for _, tr := range traceFiles(f) {
		f.Add(tr.String(), uint8(2), uint64(250*time.Millisecond))
	}
	f.Add("@0s cpu=1\n@1281024h end\n", uint8(2), uint64(1<<62))
	f.Add("@0s cpu=1\n@2562047h end\n", uint8(3), uint64(250*time.Millisecond))
	f.Add("@1s error=x\n@2s cpu=3 cpu_stall=1s\n@9s cpu_stall=2s\n", uint8(1), uint64(0))
	f.Add("@0s delay=2562047h\n@2562047h end\n", uint8(2), uint64(time.Hour))
	f.Fuzz(func(t *testing.T, src string, kind uint8, interval uint64) {
		tr, err := fake.Parse("fuzz.trace", strings.NewReader(src))
		if err != nil {
			return
		}
		mode := aggregate.Mode{Kind: aggregate.Kind(kind % 5), Interval: time.Duration(interval & math.MaxInt64)}.Normalized()
		if mode.Kind == aggregate.DebugLocal {
			mode.Kind = aggregate.Summary // the debug file is tested elsewhere
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := Run(ctx, fake.NewReplay(tr), mode)
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if mode.Kind == aggregate.Off {
			if res.HasSummary {
				t.Fatal("off yielded a summary")
			}
			return
		}
		u := res.Summary
		if want := tickCount(mode, tr.End()) + 2; u.SampleCount != want || res.ReadErrors > u.SampleCount {
			t.Fatalf("sample_count %d, read errors %d: want %d samples", u.SampleCount, res.ReadErrors, want)
		}
		// The end snapshot is captured at end, the start at 0, each later
		// by its read's delay.
		wantMS := (uint64(tr.End())+uint64(tr.At(tr.End()).Delay))/uint64(time.Millisecond) - uint64(tr.At(0).Delay/time.Millisecond)
		if u.DurationMS != provider.Some(wantMS) {
			t.Fatalf("duration_ms %v for a run of %v, want %d", u.DurationMS, tr.End(), wantMS)
		}
		var back aggregate.Usage
		// (Compared on the wire: an interval finer than a millisecond is
		// not.)
		if err := json.Unmarshal(u.AppendJSON(nil), &back); err != nil || string(back.AppendJSON(nil)) != string(u.AppendJSON(nil)) {
			t.Fatalf("summary does not round-trip: %v\n%s", err, u.AppendJSON(nil))
		}
		if u.SampleCount <= 4096 {
			want, failed := oneByOne(ctx, fake.NewReplay(tr), mode)
			if diff := cmp.Diff(want, provider.Opt[aggregate.Usage]{V: res.Summary, Valid: res.HasSummary}); diff != "" || failed != res.ReadErrors {
				t.Fatalf("span replay vs one by one (-one +span):\n%s", diff)
			}
		}
	})
}

// BenchmarkReplayLong replays a trace of three lines whose run lasts 1 h,
// 1000 h and the longest Go duration, at 250 ms: the cost does not grow
// with the run's length.
func BenchmarkReplayLong(b *testing.B) {
	for _, end := range []string{"1h", "1000h", "2562047h"} {
		b.Run(end, func(b *testing.B) {
			tr, err := fake.Parse("long.trace", strings.NewReader("@0s cpu=10 rss=100\n@30m cpu=50 error=x\n@40m cpu=20\n@"+end+" end\n"))
			if err != nil {
				b.Fatal(err)
			}
			mode := aggregate.SummaryEvery(250 * time.Millisecond)
			want := tickCount(mode, tr.End()) + 2
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if res, err := Run(ctx, fake.NewReplay(tr), mode); err != nil || res.Summary.SampleCount != want {
					b.Fatalf("sample_count %d, want %d (%v)", res.Summary.SampleCount, want, err)
				}
			}
		})
	}
}

// failingTimeline is a one-second timeline whose snapshot reads all fail
// while its slow signals read fine (a battery gauge over 100%).
type failingTimeline struct{}

func (failingTimeline) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Unknown(time.Unix(1, 0)), errors.New("meminfo: EIO")
}
func (failingTimeline) Seek(time.Duration)                             {}
func (failingTimeline) End() time.Duration                             { return time.Second }
func (failingTimeline) NextChange(time.Duration) (time.Duration, bool) { return 0, false }
func (failingTimeline) Thermal(context.Context) (provider.ThermalState, error) {
	return provider.ThermalHot, nil
}
func (failingTimeline) Battery(context.Context) (provider.Opt[uint8], error) {
	return provider.Some[uint8](140), nil
}

// Slow signals are merged into every replayed read, a failed one too,
// with the battery clamped to 100.
func TestReplayMergesSlowSignalsIntoFailedReads(t *testing.T) {
	res, err := Run(t.Context(), failingTimeline{}, aggregate.SummaryEvery(250*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	u := res.Summary
	if u.ThermalPeak != provider.ThermalHot || u.BatteryPctEnd != provider.Some[uint8](100) || res.ReadErrors != u.SampleCount {
		t.Fatalf("summary %s, %d read errors: want thermal hot and battery 100 from the slow signals of failed reads", u.AppendJSON(nil), res.ReadErrors)
	}
}
