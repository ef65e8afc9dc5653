package stream

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restel/restel/provider"
)

// DebugQueueLen is how many samples a [DebugWriter] holds for its
// goroutine; past it, samples are dropped and counted. At a 250 ms
// interval it rides out a 4 s stall of the disk without a loss.
const DebugQueueLen = 16

// ErrDebugWriterStuck is what [DebugWriter.Close] returns when the
// writer's goroutine did not finish within the wait: a write or the open
// is blocked in the filesystem. The goroutine is left behind and exits
// when the call returns.
var ErrDebugWriterStuck = errors.New("debug log: writer stuck in the filesystem, abandoned")

// DebugWriter takes a run's raw samples off the caller's goroutine: one
// goroutine of its own opens the [DebugLog] and writes to it, fed by a
// bounded queue, so a filesystem whose opens or writes block never delays
// the caller. Write never blocks: a sample that finds the queue full (the
// writer is stuck) is dropped and counted. Shutdown and Close end the
// goroutine after it has written what is queued; Close waits for that at
// most a bound of the caller's.
//
// Write is for one goroutine at a time (the run's owner of the moment);
// every other method is safe from any goroutine. A nil *DebugWriter
// ignores every call.
type DebugWriter struct {
	q     chan provider.Snapshot
	stop  chan struct{}
	ready chan struct{} // closed when open has returned
	done  chan struct{} // closed when the goroutine has returned

	// Set by the goroutine before ready is closed.
	log *DebugLog
	err error // open's

	// Set by the goroutine before done is closed.
	werr error // the log's first failure

	stopOnce sync.Once     // closes stop, once: Shutdown may race itself
	halted   atomic.Bool   // Shutdown was called, or open failed: Write drops
	dropped  atomic.Uint64 // samples the queue refused; Write and Dropped race
}

// StartDebugWriter starts the goroutine that calls open and then writes
// every queued sample to the log open returned; it does not wait for
// open. An error from open drops every sample (see Err).
func StartDebugWriter(open func() (*DebugLog, error)) *DebugWriter {
	w := &DebugWriter{
		q:    make(chan provider.Snapshot, DebugQueueLen),
		stop: make(chan struct{}), ready: make(chan struct{}), done: make(chan struct{}),
	}
	go w.run(open)
	return w
}

func (w *DebugWriter) run(open func() (*DebugLog, error)) {
	defer close(w.done)
	l, err := open()
	if err == nil && l == nil {
		err = errors.New("debug log: no log opened")
	}
	w.log, w.err = l, err
	close(w.ready)
	if err != nil {
		w.halted.Store(true)
		for { // count what was queued; a Write racing the halt is counted here too, once it lands
			select {
			case <-w.q:
				w.dropped.Add(1)
				continue
			default:
			}
			break
		}
		return
	}
	defer func() {
		w.werr = l.Err()
		_ = l.Close()
	}()
	for {
		select {
		case s := <-w.q:
			l.Write(s)
		case <-w.stop:
			for {
				select {
				case s := <-w.q:
					l.Write(s)
				default:
					return
				}
			}
		}
	}
}

// Write queues s for the writer's goroutine; it never blocks. A sample
// that finds the queue full, or comes after Shutdown or a failed open, is
// dropped and counted.
func (w *DebugWriter) Write(s provider.Snapshot) {
	if w == nil {
		return
	}
	if w.halted.Load() {
		w.dropped.Add(1)
		return
	}
	select {
	case w.q <- s:
	default:
		w.dropped.Add(1)
	}
}

// Ready is closed once the log is open, or its open failed.
func (w *DebugWriter) Ready() <-chan struct{} {
	if w == nil {
		return closedChan
	}
	return w.ready
}

// Done is closed once the goroutine has returned: the log is closed.
func (w *DebugWriter) Done() <-chan struct{} {
	if w == nil {
		return closedChan
	}
	return w.done
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Path returns the log's path once it is open (Ready), "" before and for
// a log without one.
func (w *DebugWriter) Path() string {
	if w == nil {
		return ""
	}
	select {
	case <-w.ready:
		return w.log.Path()
	default:
		return ""
	}
}

// Err returns open's error once Ready, and after Done the log's first
// write failure (ErrDebugLogFull or a wrapped write error); nil until
// then.
func (w *DebugWriter) Err() error {
	if w == nil {
		return nil
	}
	select {
	case <-w.done:
		if w.err != nil {
			return w.err
		}
		return w.werr
	case <-w.ready:
		return w.err
	default:
		return nil
	}
}

// Dropped returns how many samples were not written: refused by a full
// queue, after Shutdown or a failed open, or dropped by the log (its
// size limit, a write error).
func (w *DebugWriter) Dropped() uint64 {
	if w == nil {
		return 0
	}
	n := w.dropped.Load()
	select {
	case <-w.ready:
		n += w.log.Dropped()
	default:
	}
	return n
}

// Shutdown stops taking samples and lets the goroutine write what is
// queued, close the log and return, without waiting for it (see Done).
// It is idempotent.
func (w *DebugWriter) Shutdown() {
	if w == nil {
		return
	}
	w.halted.Store(true)
	w.stopOnce.Do(func() { close(w.stop) })
}

// Close is Shutdown, then a wait of at most wait for the goroutine to
// finish. A goroutine still blocked in the filesystem then is abandoned:
// Close returns ErrDebugWriterStuck, and the goroutine exits when the
// filesystem lets its call return. Otherwise Close returns the log's
// failure, if any (see Err).
func (w *DebugWriter) Close(wait time.Duration) error {
	if w == nil {
		return nil
	}
	w.Shutdown()
	select {
	case <-w.done:
		return w.Err()
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-w.done:
		return w.Err()
	case <-t.C:
		return ErrDebugWriterStuck
	}
}
