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
		opts      []procopt.Option
		wantPID   int
		wantSelf  bool
		wantClock provider.Clock
	}{
		{"defaults", nil, self, true, provider.SystemClock{}},
		{"nil options skipped", []procopt.Option{nil, nil}, self, true, provider.SystemClock{}},
		{"pid 0 is the caller", []procopt.Option{procopt.WithPID(0)}, self, true, provider.SystemClock{}},
		{"own pid named", []procopt.Option{procopt.WithPID(self)}, self, true, provider.SystemClock{}},
		{"another process", []procopt.Option{procopt.WithPID(self + 1)}, self + 1, false, provider.SystemClock{}},
		{"last option wins", []procopt.Option{procopt.WithPID(7), procopt.WithPID(0)}, self, true, provider.SystemClock{}},
		{"clock", []procopt.Option{procopt.WithClock(clk)}, self, true, clk},
		{"nil clock is the system clock", []procopt.Option{procopt.WithClock(clk), procopt.WithClock(nil)}, self, true, provider.SystemClock{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := procopt.Resolve("test", tt.opts)
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
	cfg, err := procopt.Resolve("darwin", []procopt.Option{procopt.WithPID(-1)})
	if !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("Resolve(pid -1) = %+v, %v; want ErrInvalid", cfg, err)
	}
	if got, want := err.Error(), "darwin: invalid value: pid -1 is negative"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}
