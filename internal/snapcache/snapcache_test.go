package snapcache

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
)

// counting is a provider whose reads are counted; each read reports the
// read number as its RSS, so tests can tell which read they got.
type counting struct {
	n     atomic.Int64
	delay time.Duration // each read sleeps this long (fake time in a bubble)
}

func (c *counting) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	n := c.n.Add(1)
	if c.delay > 0 {
		time.Sleep(c.delay)
	}
	return provider.Snapshot{ProcessRSSMB: provider.Some(uint64(n)), CapturedAtMS: time.Now().UnixMilli()}, nil
}

func rss(s provider.Snapshot) int64 {
	if !s.ProcessRSSMB.Valid {
		return -1
	}
	return int64(s.ProcessRSSMB.V)
}

// boundedP marks a provider for newCache as one read on the caller's
// goroutine (what a provider restel vouches for gets).
type boundedP struct{ provider.SnapshotProvider }

func newCache(p provider.SnapshotProvider, timeout time.Duration) *Cache {
	_, inline := p.(boundedP)
	if timeout <= 0 {
		timeout = testTimeout
	}
	return New(p, nil, timeout, inline)
}

// close closes c with the deadline a Monitor gives it: the read timeout.
func (c *Cache) close() { c.Close(time.Now().Add(c.timeout)) }

// paths runs f once per read path: the hand-off to the reader goroutine
// (the provider as given) and the inline read (the provider marked
// Bounded). Behaviour that does not depend on a hang is the same on both.
func paths(t *testing.T, f func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider)) {
	t.Run("handoff", func(t *testing.T) {
		f(t, func(p provider.SnapshotProvider) provider.SnapshotProvider { return p })
	})
	t.Run("inline", func(t *testing.T) {
		f(t, func(p provider.SnapshotProvider) provider.SnapshotProvider { return boundedP{p} })
	})
}

func TestCacheTTL(t *testing.T) {
	paths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider) {
		synctest.Test(t, func(t *testing.T) {
			p := &counting{}
			c := newCache(wrap(p), testTimeout)
			defer c.close()
			if got := rss(c.Get(Fast, 500*time.Millisecond)); got != 1 {
				t.Fatalf("first Get: read %d, want 1", got)
			}
			time.Sleep(500 * time.Millisecond) // age exactly the TTL: still fresh
			if got := rss(c.Get(Fast, 500*time.Millisecond)); got != 1 {
				t.Fatalf("Get at age == maxAge: read %d, want cached 1", got)
			}
			time.Sleep(time.Millisecond)
			if got := rss(c.Get(Fast, 500*time.Millisecond)); got != 2 {
				t.Fatalf("Get past maxAge: read %d, want 2", got)
			}
			if got := rss(c.Get(Fast, 0)); got != 3 {
				t.Fatalf("Get(0): read %d, want a forced read 3", got)
			}
			if got := rss(c.Get(Fast, -time.Second)); got != 4 {
				t.Fatalf("Get(-1s): read %d, want a forced read 4", got)
			}
			if st := c.Stats(); st.Reads != 4 || st.Errors != 0 || st.Timeouts != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	})
}

func TestCacheCoalescesMisses(t *testing.T) {
	paths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider) {
		synctest.Test(t, func(t *testing.T) {
			p := &counting{delay: 10 * time.Millisecond}
			c := newCache(wrap(p), time.Second)
			defer c.close()
			var wg sync.WaitGroup
			got := make([]int64, 200)
			for i := range got {
				wg.Go(func() { got[i] = rss(c.Get(Fast, 0)) })
			}
			wg.Wait()
			if n := p.n.Load(); n != 1 {
				t.Fatalf("200 concurrent misses made %d provider reads, want 1", n)
			}
			for i, g := range got {
				if g != 1 {
					t.Fatalf("caller %d got read %d, want 1", i, g)
				}
			}
		})
	})
}

func TestCacheErrorKeepsPartialSnapshot(t *testing.T) {
	paths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider) {
		synctest.Test(t, func(t *testing.T) {
			errRead := errors.New("psi: EOPNOTSUPP")
			c := newCache(wrap(provider.Func(func(context.Context) (provider.Snapshot, error) {
				return provider.Snapshot{TotalMemMB: provider.Some[uint64](16000)}, errRead
			})), 0)
			defer c.close()
			s := c.Get(Fast, 0)
			if !s.TotalMemMB.Valid || s.TotalMemMB.V != 16000 {
				t.Fatalf("snapshot %+v: want the provider's partial snapshot", s)
			}
			if s.CapturedAtMS != time.Now().UnixMilli() {
				t.Fatalf("CapturedAtMS %d, want stamped %d", s.CapturedAtMS, time.Now().UnixMilli())
			}
			if st := c.Stats(); st.Errors != 1 || st.Panics != 0 {
				t.Fatalf("stats %+v, want 1 error", st)
			}
		})
	})
}

