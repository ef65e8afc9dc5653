package orchestrator

import (
	"context"
	"errors"
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
	opDiscard           // drop run (its context was cancelled)
	opWatch             // take w into the sampler of its interval
	opUnwatch           // drop w and close its channel
	opStats             // reply with the owner's counters
)

type request struct {
	op    op
	run   *runRec
	w     *watcher
	stats chan Stats
}

// sampler is the shared sampler of one interval and its users.
type sampler struct {
	every    time.Duration
	next     time.Time // the next tick
	due      bool      // waits for the sample read in flight
	runs     []*runRec
	watchers []*watcher
}

// watcher is one Watch channel, owned by the owner goroutine.
type watcher struct {
	sub   *stream.Subscription
	every time.Duration
	ctx   context.Context
	smp   *sampler
	idx   int
	stop  func() bool
}

// slowResult is one slow-signal read.
type slowResult struct {
	i   int // index in Monitor.slow
	v   uint32
	err error
}

// errGoexit is the error of a slow read whose provider called
// runtime.Goexit.
var errGoexit = errors.New("provider called runtime.Goexit")

// owner is the state of the owner goroutine; nothing else touches it.
type owner struct {
	m        *Monitor
	samplers map[time.Duration]*sampler
	tick     *time.Timer
	reading  bool // a sample read is in flight
	sampleC  chan struct{}
	sampleR  chan provider.Snapshot

	slowCtx     context.Context
	slowR       chan slowResult
	slowBusy    [2]bool
	slowFirst   [2]bool
	outstanding int // slow reads running
	firstLeft   int // first slow reads not yet finished
	closing     bool

	st Stats // SlowReads, SlowErrors, WatchDropped
}

// loop is the owner goroutine: it serves requests, ticks the samplers and
// polls the slow signals until Close, then releases everything.
func (m *Monitor) loop() {
	defer close(m.exited)
	o := &owner{
		m: m, samplers: map[time.Duration]*sampler{},
		tick:    time.NewTimer(time.Hour),
		sampleC: make(chan struct{}, 1), sampleR: make(chan provider.Snapshot),
		slowR: make(chan slowResult),
	}
	o.tick.Stop()
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
		case <-slowC[0]:
			o.poll(0)
		case <-slowC[1]:
			o.poll(1)
		case <-m.quit:
			cancelSlow()
			o.release()
			<-sampleDone
			o.drainSlow()
			m.final = o.st
			return
		}
	}
}

// sampleLoop makes the samplers' reads, one at a time, off the owner
// goroutine: a forced refresh, bounded by the read timeout.
func (o *owner) sampleLoop(done chan<- struct{}) {
	defer close(done)
	m := o.m
	for {
		select {
		case <-o.sampleC:
		case <-m.quit:
			return
		}
		s := m.cache.Get(snapcache.Fast, 0)
		m.host.overlay(&s)
		select {
		case o.sampleR <- s:
		case <-m.quit:
			return
		}
	}
}

func (o *owner) serve(r request) {
	switch r.op {
	case opAttach:
		rec := r.run
		s := o.sampler(rec.mode.Interval)
		rec.smp, rec.idx = s, len(s.runs)
		s.runs = append(s.runs, rec)
		if rec.ctx.Done() != nil {
			rec.stop = context.AfterFunc(rec.ctx, func() { o.m.send(request{op: opDiscard, run: rec}) })
		}
	case opDetach:
		ok := r.run.smp != nil
		o.detach(r.run)
		r.run.reply <- ok
	case opDiscard:
		if r.run.smp != nil {
			o.detach(r.run)
			_ = r.run.dlog.Close()
		}
	case opWatch:
		w := r.w
		s := o.sampler(w.every)
		w.smp, w.idx = s, len(s.watchers)
		s.watchers = append(s.watchers, w)
		w.stop = context.AfterFunc(w.ctx, func() { o.m.send(request{op: opUnwatch, w: w}) })
	case opUnwatch:
		o.unwatch(r.w)
	case opStats:
		st := o.st
		st.Samplers = len(o.samplers)
		for _, s := range o.samplers {
			for _, w := range s.watchers {
				st.WatchDropped += w.sub.Dropped()
			}
		}
		r.stats <- st
	}
}

