package orchestrator

import (
	"context"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/internal/guard"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// Timeline is a provider whose clock the caller steers: a scripted trace
// (provider/fake's Replay implements it). Seek moves the provider's clock
// to offset from the start of the run; End is the run's length.
type Timeline interface {
	provider.SnapshotProvider
	Seek(offset time.Duration)
	End() time.Duration
}

// ReplayOptions configures [Replay].
type ReplayOptions struct {
	// DebugDir is where DebugLocal runs write their raw samples; empty
	// means stream.DefaultDebugDir().
	DebugDir string
}

// ReplayResult is what one replayed run produced.
type ReplayResult struct {
	// Usage is the run's summary; meaningful only when OK.
	Usage aggregate.Usage
	// OK is false for mode Off, which yields no summary.
	OK bool
	// ReadErrors counts provider reads that failed (they count as all-unknown
	// samples).
	ReadErrors int
	// DebugPath is the DebugLocal raw-sample file, if one was written.
	DebugPath string
	// DebugErr is a DebugLocal write failure; it never fails the run.
	DebugErr error
}

// Replay runs one run of tl in mode on tl's clock, without sleeping: the
// start snapshot at 0, mid-run samples at k·I for k >= 1 while k·I < end,
// and the end snapshot at end (docs/contract.md §5). A failing or panicking read counts
// as an all-unknown sample. A timeline with slow signals (thermal,
// battery) has them read at every point too, as if polled there. DebugLocal also writes the raw samples as
// docs/contract.md §3 says.
func Replay(ctx context.Context, tl Timeline, mode aggregate.Mode, opts ReplayOptions) ReplayResult {
	mode = mode.Normalized()
	var res ReplayResult
	if mode.Kind == aggregate.Off {
		return res
	}
	var dlog *stream.DebugLog
	if mode.Kind == aggregate.DebugLocal {
		dir := opts.DebugDir
		var err error
		if dir == "" {
			dir, err = stream.DefaultDebugDir()
		}
		if err == nil {
			dlog, err = stream.OpenDebugLog(dir, 0, 0)
		}
		res.DebugErr = err
	}
	var agg aggregate.Aggregator
	// A Timeline that is also a Clock (fake.Replay) stamps on its own clock;
	// wall time would make a replay's captured_at_ms depend on the day.
	var clk provider.Clock = provider.SystemClock{}
	if c, ok := tl.(provider.Clock); ok {
		clk = c
	}
	for off := range aggregate.Schedule(mode, tl.End()) {
		tl.Seek(off)
		s, err := guard.Snapshot(ctx, tl.Snapshot, clk)
		if err != nil {
			res.ReadErrors++
			s = provider.Unknown(time.UnixMilli(s.CapturedAtMS))
		} else {
			s = guard.MergeSlow(ctx, tl, s)
		}
		agg.Observe(s)
		dlog.Write(s)
	}
	if dlog != nil {
		res.DebugPath = dlog.Path()
		if err := dlog.Close(); err != nil && res.DebugErr == nil {
			res.DebugErr = err
		}
		if res.DebugErr == nil {
			res.DebugErr = dlog.Err()
		}
	}
	res.Usage, res.OK = agg.Usage(mode), true
	return res
}
