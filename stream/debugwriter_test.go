package stream_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/stream"
)

// blockingWriter is a sink on a filesystem whose writes block: each
// Write waits for release (a frozen disk thawing), then succeeds.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
	entered chan struct{} // receives once per Write that has begun
}

func newBlockingWriter() *blockingWriter {
	return &blockingWriter{release: make(chan struct{}), entered: make(chan struct{}, 64)}
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	b.entered <- struct{}{}
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *blockingWriter) lines() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), "\n")
}

func sample(i int) provider.Snapshot {
	return provider.Snapshot{CPUPct: provider.Some(float64(i)), CapturedAtMS: int64(i)}
}

func TestDebugWriterWritesOffTheCaller(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "restel", "resource-debug")
	w := stream.StartDebugWriter(func() (*stream.DebugLog, error) { return stream.OpenDebugLog(dir, 0, 0) })
	for i := range 3 {
		w.Write(sample(i))
	}
	if err := w.Close(time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(time.Minute); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	w.Write(sample(9)) // after Close: dropped, counted
	if w.Dropped() != 1 || w.Path() == "" || filepath.Dir(w.Path()) != dir {
		t.Fatalf("dropped %d, path %q", w.Dropped(), w.Path())
	}
	b, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n != 3 {
		t.Fatalf("%d lines, want 3:\n%s", n, b)
	}
}

// A writer stuck in the filesystem never blocks Write: the queue fills,
// later samples are dropped and counted, and Close gives up after its
// wait. The goroutine finishes what was queued and exits once the
// filesystem thaws.
func TestDebugWriterStuckWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bw := newBlockingWriter()
		w := stream.StartDebugWriter(func() (*stream.DebugLog, error) { return stream.NewDebugLog(bw, 0), nil })
		w.Write(sample(0))
		<-bw.entered // the goroutine is inside the frozen write
		const extra = 5
		for i := range stream.DebugQueueLen + extra {
			w.Write(sample(i + 1))
		}
		if got := w.Dropped(); got != extra {
			t.Fatalf("Dropped %d, want %d: the queue holds %d", got, extra, stream.DebugQueueLen)
		}
		if err := w.Close(100 * time.Millisecond); !errors.Is(err, stream.ErrDebugWriterStuck) {
			t.Fatalf("Close on a stuck writer: %v, want ErrDebugWriterStuck", err)
		}
		select {
		case <-w.Done():
			t.Fatal("Done before the write returned")
		default:
		}
		close(bw.release) // the filesystem thaws
		<-w.Done()
		if n := bw.lines(); n != 1+stream.DebugQueueLen {
			t.Fatalf("%d lines written after the thaw, want %d", n, 1+stream.DebugQueueLen)
		}
		if err := w.Err(); err != nil {
			t.Fatal(err)
		}
	})
}

// An open that blocks (the directory walk on a frozen filesystem) holds
// nobody: samples queue, Close gives up after its wait, and the log the
// open returns at last is drained and closed.
func TestDebugWriterStuckOpen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		thaw := make(chan struct{})
		var sink bytes.Buffer
		w := stream.StartDebugWriter(func() (*stream.DebugLog, error) {
			<-thaw
			return stream.NewDebugLog(&sink, 0), nil
		})
		w.Write(sample(1))
		w.Write(sample(2))
		synctest.Wait()
		select {
		case <-w.Ready():
			t.Fatal("Ready before the open returned")
		default:
		}
		if w.Path() != "" || w.Err() != nil {
			t.Fatalf("before the open returned: path %q, err %v", w.Path(), w.Err())
		}
		if err := w.Close(time.Second); !errors.Is(err, stream.ErrDebugWriterStuck) {
			t.Fatalf("Close while the open blocks: %v", err)
		}
		close(thaw)
		<-w.Done()
		if n := bytes.Count(sink.Bytes(), []byte("\n")); n != 2 || w.Dropped() != 0 {
			t.Fatalf("%d lines, %d dropped; want the 2 queued samples written", n, w.Dropped())
		}
	})
}

func TestDebugWriterFailedOpen(t *testing.T) {
	boom := errors.New("boom")
	w := stream.StartDebugWriter(func() (*stream.DebugLog, error) { return nil, boom })
	<-w.Ready()
	w.Write(sample(1))
	if err := w.Close(time.Minute); !errors.Is(err, boom) {
		t.Fatalf("Close: %v, want the open's error", err)
	}
	if !errors.Is(w.Err(), boom) || w.Dropped() != 1 || w.Path() != "" {
		t.Fatalf("err %v, dropped %d, path %q", w.Err(), w.Dropped(), w.Path())
	}
}

func TestNilDebugWriter(t *testing.T) {
	var w *stream.DebugWriter
	w.Write(sample(1))
	w.Shutdown()
	<-w.Ready()
	<-w.Done()
	if w.Close(0) != nil || w.Err() != nil || w.Dropped() != 0 || w.Path() != "" {
		t.Fatal("a nil DebugWriter is not inert")
	}
}
