package orchestrator

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/restel/restel/internal/slowsig"
	"github.com/restel/restel/internal/snapcache"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// op is what a request asks of the owner goroutine.
type op uint8

const (
	opAttach  op = iota // take run into the sampler of its interval
	opDetach            // give run back for its end snapshot (reply on run.reply)
	opDiscard           // drop run (its handle closed)
	opStats             // reply with the owner's counters
	opClose             // release everything by deadline, reply with the counters, return
)

type request struct {
	op       op
	run      *runRec
	stats    chan Stats
	deadline time.Time // opClose's
}

// slowResult is one slow-signal read.
type slowResult struct {
	i   int // index in Monitor.slow
	r   slowsig.Reading
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
	m       *Monitor
	sched   schedule
	parked  map[*runRec]struct{} // runs whose context ended while sampled, until Finish
	timer   *time.Timer          // armed for sched.next()
	reading bool                 // a sample read is in flight
	seq     uint64               // sample reads started; the one in flight is seq
	sampleC chan struct{}
	sampleR chan sample

	slowCtx     context.Context
	slowR       chan slowResult
	slowCancel  []context.CancelFunc // of each slow read in flight
	readings    []slowsig.Reading    // the latest known readings, published by copy
	slowFirst   []bool               // the first read of signal i has no result yet
	firstLeft   int                  // first slow reads not yet finished
	outstanding int                  // slow reads running
	closing     bool
	poll, late  []int // scratch for sched.slowEvents

	// Debug writers of runs the owner ended, until their goroutines
	// return; Close waits for them up to its deadline.
	dlogs []*stream.DebugWriter

	st Stats // SlowReads, SlowErrors, SlowTimeouts, SkippedTicks, WatchDropped, Abandoned
}

// newOwner returns the owner's state at now, with no sampler running and
// every slow signal's first poll due.
func newOwner(m *Monitor, now time.Time) *owner {
	cadences := make([]time.Duration, len(m.slow))
	for i, sig := range m.slow {
		cadences[i] = sig.Every
	}
	n := len(m.slow)
	o := &owner{
		m: m, sched: newSchedule(now, cadences, slowTimeout), parked: map[*runRec]struct{}{},
		timer:   time.NewTimer(time.Hour),
		sampleC: make(chan struct{}, 1), sampleR: make(chan sample),
		slowR: make(chan slowResult), slowCancel: make([]context.CancelFunc, n),
		readings: make([]slowsig.Reading, n), slowFirst: make([]bool, n), firstLeft: n,
	}
	o.timer.Stop()
	for i := range o.slowFirst {
		o.slowFirst[i] = true
	}
	return o
}

