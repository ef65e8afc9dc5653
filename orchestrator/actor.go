package orchestrator

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/restel/restel/internal/snapcache"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// op is what a request asks of the owner goroutine.
type op uint8

const (
	opAttach  op = iota // take run into the sampler of its interval
	opDetach            // give run back for its end snapshot (reply on run.reply)
	opDiscard           // drop run (its handle closed or collected)
	opCancel            // run's context ended: detach it, keep it for Finish
	opStats             // reply with the owner's counters
)

type request struct {
	op    op
	run   *runRec
	stats chan Stats
}

// sampler is the shared sampler of one interval and its users: sampled
// runs and Watch channels.
type sampler struct {
	every time.Duration
	next  time.Time // the next tick
	due   bool      // waits for the sample read in flight
	ticks uint64    // ticks passed since the sampler started, late ones included
	users []*runRec
}

// slowResult is one slow-signal read.
type slowResult struct {
	i   int // index in Monitor.slow
	v   uint32
	err error
}

// sample is one sampler read: fresh is false when the read timed out and
// snap is only the last snapshot.
type sample struct {
	snap  provider.Snapshot
	fresh bool
}

// errGoexit is the error of a slow read whose provider called
// runtime.Goexit.
var errGoexit = errors.New("provider called runtime.Goexit")

// owner is the state of the owner goroutine; nothing else touches it.
type owner struct {
	m        *Monitor
	samplers map[time.Duration]*sampler
	parked   map[*runRec]struct{} // runs their context detached, until Finish
	tick     *time.Timer
	reading  bool   // a sample read is in flight
	seq      uint64 // sample reads started; the one in flight is seq
	sampleC  chan struct{}
	sampleR  chan sample

	slowCtx     context.Context
	slowR       chan slowResult
	slowBusy    [2]bool
	slowFirst   [2]bool
	slowLate    [2]bool        // the read running passed its deadline
	slowDL      [2]*time.Timer // the deadline of the read running
	outstanding int            // slow reads running
	firstLeft   int            // first slow reads not yet finished
	closing     bool

	// Debug writers of runs the owner ended, until their goroutines
	// return; Close waits for them up to its deadline.
	dlogs []*stream.DebugWriter

	st Stats // SlowReads, SlowErrors, SlowTimeouts, SkippedTicks, WatchDropped
}

// loop is the owner goroutine: it serves requests, ticks the samplers and
// polls the slow signals until Close, then releases everything.
func (m *Monitor) loop() {
	defer close(m.exited)
	o := &owner{
		m: m, samplers: map[time.Duration]*sampler{}, parked: map[*runRec]struct{}{},
		tick:    time.NewTimer(time.Hour),
		sampleC: make(chan struct{}, 1), sampleR: make(chan sample),
		slowR: make(chan slowResult),
	}
	o.tick.Stop()
	for i := range o.slowDL {
		o.slowDL[i] = time.NewTimer(time.Hour)
		o.slowDL[i].Stop()
		defer o.slowDL[i].Stop()
	}
	var cancelSlow context.CancelFunc
	o.slowCtx, cancelSlow = context.WithCancel(context.Background())
	defer cancelSlow()

	sampleDone := make(chan struct{})
	go o.sampleLoop(sampleDone)

	var slowC [2]<-chan time.Time
	for i := range m.slow {
		if m.slow[i].read != nil {
			t := time.NewTicker(m.slow[i].every)
			defer t.Stop()
			slowC[i] = t.C
			o.slowFirst[i] = true
			o.firstLeft++
			o.poll(i)
		}
	}

	for {
		select {
		case r := <-m.reqs:
			o.serve(r)
		case <-o.tick.C:
			o.ticked()
		case s := <-o.sampleR:
			o.deliver(s)
		case r := <-o.slowR:
			o.slowDone(r)
		case <-o.slowDL[0].C:
			o.slowTimeout(0)
		case <-o.slowDL[1].C:
			o.slowTimeout(1)
		case <-slowC[0]:
			o.poll(0)
		case <-slowC[1]:
			o.poll(1)
		case <-m.quit:
			cancelSlow()
			o.release()
			<-sampleDone
			o.drainSlow()
			o.joinDebugLogs()
			m.final = o.st
			return
		}
	}
}

// sampleLoop makes the samplers' reads, one at a time, off the owner
// goroutine: a forced refresh, bounded by the read timeout. A read still
// hanging is joined, not repeated, so a hung provider holds one read.
func (o *owner) sampleLoop(done chan<- struct{}) {
	defer close(done)
	m := o.m
	for {
		select {
		case <-o.sampleC:
		case <-m.quit:
			return
		}
		s, fresh := m.cache.Read(snapcache.Fast)
		m.cfg.host.overlay(&s)
		select {
		case o.sampleR <- sample{s, fresh}:
		case <-m.quit:
			return
		}
	}
}

