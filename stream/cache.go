package stream

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restel/restel/provider"
)

// DefaultReadTimeout bounds how long a caller waits for a provider read.
const DefaultReadTimeout = 100 * time.Millisecond

// Cache is the hot-path TTL cache over one provider (docs/contract.md §1).
//
// A cached read is one atomic pointer load and an age check on the
// monotonic clock: no lock, no allocation. A miss starts one provider
// read; concurrent misses join that read instead of starting their own, so
// at most one read is ever in flight, and a hung provider never piles up
// goroutines. Where the read runs depends on the provider:
//
//   - a provider that reports [provider.Bounded] (its reads cannot hang:
//     the Linux provider on the live procfs and cgroupfs, for one) is read
//     on the goroutine of the caller that missed, which costs no goroutine
//     switch; callers that join it wait as below;
//   - any other provider is read on the cache's reader goroutine (started
//     by the first miss, stopped by Close) and the caller waits for it, so
//     a hang holds no caller past the read timeout.
//
// A read that errors still yields its snapshot (the provider contract:
// unreadable fields are unknown); one that panics yields the all-unknown
// snapshot (see [SafeRead]). A read that hangs never holds a caller longer
// than the read timeout, counted from the moment the read started: a
// caller that joins a read already past its deadline returns at once. A
// caller that stops waiting gets the last snapshot the cache holds, or the
// all-unknown one when there is none; the late read still lands in the
// cache when it finishes.
//
// The zero Cache is not usable; create one with [NewCache]. A Cache is safe
// for concurrent use.
type Cache struct {
	src     provider.SnapshotProvider
	timeout time.Duration
	inline  bool // src is provider.Bounded: the caller that misses reads it

	cur atomic.Pointer[flight] // the newest completed read

	ctx    context.Context // cancelled by Close; every read runs under it
	cancel context.CancelFunc
	timers sync.Pool // *time.Timer, stopped

	mu      sync.Mutex
	fl      *flight      // the read in flight, if any
	req     chan *flight // to the reader goroutine; buffered, holds at most one
	started bool         // the reader goroutine runs
	closed  bool
	wg      sync.WaitGroup // the reader goroutine and inline reads in flight

	reads, errs, panics, timeouts atomic.Uint64
}

// flight is one provider read. snap and at are written once, before done
// is closed; a completed flight is immutable and doubles as the cache
// entry. done is made, under Cache.mu, by the first caller that waits for
// the flight: an inline read that nobody joins allocates no channel.
type flight struct {
	done     chan struct{}
	deadline time.Time // when waiters give up
	snap     provider.Snapshot
	at       time.Time // when the read completed (monotonic)
}