// sampler returns the sampler of every, starting it if needed.
func (o *owner) sampler(every time.Duration) *sampler {
	s := o.samplers[every]
	if s == nil {
		s = &sampler{every: every, next: time.Now().Add(every)}
		o.samplers[every] = s
		o.rearm()
	}
	return s
}

// detach removes run from its sampler (a no-op for a detached run) and
// unregisters its context callback.
func (o *owner) detach(run *runRec) {
	s := run.smp
	if s == nil {
		return
	}
	last := len(s.runs) - 1
	s.runs[run.idx] = s.runs[last]
	s.runs[run.idx].idx = run.idx
	s.runs[last] = nil
	s.runs = s.runs[:last]
	run.smp = nil
	if run.stop != nil {
		run.stop()
	}
	o.prune(s)
}

func (o *owner) unwatch(w *watcher) {
	s := w.smp
	if s == nil {
		return
	}
	last := len(s.watchers) - 1
	s.watchers[w.idx] = s.watchers[last]
	s.watchers[w.idx].idx = w.idx
	s.watchers[last] = nil
	s.watchers = s.watchers[:last]
	w.smp = nil
	w.stop()
	o.st.WatchDropped += w.sub.Dropped()
	w.sub.Close()
	o.prune(s)
}

// prune stops s when its last user has left.
func (o *owner) prune(s *sampler) {
	if len(s.runs) == 0 && len(s.watchers) == 0 {
		delete(o.samplers, s.every)
		o.rearm()
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
		}
	}
	if any && !o.reading {
		o.reading = true
		o.sampleC <- struct{}{}
	}
	o.rearm()
}

// deliver folds a sample into every run of the samplers that wait for it
// and hands it to their watchers. A run whose handle was collected
// without Finish or Close is discarded here.
func (o *owner) deliver(snap provider.Snapshot) {
	o.reading = false
	for _, s := range o.samplers {
		if !s.due {
			continue
		}
		s.due = false
		for i := 0; i < len(s.runs); {
			r := s.runs[i]
			if r.dropped.Load() {
				o.discard(r) // swaps the last run into i
				if o.samplers[s.every] != s {
					break
				}
				continue
			}
			r.agg.Observe(snap)
			r.dlog.Write(snap)
			i++
		}
		for _, w := range s.watchers {
			w.sub.Send(snap)
		}
	}
}

func (o *owner) discard(r *runRec) {
	o.detach(r)
	_ = r.dlog.Close()
}

// release ends every run and watch: Close has been called.
func (o *owner) release() {
	o.tick.Stop()
	for _, s := range o.samplers {
		for _, r := range s.runs {
			r.smp = nil
			if r.stop != nil {
				r.stop()
			}
			_ = r.dlog.Close()
		}
		for _, w := range s.watchers {
			w.smp = nil
			w.stop()
			o.st.WatchDropped += w.sub.Dropped()
			w.sub.Close()
		}
	}
	clear(o.samplers)
}

// poll starts a read of slow signal i unless one is running: a hung
// sensor never piles up goroutines.
func (o *owner) poll(i int) {
	sig := &o.m.slow[i]
	if o.slowBusy[i] {
		return
	}
	o.slowBusy[i] = true
	o.outstanding++
	ctx, slowR, exited := o.slowCtx, o.slowR, o.m.exited
	go func() {
		res := slowResult{i: i, err: errGoexit}
		defer func() { // also on runtime.Goexit in the provider
			select {
			case slowR <- res:
			case <-exited:
			}
		}()
		ctx, cancel := context.WithTimeout(ctx, min(slowTimeout, sig.every))
		defer cancel()
		res.v, res.err = sig.read(ctx)
	}()
}

// slowDone counts a finished slow read and publishes its value; the first
// round's last read closes ready. A failed read makes the value unknown;
// so does one reporting no sensor or no battery (not an error).
func (o *owner) slowDone(r slowResult) {
	o.outstanding--
	o.st.SlowReads++
	if r.err != nil && !errors.Is(r.err, provider.ErrUnavailable) && !(o.closing && errors.Is(r.err, context.Canceled)) {
		o.st.SlowErrors++
	}
	if o.closing {
		return
	}
	o.m.slow[r.i].val.Store(r.v)
	o.slowBusy[r.i] = false
	if o.slowFirst[r.i] {
		o.slowFirst[r.i] = false
		if o.firstLeft--; o.firstLeft == 0 {
			close(o.m.ready)
		}
	}
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
