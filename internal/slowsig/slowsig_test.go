package slowsig_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/restel/restel/internal/guard"
	"github.com/restel/restel/internal/slowsig"
	"github.com/restel/restel/provider"
)

type slow struct {
	thermal func() (provider.ThermalState, error)
	battery func() (provider.Opt[uint8], error)
}

func (slow) Snapshot(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil }
func (s slow) Thermal(context.Context) (provider.ThermalState, error) {
	return s.thermal()
}
func (s slow) Battery(context.Context) (provider.Opt[uint8], error) { return s.battery() }

func TestReadOnceMerges(t *testing.T) {
	base := provider.Snapshot{Thermal: provider.ThermalWarm, BatteryPct: provider.Some[uint8](50)}
	errX := errors.New("x")
	for _, tc := range []struct {
		name    string
		p       slow
		want    provider.Snapshot
		wantErr func(error) bool
	}{
		{"known values replace", slow{
			func() (provider.ThermalState, error) { return provider.ThermalHot, nil },
			func() (provider.Opt[uint8], error) { return provider.Some[uint8](120), nil }},
			provider.Snapshot{Thermal: provider.ThermalHot, BatteryPct: provider.Some[uint8](100)},
			func(err error) bool { return err == nil }},
		{"errors keep", slow{
			func() (provider.ThermalState, error) { return provider.ThermalHot, errX },
			func() (provider.Opt[uint8], error) { return provider.Some[uint8](1), errX }},
			base, func(err error) bool { return errors.Is(err, errX) }},
		{"panics keep", slow{
			func() (provider.ThermalState, error) { panic("t") },
			func() (provider.Opt[uint8], error) { panic("b") }},
			base, func(err error) bool { return errors.Is(err, guard.ErrPanic) }},
		{"unknown keeps", slow{
			func() (provider.ThermalState, error) { return provider.ThermalUnknown, nil },
			func() (provider.Opt[uint8], error) { return provider.Opt[uint8]{}, nil }},
			base, func(err error) bool { return err == nil }},
		{"no sensor is no failure", slow{
			func() (provider.ThermalState, error) { return provider.ThermalUnknown, provider.ErrUnavailable },
			func() (provider.Opt[uint8], error) { return provider.Opt[uint8]{}, provider.ErrUnavailable }},
			base, func(err error) bool { return err == nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := base
			err := slowsig.ReadOnce(t.Context(), slowsig.Of(tc.p), &got, time.Second)
			if got != tc.want || !tc.wantErr(err) {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	plain := provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil })
	if sigs := slowsig.Of(plain); sigs != nil {
		t.Errorf("a provider without slow signals has %d", len(sigs))
	}
}

// TestReadOnceTimeout: each read gets its own bound.
func TestReadOnceTimeout(t *testing.T) {
	var deadlines []bool
	p := slow{
		func() (provider.ThermalState, error) { return provider.ThermalHot, nil },
		func() (provider.Opt[uint8], error) { return provider.Some[uint8](3), nil },
	}
	sigs := slowsig.Of(p)
	for i := range sigs {
		read := sigs[i].Read
		sigs[i].Read = func(ctx context.Context) (slowsig.Reading, error) {
			_, ok := ctx.Deadline()
			deadlines = append(deadlines, ok)
			return read(ctx)
		}
	}
	var s provider.Snapshot
	if err := slowsig.ReadOnce(t.Context(), sigs, &s, time.Second); err != nil || len(deadlines) != 2 || !deadlines[0] || !deadlines[1] {
		t.Fatalf("err %v deadlines %v", err, deadlines)
	}
	deadlines = nil
	if err := slowsig.ReadOnce(t.Context(), sigs, &s, 0); err != nil || deadlines[0] || deadlines[1] {
		t.Fatalf("timeout 0: err %v deadlines %v", err, deadlines)
	}
}

func TestMergeOrder(t *testing.T) {
	p := slow{
		func() (provider.ThermalState, error) { return provider.ThermalCritical, nil },
		func() (provider.Opt[uint8], error) { return provider.Some[uint8](7), nil },
	}
	var rs []slowsig.Reading
	for _, sig := range slowsig.Of(p) {
		r, _ := sig.Read(t.Context())
		rs = append(rs, r)
	}
	rs = append(rs, nil) // an unknown one
	var s provider.Snapshot
	slowsig.Merge(&s, rs)
	if s.Thermal != provider.ThermalCritical || s.BatteryPct != provider.Some[uint8](7) {
		t.Fatalf("merged %+v", s)
	}
}
