// Package platformtest holds the checks the platform providers
// (provider/darwin, provider/windows) share, so their tests state each
// rule once: how their options resolve, how a read answers a done
// context and a closed provider, that Close releases once whatever reads
// run beside it, and that the system-call shims keep unsafe.Pointer
// rule 4. Only tests import it. Unlike provider/providertest, whose suite
// allows any error, these checks name the exact errors restel's own
// providers promise.
package platformtest

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/restel/restel/internal/procopt"
	"github.com/restel/restel/internal/unsafecall"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// Options checks a platform package's options through its resolve
// function: the defaults (the calling process, the system clock), nil
// options skipped, WithPID(0) as the caller, the last option winning, a
// nil clock as the system clock, and a negative pid an error wrapping
// provider.ErrInvalid.
func Options[O ~func(*procopt.Config)](t *testing.T, resolve func([]O) (procopt.Config, error), withPID func(int) O, withClock func(provider.Clock) O) {
	t.Helper()
	self := os.Getpid()
	clk := fake.NewManualClock(time.Unix(42, 0))
	tests := []struct {
		name      string
		opts      []O
		wantPID   int
		wantSelf  bool
		wantClock provider.Clock
	}{
		{"defaults", nil, self, true, provider.SystemClock{}},
		{"nil options skipped", []O{nil, nil}, self, true, provider.SystemClock{}},
		{"pid 0 is the caller", []O{withPID(0)}, self, true, provider.SystemClock{}},
		{"another process", []O{withPID(self + 1)}, self + 1, false, provider.SystemClock{}},
		{"last option wins", []O{withPID(7), withPID(0)}, self, true, provider.SystemClock{}},
		{"clock", []O{withClock(clk)}, self, true, clk},
		{"nil clock is the system clock", []O{withClock(clk), withClock(nil)}, self, true, provider.SystemClock{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := resolve(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.PID != tt.wantPID || cfg.Self != tt.wantSelf || cfg.Clock != tt.wantClock {
				t.Errorf("resolve = %+v; want PID %d, Self %v, Clock %v", cfg, tt.wantPID, tt.wantSelf, tt.wantClock)
			}
		})
	}
	if _, err := resolve([]O{withPID(-2)}); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("WithPID(-2): %v, want ErrInvalid", err)
	}
}

// Provider is what a platform provider offers every platform test.
type Provider interface {
	provider.SnapshotProvider
	provider.RunReader
	io.Closer
}

// slowReads returns one call per slow signal p offers (Thermal, Battery),
// each returning its error, named.
func slowReads(p Provider) map[string]func(context.Context) error {
	reads := map[string]func(context.Context) error{}
	if th, ok := p.(provider.ThermalReader); ok {
		reads["Thermal"] = func(ctx context.Context) error { _, err := th.Thermal(ctx); return err }
	}
	if b, ok := p.(provider.BatteryReader); ok {
		reads["Battery"] = func(ctx context.Context) error { _, err := b.Battery(ctx); return err }
	}
	return reads
}

// Lifecycle checks p, a provider over injected system calls whose clock
// stands at at and that reports through releases how many times it
// released them: with a cancelled context Snapshot, RunSnapshot and every
// slow signal return context.Canceled (Snapshot an unknown snapshot
// stamped at); Close releases once, a second Close is a no-op; after
// Close every read returns provider.ErrClosed.
func Lifecycle(t *testing.T, p Provider, at time.Time, releases func() int) {
	t.Helper()
	reads := slowReads(p)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if s, err := p.Snapshot(cancelled); !errors.Is(err, context.Canceled) || s != provider.Unknown(at) {
		t.Errorf("Snapshot with a cancelled context: %+v, %v; want unknown, context.Canceled", s, err)
	}
	if _, err := p.RunSnapshot(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("RunSnapshot with a cancelled context: %v", err)
	}
	for name, read := range reads {
		if err := read(cancelled); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v", name, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := releases(); n != 1 {
		t.Errorf("system calls released %d times, want 1", n)
	}
	bg := context.Background()
	if _, err := p.Snapshot(bg); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("Snapshot after Close: %v", err)
	}
	if _, err := p.RunSnapshot(bg); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("RunSnapshot after Close: %v", err)
	}
	for name, read := range reads {
		if err := read(bg); !errors.Is(err, provider.ErrClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
}

// Concurrent reads p from 8 goroutines (Snapshot and every slow signal,
// 50 times each) while another closes it, and checks that the system
// calls were released exactly once. Run it with -race.
func Concurrent(t *testing.T, p Provider, releases func() int) {
	t.Helper()
	reads := slowReads(p)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				_, _ = p.Snapshot(ctx)
				for _, read := range reads {
					_ = read(ctx)
				}
			}
		})
	}
	wg.Go(func() { _ = p.Close() })
	wg.Wait()
	if n := releases(); n != 1 {
		t.Errorf("system calls released %d times, want 1", n)
	}
}

// ShimPointerArgs checks, on every GOOS, that the given files convert Go
// pointers to uintptr only inside the calls (such as "purego.SyscallN")
// that use them (unsafe.Pointer rule 4).
func ShimPointerArgs(t *testing.T, calls []string, files ...string) {
	t.Helper()
	bad, err := unsafecall.Check(calls, files...)
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Error(strings.Join(bad, "\n"))
	}
}