// NewCache returns a cache reading src, where a caller waits at most
// timeout for a read (timeout <= 0 means [DefaultReadTimeout]). It asks
// src once whether it is [provider.Bounded]. It starts no goroutine; the
// first miss of a provider that is not Bounded starts the reader.
func NewCache(src provider.SnapshotProvider, timeout time.Duration) *Cache {
	if timeout <= 0 {
		timeout = DefaultReadTimeout
	}
	c := &Cache{src: src, timeout: timeout, inline: provider.IsBounded(src), req: make(chan *flight, 1)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// Get returns a snapshot no older than maxAge, reading the provider on a
// miss. maxAge <= 0 forces a read (joining one already in flight). Get
// never blocks longer than the read timeout and never panics.
func (c *Cache) Get(maxAge time.Duration) provider.Snapshot {
	if f := c.cur.Load(); f != nil && maxAge > 0 && time.Since(f.at) <= maxAge {
		return f.snap
	}
	return c.miss(maxAge)
}

// Last returns the newest snapshot read so far, without reading.
func (c *Cache) Last() (provider.Snapshot, bool) {
	if f := c.cur.Load(); f != nil {
		return f.snap, true
	}
	return provider.Snapshot{}, false
}

func (c *Cache) miss(maxAge time.Duration) provider.Snapshot {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return c.fallback()
	}
	// Another caller may have refreshed while this one waited for the lock.
	if f := c.cur.Load(); f != nil && maxAge > 0 && time.Since(f.at) <= maxAge {
		c.mu.Unlock()
		return f.snap
	}
	f := c.fl
	if f != nil { // join the read in flight
		if f.done == nil {
			f.done = make(chan struct{})
		}
		c.mu.Unlock()
		return c.wait(f)
	}
	f = &flight{deadline: time.Now().Add(c.timeout)}
	c.fl = f
	if c.inline {
		c.wg.Add(1) // Close waits for the read; closed is false under mu
		c.mu.Unlock()
		defer c.wg.Done()
		c.read(f)
		return f.snap
	}
	f.done = make(chan struct{})
	if !c.started {
		c.started = true
		c.wg.Go(c.reader)
	}
	c.req <- f // never blocks: only one flight is ever outstanding
	c.mu.Unlock()
	return c.wait(f)
}

// reader is the cache's one reader goroutine, started by the first miss
// and stopped by Close. A long-lived reader keeps its grown stack and
// costs no goroutine start per read.
func (c *Cache) reader() {
	for {
		select {
		case f := <-c.req:
			c.read(f)
		case <-c.ctx.Done():
			return
		}
	}
}

// read performs one provider read and publishes it, unless the cache
// closed meanwhile. It runs on the reader goroutine, or on the caller's
// for a Bounded provider.
func (c *Cache) read(f *flight) {
	s, err := SafeRead(c.ctx, c.src, provider.SystemClock{})
	c.reads.Add(1)
	if err != nil {
		c.errs.Add(1)
		if errors.Is(err, ErrPanic) {
			c.panics.Add(1)
		}
	}
	if c.ctx.Err() != nil {
		// Cut short by Close: not a reading. Waiters get what a caller
		// giving up gets, and the last snapshot stays.
		f.snap, f.at = c.fallback(), time.Now()
	} else {
		f.snap, f.at = s, time.Now()
		c.cur.Store(f)
	}
	c.mu.Lock()
	c.fl = nil
	done := f.done
	c.mu.Unlock()
	if done != nil {
		close(done)
	}
}

func (c *Cache) wait(f *flight) provider.Snapshot {
	select {
	case <-f.done:
		return f.snap
	default:
	}
	d := time.Until(f.deadline)
	if d <= 0 {
		c.timeouts.Add(1)
		return c.fallback()
	}
	t, _ := c.timers.Get().(*time.Timer)
	if t == nil {
		t = time.NewTimer(d)
	} else {
		t.Reset(d)
	}
	defer func() {
		t.Stop()
		c.timers.Put(t)
	}()
	select {
	case <-f.done:
		return f.snap
	case <-t.C:
		c.timeouts.Add(1)
		return c.fallback()
	case <-c.ctx.Done():
		return c.fallback()
	}
}

// fallback is what a caller gets when no fresh read is available: the last
// snapshot, else the all-unknown one.
func (c *Cache) fallback() provider.Snapshot {
	if f := c.cur.Load(); f != nil {
		return f.snap
	}
	return provider.Unknown(time.Now())
}

// CacheStats counts what a cache's reads did.
type CacheStats struct {
	Reads    uint64 // provider reads completed
	Inline   bool   // reads run on the caller's goroutine: the provider is Bounded
	Errors   uint64 // reads that returned an error (panics included)
	Panics   uint64 // reads that panicked
	Timeouts uint64 // callers that stopped waiting for a read
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	return CacheStats{
		Reads:    c.reads.Load(),
		Inline:   c.inline,
		Errors:   c.errs.Load(),
		Panics:   c.panics.Load(),
		Timeouts: c.timeouts.Load(),
	}
}

// Close stops the reader goroutine: it cancels the context of a read in
// flight (on the reader or, for a Bounded provider, on a caller) and waits
// for it to return. Afterwards Get reads nothing: it returns the last
// snapshot or the all-unknown one. Close is safe to call more than once, and without any
// Get. A provider that ignores its context keeps Close waiting until the
// read returns.
func (c *Cache) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}
