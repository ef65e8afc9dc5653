// Package snapcache is the monitor's read path: a TTL cache over one
// provider. Concurrent misses of one kind — fast (Snapshot) or run
// (RunSnapshot, for run boundaries) — coalesce into one read, so at most
// two reads are ever outstanding; each read passes through one panic
// guard. A provider the caller vouches for (inline) is read on the
// missing caller's goroutine without a deadline; any other on a goroutine
// of its own, and every waiting caller gives up at the read timeout,
// counted from the read's start, with the last snapshot of that kind
// ([Cache.Read] also says that it is not a fresh read). A provider that
// calls runtime.Goexit ends only its read, which counts as failed.
package snapcache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restel/restel/internal/guard"
	"github.com/restel/restel/provider"
)

// Kind selects what a read returns.
type Kind uint8

const (
	// Fast is the provider's Snapshot.
	Fast Kind = iota
	// Run is RunSnapshot when the provider has it. For a provider without
	// it a Run read reads Snapshot and shares the Fast cache entry (a
	// fresh Fast snapshot serves a Run request), while a forced Run read
	// still has a flight of its own.
	Run
)

// Cache is the TTL cache; create it with [New]. It is safe for concurrent
// use.
type Cache struct {
	read    [2]func(context.Context) (provider.Snapshot, error)
	merge   func(provider.Snapshot) provider.Snapshot
	timeout time.Duration
	inline  bool
	run     Kind // the cache entry a Run request uses: Run, or Fast without RunSnapshot

	// last is the newest completed read (Fast of either kind, Run of
	// kind Run): atomic, so a cache hit is one load with no lock.
	last [2]atomic.Pointer[flight]
	// slot is the read in flight, per kind: atomic, so concurrent misses
	// find and join it with one compare-and-swap.
	slot [2]atomic.Pointer[flight]
	ctx  context.Context // cancelled by Close; every read runs under it
	stop context.CancelFunc
	// shut is set by Close and read by every miss, on any goroutine.
	shut atomic.Bool
	// timer pools the waiters' timers (*time.Timer, stopped), so a wait
	// for a read handed off allocates none.
	timer sync.Pool

	// The counters are added by whichever goroutine read or waited.
	reads, errs, panics, timeouts, abandoned atomic.Uint64
}

// flight is one read. snap and at are written once, before done is
// closed; a completed flight is immutable and doubles as the cache entry.
type flight struct {
	done     chan struct{}
	deadline time.Time
	snap     provider.Snapshot
	at       time.Time
	fresh    bool // snap is this read's result, not a fallback
}

// New returns a cache over p. merge (may be nil) is applied to every
// snapshot read before it is cached; it must be cheap and must not block.
// inline reads p on the caller's goroutine without a deadline: pass
// vouch.For(p). timeout is how long a caller waits for a read
// handed off to a goroutine (the monitor's read timeout; <= 0: not at
// all). New starts no goroutine.
func New(p provider.SnapshotProvider, merge func(provider.Snapshot) provider.Snapshot, timeout time.Duration, inline bool) *Cache {
	c := &Cache{merge: merge, timeout: timeout, inline: inline}
	c.read[Fast], c.read[Run] = p.Snapshot, p.Snapshot
	if rr, ok := p.(provider.RunReader); ok {
		c.read[Run], c.run = rr.RunSnapshot, Run
	}
	c.ctx, c.stop = context.WithCancel(context.Background())
	return c
}

// Get returns a snapshot of kind k no older than maxAge, reading on a
// miss; maxAge <= 0 forces a read (joining one of that kind in flight).
// A cache hit is one atomic load and one clock read.
func (c *Cache) Get(k Kind, maxAge time.Duration) provider.Snapshot {
	if s := c.Fresh(k, maxAge); s != nil {
		return *s
	}
	s, _ := c.miss(k, maxAge)
	return s
}

// Read forces a read of kind k (joining one of that kind in flight) and
// reports whether the snapshot is that read's result: fresh is false when
// the caller stopped waiting at the read timeout, the cache is closed, or
// the provider called runtime.Goexit; the snapshot is then the fallback
// (the last one of kind k, else the all-unknown one). A read that failed
// or panicked is fresh: its snapshot says what is unknown.
func (c *Cache) Read(k Kind) (s provider.Snapshot, fresh bool) { return c.miss(k, 0) }

// kind is the cache entry a request for k uses: Run only when the
// provider has RunSnapshot.
func (c *Cache) kind(k Kind) Kind {
	if k == Run {
		return c.run
	}
	return Fast
}

// Fresh returns the cached snapshot of kind k when it is no older than
// maxAge (> 0), else nil, without reading: one atomic load and one clock
// read. The snapshot it points to is immutable.
func (c *Cache) Fresh(k Kind, maxAge time.Duration) *provider.Snapshot {
	if f := c.last[c.kind(k)].Load(); f.freshFor(maxAge) {
		return &f.snap
	}
	return nil
}

// freshFor reports whether f, a cache entry (may be nil), is no older
// than maxAge (> 0).
func (f *flight) freshFor(maxAge time.Duration) bool {
	return f != nil && maxAge > 0 && time.Since(f.at) <= maxAge
}

