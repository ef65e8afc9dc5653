package headroom

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/restel/restel/provider"
)

func TestHeadroomJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    Headroom
		want string
	}{
		{"unknown", Headroom{Forecast: DefaultHorizon},
			`{"effective_cpus":null,"cpu_limit_by":null,"throttled_ratio":null,"usable_mem_mb":null,"mem_limit_by":null,"usable_gpu_mem_mb":null,"gpu_limit_by":null,"thermal_headroom":null,"thermal_headroom_forecast":null,"forecast_s":10,"throttling":null,"throttling_by":null}`},
		{"full", Headroom{
			EffectiveCPUs: provider.Some(8.5), CPULimitBy: CgroupBy(`/kube"pods`),
			ThrottledRatio: provider.Some(0.25),
			UsableMemMB:    provider.Some[uint64](1234), MemLimitBy: ByHost,
			UsableGPUMemMB: provider.Some[uint64](6000), GPULimitBy: GPUBy("card1"),
			Thermal: provider.Some(0.5), ThermalForecast: provider.Some(1.25), Forecast: 90 * time.Second,
			Throttling: provider.Some(true), ThrottlingBy: "cpufreq",
		},
			`{"effective_cpus":8.5,"cpu_limit_by":"cgroup:/kube\"pods","throttled_ratio":0.25,"usable_mem_mb":1234,"mem_limit_by":"host","usable_gpu_mem_mb":6000,"gpu_limit_by":"gpu:card1","thermal_headroom":0.5,"thermal_headroom_forecast":1.25,"forecast_s":60,"throttling":true,"throttling_by":"cpufreq"}`},
		{"not throttling", Headroom{Throttling: provider.Some(false), ThrottlingBy: "x", Forecast: 1500 * time.Millisecond},
			`{"effective_cpus":null,"cpu_limit_by":null,"throttled_ratio":null,"usable_mem_mb":null,"mem_limit_by":null,"usable_gpu_mem_mb":null,"gpu_limit_by":null,"thermal_headroom":null,"thermal_headroom_forecast":null,"forecast_s":1.5,"throttling":false,"throttling_by":null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.h)
			if err != nil || string(got) != tc.want {
				t.Errorf("got  %s (%v)\nwant %s", got, err, tc.want)
			}
		})
	}
}

func TestHeadroomAppendJSONAllocs(t *testing.T) {
	h := Headroom{EffectiveCPUs: provider.Some(2.0), CPULimitBy: CgroupBy("/a"), Forecast: DefaultHorizon}
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { buf = h.AppendJSON(buf[:0]) }); n != 0 {
		t.Errorf("AppendJSON allocates %v times", n)
	}
}

func TestVerdictJSON(t *testing.T) {
	h := Headroom{UsableMemMB: provider.Some[uint64](1), MemLimitBy: ByHost}
	got, _ := json.Marshal(h.Fits(Need{MemBytes: 2 << 20}, false))
	want := `{"fits":false,"known":true,"limit_by":"host","need_mem_bytes":2097152,"usable_mem_bytes":1048576,"need_gpu_mem_bytes":0,"usable_gpu_mem_bytes":null,"unified":false}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A limit's name comes from the system (a cgroup path may hold any byte):
// the JSON stays valid whatever it holds.
func TestHeadroomJSONEscapesNames(t *testing.T) {
	h := Headroom{EffectiveCPUs: provider.Some(2.0), CPULimitBy: CgroupBy("/a\x01b\"c\\\xff\u2028")}
	b, _ := json.Marshal(h)
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if got, want := back["cpu_limit_by"], "cgroup:/a\x01b\"c\\\ufffd\u2028"; got != want {
		t.Errorf("cpu_limit_by %q, want %q", got, want)
	}
	v, _ := json.Marshal(Verdict{By: "cgroup:/\x7f\x00", Known: true})
	if !json.Valid(v) {
		t.Errorf("verdict %s is not JSON", v)
	}
}
