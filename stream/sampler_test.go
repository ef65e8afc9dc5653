package stream

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
)

// timed is a sink recording when each sample arrived, relative to t0.
type timed struct {
	t0  time.Time
	mu  sync.Mutex
	got []time.Duration
}

func (s *timed) Observe(provider.Snapshot) {
	s.mu.Lock()
	s.got = append(s.got, time.Since(s.t0))
	s.mu.Unlock()
}

// runSampler runs a sampler of c's forced reads at interval, publishing to
// sink, for d of bubble time; then it stops the sampler and waits for it.
func runSampler(c *Cache, sink Sink, interval, d time.Duration) {
	var h Hub
	h.Subscribe(sink)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		Sampler{Interval: interval, Read: func(context.Context) provider.Snapshot { return c.Get(0) }, Hub: &h}.Run(ctx)
	})
	time.Sleep(d)
	synctest.Wait()
	cancel()
	wg.Wait()
}

func TestSamplerTicksAtKI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewCache(&counting{}, 0)
		defer c.Close()
		sink := &timed{t0: time.Now()}
		runSampler(c, sink, 250*time.Millisecond, 1100*time.Millisecond)
		want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, 750 * time.Millisecond, time.Second}
		if len(sink.got) != len(want) {
			t.Fatalf("samples at %v, want %v", sink.got, want)
		}
		for i := range want {
			if sink.got[i] != want[i] {
				t.Fatalf("samples at %v, want %v", sink.got, want)
			}
		}
		if n := c.Stats().Reads; n != 4 {
			t.Fatalf("%d reads, want 4", n)
		}
	})
}

func TestSamplerStopsOnCancelDuringRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var h Hub
		sink := &timed{t0: time.Now()}
		h.Subscribe(sink)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			Sampler{Interval: time.Second, Read: func(context.Context) provider.Snapshot {
				cancel() // the owner stops the sampler while it reads
				return provider.Snapshot{}
			}, Hub: &h}.Run(ctx)
		}()
		<-done
		if len(sink.got) != 0 {
			t.Fatalf("a sample read after cancel was published: %v", sink.got)
		}
	})
}

func TestSamplerInvalidConfigReturns(t *testing.T) {
	Sampler{}.Run(t.Context()) // must return at once
}