// Refresh is Get on a miss: it reads (or joins a read in flight) unless a
// read completed meanwhile is fresh enough.
func (c *Cache) Refresh(k Kind, maxAge time.Duration) provider.Snapshot {
	s, _ := c.miss(k, maxAge)
	return s
}

func (c *Cache) miss(k Kind, maxAge time.Duration) (provider.Snapshot, bool) {
	for !c.shut.Load() {
		if f := c.slot[k].Load(); f != nil {
			return c.wait(k, f)
		}
		f := &flight{done: make(chan struct{}), deadline: time.Now().Add(c.timeout)}
		if !c.slot[k].CompareAndSwap(nil, f) {
			continue // another caller started one: join it
		}
		switch e := c.last[c.kind(k)].Load(); {
		case c.shut.Load(): // closed while this caller raced for the slot
			f.snap, f.at = c.fallback(k), time.Now()
		case e.freshFor(maxAge): // a read completed meanwhile is fresh enough
			f.snap, f.at, f.fresh = e.snap, e.at, true
		case c.inline:
			c.do(k, f)
			return f.snap, f.fresh
		default:
			go c.do(k, f)
			return c.wait(k, f)
		}
		c.slot[k].Store(nil)
		close(f.done)
		return f.snap, f.fresh
	}
	return c.fallback(k), false
}

// do performs the read of f and publishes it, unless the cache closed
// meanwhile. Its deferred half runs on a Goexit too, so the slot is
// always released and waiters always woken.
func (c *Cache) do(k Kind, f *flight) {
	completed := false
	defer func() {
		if !completed { // runtime.Goexit in the provider
			c.reads.Add(1)
			c.errs.Add(1)
			f.snap, f.at = c.fallback(k), time.Now()
		}
		c.slot[k].Store(nil)
		close(f.done)
	}()
	s, err := guard.Snapshot(c.ctx, c.read[k], provider.SystemClock{})
	c.count(err)
	if c.merge != nil {
		s = c.merge(s)
	}
	if c.ctx.Err() != nil {
		// Cut short by Close: not a reading. Waiters get the last snapshot.
		f.snap, f.at = c.fallback(k), time.Now()
	} else {
		f.snap, f.at, f.fresh = s, time.Now(), true
		c.last[Fast].Store(f)
		if k == Run {
			c.last[Run].Store(f)
		}
	}
	completed = true
}

func (c *Cache) count(err error) {
	c.reads.Add(1)
	if err != nil {
		c.errs.Add(1)
		if errors.Is(err, guard.ErrPanic) {
			c.panics.Add(1)
		}
	}
}

func (c *Cache) wait(k Kind, f *flight) (provider.Snapshot, bool) {
	select {
	case <-f.done:
		return f.snap, f.fresh
	default:
	}
	d := time.Until(f.deadline)
	if d <= 0 {
		c.timeouts.Add(1)
		return c.fallback(k), false
	}
	t, _ := c.timer.Get().(*time.Timer)
	if t == nil {
		t = time.NewTimer(d)
	} else {
		t.Reset(d)
	}
	defer func() {
		t.Stop()
		c.timer.Put(t)
	}()
	select {
	case <-f.done:
		return f.snap, f.fresh
	case <-t.C:
		c.timeouts.Add(1)
		return c.fallback(k), false
	case <-c.ctx.Done():
		return c.fallback(k), false
	}
}

// fallback is what a caller of kind k gets when no fresh read is
// available: the last snapshot of kind k (a Run one keeps the run
// counters), else the last of either kind, else the all-unknown one.
func (c *Cache) fallback(k Kind) provider.Snapshot {
	if f := c.last[c.kind(k)].Load(); f != nil {
		return f.snap
	}
	if f := c.last[Fast].Load(); f != nil {
		return f.snap
	}
	return provider.Unknown(time.Now())
}

// Stats counts what a cache's reads did.
type Stats struct {
	Reads     uint64 // provider reads completed (Goexits included)
	Errors    uint64 // reads that returned an error (panics and Goexits included)
	Panics    uint64 // reads that panicked
	Timeouts  uint64 // callers that stopped waiting for a read
	Abandoned uint64 // reads still running when Close stopped waiting
	Inline    bool   // reads run on the caller's goroutine
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	return Stats{
		Reads: c.reads.Load(), Errors: c.errs.Load(), Panics: c.panics.Load(),
		Timeouts: c.timeouts.Load(), Abandoned: c.abandoned.Load(), Inline: c.inline,
	}
}

// Close cancels the reads in flight and waits for them until deadline.
// A read still running then is abandoned and counted: its goroutine stays
// blocked in the provider until the provider returns, then exits without
// touching the cache. Afterwards Get reads nothing and returns the last
// snapshot or the all-unknown one. Close is safe to call more than once.
// A read on a caller's goroutine (a vouched provider) is waited for the
// same way; past the deadline that caller is still inside the provider.
func (c *Cache) Close(deadline time.Time) {
	if c.shut.Swap(true) {
		return
	}
	c.stop()
	var t *time.Timer
	for k := range c.slot {
		f := c.slot[k].Load()
		if f == nil {
			continue
		}
		if t == nil {
			t = time.NewTimer(time.Until(deadline))
			defer t.Stop()
		}
		select {
		case <-f.done:
		case <-t.C:
			c.abandoned.Add(1)
			t.Reset(0) // the deadline has passed: do not wait for the other kind
		}
	}
}
