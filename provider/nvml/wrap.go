package nvml

import (
	"context"
	"errors"
	"io"

	"github.com/restel/restel/provider"
)

// Wrap returns p with NVIDIA GPUs: a provider whose Accelerators are p's
// (when p is a provider.AcceleratorReader) followed by r's. p's own
// entries of the NVIDIA kernel driver (the DRM cards the Linux provider
// lists with driver "nvidia" or "nvidia-drm", which publish neither
// memory nor busy share in sysfs) are dropped: NVML reads those devices.
// An error of either reader is returned, joined, with what the other
// read.
//
// Every other method forwards to p: Snapshot, and RunSnapshot, Thermal,
// Battery and Capacity where p has them (where it has not, RunSnapshot is
// Snapshot, Thermal is unknown, Battery says no battery and Capacity
// reads nothing, as the capabilities define for a device without the
// signal). Close closes r, then p if it is an io.Closer. The wrapper is
// not one of restel's platform providers and does not vouch for its
// reads: an orchestrator reads it on a goroutine of its own.
func Wrap(p provider.SnapshotProvider, r *Reader) provider.SnapshotProvider {
	return &wrapped{p: p, r: r}
}

type wrapped struct {
	p provider.SnapshotProvider
	r *Reader
}

// Compile-time checks of the capabilities a wrapped provider offers.
var (
	_ provider.AcceleratorReader = (*wrapped)(nil)
	_ provider.RunReader         = (*wrapped)(nil)
	_ provider.ThermalReader     = (*wrapped)(nil)
	_ provider.BatteryReader     = (*wrapped)(nil)
	_ provider.CapacityReader    = (*wrapped)(nil)
	_ io.Closer                  = (*wrapped)(nil)
)

func (w *wrapped) Snapshot(ctx context.Context) (provider.Snapshot, error) { return w.p.Snapshot(ctx) }

func (w *wrapped) RunSnapshot(ctx context.Context) (provider.Snapshot, error) {
	if rr, ok := w.p.(provider.RunReader); ok {
		return rr.RunSnapshot(ctx)
	}
	return w.p.Snapshot(ctx)
}

func (w *wrapped) Thermal(ctx context.Context) (provider.ThermalState, error) {
	if t, ok := w.p.(provider.ThermalReader); ok {
		return t.Thermal(ctx)
	}
	return provider.ThermalUnknown, nil
}

func (w *wrapped) Battery(ctx context.Context) (provider.Opt[uint8], error) {
	if b, ok := w.p.(provider.BatteryReader); ok {
		return b.Battery(ctx)
	}
	return provider.Opt[uint8]{}, nil
}

func (w *wrapped) Capacity(ctx context.Context, c *provider.Capacity) error {
	if cr, ok := w.p.(provider.CapacityReader); ok {
		return cr.Capacity(ctx, c)
	}
	c.Reset()
	return nil
}

// Accelerators appends p's accelerators but NVIDIA's, then r's.
func (w *wrapped) Accelerators(ctx context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	var perr error
	if ar, ok := w.p.(provider.AcceleratorReader); ok {
		base := len(dst)
		dst, perr = ar.Accelerators(ctx, dst)
		kept := dst[:base]
		for _, a := range dst[base:] {
			if a.Driver != "nvidia" && a.Driver != "nvidia-drm" {
				kept = append(kept, a)
			}
		}
		dst = kept
	}
	dst, rerr := w.r.Accelerators(ctx, dst)
	return dst, errors.Join(perr, rerr)
}

// Close closes r, then p when it is an io.Closer.
func (w *wrapped) Close() error {
	err := w.r.Close()
	if c, ok := w.p.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}
