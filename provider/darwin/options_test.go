package darwin

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func TestResolveOptions(t *testing.T) {
	self := os.Getpid()
	clk := fake.NewManualClock(time.Unix(42, 0))
	tests := []struct {
		name      string
		opts      []Option
		wantPID   int
		wantSelf  bool
		wantClock provider.Clock
	}{
		{"defaults", nil, self, true, provider.SystemClock{}},
		{"nil options skipped", []Option{nil, nil}, self, true, provider.SystemClock{}},
		{"pid 0 is the caller", []Option{WithPID(0)}, self, true, provider.SystemClock{}},
		{"another process", []Option{WithPID(self + 1)}, self + 1, false, provider.SystemClock{}},
		{"last option wins", []Option{WithPID(7), WithPID(0)}, self, true, provider.SystemClock{}},
		{"clock", []Option{WithClock(clk)}, self, true, clk},
		{"nil clock is the system clock", []Option{WithClock(clk), WithClock(nil)}, self, true, provider.SystemClock{}},
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
	if _, err := resolve([]Option{WithPID(-2)}); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("WithPID(-2): %v, want ErrInvalid", err)
	}
}
