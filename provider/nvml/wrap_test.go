package nvml

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/restel/restel/internal/vouch"
	"github.com/restel/restel/provider"
)

// native stands for a platform provider with every capability.
type native struct {
	accels []provider.Accelerator
	err    error
	closed int
}

func (n *native) Snapshot(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{CapturedAtMS: 1}, nil
}
func (n *native) RunSnapshot(context.Context) (provider.Snapshot, error) {
	return provider.Snapshot{CapturedAtMS: 2}, nil
}
func (n *native) Thermal(context.Context) (provider.ThermalState, error) {
	return provider.ThermalState(2), nil
}
func (n *native) Battery(context.Context) (provider.Opt[uint8], error) {
	return provider.Some[uint8](50), nil
}
func (n *native) Capacity(_ context.Context, c *provider.Capacity) error {
	c.Reset()
	c.ThrottlingBy = "native"
	return nil
}
func (n *native) Accelerators(_ context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	return append(dst, n.accels...), n.err
}
func (n *native) Close() error { n.closed++; return nil }

func TestWrapMerges(t *testing.T) {
	nat := &native{
		accels: []provider.Accelerator{
			{Name: "card0", Driver: "amdgpu", Kind: provider.AccelGPU},
			{Name: "card1", Driver: "nvidia", Kind: provider.AccelGPU, Unified: true},
			{Name: "card2", Driver: "nvidia-drm", Kind: provider.AccelGPU, Unified: true},
			{Name: "accel0", Driver: "intel_vpu", Kind: provider.AccelNPU, Unified: true},
		},
		err: errors.New("native: something unreadable"),
	}
	l := twoGPUs()
	p := Wrap(nat, testReader(l, true))
	ar, ok := p.(provider.AcceleratorReader)
	if !ok {
		t.Fatal("Wrap's provider is not an AcceleratorReader")
	}
	got, err := ar.Accelerators(context.Background(), nil)
	if !errors.Is(err, nat.err) {
		t.Errorf("Accelerators error %v, want the native error", err)
	}
	var names []string
	for _, a := range got {
		names = append(names, a.Name+"/"+a.Driver)
	}
	if d := cmp.Diff([]string{"card0/amdgpu", "accel0/intel_vpu", "nvidia0/nvidia", "nvidia1/nvidia"}, names); d != "" {
		t.Errorf("merged accelerators (-want +got):\n%s", d)
	}

	ctx := context.Background()
	if s, _ := p.Snapshot(ctx); s.CapturedAtMS != 1 {
		t.Errorf("Snapshot not forwarded: %+v", s)
	}
	if s, _ := p.(provider.RunReader).RunSnapshot(ctx); s.CapturedAtMS != 2 {
		t.Errorf("RunSnapshot not forwarded: %+v", s)
	}
	if th, _ := p.(provider.ThermalReader).Thermal(ctx); th != provider.ThermalState(2) {
		t.Errorf("Thermal not forwarded: %v", th)
	}
	if b, _ := p.(provider.BatteryReader).Battery(ctx); b != provider.Some[uint8](50) {
		t.Errorf("Battery not forwarded: %v", b)
	}
	var c provider.Capacity
	if _ = p.(provider.CapacityReader).Capacity(ctx, &c); c.ThrottlingBy != "native" {
		t.Errorf("Capacity not forwarded: %+v", c)
	}
	if vouch.For(p) {
		t.Error("a wrapped provider is vouched bounded")
	}
	if err := p.(io.Closer).Close(); err != nil || nat.closed != 1 || l.shutdowns != 1 {
		t.Errorf("Close = %v: native closed %d times, nvmlShutdown %d times; want once each", err, nat.closed, l.shutdowns)
	}
}

func TestWrapPlainProvider(t *testing.T) {
	plain := provider.Func(func(context.Context) (provider.Snapshot, error) {
		return provider.Snapshot{CapturedAtMS: 3}, nil
	})
	p := Wrap(plain, testReader(twoGPUs(), true))
	ctx := context.Background()
	got, err := p.(provider.AcceleratorReader).Accelerators(ctx, nil)
	if err != nil || len(got) != 2 {
		t.Errorf("Accelerators = %v, %v; want the two NVML devices", got, err)
	}
	if s, err := p.(provider.RunReader).RunSnapshot(ctx); err != nil || s.CapturedAtMS != 3 {
		t.Errorf("RunSnapshot = %+v, %v; want Snapshot's", s, err)
	}
	if th, err := p.(provider.ThermalReader).Thermal(ctx); err != nil || th != provider.ThermalUnknown {
		t.Errorf("Thermal = %v, %v; want unknown, nil", th, err)
	}
	if b, err := p.(provider.BatteryReader).Battery(ctx); err != nil || b.Valid {
		t.Errorf("Battery = %v, %v; want no battery", b, err)
	}
	c := provider.Capacity{ThrottlingBy: "stale"}
	if err := p.(provider.CapacityReader).Capacity(ctx, &c); err != nil || c.ThrottlingBy != "" {
		t.Errorf("Capacity = %+v, %v; want reset", c, err)
	}
	if err := p.(io.Closer).Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
