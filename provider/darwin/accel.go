package darwin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/restel/restel/provider"
)

// ioAccelerator is what the IOKit walk reads from one IOAccelerator
// service (IOServiceGetMatchingServices on IOServiceMatching
// ("IOAccelerator")), as `ioreg -r -d 1 -w 0 -c IOAccelerator` shows it.
type ioAccelerator struct {
	// Class is the service's class (IOObjectGetClass): the driver's
	// accelerator, "AGXAcceleratorG13G" (Apple M1), "IntelAccelerator",
	// "AMDRadeonX6000_AMDNavi14GraphicsAccelerator".
	Class string
	// Stats are the entries of the service's "PerformanceStatistics"
	// dictionary (IORegistryEntryCreateCFProperty) named in
	// accelStatKeys that hold a CFNumber; nil when the service has no
	// such dictionary.
	Stats map[string]int64
}

// The PerformanceStatistics keys restel reads. The dictionary is the
// driver's own and differs between drivers and OS versions; these are the
// keys the Apple silicon (AGX), Intel and AMD drivers publish.
const (
	// Busy shares, percent over the driver's last sampling interval.
	statDeviceUtil   = "Device Utilization %"   // AGX, Intel, AMD
	statGPUActivity  = "GPU Activity(%)"        // AMD
	statRendererUtil = "Renderer Utilization %" // AGX: the fragment pipeline
	statTilerUtil    = "Tiler Utilization %"    // AGX: the vertex / tiling pipeline
	// Memory, bytes.
	statInUseSysMem = "In use system memory" // AGX, Intel: GPU allocations in (unified) system memory
	statAllocSysMem = "Alloc system memory"  // AGX: system memory reserved for the GPU (not all in use)
	statVRAMUsed    = "vramUsedBytes"        // AMD, NVIDIA: device-local memory in use
	statVRAMFree    = "vramFreeBytes"        // AMD, NVIDIA: device-local memory free
	statVidMemInUse = "inUseVidMemoryBytes"  // older discrete drivers: device-local memory in use
	// Sensors.
	statTemperature = "Temperature(C)" // AMD: °C
)

// accelStatKeys lists every key the IOKit walk looks up.
var accelStatKeys = [...]string{
	statDeviceUtil, statGPUActivity, statRendererUtil, statTilerUtil,
	statInUseSysMem, statAllocSysMem, statVRAMUsed, statVRAMFree, statVidMemInUse,
	statTemperature,
}

// maxIOAccelerators bounds the services one read lists (a Mac Pro has
// at most a handful of GPUs).
const maxIOAccelerators = 16

// acceleratorsFromIOKit appends one provider.Accelerator per service
// (docs/contract.md §9). Each service is named "gpu<i>" in the order IOKit
// lists them (the registry order, stable for a boot) and its driver is its
// class. The mapping:
//
//   - Unified: true unless the dictionary has a device-local memory key
//     (vramUsedBytes, vramFreeBytes, inUseVidMemoryBytes): Apple silicon
//     and Intel integrated GPUs use system memory, AMD and NVIDIA cards
//     their own.
//   - Memory of a discrete card: used is vramUsedBytes (else
//     inUseVidMemoryBytes), total is used + vramFreeBytes. A unified
//     GPU's used memory is "In use system memory"; its total stays
//     unknown (the share of host memory the GPU may take is Metal's
//     recommendedMaxWorkingSetSize, not in the registry).
//   - Busy: "Device Utilization %", else AMD's "GPU Activity(%)", else
//     the busier of "Renderer Utilization %" and "Tiler Utilization %";
//     a value outside [0, 100] is skipped, not clamped.
//   - Temperature: "Temperature(C)" where the driver publishes it (AMD),
//     within [-50, 150] °C.
//
// Throttling and the observed process's GPU memory are not in the
// registry and stay unknown. Negative numbers are unknown.
func acceleratorsFromIOKit(dst []provider.Accelerator, svcs []ioAccelerator) []provider.Accelerator {
	for i, s := range svcs {
		if i == maxIOAccelerators {
			break
		}
		dst = append(dst, acceleratorFromStats("gpu"+strconv.Itoa(i), s.Class, s.Stats))
	}
	return dst
}

// acceleratorFromStats maps one service's PerformanceStatistics (see
// acceleratorsFromIOKit).
func acceleratorFromStats(name, class string, st map[string]int64) provider.Accelerator {
	a := provider.Accelerator{Name: name, Driver: class, Kind: provider.AccelGPU, Unified: true}
	stat := func(key string) (uint64, bool) {
		v, ok := st[key]
		if !ok || v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	_, hasUsed := st[statVRAMUsed]
	_, hasFree := st[statVRAMFree]
	_, hasVid := st[statVidMemInUse]
	if hasUsed || hasFree || hasVid {
		a.Unified = false
		used, ok := stat(statVRAMUsed)
		if !ok {
			used, ok = stat(statVidMemInUse)
		}
		if ok {
			a.MemUsedMB = provider.Some(used >> 20)
			if free, ok := stat(statVRAMFree); ok && used+free >= used {
				a.MemTotalMB = provider.Some((used + free) >> 20)
			}
		}
	} else if used, ok := stat(statInUseSysMem); ok {
		a.MemUsedMB = provider.Some(used >> 20)
	}
	for _, key := range [...]string{statDeviceUtil, statGPUActivity} {
		if v, ok := stat(key); ok && v <= 100 {
			a.BusyPct = provider.Some(float64(v))
			break
		}
	}
	if !a.BusyPct.Valid {
		for _, key := range [...]string{statRendererUtil, statTilerUtil} {
			if v, ok := stat(key); ok && v <= 100 && (!a.BusyPct.Valid || float64(v) > a.BusyPct.V) {
				a.BusyPct = provider.Some(float64(v))
			}
		}
	}
	if t, ok := st[statTemperature]; ok && t >= -50 && t <= 150 {
		a.TempC = provider.Some(float64(t))
	}
	return a
}

// cString returns the NUL-terminated string at the start of b (all of b
// when it has no NUL).
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// errNoIOAccelerator is returned by the accelerator walk on iOS, where the
// IOAccelerator registry entries are not open to apps.
var errNoIOAccelerator = fmt.Errorf("%w: no IOAccelerator registry entries on iOS: %w", provider.ErrUnavailable, errors.ErrUnsupported)

var _ provider.AcceleratorReader = (*Provider)(nil)

// Accelerators implements provider.AcceleratorReader from the IOKit
// IOAccelerator services' PerformanceStatistics (see
// [acceleratorsFromIOKit]). A Mac always has one; a service without
// statistics is listed with its fields unknown. The registry read is a
// property copy that does not wake an idle GPU; it cannot be cancelled, so
// ctx is only checked first.
func (p *Provider) Accelerators(ctx context.Context, dst []provider.Accelerator) ([]provider.Accelerator, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if p.closed.Load() {
		return dst, provider.ErrClosed
	}
	svcs, err := p.sys.accelerators()
	if err != nil {
		return dst, fmt.Errorf("darwin: IOKit IOAccelerator: %w", err)
	}
	return acceleratorsFromIOKit(dst, svcs), nil
}
