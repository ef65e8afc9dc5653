// Package providertest is a conformance suite for implementations of
// [provider.SnapshotProvider], in the manner of testing/slogtest: restel's
// own providers (provider/linux, provider/darwin, provider/windows,
// provider/fake) and a user's custom device support run the same checks
// against themselves.
//
// A provider runs the suite from one of its own tests:
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, func(t *testing.T) provider.SnapshotProvider {
//			p, err := mydevice.New(mydevice.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return p // closed by the suite if it is an io.Closer
//		})
//	}
//
// newProvider is called once per subtest, so subtests do not share state.
// When the provider is an io.Closer the suite closes it when the subtest
// ends. Run the test with -race: the concurrency subtest is meant for it.
//
// The checks (docs/contract.md §1–§2):
//
//   - Snapshot: every snapshot, with or without an error, holds only real
//     readings: cpu_pct finite and within [0, 100]; battery at most 100;
//     available memory at most total when both are known; enums within
//     their range; memory pressure never below the pressure derived from
//     available/total; captured_at_ms not negative. Absence is explicit:
//     a known total of 0 MiB is a zero standing in for "unknown".
//   - CancelledContext: with an already-cancelled (or expired) context,
//     Snapshot returns within a bounded time and does not panic; it may
//     return an error, and its snapshot still passes the checks above.
//   - Concurrent: 8 goroutines read at once (and read the slow signals,
//     when offered), every result passing the checks.
//   - ThermalReader, BatteryReader: when the provider offers these optional
//     capabilities, their readings are in range and they honour a
//     cancelled context the same way; otherwise the subtests are skipped.
//   - Close: when the provider is an io.Closer, closing it twice does not
//     panic, and reads after Close return (an error is fine) without
//     panicking.
//
// Every call is made on a separate goroutine with a watchdog, so a panic or
// a hang in the provider is reported as a test failure naming the call
// rather than crashing or stalling the test binary. A call that hangs is
// abandoned (its goroutine outlives the test).
package providertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/restel/restel/provider"
)

// callTimeout bounds every provider call. It is generous: it only has to
// tell "returns" from "hangs" on a loaded machine.
const callTimeout = 10 * time.Second

// Concurrency of the Concurrent subtest.
const (
	concurrentWorkers = 8
	concurrentCalls   = 25
	sequentialReads   = 10
)

// Run runs the conformance suite as subtests of t. newProvider returns a
// fresh provider for each subtest (it may call t.Fatal).
func Run(t *testing.T, newProvider func(t *testing.T) provider.SnapshotProvider) {
	t.Helper()
	run(stdT{t}, func(t tester) provider.SnapshotProvider { return newProvider(t.(stdT).T) })
}

// tester is the part of *testing.T the suite uses, so the suite's own
// tests can run it against deliberately broken providers with a recorder
// instead of failing themselves. Fatalf and Skip end the calling goroutine
// (runtime.Goexit), as testing's do.
type tester interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Skip(args ...any)
	// Run runs f as the subtest name on its own goroutine and waits for it.
	Run(name string, f func(t tester)) bool
}

// stdT is a *testing.T as a tester.
type stdT struct{ *testing.T }

func (t stdT) Run(name string, f func(t tester)) bool {
	return t.T.Run(name, func(t *testing.T) { f(stdT{t}) })
}

