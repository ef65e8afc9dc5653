package headroom_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider/fake"
)

// flip is a decision changing at a trace offset.
type flip struct {
	at time.Duration
	on bool
}

// TestGateOnOscillatingTrace replays a trace whose spare memory and
// thermal state hover around their thresholds, reading every 500 ms as a
// runtime's control loop would: compared naively with the threshold, the
// decisions flap; through a gate with a margin and a 2 s dwell, each turns
// on once (when the condition held for the dwell) and off once.
func TestGateOnOscillatingTrace(t *testing.T) {
	tr, err := fake.ParseFile(filepath.Join("..", "testdata", "scripts", "oscillating-headroom.trace"))
	if err != nil {
		t.Fatal(err)
	}
	r := fake.NewReplay(tr, fake.WithSlowSignals())
	tight := headroom.Gate{On: 2000, Off: 3000, Dwell: 2 * time.Second, Falling: true}
	hot := headroom.Gate{On: 1.0, Off: 0.7, Dwell: 2 * time.Second}
	var tightFlips, hotFlips []flip
	naive := 0
	prevNaive := false
	for off := time.Duration(0); off <= r.End(); off += 500 * time.Millisecond {
		r.Seek(off)
		s, err := r.Snapshot(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		th, _ := r.Thermal(t.Context())
		now := r.Now()
		if was, is := tight.State(), tight.Observe(now, float64(s.AvailableMemMB.V)); is != was {
			tightFlips = append(tightFlips, flip{off, is})
		}
		h := headroom.FromState(th)
		if was, is := hot.State(), hot.Observe(now, h.V); is != was {
			hotFlips = append(hotFlips, flip{off, is})
		}
		if n := s.AvailableMemMB.V <= 2000; n != prevNaive {
			naive++
			prevNaive = n
		}
	}
	if naive < 6 {
		t.Fatalf("the trace no longer oscillates: a naive threshold flipped %d times", naive)
	}
	if want := []flip{{5 * time.Second, true}, {12 * time.Second, false}}; !equalFlips(tightFlips, want) {
		t.Errorf("memory gate flips %v, want %v", tightFlips, want)
	}
	if want := []flip{{5 * time.Second, true}, {11 * time.Second, false}}; !equalFlips(hotFlips, want) {
		t.Errorf("thermal gate flips %v, want %v", hotFlips, want)
	}
}

func equalFlips(a, b []flip) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
