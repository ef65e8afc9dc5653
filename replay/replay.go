// Package replay runs a scripted trace (docs/contract.md §5) as one run,
// on the trace's own clock and without sleeping: what `restel replay`
// and the golden tests use. Its cost grows with the number of changes in
// the trace, not with the run's length.
package replay

import (
	"context"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/internal/guard"
	"github.com/restel/restel/internal/slowsig"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// Timeline is a provider whose clock the caller steers: a scripted trace
// (provider/fake's Replay implements it). Seek moves the provider's clock
// to offset from the start of the run; End is the run's length.
//
// NextChange returns the first offset after off at which a read may
// report something else, and false when nothing changes after off: reads
// at any two offsets in [off, next) return the same snapshot but for its
// capture time. It is what lets [Run] cost O(changes), not O(run
// length).
type Timeline interface {
	provider.SnapshotProvider
	Seek(offset time.Duration)
	End() time.Duration
	NextChange(off time.Duration) (next time.Duration, ok bool)
}

// Option configures [Run].
type Option func(*config)

type config struct {
	debugDir string
}

// WithDebugDir sets where DebugLocal runs write their raw samples; empty
// (the default) means stream.DefaultDebugDir().
func WithDebugDir(dir string) Option {
	return func(c *config) { c.debugDir = dir }
}

// Result is what one replayed run produced.
type Result struct {
	// Summary is the run's summary when HasSummary is true. Mode Off
	// yields none, and neither does a replay its context cut short.
	Summary    aggregate.Usage
	HasSummary bool
	// ReadErrors counts the samples whose provider read failed (each still
	// counts as a sample, with what the read returned).
	ReadErrors uint64
	// DebugPath is the DebugLocal raw-sample file, if one was written.
	DebugPath string
	// DebugErr is a DebugLocal write failure or the file reaching its size
	// limit; it never fails the run.
	DebugErr error
}

// Run runs one run of tl in mode on tl's clock, without sleeping: the
// start snapshot at 0, mid-run samples at k·I for k >= 1 while k·I < end,
// and the end snapshot at end (docs/contract.md §5). Between two changes
// of tl nothing differs but the capture time, so each such span of
// samples is read at its first and last offset and aggregated at once
// ([aggregate.Aggregator.ObserveRepeat]): the cost grows with the number
// of changes, not with the run's length, and the sample count is exact.
//
// A failing read counts as a sample with what the provider returned (the
// fields it could read); a panicking one as an all-unknown sample. A
// timeline with slow signals (thermal, battery) has them read at every
// read too, failed or not, as if polled there (a battery charge over 100
// is 100); a timeline that is a
// [provider.RunReader] is read with RunSnapshot at the start and the end.
// DebugLocal also writes the raw samples, one by one, as
// docs/contract.md §3 says, until the file reaches its size limit.
//
// A read's capture time is its offset plus the time the read took (a
// trace's delay=), so a replayed run's duration_ms is its end unless the
// start or end read is delayed.
//
// Run honours ctx: when it ends, Run returns promptly with no summary and
// ctx's error.
func Run(ctx context.Context, tl Timeline, mode aggregate.Mode, opts ...Option) (Result, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	mode = mode.Normalized()
	r := replayer{ctx: ctx, tl: tl, clk: provider.SystemClock{}, slow: slowsig.Of(tl)}
	// A Timeline that is also a Clock (fake.Replay) stamps on its own clock;
	// wall time would make a replay's captured_at_ms depend on the day.
	if c, ok := tl.(provider.Clock); ok {
		r.clk = c
	}
	if mode.Kind == aggregate.Off {
		return r.res, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return r.res, err
	}
	if mode.Kind == aggregate.DebugLocal {
		r.openDebugLog(cfg.debugDir)
	}
	err := r.run(mode, max(tl.End(), 0))
	r.closeDebugLog()
	if err != nil {
		return r.res, err
	}
	r.res.Summary, r.res.HasSummary = r.agg.Usage(mode), true
	return r.res, nil
}

// replayer is one replay in progress.
type replayer struct {
	ctx  context.Context
	tl   Timeline
	clk  provider.Clock
	slow []slowsig.Signal
	agg  aggregate.Aggregator
	dlog *stream.DebugLog
	res  Result
}

func (r *replayer) run(mode aggregate.Mode, end time.Duration) error {
	r.observe(r.read(0, true))
	ticks := tickCount(mode, end) // samples at k·I, 1 <= k <= ticks
	iv := mode.Interval
	for k := uint64(1); k <= ticks; {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		t := time.Duration(k) * iv // k·I < end: no overflow
		s, failed := r.read(t, false)
		last := k // the last tick that reads what t reads
		if !r.logging() {
			last = ticks
			if next, ok := r.tl.NextChange(t); ok && next <= end {
				// next > t >= I, so the ticks before next are those
				// with k·I <= next−1.
				last = min(last, uint64((next-1)/iv))
			}
			last = max(last, k) // whatever a faulty timeline says

		}
		if last > k {
			// Ticks k … last−1 read s (captured I apart); tick last is
			// read for its exact capture time.
			n := last - k
			r.agg.ObserveRepeat(s, n, iv)
			if failed {
				r.res.ReadErrors += n
			}
			s, failed = r.read(time.Duration(last)*iv, false)
		}
		r.observe(s, failed)
		k = last + 1
	}
	if err := r.ctx.Err(); err != nil {
		return err
	}
	r.observe(r.read(end, true))
	return nil
}

// observe folds one sample in and, while the debug log takes them,
// writes it there.
func (r *replayer) observe(s provider.Snapshot, failed bool) {
	r.agg.Observe(s)
	if failed {
		r.res.ReadErrors++
	}
	if r.logging() {
		r.dlog.Write(s)
	}
}

// read reads tl at off, with RunSnapshot for a run's start and end when
// tl has it; failed reports a read error. A panicking read is an
// all-unknown sample; a snapshot without a capture time is stamped with
// the clock.
func (r *replayer) read(off time.Duration, boundary bool) (s provider.Snapshot, failed bool) {
	r.tl.Seek(off)
	read := r.tl.Snapshot
	if rr, ok := r.tl.(provider.RunReader); ok && boundary {
		read = rr.RunSnapshot
	}
	s, err := guard.Snapshot(r.ctx, read, r.clk)
	_ = slowsig.ReadOnce(r.ctx, r.slow, &s, 0) // a steered clock: a read takes no time
	return s, err != nil
}

func (r *replayer) openDebugLog(dir string) {
	r.dlog, r.res.DebugErr = stream.OpenDebugLog(dir, 0, 0)
}

// logging reports whether the debug log still takes samples: once it is
// full (or a write failed) the rest of the run is aggregated by spans.
func (r *replayer) logging() bool { return r.dlog != nil && r.dlog.Err() == nil }

func (r *replayer) closeDebugLog() {
	if r.dlog == nil {
		return
	}
	r.res.DebugPath = r.dlog.Path()
	if err := r.dlog.Close(); err != nil && r.res.DebugErr == nil {
		r.res.DebugErr = err
	}
	if r.res.DebugErr == nil {
		r.res.DebugErr = r.dlog.Err()
	}
}

// tickCount returns the number of mid-run samples of a run of length end in
// mode m: the k >= 1 with k·I < end for Summary and DebugLocal, 0 for the
// other modes or a run of length <= 0. It never overflows.
func tickCount(m aggregate.Mode, end time.Duration) uint64 {
	m = m.Normalized()
	if !m.Sampled() || end <= 0 {
		return 0
	}
	return uint64((end - 1) / m.Interval)
}
