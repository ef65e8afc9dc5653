package orchestrator

import "time"

// schedule is when the owner goroutine acts next: each sampler's next
// tick, each slow signal's next poll and the deadline of its read in
// flight. It is a plain value that never reads the clock — every method
// takes now — so the owner's timing is tested without goroutines or
// timers; the owner reads the clock once per wake-up and arms one timer
// for [schedule.next].
type schedule struct {
	samplers map[time.Duration]*sampler
	slow     []slowClock
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

// slowClock is one slow signal's timing: polls at start + k·every (a poll
// that comes while the last read still runs is skipped, as time.Ticker
// drops ticks for a slow receiver), each read bounded by one deadline.
type slowClock struct {
	every    time.Duration
	timeout  time.Duration // a read's bound, at most every
	next     time.Time     // the next poll
	deadline time.Time     // of the read in flight; zero when none runs
	late     bool          // the read in flight passed its deadline
}

// newSchedule returns the schedule of slow signals polled every
// cadences[i], each read bounded by min(timeout, cadence), the first
// polls due at now.
func newSchedule(now time.Time, cadences []time.Duration, timeout time.Duration) schedule {
	s := schedule{samplers: map[time.Duration]*sampler{}, slow: make([]slowClock, len(cadences))}
	for i, every := range cadences {
		s.slow[i] = slowClock{every: every, timeout: min(timeout, every), next: now}
	}
	return s
}

// sampler returns the sampler of interval every, starting one whose first
// tick is one interval after now when none runs.
func (s *schedule) sampler(every time.Duration, now time.Time) *sampler {
	smp := s.samplers[every]
	if smp == nil {
		smp = &sampler{every: every, next: now.Add(every)}
		s.samplers[every] = smp
	}
	return smp
}

// next returns the earliest event: a tick, a poll or a read's deadline;
// false when there is none.
func (s *schedule) next() (first time.Time, ok bool) {
	early := func(t time.Time) {
		if !t.IsZero() && (!ok || t.Before(first)) {
			first, ok = t, true
		}
	}
	for _, smp := range s.samplers {
		early(smp.next)
	}
	for i := range s.slow {
		c := &s.slow[i]
		early(c.next)
		if !c.late {
			early(c.deadline)
		}
	}
	return first, ok
}

// due reports whether smp's tick has come at now.
func (smp *sampler) dueAt(now time.Time) bool { return !smp.next.After(now) }

// tick advances the samplers whose tick has come to their next tick,
// counting the ticks passed, and marks them due; it reports whether any
// ticked.
func (s *schedule) tick(now time.Time) bool {
	any := false
	for _, smp := range s.samplers {
		if !smp.dueAt(now) {
			continue
		}
		smp.due, any = true, true
		for smp.dueAt(now) {
			smp.next = smp.next.Add(smp.every)
			smp.ticks++
		}
	}
	return any
}

// slowEvents appends to late the slow reads whose deadline has passed at
// now (each reported once) and to poll the signals whose poll has come
// and whose last read has returned, advancing every poll that came.
func (s *schedule) slowEvents(now time.Time, poll, late []int) ([]int, []int) {
	for i := range s.slow {
		c := &s.slow[i]
		if !c.deadline.IsZero() && !c.late && !now.Before(c.deadline) {
			c.late = true
			late = append(late, i)
		}
		if c.next.After(now) {
			continue
		}
		for !c.next.After(now) {
			c.next = c.next.Add(c.every)
		}
		if c.deadline.IsZero() {
			poll = append(poll, i)
		}
	}
	return poll, late
}

// started records that slow signal i's read began at now and returns its
// deadline, the one bound of that read.
func (s *schedule) started(i int, now time.Time) time.Time {
	c := &s.slow[i]
	c.deadline, c.late = now.Add(c.timeout), false
	return c.deadline
}

// returned records that slow signal i's read returned; it reports whether
// it had passed its deadline.
func (s *schedule) returned(i int) (late bool) {
	c := &s.slow[i]
	late = c.late
	c.deadline, c.late = time.Time{}, false
	return late
}
