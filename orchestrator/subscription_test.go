package orchestrator

import (
	"slices"
	"sync"
	"testing"

	"github.com/restel/restel/provider"
)

func snapRSS(n uint64) provider.Snapshot { return provider.Snapshot{ProcessRSSMB: provider.Some(n)} }

func TestSubscriptionDropsOldest(t *testing.T) {
	s := newSubscription(2)
	for i := range uint64(5) {
		s.send(snapRSS(i))
	}
	if s.dropped.Load() != 3 {
		t.Fatalf("dropped %d, want 3", s.dropped.Load())
	}
	s.close()
	s.close()
	s.send(snapRSS(9)) // after close: ignored, no panic
	var got []int64
	for snap := range s.ch {
		got = append(got, int64(snap.ProcessRSSMB.V))
	}
	if !slices.Equal(got, []int64{3, 4}) {
		t.Fatalf("reader got %v, want the newest [3 4]", got)
	}
}

func TestSubscriptionConcurrentReader(t *testing.T) {
	s := newSubscription(0) // at least 1
	var wg sync.WaitGroup
	var n int
	wg.Go(func() {
		for range s.ch {
			n++
		}
	})
	for i := range uint64(10000) {
		s.send(snapRSS(i))
	}
	s.close()
	wg.Wait()
	if uint64(n)+s.dropped.Load() != 10000 {
		t.Fatalf("received %d + dropped %d != 10000", n, s.dropped.Load())
	}
}
