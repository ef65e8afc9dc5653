package orchestrator

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// Run is one run's handle, from [Monitor.BeginRun]. [Run.Finish] yields
// its summary; [Run.Close] discards it. Both are idempotent and safe from
// any goroutine, racing each other. A sampled Run that is dropped without
// either is discarded by its sampler at the first tick after the garbage
// collector finds the handle unreachable (and at the latest by
// [Monitor.Close]).
type Run struct {
	st *runState // nil for a run that samples nothing
}

// offRun is the handle of every run that samples nothing (mode Off, a
// closed monitor, a cancelled context): shared, immutable, free.
var offRun = &Run{}

// runState is a run's state, shared by the handle, the sampler (as a
// sink) and the context's AfterFunc. It never points back at the handle,
// so a dropped handle can be collected and its cleanup detach the run.
type runState struct {
	m    *Monitor
	ctx  context.Context
	mode aggregate.Mode

	life  sync.Mutex // serializes Finish and Close
	state uint8      // under life
	usage aggregate.Usage
	ok    bool

	aggMu  sync.Mutex // guards agg, dlog, sealed: held briefly by the sampler
	agg    aggregate.Aggregator
	dlog   *stream.DebugLog
	sealed bool

	smp     *sampler
	sub     *stream.Subscription
	stopCtx func() bool // unregisters the AfterFunc
	dropped atomic.Bool // the handle was collected without Finish or Close
}

const (
	runActive uint8 = iota
	runFinished
	runDiscarded
)

// BeginRun starts a run in mode, used exactly as given (normalized): to
// honour RESTEL_RESOURCE_TELEMETRY, pass m.Mode(configured).
//
// Off samples nothing: no snapshot, no goroutine, no allocation, and
// Finish reports false. Every other mode takes a forced-fresh start
// snapshot now (bounded by the read timeout). Boundary does nothing else
// until Finish. Summary and DebugLocal attach the run to the sampler of
// their interval, shared by every run in flight at that interval and
// started by the first of them: a run gets the samples of the sampler's
// ticks, at k·interval from the sampler's start (the run's own start when
// it is the first), so a run joining a running sampler may see its first
// sample sooner than one interval after it began. DebugLocal also writes
// the raw samples to a private local file (a failure to do so never fails
// the run).
//
// mode is the configured mode: a valid RESTEL_RESOURCE_TELEMETRY value
// (read through the monitor's getenv, see [WithGetenv]) takes precedence
// over it, as [Monitor.Mode] says; an invalid one logs a warning and mode
// stands.
//
// Cancelling ctx discards the run and detaches it from its sampler at
// once. Runs begun after [Monitor.Close] sample nothing.
func (m *Monitor) BeginRun(ctx context.Context, mode aggregate.Mode) *Run {
	mode = m.Mode(mode).Normalized() // RESTEL_RESOURCE_TELEMETRY takes precedence (docs/contract.md §3)
	if m == nil || mode.Kind == aggregate.Off || m.closed.Load() {
		return offRun
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Err() != nil {
		return offRun
	}
	st := &runState{m: m, ctx: ctx, mode: mode}
	start := m.CurrentSnapshot(0)
	st.agg.Observe(start)
	r := &Run{st: st}
	if !mode.Sampled() {
		return r
	}
	if mode.Kind == aggregate.DebugLocal {
		st.dlog = m.openDebugLog()
		st.dlog.Write(start)
	}
	st.smp, st.sub = m.attach(mode.Interval, (*runSink)(st))
	if st.smp == nil { // the monitor closed meanwhile
		st.discard()
		return offRun
	}
	if ctx.Done() != nil {
		st.stopCtx = context.AfterFunc(ctx, st.discard)
	}
	// The cleanup only raises a flag: it runs on the runtime's cleanup
	// goroutine, and the sampler's own goroutine does the detaching.
	runtime.AddCleanup(r, func(st *runState) { st.dropped.Store(true) }, st)
	return r
}

// runSink is the run as the sampler's sink.
type runSink runState

// Observe folds one sample in, unless the run is over. It holds the run's
// lock for a few dozen nanoseconds (plus a local file append in
// DebugLocal).
func (s *runSink) Observe(snap provider.Snapshot) {
	if s.dropped.Load() {
		(*runState)(s).discard()
		return
	}
	s.aggMu.Lock()
	if !s.sealed {
		s.agg.Observe(snap)
		s.dlog.Write(snap)
	}
	s.aggMu.Unlock()
}

// Finish ends the run and returns its summary: the start snapshot, every
// sample delivered meanwhile, and a forced-fresh end snapshot (bounded by
// the read timeout). It reports false for mode Off, a run whose context
// was cancelled, a discarded run, and a run whose monitor closed. A second
// Finish returns the same result without reading anything.
func (r *Run) Finish() (aggregate.Usage, bool) {
	if r == nil || r.st == nil {
		return aggregate.Usage{}, false
	}
	return r.st.finish()
}

// Close discards the run: sampling stops and no summary is produced. It
// does nothing after Finish; it is idempotent and safe from any goroutine.
func (r *Run) Close() {
	if r == nil || r.st == nil {
		return
	}
	r.st.discard()
}

func (st *runState) finish() (aggregate.Usage, bool) {
	st.life.Lock()
	defer st.life.Unlock()
	if st.state != runActive {
		return st.usage, st.ok
	}
	if st.ctx.Err() != nil || st.m.closed.Load() {
		st.end(runDiscarded)
		return aggregate.Usage{}, false
	}
	st.release()
	end := st.m.CurrentSnapshot(0)
	st.aggMu.Lock()
	st.agg.Observe(end)
	st.dlog.Write(end)
	st.sealed = true
	st.usage, st.ok = st.agg.Usage(st.mode), true
	_ = st.dlog.Close()
	st.aggMu.Unlock()
	st.state = runFinished
	return st.usage, st.ok
}

// discard ends an active run without a summary.
func (st *runState) discard() {
	st.life.Lock()
	defer st.life.Unlock()
	if st.state == runActive {
		st.end(runDiscarded)
	}
}

// end releases the run and seals it in state; life is held.
func (st *runState) end(state uint8) {
	st.release()
	st.aggMu.Lock()
	st.sealed = true
	_ = st.dlog.Close()
	st.aggMu.Unlock()
	st.state = state
}

// release detaches the run from its sampler and its context.
func (st *runState) release() {
	if st.stopCtx != nil {
		st.stopCtx()
	}
	st.m.detach(st.smp, st.sub)
}
