package orchestrator

import (
	"sync/atomic"

	"github.com/restel/restel/provider"
)

// subscription is a Watch's channel: buffered, with one sender, the owner
// goroutine. When the buffer is full, send drops the oldest buffered
// snapshot to make room: the owner never waits for a reader.
type subscription struct {
	ch     chan provider.Snapshot
	closed bool // the sender's
	// dropped counts the snapshots dropped for a slow reader. Atomic
	// because the sender adds to it while Stats may read it.
	dropped atomic.Uint64
}

// newSubscription returns a subscription buffering up to buf snapshots
// (at least 1).
func newSubscription(buf int) *subscription {
	return &subscription{ch: make(chan provider.Snapshot, max(buf, 1))}
}

// send queues snap, dropping the oldest queued snapshot when the buffer is
// full. It never blocks; after close it does nothing.
func (s *subscription) send(snap provider.Snapshot) {
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

// close closes the channel once; buffered snapshots stay readable.
func (s *subscription) close() {
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}
