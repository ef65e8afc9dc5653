package headroom

import (
	"testing"
	"time"
)

func TestGateMarginStopsFlapping(t *testing.T) {
	g := Gate{On: 1.0, Off: 0.9}
	// A forecast oscillating around 1.0 inside the margin: on once, never off.
	flips := 0
	prev := false
	for i, v := range []float64{0.95, 1.01, 0.97, 1.02, 0.93, 1.0, 0.91, 0.99} {
		if got := g.Observe(t0.Add(time.Duration(i)*time.Second), v); got != prev {
			flips++
			prev = got
		}
	}
	if flips != 1 || !g.State() {
		t.Errorf("flips = %d, state %v; want one flip to on", flips, g.State())
	}
	if g.Observe(t0.Add(10*time.Second), 0.9) {
		t.Error("at Off the gate stays on")
	}
}

func TestGateDwell(t *testing.T) {
	g := Gate{On: 1.0, Off: 1.0, Dwell: 3 * time.Second}
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// Spikes shorter than the dwell never flip it.
	for s, v := range []float64{1.2, 0.8, 1.2, 1.1, 0.9, 1.3} {
		if g.Observe(at(s), v) {
			t.Fatalf("flipped on at %d s after a spike", s)
		}
	}
	// Held for the dwell: on.
	g.Observe(at(10), 1.1)
	g.Observe(at(12), 1.1)
	if !g.Observe(at(13), 1.05) {
		t.Fatal("held 3 s above On: still off")
	}
	// Off needs the same dwell below Off.
	if !g.Observe(at(14), 0.5) || !g.Observe(at(16), 0.5) {
		t.Fatal("turned off before the dwell")
	}
	if g.Observe(at(17), 0.5) {
		t.Fatal("held 3 s at Off: still on")
	}
}

func TestGateFalling(t *testing.T) {
	// Spare memory: "tight" when it falls to 500 MiB, clear again only above 800.
	g := Gate{On: 500, Off: 800, Falling: true}
	for i, tc := range []struct {
		v    float64
		want bool
	}{{900, false}, {600, false}, {500, true}, {700, true}, {790, true}, {800, false}, {510, false}} {
		if got := g.Observe(t0.Add(time.Duration(i)*time.Second), tc.v); got != tc.want {
			t.Errorf("step %d (%v): %v, want %v", i, tc.v, got, tc.want)
		}
	}
}

func TestGateNaN(t *testing.T) {
	g := Gate{On: 1, Off: 0.5}
	g.Observe(t0, 2)
	var nan float64
	nan = nan / nan
	if !g.Observe(t0.Add(time.Second), nan) {
		t.Error("NaN flipped the gate off")
	}
}