// loop is the owner goroutine: it serves requests, ticks the samplers and
// polls the slow signals until Close, then releases everything.
func (m *Monitor) loop() {
	defer close(m.exited)
	o := newOwner(m, time.Now())
	defer o.timer.Stop()
	var cancelSlow context.CancelFunc
	o.slowCtx, cancelSlow = context.WithCancel(context.Background())
	defer cancelSlow()

	sampleDone := make(chan struct{})
	go o.sampleLoop(sampleDone)

	o.wake(time.Now()) // the first slow polls
	for {
		select {
		case r := <-m.reqs:
			if r.op == opClose {
				cancelSlow()
				o.release()
				<-sampleDone // quit is closed: the sample loop returns
				o.drainSlow(r.deadline)
				o.joinDebugLogs(r.deadline)
				r.stats <- o.st
				return
			}
			o.serve(r)
		case <-o.timer.C:
			o.wake(time.Now())
		case s := <-o.sampleR:
			o.deliver(s)
		case r := <-o.slowR:
			o.slowDone(r)
			o.rearm(time.Now())
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
		now := time.Now()
		s := o.sched.sampler(rec.mode.Interval, now)
		rec.smp, rec.idx = s, int32(len(s.users))
		rec.from = o.seq + 1 // not the read in flight: it began before the run
		rec.tick0 = uint32(s.ticks)
		s.users = append(s.users, rec)
		if len(s.users) == 1 {
			o.rearm(now)
		}
	case opDetach:
		_, ok := o.parked[rec]
		delete(o.parked, rec)
		if rec.smp != nil {
			o.skipped(rec, o.inFlight(rec))
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
	case opStats:
		st := o.st
		st.Samplers = len(o.sched.samplers)
		for _, s := range o.sched.samplers {
			for _, u := range s.users {
				if u.sub != nil {
					st.WatchDropped += u.sub.dropped.Load()
				}
			}
		}
		r.stats <- st
	}
}

// inFlight reports whether the sample read in flight would serve rec: its
// sampler waits for it and rec joined before it began.
func (o *owner) inFlight(rec *runRec) bool {
	return rec.smp.due && o.reading && rec.from <= o.seq
}

// detach removes rec from its sampler, stopping the sampler when rec was
// its last user.
func (o *owner) detach(rec *runRec) {
	s := rec.smp
	last := len(s.users) - 1
	s.users[rec.idx] = s.users[last]
	s.users[rec.idx].idx = rec.idx
	s.users[last] = nil
	s.users = s.users[:last]
	rec.smp = nil
	if len(s.users) == 0 {
		delete(o.sched.samplers, s.every)
	}
}

// skipped records in a run's aggregator the samples that were due but
// not taken (docs/contract.md §4, samples_skipped): the ticks its sampler
// passed since the run joined, less the samples the run got, less the
// tick whose read would have served it when pending (the run ends first;
// that is not a skip).
func (o *owner) skipped(rec *runRec, pending bool) {
	if rec.sub != nil {
		return
	}
	due := uint64(uint32(rec.smp.ticks) - rec.tick0) // exact for runs under 2³² ticks
	if pending && due > 0 {
		due--
	}
	if got := rec.agg.Count() - 1; due > got { // the start snapshot is no sample
		rec.agg.Skip(due - got)
	}
}

// ended reports whether u's run or Watch is over without the owner being
// told: its context is done, or its handle was collected without Finish
// or Close. The owner asks at every tick and delivery, so a run cancelled
// before a tick gets no sample of it and a dropped handle is found at
// its sampler's next tick.
func (u *runRec) ended() bool {
	return u.ctx.Err() != nil || (u.sub == nil && u.handle.Value() == nil)
}

// leave takes u, ended (see runRec.ended), out of its sampler: a run
// whose handle is live keeps its aggregator, parked, for Finish; anything
// else is released. pending is whether the sampler's read in flight would
// have served u.
func (o *owner) leave(u *runRec, pending bool) {
	live := u.sub == nil && u.handle.Value() != nil
	if live {
		o.skipped(u, pending) // what was due before the end; nothing is due after it
	}
	o.detach(u)
	if live {
		o.parked[u] = struct{}{} // its samples wait for Finish
		return
	}
	o.end(u)
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
		o.st.WatchDropped += rec.sub.dropped.Load()
		rec.sub.close()
	}
}

// sweep ends the parked runs whose handles were collected. It runs at
// every delivery, so the parked set holds at most the handles still live
// and those dropped since.
func (o *owner) sweep() {
	for u := range o.parked {
		if u.handle.Value() == nil {
			delete(o.parked, u)
			o.end(u)
		}
	}
}

// rearm arms the timer for the schedule's next event after now.
func (o *owner) rearm(now time.Time) {
	o.timer.Stop()
	if next, ok := o.sched.next(); ok {
		o.timer.Reset(max(next.Sub(now), 0))
	}
}

// wake acts on what the schedule says is due at now: the slow reads past
// their deadline, the slow polls, and the sampler ticks, which start one
// read for every sampler due. A sampler still waiting for a read skips
// its tick, as time.Ticker drops ticks for slow receivers. Users whose
// run ended leave their sampler before its tick.
func (o *owner) wake(now time.Time) {
	o.poll, o.late = o.sched.slowEvents(now, o.poll[:0], o.late[:0])
	for _, i := range o.late {
		o.slowTimeout(i)
	}
	for _, i := range o.poll {
		o.startSlow(i, now)
	}
	for _, s := range o.sched.samplers {
		if !s.dueAt(now) {
			continue
		}
		for i := 0; i < len(s.users); {
			if u := s.users[i]; u.ended() {
				o.leave(u, o.inFlight(u)) // swaps the last user into i
				continue
			}
			i++
		}
	}
	if o.sched.tick(now) && !o.reading {
		o.reading = true
		o.seq++
		o.sampleC <- struct{}{}
	}
	o.rearm(now)
}

// deliver folds a sample into every run of the samplers that wait for it
// and hands it to their Watch channels, except to users attached after
// the read began and users whose run ended meanwhile (they leave). A read
// that timed out delivers nothing: its snapshot is an old one, not a
// sample; the tick is skipped and counted.
func (o *owner) deliver(smp sample) {
	o.reading = false
	o.sweep()
	var wired provider.Snapshot
	if smp.fresh {
		wired = smp.snap.Wire() // once for every run of every due sampler
	}
	for _, s := range o.sched.samplers {
		if !s.due {
			continue
		}
		if !smp.fresh {
			o.st.SkippedTicks++
		}
		for i := 0; i < len(s.users); {
			u := s.users[i]
			switch {
			case u.from > o.seq: // attached while this read was in flight
			case u.ended():
				o.leave(u, true) // swaps the last user into i
				continue
			case !smp.fresh:
			case u.sub != nil:
				u.sub.send(smp.snap)
			default:
				u.agg.ObserveWired(&wired)
				u.dlog.Write(wired)
			}
			i++
		}
		s.due = false
	}
}

// release ends every run and Watch: Close has been called.
func (o *owner) release() {
	o.timer.Stop()
	for _, s := range o.sched.samplers {
		for _, u := range s.users {
			u.smp = nil
			o.end(u)
		}
	}
	clear(o.sched.samplers)
	for u := range o.parked {
		o.end(u)
	}
	clear(o.parked)
}

// startSlow starts a read of slow signal i, bounded by the one deadline
// the schedule gives it: the read's context carries it, and past it the
// owner takes the value as unknown (slowTimeout) whether or not the
// provider heeds its context. The schedule starts no second read of i
// while this one runs, so a hung sensor holds one goroutine.
func (o *owner) startSlow(i int, now time.Time) {
	ctx, cancel := context.WithDeadline(o.slowCtx, o.sched.started(i, now))
	o.slowCancel[i] = cancel
	o.outstanding++
	read, slowR, exited := o.m.slow[i].Read, o.slowR, o.m.exited
	go func() {
		res := slowResult{i: i, err: errGoexit}
		defer func() { // also on runtime.Goexit in the provider
			select {
			case slowR <- res:
			case <-exited:
			}
		}()
		res.r, res.err = read(ctx)
	}()
}

// slowTimeout is slow signal i's read passing its deadline: the value is
// unknown and the read counts as timed out (and failed). Its late value,
// if it ever comes, is taken as any other.
func (o *owner) slowTimeout(i int) {
	if o.closing {
		return
	}
	o.slowCancel[i]()
	o.st.SlowTimeouts++
	o.st.SlowErrors++
	o.publish(i, nil)
	o.firstDone(i)
}

// publish makes r slow signal i's reading in every read from now on: the
// monitor's merge loads the readings through one atomic pointer, so a
// new set is a new slice.
func (o *owner) publish(i int, r slowsig.Reading) {
	o.readings[i] = r
	rs := slices.Clone(o.readings)
	o.m.readings.Store(&rs)
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

// slowDone counts a finished slow read and publishes its reading; the
// first round's last read closes ready. A failed read makes the value
// unknown; so does one reporting no sensor or no battery (not an error).
func (o *owner) slowDone(r slowResult) {
	o.outstanding--
	o.st.SlowReads++
	late := o.sched.returned(r.i)
	o.slowCancel[r.i]()
	switch {
	case r.err == nil, errors.Is(r.err, provider.ErrUnavailable):
	case o.closing && errors.Is(r.err, context.Canceled):
	case late: // counted when it timed out
	case errors.Is(r.err, context.DeadlineExceeded): // its context saw the deadline first
		o.st.SlowTimeouts++
		o.st.SlowErrors++
	default:
		o.st.SlowErrors++
	}
	if o.closing {
		return
	}
	o.publish(r.i, r.r)
	o.firstDone(r.i)
}

// joinDebugLogs waits for the debug writers of the runs the owner ended,
// until Close's deadline; those still blocked in the filesystem then are
// abandoned and counted (Stats.DebugAbandoned).
func (o *owner) joinDebugLogs(deadline time.Time) {
	if len(o.dlogs) == 0 {
		return
	}
	t := time.NewTimer(time.Until(deadline))
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
func (o *owner) drainSlow(deadline time.Time) {
	if o.outstanding == 0 {
		return
	}
	o.closing = true
	t := time.NewTimer(time.Until(deadline))
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