func run(t tester, newProvider func(t tester) provider.SnapshotProvider) {
	t.Helper()
	fresh := func(t tester, closeAtEnd bool) provider.SnapshotProvider {
		t.Helper()
		p := newProvider(t)
		if p == nil {
			t.Fatalf("newProvider returned nil")
		}
		if c, ok := p.(io.Closer); ok && closeAtEnd {
			t.Cleanup(func() { _, _ = call(callTimeout, c.Close) })
		}
		return p
	}

	t.Run("Snapshot", func(t tester) {
		p := fresh(t, true)
		for i := range sequentialReads {
			s, err, problem := snapshot(context.Background(), p)
			if problem != nil {
				t.Fatalf("read %d: %v", i+1, problem)
			}
			if err != nil {
				t.Logf("read %d: provider error (allowed): %v", i+1, err)
			}
			if bad := CheckSnapshot(s); bad != nil {
				t.Errorf("read %d: %v", i+1, bad)
			}
		}
	})

	t.Run("CancelledContext", func(t tester) {
		p := fresh(t, true)
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(1, 0))
		defer cancel2()
		for _, c := range []struct {
			name string
			ctx  context.Context
		}{{"cancelled", cancelled}, {"expired", expired}} { // a fixed order: the first hang is the one reported
			name, ctx := c.name, c.ctx
			s, err, problem := snapshot(ctx, p)
			if problem != nil {
				t.Fatalf("%s context: %v", name, problem)
			}
			if bad := CheckSnapshot(s); bad != nil {
				t.Errorf("%s context: %v", name, bad)
			}
			if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
				t.Logf("%s context: error %v does not wrap %v (allowed, but errors.Is helps callers)", name, err, ctx.Err())
			}
		}
		// Cancelling while a read is in flight must not panic either.
		ctx, cancel3 := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); cancel3() }()
		if _, _, problem := snapshot(ctx, p); problem != nil {
			t.Errorf("read cancelled in flight: %v", problem)
		}
		<-done
	})

	t.Run("Concurrent", func(t tester) {
		p := fresh(t, true)
		th, _ := p.(provider.ThermalReader)
		bat, _ := p.(provider.BatteryReader)
		var wg sync.WaitGroup
		for w := range concurrentWorkers {
			wg.Go(func() {
				ctx := context.Background()
				for i := range concurrentCalls {
					s, _, problem := snapshot(ctx, p)
					if problem != nil {
						t.Errorf("worker %d read %d: %v", w, i, problem)
						return
					}
					if bad := CheckSnapshot(s); bad != nil {
						t.Errorf("worker %d read %d: %v", w, i, bad)
					}
					if th != nil && i%5 == w%5 {
						if problem := checkThermal(ctx, th); problem != nil {
							t.Errorf("worker %d: %v", w, problem)
						}
					}
					if bat != nil && i%5 == (w+2)%5 {
						if problem := checkBattery(ctx, bat); problem != nil {
							t.Errorf("worker %d: %v", w, problem)
						}
					}
				}
			})
		}
		wg.Wait()
	})

	t.Run("ThermalReader", func(t tester) {
		p := fresh(t, true)
		th, ok := p.(provider.ThermalReader)
		if !ok {
			t.Skip("provider does not implement provider.ThermalReader")
		}
		for _, ctx := range testContexts(t) {
			if problem := checkThermal(ctx, th); problem != nil {
				t.Errorf("%v", problem)
			}
		}
	})

	t.Run("BatteryReader", func(t tester) {
		p := fresh(t, true)
		bat, ok := p.(provider.BatteryReader)
		if !ok {
			t.Skip("provider does not implement provider.BatteryReader")
		}
		for _, ctx := range testContexts(t) {
			if problem := checkBattery(ctx, bat); problem != nil {
				t.Errorf("%v", problem)
			}
		}
	})

	t.Run("Close", func(t tester) {
		p := fresh(t, false)
		c, ok := p.(io.Closer)
		if !ok {
			t.Skip("provider does not implement io.Closer")
		}
		for i := range 2 {
			err, problem := call(callTimeout, c.Close)
			if problem != nil {
				t.Fatalf("Close #%d: %v", i+1, problem)
			}
			if err != nil {
				t.Logf("Close #%d: %v (allowed)", i+1, err)
			}
		}
		s, err, problem := snapshot(context.Background(), p)
		if problem != nil {
			t.Fatalf("Snapshot after Close: %v", problem)
		}
		if bad := CheckSnapshot(s); bad != nil {
			t.Errorf("Snapshot after Close: %v", bad)
		}
		t.Logf("Snapshot after Close: error %v", err)
		if th, ok := p.(provider.ThermalReader); ok {
			if problem := checkThermal(context.Background(), th); problem != nil {
				t.Errorf("after Close: %v", problem)
			}
		}
		if bat, ok := p.(provider.BatteryReader); ok {
			if problem := checkBattery(context.Background(), bat); problem != nil {
				t.Errorf("after Close: %v", problem)
			}
		}
	})
}

// testContexts returns a live, a cancelled and an expired context.
func testContexts(t tester) []context.Context {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(1, 0))
	t.Cleanup(cancel2)
	return []context.Context{context.Background(), cancelled, expired}
}

