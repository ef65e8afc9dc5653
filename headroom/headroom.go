package headroom

import (
	"strconv"
	"time"

	"github.com/restel/restel/provider"
)

// Headroom is what the device can still give the observed process, each
// figure with the constraint that binds it (docs/contract.md §10). Every
// figure is unknown where its source is.
type Headroom struct {
	// EffectiveCPUs is how many CPUs the process can use at once, as a
	// fraction (a quota of 850000/100000 is 8.5), and CPULimitBy what
	// binds it: ByHost, ByAffinity, CpusetBy(path) or CgroupBy(path).
	EffectiveCPUs provider.Opt[float64]
	CPULimitBy    string
	// ThrottledRatio is the share of the binding CPU quota's enforcement
	// periods in which the process's cgroup was throttled over the last
	// window, in [0, 1]; unknown without a quota or before two readings.
	ThrottledRatio provider.Opt[float64]
	// UsableMemMB is the memory a new allocation can take now (MiB), and
	// MemLimitBy what binds it: ByHost or CgroupBy(path).
	UsableMemMB provider.Opt[uint64]
	MemLimitBy  string
	// UsableGPUMemMB is the free device memory of the roomiest discrete
	// accelerator (MiB), and GPULimitBy that device, GPUBy(name).
	UsableGPUMemMB provider.Opt[uint64]
	GPULimitBy     string
	// Thermal is the device's thermal headroom now (1.0 = the severe
	// threshold), and ThermalForecast the same Forecast ahead.
	Thermal, ThermalForecast provider.Opt[float64]
	Forecast                 time.Duration
	// Throttling reports throttling that the thermal state may not show
	// (a CPU held below its maximum frequency by a cooling device, an
	// accelerator's clock-event reasons), and ThrottlingBy names its
	// source; unknown where nothing tells.
	Throttling   provider.Opt[bool]
	ThrottlingBy string
	// Unified reports that the device's accelerators all share host
	// memory (there is no device budget: a model's device memory is host
	// memory); pass it to [Headroom.Fits]. It is not on the wire.
	Unified bool
}