func TestCachePanicNeverReachesCaller(t *testing.T) {
	paths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider) {
		synctest.Test(t, func(t *testing.T) {
			c := newCache(wrap(provider.Func(func(context.Context) (provider.Snapshot, error) {
				panic("driver bug")
			})), 0)
			defer c.close()
			s := c.Get(Fast, 0)
			if s != provider.Unknown(time.Now()) {
				t.Fatalf("snapshot %+v, want all-unknown", s)
			}
			if st := c.Stats(); st.Errors != 1 || st.Panics != 1 {
				t.Fatalf("stats %+v, want 1 panic", st)
			}
		})
	})
}

// hanging hangs on every read after the first ok ones, for minutes unless
// its context ends (honour) or regardless (!honour).
type hanging struct {
	ok     int64
	honour bool
	n      atomic.Int64
}

func (h *hanging) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	n := h.n.Add(1)
	if n > h.ok {
		if h.honour {
			select {
			case <-time.After(10 * time.Minute):
			case <-ctx.Done():
				return provider.Unknown(time.Now()), ctx.Err()
			}
		} else {
			time.Sleep(10 * time.Minute)
		}
	}
	return provider.Snapshot{ProcessRSSMB: provider.Some(uint64(n))}, nil
}

func TestCacheHangIsBounded(t *testing.T) {
	for _, honour := range []bool{true, false} {
		t.Run(map[bool]string{true: "honours-ctx", false: "ignores-ctx"}[honour], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := &hanging{ok: 1, honour: honour}
				c := newCache(p, 50*time.Millisecond)
				if got := rss(c.Get(Fast, 0)); got != 1 {
					t.Fatalf("first read %d", got)
				}
				start := time.Now()
				s := c.Get(Fast, 0)
				if d := time.Since(start); d != 50*time.Millisecond {
					t.Fatalf("hung read held the caller %v, want the 50ms timeout", d)
				}
				if rss(s) != 1 {
					t.Fatalf("after a timeout got %+v, want the last snapshot", s)
				}
				// Later callers join the hung read, already past its deadline:
				// they return at once, and no second read starts.
				time.Sleep(time.Second)
				start = time.Now()
				for range 100 {
					c.Get(Fast, 0)
				}
				if d := time.Since(start); d != 0 {
					t.Fatalf("callers joining a hung read waited %v", d)
				}
				if n := p.n.Load(); n != 2 {
					t.Fatalf("%d reads, want 2 (one hung, none piled up)", n)
				}
				if st := c.Stats(); st.Timeouts != 101 {
					t.Fatalf("timeouts %d, want 101", st.Timeouts)
				}
				start = time.Now()
				c.close()
				// Close waits at most the read timeout: a read that ignores
				// its context is abandoned.
				want, abandoned := time.Duration(0), uint64(0)
				if !honour {
					want, abandoned = 50*time.Millisecond, 1
				}
				if d := time.Since(start); d != want {
					t.Fatalf("Close took %v, want %v", d, want)
				}
				if st := c.Stats(); st.Abandoned != abandoned {
					t.Fatalf("abandoned %d, want %d", st.Abandoned, abandoned)
				}
				time.Sleep(10 * time.Minute) // the abandoned read returns, and its goroutine ends
			})
		})
	}
}

func TestCacheHangWithoutHistoryIsUnknown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCache(&hanging{honour: true}, testTimeout)
		defer c.close()
		start := time.Now()
		if s := c.Get(Fast, 0); s != provider.Unknown(time.Now()) {
			t.Fatalf("got %+v, want all-unknown", s)
		}
		if d := time.Since(start); d != testTimeout {
			t.Fatalf("waited %v, want %v", d, testTimeout)
		}
	})
}

func TestCacheLateReadLands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &counting{delay: time.Second}
		c := newCache(p, 10*time.Millisecond)
		defer c.close()
		if s := c.Get(Fast, 0); rss(s) != -1 {
			t.Fatalf("got %+v, want all-unknown while the first read is slow", s)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if s := c.Fresh(Fast, time.Hour); s == nil || rss(*s) != 1 {
			t.Fatalf("cached %+v: want the late read", s)
		}
		if got := rss(c.Get(Fast, time.Hour)); got != 1 {
			t.Fatalf("cached Get after the late read: %d", got)
		}
	})
}

