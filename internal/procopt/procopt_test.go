package procopt_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/restel/restel/internal/procopt"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func TestResolve(t *testing.T) {
	self := os.Getpid()
	clk := fake.NewManualClock(time.Unix(42, 0))
	tests := []struct {
		name      string
		in        procopt.Config
		wantPID   int
		wantSelf  bool
		wantClock provider.Clock
	}{
		{"defaults", procopt.Config{}, self, true, provider.SystemClock{}},
		{"own pid named", procopt.Config{PID: self}, self, true, provider.SystemClock{}},
		{"another process", procopt.Config{PID: self + 1}, self + 1, false, provider.SystemClock{}},
		{"a stale Self is recomputed", procopt.Config{PID: self + 1, Self: true}, self + 1, false, provider.SystemClock{}},
		{"clock", procopt.Config{Clock: clk}, self, true, clk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := procopt.Resolve("test", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.PID != tt.wantPID || cfg.Self != tt.wantSelf || cfg.Clock != tt.wantClock {
				t.Errorf("Resolve = %+v; want PID %d, Self %v, Clock %v", cfg, tt.wantPID, tt.wantSelf, tt.wantClock)
			}
		})
	}
}

func TestResolveNegativePID(t *testing.T) {
	cfg, err := procopt.Resolve("darwin", procopt.Config{PID: -1})
	if !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("Resolve(pid -1) = %+v, %v; want ErrInvalid", cfg, err)
	}
	if got, want := err.Error(), "darwin: invalid value: pid -1 is negative"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}

// option is a platform package's option type, as in provider/darwin.
type option func(*procopt.Config)

func TestApply(t *testing.T) {
	self := os.Getpid()
	clk := fake.NewManualClock(time.Unix(42, 0))
	pid := func(n int) option { return func(c *procopt.Config) { c.PID = n } }
	clock := func(c provider.Clock) option { return func(cfg *procopt.Config) { cfg.Clock = c } }
	tests := []struct {
		name      string
		opts      []option
		wantPID   int
		wantSelf  bool
		wantClock provider.Clock
	}{
		{"none", nil, self, true, provider.SystemClock{}},
		{"nil options skipped", []option{nil, pid(self + 1), nil}, self + 1, false, provider.SystemClock{}},
		{"last option wins", []option{pid(7), pid(0)}, self, true, provider.SystemClock{}},
		{"clock", []option{clock(clk)}, self, true, clk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := procopt.Apply("test", tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.PID != tt.wantPID || cfg.Self != tt.wantSelf || cfg.Clock != tt.wantClock {
				t.Errorf("Apply = %+v; want PID %d, Self %v, Clock %v", cfg, tt.wantPID, tt.wantSelf, tt.wantClock)
			}
		})
	}
	if _, err := procopt.Apply("windows", []option{pid(-2)}); !errors.Is(err, provider.ErrInvalid) || !strings.HasPrefix(err.Error(), "windows: ") {
		t.Errorf("negative pid: %v, want ErrInvalid named windows", err)
	}
}

// TestReadGate: a read opens only with a live context and before Close,
// holding the lock when it does; Close releases once, after the read in
// flight.
func TestReadGate(t *testing.T) {
	var mu sync.Mutex
	var closed atomic.Bool
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	ctx := context.Background()

	if err := procopt.BeginRead(cancelled, &mu, &closed); !errors.Is(err, context.Canceled) {
		t.Errorf("BeginRead cancelled: %v", err)
	}
	if err := procopt.CheckRead(cancelled, &closed); !errors.Is(err, context.Canceled) {
		t.Errorf("CheckRead cancelled: %v", err)
	}
	if !mu.TryLock() {
		t.Fatal("a refused read left the lock held")
	}
	mu.Unlock()
	if err := procopt.BeginRead(ctx, &mu, &closed); err != nil {
		t.Fatalf("BeginRead: %v", err)
	}
	if mu.TryLock() {
		t.Fatal("BeginRead returned without the lock")
	}

	// Close waits for the read in flight before releasing.
	released := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- procopt.Close(&mu, &closed, func() error { close(released); return nil })
	}()
	for !closed.Load() {
		runtime.Gosched()
	}
	select {
	case <-released:
		t.Fatal("Close released while a read held the lock")
	default:
	}
	mu.Unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-released

	if err := procopt.BeginRead(ctx, &mu, &closed); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("BeginRead after Close: %v", err)
	}
	if !mu.TryLock() {
		t.Fatal("BeginRead after Close left the lock held")
	}
	mu.Unlock()
	if err := procopt.CheckRead(ctx, &closed); !errors.Is(err, provider.ErrClosed) {
		t.Errorf("CheckRead after Close: %v", err)
	}
	boom := errors.New("boom")
	if err := procopt.Close(&mu, &closed, func() error { return boom }); err != nil {
		t.Errorf("second Close: %v, want nil without releasing again", err)
	}
}
