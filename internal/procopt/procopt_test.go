package procopt_test

import (
	"errors"
	"os"
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
