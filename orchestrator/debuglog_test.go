package orchestrator

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/stream"
)

// frozenDisk is a filesystem whose opens or writes block until thaw is
// closed (a frozen filesystem, a FUSE server that stopped answering).
type frozenDisk struct {
	thaw   chan struct{}
	mu     sync.Mutex
	opens  int
	frozen map[int]frozenStep // per open, from 1
	sinks  []*frozenSink
}

type frozenStep uint8

const (
	healthy     frozenStep = iota
	frozenOpen             // the open blocks
	frozenWrite            // every write blocks
)

type frozenSink struct {
	thaw   <-chan struct{}
	frozen bool
	buf    bytes.Buffer
}

func (s *frozenSink) Write(p []byte) (int, error) {
	if s.frozen {
		<-s.thaw
	}
	return s.buf.Write(p)
}

func (d *frozenDisk) open(string) (*stream.DebugLog, error) {
	d.mu.Lock()
	d.opens++
	step := d.frozen[d.opens]
	sink := &frozenSink{thaw: d.thaw, frozen: step == frozenWrite}
	d.sinks = append(d.sinks, sink)
	d.mu.Unlock()
	if step == frozenOpen {
		<-d.thaw
	}
	return stream.NewDebugLog(sink, 0), nil
}

func withDebugOpen(f func(string) (*stream.DebugLog, error)) Option {
	return func(c *config) { c.debugOpen = f }
}

// Raw-sample files on a filesystem whose opens or writes block hold up
// nobody: not another run's BeginRun, Finish or samples, not the run's own
// BeginRun or Finish beyond the read timeout, not Close beyond its
// deadline. The samples that found the writer stuck are dropped and
// counted; the stuck writers are abandoned, counted, and exit at the thaw.
func TestFrozenDebugDiskStallsNobody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 100 * time.Millisecond
		disk := &frozenDisk{thaw: make(chan struct{}), frozen: map[int]frozenStep{1: frozenWrite, 2: frozenOpen, 3: frozenWrite}}
		p := &gated{}
		var logs strings.Builder
		m := newMonitor(t, p, WithReadTimeout(timeout), withDebugOpen(disk.open), WithLogger(newTextLogger(&logs)))
		debug := aggregate.DebugLocalEvery(250 * time.Millisecond)

		t0 := time.Now()
		stuck := m.BeginRun(t.Context(), debug) // its writes block
		if d := time.Since(t0); d != 0 {
			t.Fatalf("BeginRun with a frozen write waited %v", d)
		}
		t0 = time.Now()
		slowOpen := m.BeginRun(t.Context(), debug) // its open blocks
		if d := time.Since(t0); d != timeout {
			t.Fatalf("BeginRun with a frozen open waited %v, want the read timeout", d)
		}
		if !strings.Contains(logs.String(), "not open within the read timeout") {
			t.Fatalf("no warning for the frozen open: %q", logs.String())
		}
		ctx, cancel := context.WithCancel(t.Context())
		discarded := m.BeginRun(ctx, debug) // ended by the owner: its writes block
		other := m.BeginRun(t.Context(), aggregate.SummaryEvery(250*time.Millisecond))

		time.Sleep(10 * time.Second) // 40 ticks: the frozen writers' queues overflow
		cancel()
		synctest.Wait()

		t0 = time.Now()
		u, ok := other.Finish()
		if d := time.Since(t0); !ok || d != 0 || u.SampleCount != 42 || u.SamplesSkipped != 0 {
			t.Fatalf("another run: %s %v after %v; want every tick's sample at once", u.AppendJSON(nil), ok, d)
		}
		t0 = time.Now()
		u, ok = stuck.Finish()
		if d := time.Since(t0); !ok || d != timeout || u.SampleCount != 42 {
			t.Fatalf("the run with the frozen writer: %s %v after %v; want its summary after the read timeout", u.AppendJSON(nil), ok, d)
		}
		st := m.Stats()
		if st.DebugAbandoned != 1 || st.DebugDropped == 0 {
			t.Fatalf("stats %+v: want the one stuck writer let go abandoned, and dropped samples counted", st)
		}
		t0 = time.Now()
		m.Close()
		if d := time.Since(t0); d > timeout {
			t.Fatalf("Close waited %v for frozen writers, want at most the read timeout", d)
		}
		if _, ok := slowOpen.Finish(); ok {
			t.Fatal("a run finished after Close has a summary")
		}
		if st := m.Stats(); st.DebugAbandoned != 3 {
			t.Fatalf("stats %+v: want 3 abandoned writers (one let go by Finish, two by Close)", st)
		}
		if discarded.DebugPath() != "" || slowOpen.DebugPath() != "" {
			t.Fatal("a log with no path has one")
		}
		close(disk.thaw)
		synctest.Wait() // every writer goroutine exits at the thaw
		disk.mu.Lock()
		defer disk.mu.Unlock()
		for i, s := range disk.sinks {
			if s.buf.Len() == 0 {
				t.Errorf("log %d: nothing written after the thaw", i+1)
			}
		}
	})
}