func TestCacheClosed(t *testing.T) {
	paths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider) {
		synctest.Test(t, func(t *testing.T) {
			p := &counting{}
			c := newCache(wrap(p), testTimeout)
			c.close()
			c.close()
			if s := c.Get(Fast, 0); rss(s) != -1 {
				t.Fatalf("Get on a closed, never-read cache: %+v", s)
			}
			if p.n.Load() != 0 {
				t.Fatal("a closed cache read its provider")
			}
		})
		synctest.Test(t, func(t *testing.T) {
			p := &counting{}
			c := newCache(wrap(p), testTimeout)
			c.Get(Fast, 0)
			c.close()
			if got := rss(c.Get(Fast, 0)); got != 1 || p.n.Load() != 1 {
				t.Fatalf("Get after Close: read %d (%d reads), want the last snapshot and no read", got, p.n.Load())
			}
		})
	})
}

func TestCacheCachedGetDoesNotAllocate(t *testing.T) {
	paths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider) {
		c := newCache(wrap(&counting{}), testTimeout)
		defer c.close()
		c.Get(Fast, 0)
		if n := testing.AllocsPerRun(1000, func() { c.Get(Fast, time.Hour) }); n != 0 {
			t.Fatalf("cached Get allocates %v times", n)
		}
	})
}

// A read cut short by Close is no reading: the last snapshot stays the
// one callers get after Close.
func TestCacheCloseKeepsLastGoodSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCache(&hanging{ok: 1, honour: true}, 10*time.Millisecond)
		c.Get(Fast, 0)
		c.Get(Fast, 0) // hangs; the caller gives up
		c.close()
		if s := c.Fresh(Fast, time.Hour); s == nil || rss(*s) != 1 {
			t.Fatalf("cached after Close %+v: want the last good read", s)
		}
		if got := rss(c.Get(Fast, 0)); got != 1 {
			t.Fatalf("Get after Close: read %d, want 1", got)
		}
	})
}

// goid is the calling goroutine's id, from its stack header.
func goid() string {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	return string(b[:bytes.IndexByte(b, ' ')])
}

func TestCacheBoundedReadsOnTheCaller(t *testing.T) {
	var readOn string
	p := provider.Func(func(context.Context) (provider.Snapshot, error) {
		readOn = goid()
		return provider.Snapshot{ProcessRSSMB: provider.Some[uint64](1)}, nil
	})
	for _, tc := range []struct {
		name     string
		src      provider.SnapshotProvider
		onCaller bool
	}{
		{"bounded", boundedP{p}, true},
		{"unbounded", p, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(tc.src, testTimeout)
			defer c.close()
			if got := rss(c.Get(Fast, 0)); got != 1 {
				t.Fatalf("Get(0) read %d, want 1", got)
			}
			if on := readOn == goid(); on != tc.onCaller {
				t.Fatalf("read on the caller's goroutine: %v, want %v", on, tc.onCaller)
			}
			if st := c.Stats(); st.Reads != 1 || st.Inline != tc.onCaller {
				t.Fatalf("stats %+v: want 1 read, inline %v", st, tc.onCaller)
			}
		})
	}
}

// A forced inline read allocates only its flight (the cache entry) and
// the channel joiners would wait on (the provider here allocates
// nothing): no timer, no goroutine.
func TestCacheBoundedReadAllocatesOnlyItsEntry(t *testing.T) {
	c := newCache(boundedP{provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{CapturedAtMS: 1}, nil
	})}, 0)
	defer c.close()
	if n := testing.AllocsPerRun(1000, func() { c.Get(Fast, 0) }); n != 2 {
		t.Fatalf("forced inline Get allocates %v times, want 2", n)
	}
}

