package main

import (
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/headroom"
	"github.com/restel/restel/provider"
)

// headroomScriptSource is a scripted source that also reports headroom.
type headroomScriptSource struct {
	fullScriptSource
	h headroom.Headroom
}

func (s *headroomScriptSource) Headroom(time.Duration) headroom.Headroom { return s.h }

// TestMetricsHeadroom checks the headroom series of /metrics: present,
// with the binding limit and the device as labels, for a source that
// reports headroom; absent for one that does not (TestMetricsText).
func TestMetricsHeadroom(t *testing.T) {
	src := &headroomScriptSource{
		fullScriptSource: fullScriptSource{scriptSource{snaps: []provider.Snapshot{servedDevice}}},
		h: headroom.Headroom{
			EffectiveCPUs: provider.Some(2.0), CPULimitBy: headroom.CgroupBy("/a"),
			ThrottledRatio: provider.Some(0.5),
			UsableMemMB:    provider.Some[uint64](512), MemLimitBy: headroom.ByHost,
			UsableGPUMemMB: provider.Some[uint64](1024), GPULimitBy: headroom.GPUBy("card0"),
			Thermal: provider.Some(0.25), ThermalForecast: provider.Some(0.5),
		},
	}
	_, _, body := scrape(t, metricsHandler(src), "/metrics", "")
	for _, want := range []string{
		"# HELP restel_cpu_effective CPUs the process can use at once",
		"# TYPE restel_cpu_effective gauge\nrestel_cpu_effective{restel_limit_by=\"cgroup:/a\"} 2\n",
		"restel_cpu_throttled_ratio 0.5\n",
		"restel_memory_usable_bytes{restel_limit_by=\"host\"} 5.36870912e+08\n",
		"restel_gpu_memory_usable_bytes{hw_id=\"card0\"} 1.073741824e+09\n",
		"restel_thermal_headroom_ratio 0.25\n",
		"restel_thermal_headroom_forecast_ratio{restel_forecast_window=\"10s\"} 0.5\n",
		"restel_cpu_time_seconds_total{state=\"busy\"} 125\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	if src.Reads() != 1 {
		t.Errorf("%d snapshot reads for one scrape, want 1", src.Reads())
	}
}
