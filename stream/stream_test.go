package stream_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/stream"
)

func snapRSS(n uint64) provider.Snapshot { return provider.Snapshot{ProcessRSSMB: provider.Some(n)} }

func rss(s provider.Snapshot) int64 {
	if !s.ProcessRSSMB.Valid {
		return -1
	}
	return int64(s.ProcessRSSMB.V)
}

func TestSubscriptionDropsOldest(t *testing.T) {
	s := stream.NewSubscription(2)
	for i := range uint64(5) {
		s.Send(snapRSS(i))
	}
	if s.Dropped() != 3 {
		t.Fatalf("Dropped %d, want 3", s.Dropped())
	}
	s.Close()
	s.Close()
	s.Send(snapRSS(9)) // after Close: ignored, no panic
	var got []int64
	for snap := range s.C() {
		got = append(got, rss(snap))
	}
	if !slices.Equal(got, []int64{3, 4}) {
		t.Fatalf("reader got %v, want the newest [3 4]", got)
	}
}

func TestSubscriptionConcurrentReader(t *testing.T) {
	s := stream.NewSubscription(0) // at least 1
	var wg sync.WaitGroup
	var n int
	wg.Go(func() {
		for range s.C() {
			n++
		}
	})
	for i := range uint64(10000) {
		s.Send(snapRSS(i))
	}
	s.Close()
	wg.Wait()
	if uint64(n)+s.Dropped() != 10000 {
		t.Fatalf("received %d + dropped %d != 10000", n, s.Dropped())
	}
}

// counting reports the read number as its RSS.
type counting struct{ n atomic.Uint64 }

func (c *counting) Snapshot(context.Context) (provider.Snapshot, error) {
	return snapRSS(c.n.Add(1)), nil
}

// run runs s for d of bubble time, then stops it and waits for it.
func run(s *stream.Sampler, d time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { s.Run(ctx) })
	time.Sleep(d)
	synctest.Wait()
	cancel()
	wg.Wait()
}

// A sampler reads at k·I and publishes each read to every subscriber; a
// slow one loses its oldest snapshots without holding up the sampler or
// the others; Run closes every subscription when it returns.
func TestSamplerFansOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &counting{}
		s := stream.NewSampler(p, 250*time.Millisecond)
		fast, slow := s.Subscribe(100), s.Subscribe(2)
		gone := s.Subscribe(100)
		s.Unsubscribe(gone)
		s.Unsubscribe(gone) // twice: harmless
		var at []time.Duration
		var got []int64
		var wg sync.WaitGroup
		t0 := time.Now()
		wg.Go(func() {
			for snap := range fast.C() {
				at = append(at, time.Since(t0))
				got = append(got, rss(snap))
			}
		})
		run(s, 1100*time.Millisecond)
		wg.Wait()
		wantAt := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond, time.Second}
		if !slices.Equal(at, wantAt) || !slices.Equal(got, []int64{1, 2, 3, 4}) {
			t.Fatalf("fast subscriber got %v at %v", got, at)
		}
		var kept []int64
		for snap := range slow.C() { // closed by Run's return
			kept = append(kept, rss(snap))
		}
		if !slices.Equal(kept, []int64{3, 4}) || slow.Dropped() != 2 {
			t.Fatalf("slow subscriber kept %v, dropped %d", kept, slow.Dropped())
		}
		if _, ok := <-gone.C(); ok {
			t.Fatal("an unsubscribed subscription received")
		}
		if _, ok := <-s.Subscribe(1).C(); ok {
			t.Fatal("a subscription after Run returned is open")
		}
	})
}

// A snapshot read after the sampler's context is done is not published.
func TestSamplerStopsOnCancelDuringRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		s := stream.NewSampler(provider.Func(func(context.Context) (provider.Snapshot, error) {
			cancel() // the owner stops the sampler while it reads
			return snapRSS(1), nil
		}), time.Second)
		sub := s.Subscribe(1)
		if err := s.Run(ctx); err != context.Canceled {
			t.Fatalf("Run returned %v, want context.Canceled", err)
		}
		if _, ok := <-sub.C(); ok {
			t.Fatal("a sample read after cancel was published")
		}
	})
}

// A non-positive interval means one second.
func TestSamplerDefaultInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := stream.NewSampler(&counting{}, 0)
		sub := s.Subscribe(10)
		run(s, 2500*time.Millisecond)
		n := 0
		for range sub.C() {
			n++
		}
		if n != 2 {
			t.Fatalf("%d samples in 2.5s, want 2 (one per second)", n)
		}
	})
}

// A provider that panics or fails gives its snapshot (all-unknown for a
// panic, the partial one for an error); the sampler goes on.
func TestSamplerOnTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr, err := fake.Parse("cpu.trace", strings.NewReader("@0s cpu=10\n@300ms cpu=20\n@600ms error=meminfo: EIO\n@800ms cpu=50\n@2s end\n"))
		if err != nil {
			t.Fatal(err)
		}
		s := stream.NewSampler(fake.New(tr), 250*time.Millisecond)
		sub := s.Subscribe(10)
		run(s, 1100*time.Millisecond)
		var got []string
		for snap := range sub.C() {
			got = append(got, fmt.Sprint(snap.CPUPct.Or(-1)))
		}
		if want := []string{"10", "20", "-1", "50"}; !slices.Equal(got, want) {
			t.Fatalf("samples %v, want %v", got, want)
		}
	})
}

// Example: a stream of snapshots, one per interval, on a channel.
func ExampleSampler() {
	p := provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{CPUPct: provider.Some(42.0)}, nil
	})
	s := stream.NewSampler(p, 250*time.Millisecond)
	sub := s.Subscribe(4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	snap := <-sub.C()
	cancel()
	<-done
	fmt.Println(snap.CPUPct.Or(-1))
	// Output: 42
}