// AppendJSON appends the wire form of h to dst: the fields of
// docs/contract.md §10 in their order, null where unknown, and a limit's
// name null with its figure. It does not allocate when dst has room.
func (h Headroom) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"effective_cpus":`...)
	dst = provider.AppendFloat(dst, h.EffectiveCPUs)
	dst = appendBy(append(dst, `,"cpu_limit_by":`...), h.CPULimitBy, h.EffectiveCPUs.Valid)
	dst = provider.AppendFloat(append(dst, `,"throttled_ratio":`...), h.ThrottledRatio)
	dst = provider.AppendUint(append(dst, `,"usable_mem_mb":`...), h.UsableMemMB)
	dst = appendBy(append(dst, `,"mem_limit_by":`...), h.MemLimitBy, h.UsableMemMB.Valid)
	dst = provider.AppendUint(append(dst, `,"usable_gpu_mem_mb":`...), h.UsableGPUMemMB)
	dst = appendBy(append(dst, `,"gpu_limit_by":`...), h.GPULimitBy, h.UsableGPUMemMB.Valid)
	dst = provider.AppendFloat(append(dst, `,"thermal_headroom":`...), h.Thermal)
	dst = provider.AppendFloat(append(dst, `,"thermal_headroom_forecast":`...), h.ThermalForecast)
	dst = append(dst, `,"forecast_s":`...)
	dst = strconv.AppendFloat(dst, ClampHorizon(h.Forecast).Seconds(), 'f', -1, 64)
	dst = append(dst, `,"throttling":`...)
	switch {
	case !h.Throttling.Valid:
		dst = append(dst, "null"...)
	case h.Throttling.V:
		dst = append(dst, "true"...)
	default:
		dst = append(dst, "false"...)
	}
	dst = appendBy(append(dst, `,"throttling_by":`...), h.ThrottlingBy, h.Throttling.V)
	return append(dst, '}')
}

// MarshalJSON implements json.Marshaler with [Headroom.AppendJSON].
func (h Headroom) MarshalJSON() ([]byte, error) { return h.AppendJSON(make([]byte, 0, 320)), nil }

func appendBy(dst []byte, by string, known bool) []byte {
	if !known || by == "" {
		return append(dst, "null"...)
	}
	return provider.AppendJSONString(dst, by) // a cgroup path may hold any byte
}

// Need is what a model needs: host memory and, for a model placed on an
// accelerator, device memory. Both in bytes; zero means none.
type Need struct {
	MemBytes, GPUMemBytes uint64
}

// Verdict says whether a need fits the headroom, and what decided it.
type Verdict struct {
	Fits bool
	// Known is false when a figure the need depends on is unknown; such a
	// need does not fit (a guess is never a fit).
	Known bool
	// By names what decided: the constraint that refused the need, or the
	// unknown figure ("memory", "gpu_memory"), or, for a need that fits,
	// the host memory constraint it was checked against (the device's
	// when only device memory was needed).
	By string
	// NeedMemBytes is the host memory needed (the device need included
	// when Unified) and UsableMemBytes what the host had.
	// (unknown where host memory was not checked).
	NeedMemBytes   uint64
	UsableMemBytes provider.Opt[uint64]
	// NeedGPUMemBytes is the device memory needed and UsableGPUMemBytes
	// what the roomiest discrete accelerator had (unknown where device
	// memory was not checked).
	NeedGPUMemBytes   uint64
	UsableGPUMemBytes provider.Opt[uint64]
	// Unified is true when the accelerator shares host memory: its need
	// was added to the host need instead of checked against device memory.
	Unified bool
}

// Verdict labels for an unknown figure, as [Verdict.By] names them.
const (
	UnknownMemory    = "memory"
	UnknownGPUMemory = "gpu_memory"
)

// Fits checks need against h. Device memory is checked against the
// roomiest discrete accelerator; where the accelerator shares host memory
// (unified), the device need is added to the host need instead. A figure
// the need depends on that is unknown makes the verdict "does not fit",
// with Known false.
func (h Headroom) Fits(need Need, unified bool) Verdict {
	v := Verdict{NeedMemBytes: need.MemBytes, NeedGPUMemBytes: need.GPUMemBytes}
	if need.GPUMemBytes > 0 {
		if unified {
			v.Unified = true
			v.NeedMemBytes += need.GPUMemBytes
			if v.NeedMemBytes < need.GPUMemBytes {
				v.NeedMemBytes = ^uint64(0) // more than any device has
			}
		} else {
			if !h.UsableGPUMemMB.Valid {
				v.By = UnknownGPUMemory
				return v
			}
			v.UsableGPUMemBytes = provider.Some(mibBytes(h.UsableGPUMemMB.V))
			v.By = h.GPULimitBy
			if need.GPUMemBytes > v.UsableGPUMemBytes.V {
				v.Known = true
				return v
			}
		}
	}
	if v.NeedMemBytes > 0 || need.GPUMemBytes == 0 {
		if !h.UsableMemMB.Valid {
			v.By = UnknownMemory
			return v
		}
		v.UsableMemBytes = provider.Some(mibBytes(h.UsableMemMB.V))
		v.By = h.MemLimitBy
		if v.NeedMemBytes > v.UsableMemBytes.V {
			v.Known = true
			return v
		}
	}
	v.Known, v.Fits = true, true
	return v
}

// mibBytes converts MiB to bytes, saturating.
func mibBytes(mb uint64) uint64 {
	if mb > ^uint64(0)>>20 {
		return ^uint64(0)
	}
	return mb << 20
}

// AppendJSON appends the verdict's wire form to dst: {"fits", "known",
// "limit_by", "need_mem_bytes", "usable_mem_bytes", "need_gpu_mem_bytes",
// "usable_gpu_mem_bytes", "unified"}, a usable figure null where it was
// not checked or unknown.
func (v Verdict) AppendJSON(dst []byte) []byte {
	dst = strconv.AppendBool(append(dst, `{"fits":`...), v.Fits)
	dst = strconv.AppendBool(append(dst, `,"known":`...), v.Known)
	dst = appendBy(append(dst, `,"limit_by":`...), v.By, true)
	dst = strconv.AppendUint(append(dst, `,"need_mem_bytes":`...), v.NeedMemBytes, 10)
	dst = provider.AppendUint(append(dst, `,"usable_mem_bytes":`...), v.UsableMemBytes)
	dst = strconv.AppendUint(append(dst, `,"need_gpu_mem_bytes":`...), v.NeedGPUMemBytes, 10)
	dst = provider.AppendUint(append(dst, `,"usable_gpu_mem_bytes":`...), v.UsableGPUMemBytes)
	dst = strconv.AppendBool(append(dst, `,"unified":`...), v.Unified)
	return append(dst, '}')
}

// MarshalJSON implements json.Marshaler with [Verdict.AppendJSON].
func (v Verdict) MarshalJSON() ([]byte, error) { return v.AppendJSON(make([]byte, 0, 256)), nil }