func (o *owner) serve(r request) {
	rec := r.run
	switch r.op {
	case opAttach:
		s := o.samplers[rec.mode.Interval]
		if s == nil {
			s = &sampler{every: rec.mode.Interval, next: time.Now().Add(rec.mode.Interval)}
			o.samplers[s.every] = s
			o.rearm()
		}
		rec.smp, rec.idx = s, int32(len(s.users))
		rec.from = o.seq + 1 // not the read in flight: it began before the run
		rec.tick0 = uint32(s.ticks)
		s.users = append(s.users, rec)
		if rec.ctx.Done() != nil {
			rec.stop = context.AfterFunc(rec.ctx, func() { o.m.send(request{op: opCancel, run: rec}) })
		}
	case opDetach:
		_, ok := o.parked[rec]
		delete(o.parked, rec)
		if rec.smp != nil {
			o.skipped(rec)
			o.detach(rec)
			ok = true
		}
		rec.reply <- ok
	case opDiscard:
		if rec.smp != nil {
			o.detach(rec)
			o.end(rec)
		} else if _, ok := o.parked[rec]; ok {
			delete(o.parked, rec)
			o.end(rec)
		}
	case opCancel:
		if rec.smp == nil {
			break
		}
		o.skipped(rec) // what was due before the cancel; nothing is due after it
		o.detach(rec)
		if rec.sub != nil {
			o.end(rec)
			break
		}
		o.sweep()
		o.parked[rec] = struct{}{} // its samples wait for Finish
	case opStats:
		st := o.st
		st.Samplers = len(o.samplers)
		for _, s := range o.samplers {
			for _, u := range s.users {
				if u.sub != nil {
					st.WatchDropped += u.sub.Dropped()
				}
			}
		}
		r.stats <- st
	}
}

// detach removes rec from its sampler, stopping the sampler when rec was
// its last user, and unregisters rec's context callback.
func (o *owner) detach(rec *runRec) {
	s := rec.smp
	last := len(s.users) - 1
	s.users[rec.idx] = s.users[last]
	s.users[rec.idx].idx = rec.idx
	s.users[last] = nil
	s.users = s.users[:last]
	rec.smp = nil
	if rec.stop != nil {
		rec.stop()
	}
	if len(s.users) == 0 {
		delete(o.samplers, s.every)
		o.rearm()
	}
}

// skipped records in a run's aggregator the samples that were due but
// not taken (docs/contract.md §4, samples_skipped): the ticks its sampler
// passed since the run joined, less the samples the run got, less the
// read in flight that would have served it (the run ends first; that is
// not a skip).
func (o *owner) skipped(rec *runRec) {
	if rec.sub != nil {
		return
	}
	s := rec.smp
	due := uint64(uint32(s.ticks) - rec.tick0) // exact for runs under 2³² ticks
	if s.due && o.reading && rec.from <= o.seq && due > 0 {
		due--
	}
	if got := rec.agg.Count() - 1; due > got { // the start snapshot is no sample
		rec.agg.Skip(due - got)
	}
}

// end releases what a detached user holds: a run's debug file, a
// Watch's channel.
func (o *owner) end(rec *runRec) {
	if rec.dlog != nil {
		rec.dlog.Shutdown() // never waited for here: the disk may be frozen
		o.dlogs = append(o.dlogs, rec.dlog)
		o.dlogs = slices.DeleteFunc(o.dlogs, func(w *stream.DebugWriter) bool {
			select {
			case <-w.Done():
				o.m.debugDropped.Add(w.Dropped())
				return true
			default:
				return false
			}
		})
	}
	if rec.sub != nil {
		o.st.WatchDropped += rec.sub.Dropped()
		rec.sub.Close()
	}
}

// sweep ends the parked runs whose handles were collected. It runs on
// every cancel and every sample delivered, so the parked set holds at
// most the handles still live and those dropped since.
func (o *owner) sweep() {
	if len(o.parked) == 0 {
		return
	}
	for u := range o.parked {
		if u.dropped.Load() {
			delete(o.parked, u)
			o.end(u)
		}
	}
}

// rearm sets the tick timer to the earliest next tick.
func (o *owner) rearm() {
	var first time.Time
	for _, s := range o.samplers {
		if first.IsZero() || s.next.Before(first) {
			first = s.next
		}
	}
	o.tick.Stop()
	if !first.IsZero() {
		o.tick.Reset(time.Until(first))
	}
}

// ticked marks the samplers whose tick has come and starts one read for
// all of them. A sampler still waiting for a read skips its tick, as
// time.Ticker drops ticks for slow receivers.
func (o *owner) ticked() {
	now := time.Now()
	any := false
	for _, s := range o.samplers {
		if s.next.After(now) {
			continue
		}
		s.due, any = true, true
		for !s.next.After(now) {
			s.next = s.next.Add(s.every)
			s.ticks++
		}
	}
	if any && !o.reading {
		o.reading = true
		o.seq++
		o.sampleC <- struct{}{}
	}
	o.rearm()
}

