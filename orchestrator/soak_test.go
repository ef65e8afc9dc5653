package orchestrator

import (
	"context"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// soakCycles is how many BeginRun/Finish cycles TestSoak runs.
const soakCycles = 1_000_000

// TestSoak runs a million boundary runs (on GOMAXPROCS goroutines) and
// checks that goroutines and the live heap come back to their baseline:
// a run leaves nothing behind. It takes minutes, so it runs only when
// RESTEL_SOAK=1 (make soak): go test ./... stays quick.
func TestSoak(t *testing.T) {
	if os.Getenv("RESTEL_SOAK") != "1" {
		t.Skip("soak test: set RESTEL_SOAK=1 to run it (make soak)")
	}
	cycles := soakCycles
	if raceEnabled {
		cycles /= 10 // the race detector makes each cycle ~10x slower
	}
	p := fake.New(nil)
	m := New(provider.Func(p.Snapshot), WithHost(&HostState{}))
	defer m.Close()
	ctx := context.Background()
	m.BeginRun(ctx, aggregate.ModeBoundary).Finish() // warm up
	goroutines, heap := baseline()

	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < cycles; i += workers {
				if _, ok := m.BeginRun(ctx, aggregate.ModeBoundary).Finish(); !ok {
					t.Error("no summary")
					return
				}
			}
		})
	}
	wg.Wait()

	g, h := baseline()
	// A cache read goroutine may still be returning after handing over its
	// snapshot; give it a bounded number of chances to exit.
	for i := 0; i < 100 && g > goroutines; i++ {
		runtime.Gosched()
		g, h = baseline()
	}
	if g != goroutines {
		t.Errorf("goroutines: %d after %d runs, %d before", g, cycles, goroutines)
	}
	// Slack for runtime bookkeeping (sync.Pool, timers): 256 KiB, which is
	// a quarter of a byte per run.
	if h > heap+256<<10 {
		t.Errorf("live heap: %d bytes after %d runs, %d before", h, cycles, heap)
	}
	t.Logf("%d runs: goroutines %d -> %d, heap %d -> %d bytes, %d provider reads", cycles, goroutines, g, heap, h, p.Reads())
}

// baseline returns the goroutine count and live heap once garbage is
// collected and finished goroutines are gone.
func baseline() (goroutines int, heap uint64) {
	var ms runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapAlloc
}