// A provider that claims Bounded and then hangs holds only the caller that
// reads it: callers joining that read still give up at the read timeout.
func TestCacheBoundedJoinersStayBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var n atomic.Int64
		c := newCache(boundedP{provider.Func(func(context.Context) (provider.Snapshot, error) {
			if n.Add(1) > 1 {
				<-release
			}
			return provider.Snapshot{ProcessRSSMB: provider.Some(uint64(n.Load()))}, nil
		})}, 50*time.Millisecond)
		defer c.close()
		c.Get(Fast, 0)
		var leader provider.Snapshot
		var wg sync.WaitGroup
		wg.Go(func() { leader = c.Get(Fast, 0) })
		synctest.Wait() // the leader is inside the read
		start := time.Now()
		if got := rss(c.Get(Fast, 0)); got != 1 {
			t.Fatalf("joiner got read %d, want the last snapshot 1", got)
		}
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Fatalf("joiner waited %v, want the 50ms timeout", d)
		}
		close(release)
		wg.Wait()
		if got := rss(leader); got != 2 {
			t.Fatalf("leader got read %d, want its own read 2", got)
		}
		if got := rss(c.Get(Fast, time.Hour)); got != 2 {
			t.Fatalf("cached Get after the slow read: %d, want 2", got)
		}
		if st := c.Stats(); st.Reads != 2 || st.Timeouts != 1 {
			t.Fatalf("stats %+v, want 2 reads and 1 timeout", st)
		}
	})
}

// Close cancels an inline read in flight and waits for it, at most the
// read timeout: past it the read is abandoned and counted, and the
// cut-short read is no reading.
func TestCacheCloseAbandonsABoundedReadAtTheTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		var inside atomic.Bool
		c := newCache(boundedP{provider.Func(func(ctx context.Context) (provider.Snapshot, error) {
			if n.Add(1) == 1 {
				return provider.Snapshot{ProcessRSSMB: provider.Some[uint64](1)}, nil
			}
			inside.Store(true)
			defer inside.Store(false)
			<-ctx.Done()
			time.Sleep(time.Second) // winding down takes a while
			return provider.Unknown(time.Now()), ctx.Err()
		})}, 0)
		c.Get(Fast, 0)
		var got provider.Snapshot
		var wg sync.WaitGroup
		wg.Go(func() { got = c.Get(Fast, 0) })
		synctest.Wait()
		start := time.Now()
		c.close()
		if d := time.Since(start); d != testTimeout {
			t.Fatalf("Close returned after %v, want the read timeout %v", d, testTimeout)
		}
		if !inside.Load() || c.Stats().Abandoned != 1 {
			t.Fatalf("stats %+v: want the read still inside the provider, abandoned", c.Stats())
		}
		wg.Wait()
		if rss(got) != 1 {
			t.Fatalf("read cut short by Close gave %+v, want the last snapshot", got)
		}
		if s := c.Fresh(Fast, time.Hour); s == nil || rss(*s) != 1 {
			t.Fatalf("cached after Close %+v: want the last good read", s)
		}
	})
}

// runReader counts its Snapshot and RunSnapshot reads; only RunSnapshot
// reports a counter.
type runReader struct{ fast, full atomic.Int64 }

func (r *runReader) Snapshot(context.Context) (provider.Snapshot, error) {
	r.fast.Add(1)
	return provider.Snapshot{CPUPct: provider.Some(1.0)}, nil
}

func (r *runReader) RunSnapshot(context.Context) (provider.Snapshot, error) {
	r.full.Add(1)
	return provider.Snapshot{CPUPct: provider.Some(2.0), Counters: provider.Counters{CPUStall: provider.Some(time.Second)}}, nil
}

// A full read is RunSnapshot; it refreshes both caches, a fast read only
// the fast one.
func TestCacheFullReadsRunSnapshot(t *testing.T) {
	paths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider) {
		synctest.Test(t, func(t *testing.T) {
			p := &runReader{}
			c := New(p, nil, testTimeout, wrap(p) != provider.SnapshotProvider(p))
			defer c.close()
			if c.Fresh(Run, time.Hour) != nil {
				t.Fatal("a full snapshot before any read")
			}
			if s := c.Get(Fast, 0); s.Counters.CPUStall.Valid || p.fast.Load() != 1 {
				t.Fatalf("fast read %+v (%d fast reads)", s, p.fast.Load())
			}
			if c.Fresh(Run, time.Hour) != nil {
				t.Fatal("a fast read filled the full cache")
			}
			s := c.Get(Run, time.Hour)
			if s.Counters.CPUStall != provider.Some(time.Second) || p.full.Load() != 1 {
				t.Fatalf("full read %+v (%d full reads)", s, p.full.Load())
			}
			if s := c.Get(Fast, time.Hour); s.CPUPct != provider.Some(2.0) || p.fast.Load() != 1 {
				t.Fatalf("the fast cache after a full read: %+v (%d fast reads)", s, p.fast.Load())
			}
			if c.Get(Run, time.Hour); p.full.Load() != 1 {
				t.Fatal("a fresh full snapshot was read again")
			}
		})
	})
}

