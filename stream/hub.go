package stream

import (
	"sync"
	"sync/atomic"

	"github.com/restel/restel/provider"
)

// Sink receives the samples a [Hub] publishes. Observe runs on the
// publishing goroutine, once per sample and never concurrently for one
// sink: it must be cheap and must not block (fold the sample into an
// aggregator under a short lock, or hand it to a [ChanSink]). A sink that
// panics is unsubscribed; the panic does not reach the publisher.
type Sink interface {
	Observe(provider.Snapshot)
}

// Hub fans each published sample out to every subscribed sink without
// ever blocking on a subscriber.
//
// Subscribing and cancelling never wait for a delivery in progress:
// Subscribe appends to a short pending list under its own lock, and Cancel
// only sets a flag. The publisher owns the delivery list; at each Publish
// it takes in the pending subscriptions and drops the cancelled ones, in
// place and in order. A delivery costs one flag load and one Observe call
// per subscriber, with no allocation and no goroutine per subscriber.
//
// The zero Hub is ready to use.
type Hub struct {
	mu      sync.Mutex // guards pending
	pending []*Subscription

	pub  sync.Mutex      // serializes Publish
	subs []*Subscription // owned by the publisher (under pub)

	live atomic.Int64
}

// Subscription is one sink's membership of a [Hub].
type Subscription struct {
	hub  *Hub
	sink Sink
	gone atomic.Bool
}

// Subscribe adds s to the hub: it receives every sample published after
// Subscribe returns, until the subscription is cancelled.
func (h *Hub) Subscribe(s Sink) *Subscription {
	sub := &Subscription{hub: h, sink: s}
	h.live.Add(1)
	h.mu.Lock()
	h.pending = append(h.pending, sub)
	h.mu.Unlock()
	return sub
}

// Cancel removes the subscription. It reports whether this call cancelled
// it (false when it was already cancelled). A delivery already in progress
// may still reach the sink once; none starts after Cancel returns.
func (s *Subscription) Cancel() bool {
	if s == nil || s.gone.Swap(true) {
		return false
	}
	s.hub.live.Add(-1)
	return true
}

// Len returns the number of live subscriptions.
func (h *Hub) Len() int { return int(h.live.Load()) }

// Publish delivers snap to every live subscription and returns how many
// it reached. Concurrent Publish calls are serialized.
func (h *Hub) Publish(snap provider.Snapshot) int {
	h.pub.Lock()
	defer h.pub.Unlock()
	h.takePending()

	keep := h.subs[:0]
	for _, s := range h.subs {
		if s.gone.Load() || !deliver(s, snap) {
			continue
		}
		keep = append(keep, s)
	}
	clear(h.subs[len(keep):]) // let cancelled subscriptions be collected
	h.subs = keep
	return len(keep)
}

// Drain cancels every live subscription and returns their sinks, for an
// owner that has stopped publishing for good and must release what the
// sinks hold. A Publish after Drain reaches only later subscriptions.
func (h *Hub) Drain() []Sink {
	h.pub.Lock()
	defer h.pub.Unlock()
	h.takePending()
	var sinks []Sink
	for _, s := range h.subs {
		if s.Cancel() {
			sinks = append(sinks, s.sink)
		}
	}
	clear(h.subs)
	h.subs = h.subs[:0]
	return sinks
}

// takePending moves the pending subscriptions to the delivery list; pub is
// held.
func (h *Hub) takePending() {
	h.mu.Lock()
	h.subs = append(h.subs, h.pending...)
	clear(h.pending)
	h.pending = h.pending[:0]
	h.mu.Unlock()
}

// deliver calls the sink, cancelling the subscription if it panics.
func deliver(s *Subscription, snap provider.Snapshot) (ok bool) {
	defer func() {
		if recover() != nil {
			s.Cancel()
			ok = false
		}
	}()
	s.sink.Observe(snap)
	return true
}

// ChanSink is a [Sink] that hands samples to a reader through a buffered
// channel. When the reader is slow and the buffer is full, the oldest
// buffered sample is dropped to make room for the newest, and Dropped
// counts it: the publisher never waits.
type ChanSink struct {
	mu      sync.Mutex // serializes Observe and Close, so no send races the close
	ch      chan provider.Snapshot
	closed  bool
	dropped atomic.Uint64
}

// NewChanSink returns a sink buffering up to buf samples (at least 1).
func NewChanSink(buf int) *ChanSink {
	return &ChanSink{ch: make(chan provider.Snapshot, max(buf, 1))}
}

// C returns the channel the samples arrive on. It is closed by Close.
func (c *ChanSink) C() <-chan provider.Snapshot { return c.ch }

// Observe queues s, dropping the oldest queued sample when the buffer is
// full. It never blocks. After Close it does nothing.
func (c *ChanSink) Observe(s provider.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	select {
	case c.ch <- s:
		return
	default:
	}
	select {
	case <-c.ch: // the oldest; the reader may have taken it meanwhile
		c.dropped.Add(1)
	default:
	}
	select {
	case c.ch <- s:
	default: // cannot happen with one sender, but never block
		c.dropped.Add(1)
	}
}

// Dropped returns how many samples were dropped for a slow reader.
func (c *ChanSink) Dropped() uint64 { return c.dropped.Load() }

// Close closes the channel once; buffered samples stay readable. It is
// safe to call more than once and concurrently with Observe.
func (c *ChanSink) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.ch)
	}
}
