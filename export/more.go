package export

import (
	"strings"
	"time"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
)

// HeadroomSource is an optional capability of a [Source]: what the device
// can still give the observed process (docs/contract.md §10), as an
// orchestrator.Monitor answers it. Headroom must not read the provider
// (the Monitor's is an atomic load): a collection reads it beside its one
// snapshot read.
type HeadroomSource interface {
	Headroom(horizon time.Duration) headroom.Headroom
}

// ForecastWindow is how far ahead restel.thermal.headroom.forecast looks.
const ForecastWindow = 10 * time.Second

// Attribute keys of the headroom and device metrics.
const (
	limitByKey        = "restel.limit.by"
	forecastWindowKey = "restel.forecast.window"
	hwVendorKey       = "hw.vendor"
)

// headroomMetrics are the metrics read from a [HeadroomSource], after
// Table in [Metrics]: restel.* names, as no semantic convention covers
// them.
var headroomMetrics = []Metric{
	{
		Name:        "restel.cpu.effective",
		Unit:        "{cpu}",
		Description: "CPUs the process can use at once, as a fraction: the tightest of its cgroups' CPU quotas, its affinity mask and its cpuset; restel.limit.by names the binding one.",
		Kind:        Gauge,
		Vars:        []Attr{{Key: limitByKey, PromKey: promLabel(limitByKey)}},
		head: func(h headroom.Headroom) (float64, string, bool) {
			return h.EffectiveCPUs.V, h.CPULimitBy, h.EffectiveCPUs.Valid
		},
	},
	{
		Name:        "restel.cpu.throttled_ratio",
		Unit:        "1",
		Description: "Share of the binding CPU quota's enforcement periods in which the process's cgroup was throttled over the last window.",
		Kind:        Gauge,
		head: func(h headroom.Headroom) (float64, string, bool) {
			return h.ThrottledRatio.V, "", h.ThrottledRatio.Valid
		},
	},
	{
		Name:        "restel.memory.usable",
		Unit:        "By",
		Description: "Memory a new allocation of the process can take now: the smallest of host available memory and each limited cgroup's available memory; restel.limit.by names the binding one (host or cgroup:<path>).",
		Kind:        UpDownCounter,
		Vars:        []Attr{{Key: limitByKey, PromKey: promLabel(limitByKey)}},
		head: func(h headroom.Headroom) (float64, string, bool) {
			return float64(h.UsableMemMB.V) * bytesPerMiB, h.MemLimitBy, h.UsableMemMB.Valid
		},
	},
	{
		Name:        "restel.gpu.memory.usable",
		Unit:        "By",
		Description: "Free device memory of the roomiest discrete accelerator, named by hw.id.",
		Kind:        UpDownCounter,
		Vars:        []Attr{{Key: hwIDKey, PromKey: promLabel(hwIDKey)}},
		head: func(h headroom.Headroom) (float64, string, bool) {
			return float64(h.UsableGPUMemMB.V) * bytesPerMiB, strings.TrimPrefix(h.GPULimitBy, "gpu:"), h.UsableGPUMemMB.Valid
		},
	},
	{
		Name:        "restel.thermal.headroom",
		Unit:        "1",
		Description: "Thermal headroom of the device: 1.0 is the severe threshold, 0 is 30 degrees Celsius below it.",
		Kind:        Gauge,
		head: func(h headroom.Headroom) (float64, string, bool) {
			return h.Thermal.V, "", h.Thermal.Valid
		},
	},
	{
		Name:        "restel.thermal.headroom.forecast",
		Unit:        "1",
		Description: "Thermal headroom of the device forecast restel.forecast.window ahead from each sensor's recent trend.",
		Kind:        Gauge,
		Attrs:       []Attr{{Key: forecastWindowKey, PromKey: promLabel(forecastWindowKey), Value: ForecastWindow.String()}},
		head: func(h headroom.Headroom) (float64, string, bool) {
			return h.ThermalForecast.V, "", h.ThermalForecast.Valid
		},
	},
}

// hwIDKey is the semantic conventions' identifier of a hardware
// component: the battery, an accelerator.
const hwIDKey = "hw.id"

// deviceMetrics are the per-accelerator metrics of the semantic
// conventions' hardware GPU metrics, after the headroom ones in
// [Metrics]: one point per GPU that knows the value, told apart by hw.id
// (the device's name) and hw.vendor (from its driver, "" when no vendor
// is known).
var deviceMetrics = []Metric{
	{
		Name:        "hw.gpu.utilization",
		Unit:        "1",
		Description: "Fraction of time the GPU was busy over its driver's last interval.",
		Kind:        Gauge,
		Vars:        gpuVars,
		dev: func(a *provider.Accelerator) (float64, bool) {
			return min(max(a.BusyPct.V, 0), 100) / 100, a.BusyPct.Valid
		},
	},
	{
		Name:        "hw.gpu.memory.usage",
		Unit:        "By",
		Description: "GPU memory used.",
		Kind:        UpDownCounter,
		Vars:        gpuVars,
		dev: func(a *provider.Accelerator) (float64, bool) {
			return float64(a.MemUsedMB.V) * bytesPerMiB, a.MemUsedMB.Valid
		},
	},
	{
		Name:        "hw.gpu.memory.limit",
		Unit:        "By",
		Description: "Size of the GPU memory.",
		Kind:        UpDownCounter,
		Vars:        gpuVars,
		dev: func(a *provider.Accelerator) (float64, bool) {
			return float64(a.MemTotalMB.V) * bytesPerMiB, a.MemTotalMB.Valid
		},
	},
}

var gpuVars = []Attr{
	{Key: hwIDKey, PromKey: promLabel(hwIDKey)},
	{Key: hwVendorKey, PromKey: promLabel(hwVendorKey)},
}

// Vendor names the maker of an accelerator from its driver ("amdgpu" is
// AMD), "" when the driver does not say.
func Vendor(driver string) string {
	switch driver {
	case "amdgpu", "radeon":
		return "AMD"
	case "i915", "xe", "intel_vpu":
		return "Intel"
	case "nvidia", "nouveau":
		return "NVIDIA"
	case "msm", "kgsl":
		return "Qualcomm"
	case "panfrost", "panthor":
		return "Arm"
	case "v3d", "vc4":
		return "Broadcom"
	case "apple", "agx", "asahi":
		return "Apple"
	}
	return ""
}

// Metrics returns every metric a [Collector] emits with
// [Collector.CollectPoints]: [Table], then the headroom metrics (from a
// [HeadroomSource] only), then the per-accelerator metrics. Entries with
// [Metric.Vars] have attributes whose values vary from point to point.
// The result is shared: do not modify it.
func Metrics() []Metric { return all }

var all = func() []Metric {
	out := append([]Metric(nil), table...)
	for _, ms := range [][]Metric{headroomMetrics, deviceMetrics} {
		for _, m := range ms {
			m.PromName = PromName(m.Name, m.Unit, m.Kind)
			out = append(out, m)
		}
	}
	return out
}()