// A provider without RunSnapshot serves full reads with Snapshot, and a
// fresh fast snapshot serves a full request (they are the same read).
func TestCacheFullWithoutRunReader(t *testing.T) {
	p := &counting{}
	c := New(p, nil, testTimeout, true)
	defer c.close()
	if got := rss(c.Get(Run, 0)); got != 1 {
		t.Fatalf("full read %d, want Snapshot's 1", got)
	}
	if got := rss(c.Get(Fast, 0)); got != 2 {
		t.Fatalf("fast read %d, want Snapshot's 2", got)
	}
	if got := rss(c.Get(Run, time.Hour)); got != 2 {
		t.Fatalf("full request after a fresh fast read: %d, want that read's 2 without a new one", got)
	}
	if c.Fresh(Run, time.Hour) == nil {
		t.Fatal("a fresh fast snapshot does not serve a full request")
	}
}

// merge is applied to every read before it is cached.
func TestCacheMerge(t *testing.T) {
	c := New(&counting{}, func(s provider.Snapshot) provider.Snapshot {
		s.Thermal = provider.ThermalHot
		return s
	}, testTimeout, true)
	defer c.close()
	if s := c.Get(Fast, 0); s.Thermal != provider.ThermalHot {
		t.Fatalf("merged read %+v", s)
	}
}

// A provider that calls runtime.Goexit ends its read goroutine; the read
// counts as failed, waiters get the last snapshot, and the next read runs.
func TestCacheGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		c := New(provider.Func(func(context.Context) (provider.Snapshot, error) {
			if n.Add(1) == 2 {
				runtime.Goexit()
			}
			return provider.Snapshot{ProcessRSSMB: provider.Some(uint64(n.Load()))}, nil
		}), nil, testTimeout, false)
		defer c.close()
		c.Get(Fast, 0)
		start := time.Now()
		if got := rss(c.Get(Fast, 0)); got != 1 {
			t.Fatalf("the read that called Goexit gave %d, want the last snapshot 1", got)
		}
		if time.Since(start) != 0 {
			t.Fatal("the caller waited for a read that had ended")
		}
		if got := rss(c.Get(Fast, 0)); got != 3 {
			t.Fatalf("the next read gave %d, want 3", got)
		}
		if st := c.Stats(); st.Reads != 3 || st.Errors != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// testTimeout is the read timeout these tests give a cache (the
// monitor's default).
const testTimeout = 100 * time.Millisecond

// stuckFull is a runReader whose RunSnapshot blocks, ignoring its
// context, while hang is set, until release is closed.
type stuckFull struct {
	runReader
	hang    atomic.Bool
	release chan struct{}
}

func (s *stuckFull) RunSnapshot(ctx context.Context) (provider.Snapshot, error) {
	if s.hang.Load() {
		<-s.release
	}
	return s.runReader.RunSnapshot(ctx)
}

// Whenever a full read cannot give a fresh snapshot — a read completed
// meanwhile is fresh enough, the caller stops waiting at the timeout, the
// cache is closed — it gets the last full snapshot, with the run
// counters, even when a fast read completed after it.
func TestCacheFullFallbackKeepsCounters(t *testing.T) {
	stall := func(s provider.Snapshot) bool { return s.Counters.CPUStall.Valid }
	synctest.Test(t, func(t *testing.T) {
		p := &stuckFull{release: make(chan struct{})}
		c := New(p, nil, testTimeout, false)
		if s := c.Get(Run, 0); !stall(s) {
			t.Fatalf("full read %+v without the counter", s)
		}
		if s := c.Get(Fast, 0); stall(s) {
			t.Fatalf("fast read %+v with the counter", s)
		}
		if s := c.Refresh(Run, time.Hour); !stall(s) || p.full.Load() != 1 {
			t.Fatalf("a fresh-enough full refresh gave %+v after %d full reads, want the cached full snapshot", s, p.full.Load())
		}
		p.hang.Store(true)
		if s, fresh := c.Read(Run); fresh || !stall(s) {
			t.Fatalf("a timed-out full read gave %+v (fresh %v), want the last full snapshot, not fresh", s, fresh)
		}
		c.close()
		if s := c.Get(Run, 0); !stall(s) {
			t.Fatalf("a full read after Close gave %+v, want the last full snapshot", s)
		}
		close(p.release)
	})
}

