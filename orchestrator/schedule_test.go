package orchestrator

import (
	"fmt"
	"testing"
	"time"
)

// The schedule is a plain value: its timing is checked by calling it
// with chosen times, no goroutine and no timer.
func TestScheduleSamplerTicks(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := newSchedule(t0, nil, time.Second)
	if _, ok := s.next(); ok {
		t.Fatal("an empty schedule has an event")
	}
	smp := s.sampler(250*time.Millisecond, t0)
	if s.sampler(250*time.Millisecond, t0.Add(time.Second)) != smp {
		t.Fatal("one interval, two samplers")
	}
	for _, tc := range []struct {
		at     time.Duration
		ticked bool
		ticks  uint64
		next   time.Duration
	}{
		{100 * time.Millisecond, false, 0, 250 * time.Millisecond},
		{250 * time.Millisecond, true, 1, 500 * time.Millisecond},
		{260 * time.Millisecond, false, 1, 500 * time.Millisecond},
		{1010 * time.Millisecond, true, 4, 1250 * time.Millisecond}, // late: 500, 750 and 1000 passed
	} {
		if got := s.tick(t0.Add(tc.at)); got != tc.ticked || smp.ticks != tc.ticks {
			t.Fatalf("at %v: ticked %v ticks %d, want %v %d", tc.at, got, smp.ticks, tc.ticked, tc.ticks)
		}
		if n, ok := s.next(); !ok || n.Sub(t0) != tc.next {
			t.Fatalf("at %v: next %v, want %v", tc.at, n.Sub(t0), tc.next)
		}
	}
	if !smp.due {
		t.Fatal("a sampler that ticked is not due")
	}
}

func TestScheduleSlowPollsAndDeadlines(t *testing.T) {
	t0 := time.Unix(1000, 0)
	// Signal 0 every 2 s, its reads bounded by 1 s; signal 1 every 500 ms,
	// bounded by its cadence.
	s := newSchedule(t0, []time.Duration{2 * time.Second, 500 * time.Millisecond}, time.Second)
	var log []string
	step := func(at time.Duration) {
		now := t0.Add(at)
		poll, late := s.slowEvents(now, nil, nil)
		for _, i := range late {
			log = append(log, fmt.Sprintf("%v late %d", at, i))
		}
		for _, i := range poll {
			dl := s.started(i, now)
			log = append(log, fmt.Sprintf("%v poll %d until %v", at, i, dl.Sub(t0)))
		}
	}
	step(0)
	if n, _ := s.next(); n.Sub(t0) != 500*time.Millisecond {
		t.Fatalf("next %v", n.Sub(t0))
	}
	step(500 * time.Millisecond) // signal 1's read passes its deadline; its poll comes while it runs
	if s.returned(1) != true {
		t.Fatal("a read past its deadline did not return late")
	}
	step(time.Second)
	if s.returned(0) != true || s.returned(1) != false {
		t.Fatal("returned: signal 0 was late at 1 s, signal 1 in time")
	}
	step(2 * time.Second)
	want := []string{
		"0s poll 0 until 1s", "0s poll 1 until 500ms",
		"500ms late 1",
		"1s late 0", "1s poll 1 until 1.5s",
		"2s poll 0 until 3s", "2s poll 1 until 2.5s",
	}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Fatalf("events\n got %v\nwant %v", log, want)
	}
	// A read never returned: no poll of it meanwhile, its deadline
	// reported once.
	step(10 * time.Second)
	step(11 * time.Second)
	if got := log[len(want):]; fmt.Sprint(got) != "[10s late 0 10s late 1]" {
		t.Fatalf("hung reads: %v", got)
	}
}
