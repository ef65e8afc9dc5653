package slowsig_test

import (
	"context"
	"errors"
	"reflect"
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

// accels is a provider that reads accelerators.
type accels struct {
	read func(dst []provider.Accelerator) ([]provider.Accelerator, error)
}

func (accels) Snapshot(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil }
func (a accels) Accelerators(_ context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	return a.read(dst)
}

// TestAccelerators: the one-shot accelerator signal and the capacity
// signal both write the devices and their totals into the snapshot; no
// accelerator makes every accelerator field unknown; a failed read
// writes nothing; a panic is a failed read.
func TestAccelerators(t *testing.T) {
	card := provider.Accelerator{Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU,
		MemUsedMB: provider.Some[uint64](5000), MemTotalMB: provider.Some[uint64](8192),
		BusyPct: provider.Some(97.0), ProcessMemMB: provider.Some[uint64](4000)}
	npu := provider.Accelerator{Name: "accel0", Driver: "intel_vpu", Kind: provider.AccelNPU, Unified: true,
		BusyTime: provider.Some(3 * time.Second)}
	errX := errors.New("x")
	// stale is what an earlier reading left in the snapshot.
	var stale provider.Snapshot
	stale.SetAccelerators(provider.NewAccelList([]provider.Accelerator{card, card}, 1))
	for _, tc := range []struct {
		name    string
		read    func(dst []provider.Accelerator) ([]provider.Accelerator, error)
		want    []provider.Accelerator
		merged  bool
		wantErr error
	}{
		{"two devices", func(dst []provider.Accelerator) ([]provider.Accelerator, error) { return append(dst, card, npu), nil },
			[]provider.Accelerator{card, npu}, true, nil},
		{"no accelerator", func(dst []provider.Accelerator) ([]provider.Accelerator, error) { return dst, nil },
			nil, true, nil},
		{"what a failing read found", func(dst []provider.Accelerator) ([]provider.Accelerator, error) { return append(dst, card), errX },
			[]provider.Accelerator{card}, true, errX},
		{"a failed read", func(dst []provider.Accelerator) ([]provider.Accelerator, error) { return dst, errX },
			nil, false, errX},
		{"a panic", func([]provider.Accelerator) ([]provider.Accelerator, error) { panic("driver") },
			nil, false, guard.ErrPanic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := accels{tc.read}
			one, ok := slowsig.Accelerators(p)
			capSig, ok2 := slowsig.Capacity(p)
			if !ok || !ok2 {
				t.Fatal("no accelerator signal")
			}
			for _, sig := range []slowsig.Signal{one, capSig} {
				got := stale
				err := slowsig.ReadOnce(t.Context(), []slowsig.Signal{sig}, &got, time.Second)
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Errorf("%s: err %v, want %v", sig.Name, err, tc.wantErr)
				}
				if !tc.merged {
					if got != stale {
						t.Errorf("%s: a failed read changed the snapshot", sig.Name)
					}
					continue
				}
				var want provider.Snapshot
				want.SetAccelerators(provider.NewAccelList(tc.want, got.Counters.Accel.ReadMS()))
				if !reflect.DeepEqual(got, want) || got.Counters.Accel.ReadMS() <= 1 {
					t.Errorf("%s: merged %+v, want %+v", sig.Name, got, want)
				}
			}
		})
	}
	plain := provider.Func(func(context.Context) (provider.Snapshot, error) { return provider.Snapshot{}, nil })
	if _, ok := slowsig.Accelerators(plain); ok {
		t.Error("a provider without accelerators has an accelerator signal")
	}
}

// TestAcceleratorsReadingIsOwned: a published reading does not change
// when the signal reads again into its reused buffer.
func TestAcceleratorsReadingIsOwned(t *testing.T) {
	n := 0
	p := accels{func(dst []provider.Accelerator) ([]provider.Accelerator, error) {
		n++
		return append(dst, provider.Accelerator{Name: "card0", BusyPct: provider.Some(float64(n))}), nil
	}}
	sig, _ := slowsig.Capacity(p)
	r1, _ := sig.Read(t.Context())
	r2, _ := sig.Read(t.Context())
	var s1, s2 provider.Snapshot
	s1, s2 = r1.Merge(s1), r2.Merge(s2)
	if s1.GPUBusyPct != provider.Some(1.0) || s2.GPUBusyPct != provider.Some(2.0) {
		t.Fatalf("busy %v then %v, want 1 then 2", s1.GPUBusyPct, s2.GPUBusyPct)
	}
}
