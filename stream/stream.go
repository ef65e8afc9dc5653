// Package stream is a stream of snapshots on channels: a [Sampler] reads a
// provider every interval and publishes each snapshot to its
// subscribers, and a [Subscription] is the receiving end, a buffered
// channel that never blocks the publisher (a slow reader loses the oldest
// buffered snapshot, and [Subscription.Dropped] counts it).
//
// The sampler is an actor in the oklog/run shape: [Sampler.Run] is its
// body, run on a goroutine its owner starts and waits for; cancelling the
// context is the interrupt. When Run returns, every subscription is
// closed. The package also keeps a run's raw samples on local disk
// ([DebugLog]). It depends on the provider package and, for its panic
// guard, the module's internal/guard.
//
// # Sampler or Monitor
//
// A Monitor (package orchestrator) is what a runtime embeds: its Watch
// channels are Subscriptions fed by the monitor's shared samplers, with
// the read timeout, the cache, the slow signals and the host-pushed
// values. A Sampler is the bare stream, for a program that owns its
// goroutines and wants the snapshots of one provider on channels with
// nothing else: no cache, no read timeout (a read takes as long as the
// provider does; a tick meanwhile is skipped), no slow-signal polling.
package stream

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restel/restel/internal/guard"
	"github.com/restel/restel/provider"
)

// Subscription is a buffered channel of snapshots with one sender. When
// the buffer is full, [Subscription.Send] drops the oldest buffered
// snapshot to make room: the sender never waits.
type Subscription struct {
	ch      chan provider.Snapshot
	closed  bool          // owned by the sender
	dropped atomic.Uint64 // added by the sender, read by the owner's Stats
}

// NewSubscription returns a subscription buffering up to buf snapshots
// (at least 1). Send and Close belong to one sender (a Sampler, a
// Monitor's owner goroutine); C and Dropped are for anyone.
func NewSubscription(buf int) *Subscription {
	return &Subscription{ch: make(chan provider.Snapshot, max(buf, 1))}
}

// C returns the channel the snapshots arrive on; Close closes it.
func (s *Subscription) C() <-chan provider.Snapshot { return s.ch }

// Dropped returns how many snapshots were dropped for a slow reader.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Send queues snap, dropping the oldest queued snapshot when the buffer is
// full. It never blocks; after Close it does nothing.
func (s *Subscription) Send(snap provider.Snapshot) {
	if s.closed {
		return
	}
	select {
	case s.ch <- snap:
		return
	default:
	}
	select {
	case <-s.ch: // the oldest; the reader may have taken it meanwhile
		s.dropped.Add(1)
	default:
	}
	select {
	case s.ch <- snap:
	default: // only the sender fills the channel, but never block
		s.dropped.Add(1)
	}
}

// Close closes the channel once; buffered snapshots stay readable.
func (s *Subscription) Close() {
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// Sampler reads a provider every interval and publishes each snapshot to
// its subscribers. Create it with [NewSampler]; run it with [Sampler.Run].
type Sampler struct {
	src   provider.SnapshotProvider
	every time.Duration

	mu   sync.Mutex // guards subs and done; held while publishing (non-blocking sends)
	subs []*Subscription
	done bool
}

// NewSampler returns a sampler of p every interval (a non-positive
// interval means one second). It starts no goroutine.
func NewSampler(p provider.SnapshotProvider, interval time.Duration) *Sampler {
	if interval <= 0 {
		interval = time.Second
	}
	return &Sampler{src: p, every: interval}
}

// Subscribe returns a subscription to every snapshot published after it,
// buffering up to buf. After Run has returned it returns a closed one.
func (s *Sampler) Subscribe(buf int) *Subscription {
	sub := NewSubscription(buf)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		sub.Close()
		return sub
	}
	s.subs = append(s.subs, sub)
	return sub
}

// Unsubscribe stops publishing to sub and closes it.
func (s *Sampler) Unsubscribe(sub *Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.subs {
		if x == sub {
			s.subs = append(s.subs[:i], s.subs[i+1:]...)
			sub.Close()
			return
		}
	}
}

// Run reads at k·interval after it starts (k >= 1) and publishes each
// snapshot, until ctx is done; then it closes every subscription and
// returns ctx's error. Reads run under ctx; a provider error leaves its
// fields unknown (the provider contract), a panic gives the all-unknown
// snapshot. A tick that comes while a read is still running is skipped,
// and a snapshot read after ctx is done is not published.
func (s *Sampler) Run(ctx context.Context) error {
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.done = true
		for _, sub := range s.subs {
			sub.Close()
		}
		s.subs = nil
	}()
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		snap, _ := guard.Snapshot(ctx, s.src.Snapshot, provider.SystemClock{})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.mu.Lock()
		for _, sub := range s.subs {
			sub.Send(snap)
		}
		s.mu.Unlock()
	}
}
