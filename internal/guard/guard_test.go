package guard_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/internal/guard"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func TestSnapshotRecoversPanics(t *testing.T) {
	clk := fake.NewManualClock(time.UnixMilli(77))
	p := provider.Func(func(context.Context) (provider.Snapshot, error) { panic("driver exploded") })
	s, err := guard.Snapshot(context.Background(), p.Snapshot, clk)
	if !errors.Is(err, guard.ErrPanic) || !strings.Contains(err.Error(), "driver exploded") {
		t.Fatalf("err = %v", err)
	}
	if s != provider.Unknown(time.UnixMilli(77)) {
		t.Errorf("snapshot = %+v", s)
	}
	ok := provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{CPUPct: provider.Some(1.0)}, nil
	})
	s, err = guard.Snapshot(context.Background(), ok.Snapshot, clk)
	if err != nil || s.CapturedAtMS != 77 || s.CPUPct != provider.Some(1.0) {
		t.Errorf("got %+v %v; want stamped snapshot", s, err)
	}
}

type slow struct {
	thermal func() (provider.ThermalState, error)
	battery func() (provider.Opt[uint8], error)
}

func (slow) Snapshot(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil }
func (s slow) Thermal(context.Context) (provider.ThermalState, error) {
	return s.thermal()
}
func (s slow) Battery(context.Context) (provider.Opt[uint8], error) { return s.battery() }

func TestMergeSlow(t *testing.T) {
	base := provider.Snapshot{Thermal: provider.ThermalWarm, BatteryPct: provider.Some[uint8](50)}
	for _, tc := range []struct {
		name string
		p    slow
		want provider.Snapshot
	}{
		{"known values replace", slow{
			func() (provider.ThermalState, error) { return provider.ThermalHot, nil },
			func() (provider.Opt[uint8], error) { return provider.Some[uint8](120), nil }},
			provider.Snapshot{Thermal: provider.ThermalHot, BatteryPct: provider.Some[uint8](100)}},
		{"errors keep", slow{
			func() (provider.ThermalState, error) { return provider.ThermalHot, errors.New("x") },
			func() (provider.Opt[uint8], error) { return provider.Some[uint8](1), errors.New("x") }},
			base},
		{"panics keep", slow{
			func() (provider.ThermalState, error) { panic("t") },
			func() (provider.Opt[uint8], error) { panic("b") }},
			base},
		{"unknown keeps", slow{
			func() (provider.ThermalState, error) { return provider.ThermalUnknown, nil },
			func() (provider.Opt[uint8], error) { return provider.Opt[uint8]{}, nil }},
			base},
	} {
		if got := guard.MergeSlow(t.Context(), tc.p, base); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
	plain := provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil })
	if got := guard.MergeSlow(t.Context(), plain, base); got != base {
		t.Errorf("a provider without slow signals changed the snapshot: %+v", got)
	}
}
