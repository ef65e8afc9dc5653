package stream

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/restel/restel/provider"
)

// rec is a sink recording the RSS of each sample.
type rec struct {
	mu  sync.Mutex
	got []int64
}

func (r *rec) Observe(s provider.Snapshot) {
	r.mu.Lock()
	r.got = append(r.got, rss(s))
	r.mu.Unlock()
}

func (r *rec) samples() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.got...)
}

func snapRSS(n uint64) provider.Snapshot { return provider.Snapshot{ProcessRSSMB: provider.Some(n)} }

func TestHubFanOut(t *testing.T) {
	var h Hub
	a, b, c := &rec{}, &rec{}, &rec{}
	sa, sb := h.Subscribe(a), h.Subscribe(b)
	if n := h.Publish(snapRSS(1)); n != 2 {
		t.Fatalf("Publish reached %d, want 2", n)
	}
	h.Subscribe(c)
	if !sa.Cancel() || sa.Cancel() {
		t.Fatal("Cancel: want true once, then false")
	}
	if h.Len() != 2 {
		t.Fatalf("Len %d, want 2", h.Len())
	}
	if n := h.Publish(snapRSS(2)); n != 2 {
		t.Fatalf("Publish reached %d, want 2", n)
	}
	sb.Cancel()
	h.Publish(snapRSS(3))
	for _, tc := range []struct {
		name string
		r    *rec
		want []int64
	}{{"a", a, []int64{1}}, {"b", b, []int64{1, 2}}, {"c", c, []int64{2, 3}}} {
		if got := tc.r.samples(); !slices.Equal(got, tc.want) {
			t.Errorf("sink %s got %v, want %v", tc.name, got, tc.want)
		}
	}
	var nilSub *Subscription
	if nilSub.Cancel() {
		t.Error("nil Cancel reported true")
	}
}

type panicky struct{ n int }

func (p *panicky) Observe(provider.Snapshot) { p.n++; panic("sink bug") }

func TestHubPanickingSinkIsDropped(t *testing.T) {
	var h Hub
	bad, good := &panicky{}, &rec{}
	h.Subscribe(bad)
	h.Subscribe(good)
	h.Publish(snapRSS(1))
	h.Publish(snapRSS(2))
	if bad.n != 1 || !slices.Equal(good.samples(), []int64{1, 2}) || h.Len() != 1 {
		t.Fatalf("panicking sink called %d times, good got %v, len %d", bad.n, good.samples(), h.Len())
	}
}

func TestHubConcurrentChurn(t *testing.T) {
	var h Hub
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for i := uint64(0); ; i++ {
			select {
			case <-stop:
				return
			default:
				h.Publish(snapRSS(i))
			}
		}
	})
	for range 8 {
		wg.Go(func() {
			for range 500 {
				r := &rec{}
				s := h.Subscribe(r)
				s.Cancel()
			}
		})
	}
	keep := &rec{}
	h.Subscribe(keep)
	for len(keep.samples()) < 10 {
		h.Publish(snapRSS(0))
	}
	close(stop)
	wg.Wait()
	if h.Len() != 1 {
		t.Fatalf("Len %d after churn, want 1", h.Len())
	}
	h.Publish(snapRSS(0))
	if len(h.subs) != 1 {
		t.Fatalf("%d subscriptions retained, want 1", len(h.subs))
	}
}

func TestChanSinkDropsOldest(t *testing.T) {
	s := NewChanSink(2)
	for i := range uint64(5) {
		s.Observe(snapRSS(i))
	}
	if s.Dropped() != 3 {
		t.Fatalf("Dropped %d, want 3", s.Dropped())
	}
	s.Close()
	s.Close()
	s.Observe(snapRSS(9)) // after Close: ignored, no panic
	var got []int64
	for snap := range s.C() {
		got = append(got, rss(snap))
	}
	if !slices.Equal(got, []int64{3, 4}) {
		t.Fatalf("reader got %v, want the newest [3 4]", got)
	}
}

// A slow subscriber on a hub never holds up the publisher or the other
// subscribers; it loses its oldest samples and the counter says how many.
func TestHubSlowSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var h Hub
		slow := NewChanSink(4)
		fast := &rec{}
		h.Subscribe(slow)
		h.Subscribe(fast)
		for i := range uint64(100) {
			h.Publish(snapRSS(i))
		}
		if len(fast.samples()) != 100 {
			t.Fatalf("fast subscriber got %d samples", len(fast.samples()))
		}
		if slow.Dropped() != 96 {
			t.Fatalf("slow subscriber dropped %d, want 96", slow.Dropped())
		}
		slow.Close()
		var got []int64
		for s := range slow.C() {
			got = append(got, rss(s))
		}
		if !slices.Equal(got, []int64{96, 97, 98, 99}) {
			t.Fatalf("slow subscriber kept %v", got)
		}
	})
}

func TestChanSinkConcurrentReader(t *testing.T) {
	s := NewChanSink(1)
	var wg sync.WaitGroup
	var n int
	wg.Go(func() {
		for range s.C() {
			n++
		}
	})
	for i := range uint64(10000) {
		s.Observe(snapRSS(i))
	}
	s.Close()
	wg.Wait()
	if uint64(n)+s.Dropped() != 10000 {
		t.Fatalf("received %d + dropped %d != 10000", n, s.Dropped())
	}
}

func TestHubDrain(t *testing.T) {
	var h Hub
	a, b, c := &rec{}, &rec{}, &rec{}
	h.Subscribe(a)
	h.Publish(snapRSS(1))
	h.Subscribe(b) // still pending
	h.Subscribe(c).Cancel()
	got := h.Drain()
	if len(got) != 2 || got[0] != Sink(a) || got[1] != Sink(b) || h.Len() != 0 {
		t.Fatalf("Drain returned %v (len %d), want the two live sinks", got, h.Len())
	}
	if h.Publish(snapRSS(2)) != 0 || len(h.Drain()) != 0 {
		t.Fatal("a drained hub still delivers")
	}
	d := &rec{}
	h.Subscribe(d)
	if h.Publish(snapRSS(3)) != 1 || !slices.Equal(d.samples(), []int64{3}) || !slices.Equal(a.samples(), []int64{1}) {
		t.Fatal("a subscription after Drain")
	}
}