// CheckSnapshot reports (as one joined error) every way s breaks the
// Snapshot contract of docs/contract.md §2, or nil. It is what the suite applies to
// every snapshot; a custom provider's own tests may use it directly.
func CheckSnapshot(s provider.Snapshot) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c, ok := s.CPUPct.Get(); ok && (math.IsNaN(c) || c < 0 || c > 100) {
		bad("cpu_pct %v outside [0, 100] (non-finite values are unknown)", c)
	}
	if b, ok := s.BatteryPct.Get(); ok && b > 100 {
		bad("battery_pct %d above 100", b)
	}
	if tot, ok := s.TotalMemMB.Get(); ok && tot == 0 {
		bad("total_mem_mb is a known 0: report unknown instead")
	}
	if a, ok := s.AvailableMemMB.Get(); ok {
		if tot, ok := s.TotalMemMB.Get(); ok && a > tot {
			bad("available_mem_mb %d exceeds total_mem_mb %d", a, tot)
		}
	}
	if s.MemoryPressure > provider.MemoryPressureCritical {
		bad("memory_pressure %v is not a known level", s.MemoryPressure)
	} else if d := provider.DerivePressure(s.AvailableMemMB, s.TotalMemMB); s.MemoryPressure < d {
		bad("memory_pressure %v below %v derived from available %v / total %v MiB", s.MemoryPressure, d, s.AvailableMemMB.V, s.TotalMemMB.V)
	}
	if s.Thermal > provider.ThermalCritical {
		bad("thermal_state %v is not a known state", s.Thermal)
	}
	if s.CapturedAtMS < 0 {
		bad("captured_at_ms %d is negative", s.CapturedAtMS)
	}
	return errors.Join(errs...)
}

// snapshot calls p.Snapshot under the watchdog. problem is non-nil when the
// call panicked or hung.
func snapshot(ctx context.Context, p provider.SnapshotProvider) (s provider.Snapshot, err, problem error) {
	type result struct {
		s   provider.Snapshot
		err error
	}
	r, problem := call(callTimeout, func() result {
		s, err := p.Snapshot(ctx)
		return result{s, err}
	})
	return r.s, r.err, problem
}

func checkThermal(ctx context.Context, th provider.ThermalReader) error {
	type result struct {
		st  provider.ThermalState
		err error
	}
	r, problem := call(callTimeout, func() result {
		st, err := th.Thermal(ctx)
		return result{st, err}
	})
	switch {
	case problem != nil:
		return fmt.Errorf("Thermal: %w", problem)
	case r.st > provider.ThermalCritical:
		return fmt.Errorf("Thermal: state %v is not a known state", r.st)
	}
	return nil
}

func checkBattery(ctx context.Context, bat provider.BatteryReader) error {
	type result struct {
		b   provider.Opt[uint8]
		err error
	}
	r, problem := call(callTimeout, func() result {
		b, err := bat.Battery(ctx)
		return result{b, err}
	})
	switch {
	case problem != nil:
		return fmt.Errorf("Battery: %w", problem)
	case r.b.Valid && r.b.V > 100:
		return fmt.Errorf("Battery: %d above 100", r.b.V)
	}
	return nil
}

// errHung and errPanicked classify call problems.
var (
	errHung     = errors.New("did not return")
	errPanicked = errors.New("panicked")
)

// call runs f on its own goroutine and waits at most bound for it. The
// error reports a panic (errPanicked) or a hang (errHung). A hung f is
// abandoned: its goroutine ends whenever f returns.
func call[T any](bound time.Duration, f func() T) (T, error) {
	type result struct {
		v     T
		panic any
		ok    bool
	}
	done := make(chan result, 1) // buffered: an abandoned call never blocks
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{panic: r}
			}
		}()
		done <- result{v: f(), ok: true}
	}()
	timer := time.NewTimer(bound)
	defer timer.Stop()
	var zero T
	select {
	case r := <-done:
		if !r.ok {
			return zero, fmt.Errorf("%w: %v", errPanicked, r.panic)
		}
		return r.v, nil
	case <-timer.C:
		return zero, fmt.Errorf("%w within %v", errHung, bound)
	}
}