// deliver folds a sample into every run of the samplers that wait for it
// and hands it to their Watch channels, except to users attached after
// the read began. A read that timed out delivers nothing: its snapshot
// is an old one, not a sample; the tick is skipped and counted. A run
// whose handle was collected without Finish or Close is discarded here.
func (o *owner) deliver(smp sample) {
	o.reading = false
	o.sweep()
	var wired provider.Snapshot
	if smp.fresh {
		wired = smp.snap.Wire() // once for every run of every due sampler
	}
	for _, s := range o.samplers {
		if !s.due {
			continue
		}
		s.due = false
		if !smp.fresh {
			o.st.SkippedTicks++
		}
		for i := 0; i < len(s.users); {
			switch u := s.users[i]; {
			case u.dropped.Load():
				o.detach(u) // swaps the last user into i
				o.end(u)
				continue
			case !smp.fresh:
			case u.from > o.seq: // attached while this read was in flight
			case u.sub != nil:
				u.sub.Send(smp.snap)
			default:
				u.agg.ObserveWired(&wired)
				u.dlog.Write(wired)
			}
			i++
		}
	}
}

// release ends every run and Watch: Close has been called.
func (o *owner) release() {
	o.tick.Stop()
	for _, s := range o.samplers {
		for _, u := range s.users {
			u.smp = nil
			if u.stop != nil {
				u.stop()
			}
			o.end(u)
		}
	}
	clear(o.samplers)
	for u := range o.parked {
		o.end(u)
	}
	clear(o.parked)
}

// poll starts a read of slow signal i unless one is running: a hung
// sensor never piles up goroutines.
func (o *owner) poll(i int) {
	sig := &o.m.slow[i]
	if o.slowBusy[i] {
		return
	}
	o.slowBusy[i] = true
	o.slowLate[i] = false
	o.outstanding++
	d := min(slowTimeout, sig.every)
	o.slowDL[i].Reset(d)
	ctx, slowR, exited := o.slowCtx, o.slowR, o.m.exited
	go func() {
		res := slowResult{i: i, err: errGoexit}
		defer func() { // also on runtime.Goexit in the provider
			select {
			case slowR <- res:
			case <-exited:
			}
		}()
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		res.v, res.err = sig.read(ctx)
	}()
}

// slowTimeout is the owner's deadline of slow signal i's read: past it
// the value is unknown and the read counts as timed out (and failed),
// whether or not the provider heeds its context. The read stays busy, so
// a hung sensor holds one goroutine; its late value, if it ever comes, is
// taken as any other.
func (o *owner) slowTimeout(i int) {
	if !o.slowBusy[i] || o.slowLate[i] || o.closing {
		return
	}
	o.slowLate[i] = true
	o.st.SlowTimeouts++
	o.st.SlowErrors++
	o.m.slow[i].val.Store(0)
	o.firstDone(i)
}

// firstDone notes that slow signal i's first read has a result; the
// first round's last closes ready.
func (o *owner) firstDone(i int) {
	if o.slowFirst[i] {
		o.slowFirst[i] = false
		if o.firstLeft--; o.firstLeft == 0 {
			close(o.m.ready)
		}
	}
}

// slowDone counts a finished slow read and publishes its value; the first
// round's last read closes ready. A failed read makes the value unknown;
// so does one reporting no sensor or no battery (not an error).
func (o *owner) slowDone(r slowResult) {
	o.outstanding--
	o.st.SlowReads++
	o.slowDL[r.i].Stop()
	switch {
	case r.err == nil, errors.Is(r.err, provider.ErrUnavailable):
	case o.closing && errors.Is(r.err, context.Canceled):
	case o.slowLate[r.i]: // counted when it timed out
	case errors.Is(r.err, context.DeadlineExceeded): // its context beat the owner's deadline
		o.st.SlowTimeouts++
		o.st.SlowErrors++
	default:
		o.st.SlowErrors++
	}
	if o.closing {
		return
	}
	o.m.slow[r.i].val.Store(r.v)
	o.slowBusy[r.i] = false
	o.firstDone(r.i)
}

// joinDebugLogs waits for the debug writers of the runs the owner ended,
// until Close's deadline; those still blocked in the filesystem then are
// abandoned and counted (Stats.DebugAbandoned).
func (o *owner) joinDebugLogs() {
	if len(o.dlogs) == 0 {
		return
	}
	t := time.NewTimer(time.Until(o.m.deadline))
	defer t.Stop()
	expired := false
	for _, w := range o.dlogs {
		if !expired {
			select {
			case <-w.Done():
			case <-t.C:
				expired = true // past the deadline: look at the rest without waiting
			}
		}
		select {
		case <-w.Done():
		default:
			o.m.debugAbandoned.Add(1)
		}
		o.m.debugDropped.Add(w.Dropped())
	}
	o.dlogs = nil
}

// drainSlow waits for the slow reads still running, until Close's
// deadline; those still running then are abandoned and counted.
func (o *owner) drainSlow() {
	if o.outstanding == 0 {
		return
	}
	o.closing = true
	t := time.NewTimer(time.Until(o.m.deadline))
	defer t.Stop()
	for o.outstanding > 0 {
		select {
		case r := <-o.slowR:
			o.slowDone(r)
		case <-t.C:
			o.st.Abandoned += uint64(o.outstanding)
			return
		}
	}
}