// Read reports whether its snapshot is a fresh read: a hung read's
// waiters get the fallback, not fresh, and a read that fails is fresh.
func TestCacheReadTellsFresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hanging{ok: 1, honour: true}
		c := newCache(h, testTimeout)
		defer c.close()
		if s, fresh := c.Read(Fast); !fresh || rss(s) != 1 {
			t.Fatalf("first read %+v fresh %v", s, fresh)
		}
		for range 3 {
			if s, fresh := c.Read(Fast); fresh || rss(s) != 1 {
				t.Fatalf("a hung read gave %+v fresh %v, want the last snapshot, not fresh", s, fresh)
			}
		}
		if n := h.n.Load(); n != 2 {
			t.Fatalf("%d provider reads, want 2: waiters join the hung read", n)
		}
	})
}

// A run read (a run's start or end) joins the run read in flight, even a
// hung one, on a provider with or without RunSnapshot: the end snapshot
// of a boundary run begun while the provider hangs waits on the start's
// read, and no second read starts.
func TestCacheRunReadJoinsTheHungRunRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &hanging{ok: 1, honour: true}
		c := newCache(p, 30*time.Millisecond)
		if got := rss(c.Get(Fast, 0)); got != 1 {
			t.Fatalf("first read %d", got)
		}
		time.Sleep(time.Second)
		start := time.Now()
		s, fresh := c.Read(Run) // the start: its read hangs
		if d := time.Since(start); d != 30*time.Millisecond || fresh || rss(s) != 1 {
			t.Fatalf("hung run read: %v, fresh %v, rss %d; want the 30ms timeout and the last snapshot", d, fresh, rss(s))
		}
		start = time.Now()
		s, fresh = c.Read(Run) // the end: joins the hung read, past its deadline
		if d := time.Since(start); d != 0 || fresh || rss(s) != 1 {
			t.Fatalf("run read joining a hung one: %v, fresh %v, rss %d; want no wait and the last snapshot", d, fresh, rss(s))
		}
		if n := p.n.Load(); n != 2 {
			t.Fatalf("%d provider reads, want 2: the hung run read is never duplicated", n)
		}
		if st := c.Stats(); st.Timeouts != 2 {
			t.Fatalf("stats %+v: want 2 timeouts (the start and the end)", st)
		}
		c.close()
		synctest.Wait() // the cancelled read returns, and its goroutine ends
	})
}

// slowRunReader is a runReader whose RunSnapshot takes 10ms.
type slowRunReader struct{ runReader }

func (r *slowRunReader) RunSnapshot(ctx context.Context) (provider.Snapshot, error) {
	time.Sleep(10 * time.Millisecond)
	return r.runReader.RunSnapshot(ctx)
}

// Concurrent run-read misses coalesce like fast ones, into one
// RunSnapshot, and leave Snapshot unread.
func TestCacheCoalescesRunMisses(t *testing.T) {
	paths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider) {
		synctest.Test(t, func(t *testing.T) {
			p := &slowRunReader{}
			c := New(p, nil, time.Second, wrap(p) != provider.SnapshotProvider(p))
			defer c.close()
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					if s := c.Get(Run, 0); !s.Counters.CPUStall.Valid {
						t.Errorf("run read %+v, want RunSnapshot's counters", s)
					}
				})
			}
			wg.Wait()
			if n := p.full.Load(); n != 1 {
				t.Fatalf("100 concurrent run misses made %d RunSnapshot reads, want 1", n)
			}
			if n := p.fast.Load(); n != 0 {
				t.Fatalf("%d Snapshot reads for run misses, want none", n)
			}
		})
	})
}

// A boundary run's reads in cache terms: the start and the end are one
// forced run read each, and what happens between them reads nothing.
func TestCacheRunReadsCountedOnce(t *testing.T) {
	paths(t, func(t *testing.T, wrap func(provider.SnapshotProvider) provider.SnapshotProvider) {
		synctest.Test(t, func(t *testing.T) {
			p := &counting{}
			c := newCache(wrap(p), testTimeout)
			defer c.close()
			if got := rss(c.Get(Run, 0)); got != 1 {
				t.Fatalf("start read %d, want 1", got)
			}
			time.Sleep(5 * time.Second)
			if got := rss(c.Get(Run, 0)); got != 2 {
				t.Fatalf("end read %d, want 2", got)
			}
			if n, st := p.n.Load(), c.Stats(); n != 2 || st.Reads != 2 {
				t.Fatalf("%d provider reads, stats %+v: want 2", n, st)
			}
		})
	})
}
