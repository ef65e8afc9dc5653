package orchestrator

import (
	"context"
	"sync"
	"time"
	"weak"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// Run is one run's handle, from [Monitor.BeginRun]. [Run.Finish] yields
// its summary; [Run.Close] discards it. Both are idempotent and safe from
// any goroutine, racing each other. A sampled Run that is dropped without
// either is discarded at its sampler's first tick after the garbage
// collector finds the handle unreachable (one whose context had already
// ended, at the next sample any sampler delivers), and at the latest by
// [Monitor.Close].
type Run struct {
	m   *Monitor
	rec *runRec // nil for a run that samples nothing

	// mu serializes Finish and Close, which may race each other from any
	// goroutine (docs/contract.md §1); it guards state. A finished run's
	// summary is not kept: a second Finish folds it again from rec, which
	// no one else touches once the run has finished.
	mu    sync.Mutex
	state uint8
}

// boundaryRun is a boundary run's handle and record in one allocation.
// A sampled run's record is allocated on its own: the owner holds it, and
// must not keep the handle reachable (see runRec).
type boundaryRun struct {
	Run
	rec runRec
}

// offRun is the handle of every run that samples nothing (mode Off, a
// closed monitor): shared and free.
var offRun = &Run{state: runDiscarded}

const (
	runActive uint8 = iota
	runFinished
	runDiscarded
)

// runRec is a run's aggregation, or a Watch's channel (sub). A boundary
// run's stays with its handle; a sampled run's, and a Watch's, belongs to
// the owner goroutine from the attach request until the owner hands it
// back (the detach reply) or discards it. It never points back at the
// handle, so a dropped handle can be collected.
type runRec struct {
	mode   aggregate.Mode // a Watch's: Summary at its interval
	ctx    context.Context
	agg    aggregate.Aggregator
	dlog   *stream.DebugWriter
	sub    *subscription     // a Watch's channel; nil for a run
	reply  chan bool         // the owner's answer to detach: still attached
	handle weak.Pointer[Run] // a run's handle; the owner finds it collected

	// The owner goroutine's alone.
	idx   int32  // in smp.users
	tick0 uint32 // its sampler's ticks when it joined, mod 2³² (see owner.skipped)
	smp   *sampler
	from  uint64 // the first sample read it takes (see owner.seq)
}

// BeginRun starts a run in mode, normalized (the interval clamped). It
// takes the mode it is given: a program that lets
// RESTEL_RESOURCE_TELEMETRY choose passes [Monitor.ModeFromEnv]'s result.
//
// Off samples nothing: no snapshot, no goroutine, no allocation, and
// Finish reports false. Every other mode takes its start snapshot with a
// forced read, with the run counters when the provider has them
// ([provider.RunReader]): a read started now, or one of the same kind
// already in flight, which it joins (so the snapshot may be a few
// milliseconds older than the call). It is bounded like any read: past
// the read timeout the run starts from the last run snapshot (or the
// all-unknown one). Boundary does nothing else until Finish. Summary and
// DebugLocal hand the run to the sampler of their interval, shared by
// every run and Watch in flight at that interval and started by the
// first of them: a run gets the samples of the sampler's reads begun
// after it joined, at k·interval from the sampler's start (the run's own
// start when it is the first), so a run joining a running sampler may see
// its first sample sooner than one interval after it began. A tick whose
// read times out gives no sample (see [Stats].SkippedTicks); the summary
// counts the ticks that gave the run no sample in SamplesSkipped.
// DebugLocal also writes the raw samples to a private local file (a
// failure to do so never fails the run), on a goroutine of the run's own:
// BeginRun waits at most the read timeout for the file to open, and a
// filesystem whose writes block costs dropped samples, never a wait (see
// [Stats].DebugDropped).
//
// Cancelling ctx stops the run's sampling — it gets no sample of a tick
// after the cancel, and leaves its sampler at the next tick — but keeps
// what it has: Finish still takes the end snapshot and returns
// the summary of the start, the samples delivered before the cancel and
// the end. A run begun on a context already done samples nothing between
// its start and end snapshots. Runs begun after [Monitor.Close] sample
// nothing.
func (m *Monitor) BeginRun(ctx context.Context, mode aggregate.Mode) *Run {
	mode = mode.Normalized()
	if m == nil || mode.Kind == aggregate.Off || m.state.Load() == closed {
		return offRun
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if !mode.Sampled() {
		// The owner never sees a boundary run: its record can share the
		// handle's allocation.
		b := &boundaryRun{rec: runRec{mode: mode, ctx: ctx}}
		b.Run = Run{m: m, rec: &b.rec}
		b.rec.agg.Observe(m.RunSnapshot(0))
		return &b.Run
	}
	rec := &runRec{mode: mode, ctx: ctx}
	start := m.RunSnapshot(0)
	rec.agg.Observe(start)
	r := &Run{m: m, rec: rec}
	if ctx.Err() != nil {
		return r // the owner never sees it
	}
	if mode.Kind == aggregate.DebugLocal {
		rec.dlog = m.openDebugLog()
		rec.dlog.Write(start)
	}
	rec.reply = make(chan bool, 1)
	rec.handle = weak.Make(r)                                   // weak: a dropped handle is collected, and the owner sees it
	if !m.start() || !m.send(request{op: opAttach, run: rec}) { // closed meanwhile
		m.closeDebugLog(rec.dlog)
		return offRun
	}
	return r
}

// Finish ends the run and returns its summary: the start snapshot, every
// sample delivered meanwhile, and a forced-fresh end snapshot with the
// run counters when the provider has them (bounded like any read), also
// for a run whose context was cancelled (see [Monitor.BeginRun]). It
// reports false for mode Off, a discarded run, and a run whose monitor
// closed. A second Finish returns the same result without reading
// anything.
func (r *Run) Finish() (aggregate.Usage, bool) {
	if r == nil || r.rec == nil {
		return aggregate.Usage{}, false // inlined: an Off run costs no call
	}
	return r.finish()
}

func (r *Run) finish() (aggregate.Usage, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch r.state {
	case runFinished:
		return r.rec.agg.Usage(r.rec.mode), true
	case runDiscarded:
		return aggregate.Usage{}, false
	}
	rec, m := r.rec, r.m
	r.state = runDiscarded
	if rec.reply != nil { // the owner has it
		if !m.send(request{op: opDetach, run: rec}) || !<-rec.reply {
			return aggregate.Usage{}, false // the owner discarded it
		}
	}
	if m.state.Load() == closed {
		m.closeDebugLog(rec.dlog)
		return aggregate.Usage{}, false
	}
	end := m.RunSnapshot(0)
	rec.agg.Observe(end)
	rec.dlog.Write(end)
	m.closeDebugLog(rec.dlog)
	r.state = runFinished
	return rec.agg.Usage(rec.mode), true
}

// DebugPath returns the file where a DebugLocal run writes its raw
// samples, or "" for any other mode, for a run whose file could not be
// opened (the monitor warned why), and while the file's opening is still
// blocked in the filesystem.
func (r *Run) DebugPath() string {
	if r == nil || r.rec == nil {
		return ""
	}
	return r.rec.dlog.Path() // dlog is set before the run was shared
}

// Close discards the run: sampling stops and no summary is produced. It
// does nothing after Finish; it is idempotent and safe from any goroutine.
func (r *Run) Close() {
	if r == nil || r.rec == nil {
		return
	}
	r.discard()
}

func (r *Run) discard() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != runActive {
		return
	}
	r.state = runDiscarded
	if r.rec.reply != nil {
		r.m.send(request{op: opDiscard, run: r.rec}) // a closed monitor has discarded it
	}
}

// Watch returns a channel of live snapshots, one per interval (clamped to
// [aggregate.MinInterval]; <= 0 means [aggregate.DefaultInterval]) from the
// sampler shared with runs of that interval. A slow reader loses the
// oldest buffered samples, never blocking the sampler. The channel is
// closed at the sampler's first tick after ctx is done, or when the
// monitor closes (at once if either already happened).
func (m *Monitor) Watch(ctx context.Context, interval time.Duration) <-chan provider.Snapshot {
	if ctx == nil {
		ctx = context.Background()
	}
	if interval <= 0 {
		interval = aggregate.DefaultInterval
	}
	sub := newSubscription(watchBuffer)
	w := &runRec{mode: aggregate.SummaryEvery(interval).Normalized(), ctx: ctx, sub: sub}
	if m == nil || ctx.Err() != nil || !m.start() || !m.send(request{op: opAttach, run: w}) {
		sub.close()
	}
	return sub.ch
}
