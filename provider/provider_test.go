package provider_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/restel/restel/provider"
)

func u(v uint64) provider.Opt[uint64] { return provider.Some(v) }

var none provider.Opt[uint64]

func TestDerivePressure(t *testing.T) {
	tests := []struct {
		name         string
		avail, total provider.Opt[uint64]
		want         provider.MemoryPressure
	}{
		{"plenty", u(8000), u(16000), provider.MemoryPressureNormal},
		{"exactly 15% is normal", u(15), u(100), provider.MemoryPressureNormal},
		{"just below 15% is warn", u(1499), u(10000), provider.MemoryPressureWarn},
		{"exactly 5% is warn", u(800), u(16000), provider.MemoryPressureWarn},
		{"just below 5% is critical", u(799), u(16000), provider.MemoryPressureCritical},
		{"nothing available", u(0), u(16000), provider.MemoryPressureCritical},
		{"total 0", u(0), u(0), provider.MemoryPressureUnknown},
		{"available unknown", none, u(16000), provider.MemoryPressureUnknown},
		{"total unknown", u(100), none, provider.MemoryPressureUnknown},
		{"both unknown", none, none, provider.MemoryPressureUnknown},
		{"available above total", u(20000), u(16000), provider.MemoryPressureNormal},
		{"huge values do not overflow", u(1 << 50), u(1 << 52), provider.MemoryPressureNormal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := provider.DerivePressure(tt.avail, tt.total); got != tt.want {
				t.Errorf("DerivePressure(%v, %v) = %v, want %v", tt.avail, tt.total, got, tt.want)
			}
		})
	}
}

func TestPressureFromNativeOnlyRaises(t *testing.T) {
	tests := []struct {
		name         string
		avail, total provider.Opt[uint64]
		native       provider.MemoryPressure
		want         provider.MemoryPressure
	}{
		{"native raises normal to warn", u(8000), u(16000), provider.MemoryPressureWarn, provider.MemoryPressureWarn},
		{"native normal cannot lower critical", u(10), u(16000), provider.MemoryPressureNormal, provider.MemoryPressureCritical},
		{"native unknown keeps derived", u(1000), u(16000), provider.MemoryPressureUnknown, provider.MemoryPressureWarn},
		{"native alone when derived unknown", none, none, provider.MemoryPressureCritical, provider.MemoryPressureCritical},
		{"both unknown", none, none, provider.MemoryPressureUnknown, provider.MemoryPressureUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := provider.PressureFrom(tt.avail, tt.total, tt.native); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWorstOrderings(t *testing.T) {
	p := []provider.MemoryPressure{provider.MemoryPressureUnknown, provider.MemoryPressureNormal, provider.MemoryPressureWarn, provider.MemoryPressureCritical}
	for i, a := range p {
		for j, b := range p {
			want := p[max(i, j)]
			if got := a.Worst(b); got != want {
				t.Errorf("%v.Worst(%v) = %v, want %v", a, b, got, want)
			}
		}
	}
	th := []provider.ThermalState{provider.ThermalUnknown, provider.ThermalNormal, provider.ThermalWarm, provider.ThermalHot, provider.ThermalCritical}
	for i, a := range th {
		for j, b := range th {
			if got, want := a.Worst(b), th[max(i, j)]; got != want {
				t.Errorf("%v.Worst(%v) = %v, want %v", a, b, got, want)
			}
		}
	}
}

func TestThermalFromCelsiusBands(t *testing.T) {
	tests := []struct {
		c    float64
		want provider.ThermalState
	}{
		{-10, provider.ThermalNormal}, {59.999, provider.ThermalNormal}, {60, provider.ThermalWarm},
		{69.9, provider.ThermalWarm}, {70, provider.ThermalHot}, {79.99, provider.ThermalHot},
		{80, provider.ThermalCritical}, {120, provider.ThermalCritical},
	}
	for _, tt := range tests {
		if got := provider.ThermalFromCelsius(tt.c); got != tt.want {
			t.Errorf("ThermalFromCelsius(%v) = %v, want %v", tt.c, got, tt.want)
		}
	}
}

func TestEnumParse(t *testing.T) {
	for _, s := range []string{"unknown", "normal", "warn", "critical"} {
		p, err := provider.ParseMemoryPressure(s)
		if err != nil || p.String() != s {
			t.Errorf("ParseMemoryPressure(%q) = %v, %v", s, p, err)
		}
	}
	for _, s := range []string{"normal", "warm", "hot", "critical"} {
		th, err := provider.ParseThermalState(s)
		if err != nil || th.String() != s || !th.Known() {
			t.Errorf("ParseThermalState(%q) = %v, %v", s, th, err)
		}
	}
	for _, s := range []string{"", "Normal", "warning", "unknown "} {
		if _, err := provider.ParseMemoryPressure(s); !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("ParseMemoryPressure(%q) error = %v, want ErrInvalid", s, err)
		}
	}
	for _, s := range []string{"", "unknown", "HOT", "cold"} {
		if _, err := provider.ParseThermalState(s); !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("ParseThermalState(%q) error = %v, want ErrInvalid", s, err)
		}
	}
	if provider.ThermalUnknown.String() != "unknown" || provider.ThermalUnknown.Known() {
		t.Error("ThermalUnknown must be reported as normal on the wire and not be Known")
	}
}

func TestMiBAndClamps(t *testing.T) {
	if got := provider.MiB(0); got.Valid {
		t.Errorf("MiB(0) = %v, want unknown", got)
	}
	if got := provider.MiB(1<<20 - 1); got != u(0) {
		t.Errorf("MiB(1MiB-1) = %v, want 0 (floor)", got)
	}
	if got := provider.MiB(3<<20 + 5); got != u(3) {
		t.Errorf("MiB(3MiB+5) = %v, want 3", got)
	}
	if got := provider.BatteryPct(250); got != provider.Some[uint8](100) {
		t.Errorf("BatteryPct(250) = %v", got)
	}
	for _, tt := range []struct {
		in   float64
		want provider.Opt[float64]
	}{
		{-3, provider.Some(0.0)}, {150, provider.Some(100.0)}, {42.5, provider.Some(42.5)},
		{math.NaN(), provider.Opt[float64]{}}, {math.Inf(1), provider.Opt[float64]{}},
	} {
		if got := provider.CPUPercent(tt.in); got != tt.want {
			t.Errorf("CPUPercent(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func fullSnapshot() provider.Snapshot {
	return provider.Snapshot{
		CPUPct:         provider.Some(12.5),
		ProcessRSSMB:   u(100),
		AvailableMemMB: u(8000),
		TotalMemMB:     u(16000),
		MemoryPressure: provider.MemoryPressureNormal,
		Thermal:        provider.ThermalHot,
		BatteryPct:     provider.Some[uint8](80),
		CapturedAtMS:   1764090000123,
	}
}

func TestSnapshotJSONGolden(t *testing.T) {
	tests := []struct {
		name string
		in   provider.Snapshot
		want string
	}{
		{"full", fullSnapshot(),
			`{"cpu_pct":12.5,"process_rss_mb":100,"available_mem_mb":8000,"total_mem_mb":16000,"memory_pressure":"normal","thermal_state":"hot","battery_pct":80,"captured_at_ms":1764090000123,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}`},
		{"all unknown", provider.Unknown(time.UnixMilli(42)),
			`{"cpu_pct":null,"process_rss_mb":null,"available_mem_mb":null,"total_mem_mb":null,"memory_pressure":"unknown","thermal_state":"normal","battery_pct":null,"captured_at_ms":42,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}`},
		{"zeros are values", provider.Snapshot{CPUPct: provider.Some(0.0), ProcessRSSMB: u(0), BatteryPct: provider.Some[uint8](0)},
			`{"cpu_pct":0,"process_rss_mb":0,"available_mem_mb":null,"total_mem_mb":null,"memory_pressure":"unknown","thermal_state":"normal","battery_pct":0,"captured_at_ms":0,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("JSON mismatch (-want +got):\n%s", diff)
			}
			var back provider.Snapshot
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatalf("parse back: %v", err)
			}
			want := tt.in
			if want.Thermal == provider.ThermalUnknown {
				want.Thermal = provider.ThermalNormal // unknown is "normal" on the wire
			}
			if diff := cmp.Diff(want, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSnapshotUnmarshalRejects(t *testing.T) {
	valid := `{"cpu_pct":1,"process_rss_mb":1,"available_mem_mb":1,"total_mem_mb":1,"memory_pressure":"normal","thermal_state":"normal","battery_pct":1,"captured_at_ms":1,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}`
	tests := []struct{ name, in, mention string }{
		{"extra field", strings.Replace(valid, `{`, `{"gpu":1,`, 1), "gpu"},
		{"bad pressure", strings.Replace(valid, `"memory_pressure":"normal"`, `"memory_pressure":"high"`, 1), "high"},
		{"bad thermal", strings.Replace(valid, `"thermal_state":"normal"`, `"thermal_state":"unknown"`, 1), "unknown"},
		{"cpu out of range", strings.Replace(valid, `"cpu_pct":1`, `"cpu_pct":101`, 1), "cpu_pct"},
		{"negative rss", strings.Replace(valid, `"process_rss_mb":1`, `"process_rss_mb":-1`, 1), "process_rss_mb"},
		{"battery over 100", strings.Replace(valid, `"battery_pct":1`, `"battery_pct":101`, 1), "battery_pct"},
		{"missing captured_at", strings.Replace(valid, `,"captured_at_ms":1`, ``, 1), "captured_at_ms"},
		{"null pressure", strings.Replace(valid, `"memory_pressure":"normal"`, `"memory_pressure":null`, 1), "memory_pressure"},
		{"trailing data", valid + `{}`, "trailing"},
		{"not an object", `[1]`, "snapshot"},
	}
	var s provider.Snapshot
	if err := json.Unmarshal([]byte(valid), &s); err != nil {
		t.Fatalf("valid input rejected: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.UnmarshalJSON([]byte(tt.in))
			if !errors.Is(err, provider.ErrInvalid) {
				t.Fatalf("error = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not name %q", err, tt.mention)
			}
		})
	}
}

func TestSnapshotAppendJSONAllocs(t *testing.T) {
	s := fullSnapshot()
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { buf = s.AppendJSON(buf[:0]) }); n != 0 {
		t.Errorf("AppendJSON allocates %v times per call, want 0", n)
	}
}

func FuzzSnapshotJSON(f *testing.F) {
	f.Add([]byte(`{"cpu_pct":12.5,"process_rss_mb":100,"available_mem_mb":8000,"total_mem_mb":16000,"memory_pressure":"normal","thermal_state":"hot","battery_pct":80,"captured_at_ms":1,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}`))
	f.Add([]byte(`{"cpu_pct":null,"process_rss_mb":null,"available_mem_mb":null,"total_mem_mb":null,"memory_pressure":"unknown","thermal_state":"normal","battery_pct":null,"captured_at_ms":0,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}`))
	f.Add([]byte(`{"cpu_pct":1e400}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s provider.Snapshot
		if err := json.Unmarshal(b, &s); err != nil {
			return
		}
		out := s.AppendJSON(nil)
		var back provider.Snapshot
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if back != s {
			t.Fatalf("round trip changed %+v to %+v", s, back)
		}
	})
}

func BenchmarkSnapshotAppendJSON(b *testing.B) {
	s := fullSnapshot()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendJSON(buf[:0])
	}
}

// TestSnapshotJSONFromMisbehavingProvider: a custom provider may fill a
// Snapshot with values outside the contract (CPU above 100 or negative, a
// battery of 200, an enum value no constant names). The wire form still
// holds to docs/contract.md §2 — cpu_pct and battery_pct clamped, enum strings only
// those listed, out-of-range enums degraded to unknown — and parses back.
func TestSnapshotJSONFromMisbehavingProvider(t *testing.T) {
	tests := []struct {
		name string
		in   provider.Snapshot
		want string
	}{
		{"cpu above 100 and battery above 100 are clamped",
			provider.Snapshot{CPUPct: provider.Some(150.0), BatteryPct: provider.Some[uint8](200), MemoryPressure: provider.MemoryPressureNormal, Thermal: provider.ThermalWarm, CapturedAtMS: 7},
			`{"cpu_pct":100,"process_rss_mb":null,"available_mem_mb":null,"total_mem_mb":null,"memory_pressure":"normal","thermal_state":"warm","battery_pct":100,"captured_at_ms":7,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}`},
		{"negative cpu is clamped to 0",
			provider.Snapshot{CPUPct: provider.Some(-3.5)},
			`{"cpu_pct":0,"process_rss_mb":null,"available_mem_mb":null,"total_mem_mb":null,"memory_pressure":"unknown","thermal_state":"normal","battery_pct":null,"captured_at_ms":0,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}`},
		{"accelerator totals follow captured_at_ms",
			provider.Snapshot{GPUMemUsedMB: provider.Some[uint64](5800), GPUMemTotalMB: provider.Some[uint64](8192), GPUBusyPct: provider.Some(97.5), ProcessGPUMemMB: provider.Some[uint64](5200), CapturedAtMS: 9},
			`{"cpu_pct":null,"process_rss_mb":null,"available_mem_mb":null,"total_mem_mb":null,"memory_pressure":"unknown","thermal_state":"normal","battery_pct":null,"captured_at_ms":9,"gpu_mem_used_mb":5800,"gpu_mem_total_mb":8192,"gpu_busy_pct":97.5,"process_gpu_mem_mb":5200}`},
		{"enum values no constant names are unknown",
			provider.Snapshot{MemoryPressure: provider.MemoryPressure(9), Thermal: provider.ThermalState(200)},
			`{"cpu_pct":null,"process_rss_mb":null,"available_mem_mb":null,"total_mem_mb":null,"memory_pressure":"unknown","thermal_state":"normal","battery_pct":null,"captured_at_ms":0,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.in.AppendJSON(nil))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("JSON mismatch (-want +got):\n%s", diff)
			}
			var back provider.Snapshot
			if err := json.Unmarshal([]byte(got), &back); err != nil {
				t.Errorf("wire form does not parse back: %v", err)
			}
		})
	}
}

// TestWire checks the wire invariants a provider cannot break, one row per
// lie a custom provider might tell.
func TestWire(t *testing.T) {
	u := provider.Some[uint64]
	tests := []struct {
		name string
		in   provider.Snapshot
		want provider.Snapshot
	}{
		{"a known RSS under 1 MiB is 0",
			provider.Snapshot{ProcessRSSMB: u(0)},
			provider.Snapshot{ProcessRSSMB: u(0)}},
		{"a zero total is unknown",
			provider.Snapshot{TotalMemMB: u(0), AvailableMemMB: u(0)},
			provider.Snapshot{AvailableMemMB: u(0)}},
		{"available above total is total",
			provider.Snapshot{AvailableMemMB: u(5000), TotalMemMB: u(100)},
			provider.Snapshot{AvailableMemMB: u(100), TotalMemMB: u(100), MemoryPressure: provider.MemoryPressureNormal}},
		{"a known 0 available is critical",
			provider.Snapshot{AvailableMemMB: u(0), TotalMemMB: u(512)},
			provider.Snapshot{AvailableMemMB: u(0), TotalMemMB: u(512), MemoryPressure: provider.MemoryPressureCritical}},
		{"a claimed pressure below the derived one is raised",
			provider.Snapshot{AvailableMemMB: u(1), TotalMemMB: u(100), MemoryPressure: provider.MemoryPressureNormal},
			provider.Snapshot{AvailableMemMB: u(1), TotalMemMB: u(100), MemoryPressure: provider.MemoryPressureCritical}},
		{"a native pressure above the derived one stays",
			provider.Snapshot{AvailableMemMB: u(90), TotalMemMB: u(100), MemoryPressure: provider.MemoryPressureWarn},
			provider.Snapshot{AvailableMemMB: u(90), TotalMemMB: u(100), MemoryPressure: provider.MemoryPressureWarn}},
		{"unnamed levels are unknown",
			provider.Snapshot{MemoryPressure: 9, Thermal: 9},
			provider.Snapshot{}},
		{"a capture before the epoch is the epoch",
			provider.Snapshot{CapturedAtMS: -1},
			provider.Snapshot{}},
		{"percentages are clamped",
			provider.Snapshot{CPUPct: provider.Some(250.0), ProcessCPUPct: provider.Some(-3.0), BatteryPct: provider.Some[uint8](200)},
			provider.Snapshot{CPUPct: provider.Some(100.0), ProcessCPUPct: provider.Some(0.0), BatteryPct: provider.Some[uint8](100)}},
		{"a NaN percentage is unknown",
			provider.Snapshot{CPUPct: provider.Some(math.NaN())},
			provider.Snapshot{}},
		{"device memory in use above its total is the total",
			provider.Snapshot{GPUMemUsedMB: u(9000), GPUMemTotalMB: u(8192)},
			provider.Snapshot{GPUMemUsedMB: u(8192), GPUMemTotalMB: u(8192)}},
		{"a zero device memory total is unknown",
			provider.Snapshot{GPUMemUsedMB: u(0), GPUMemTotalMB: u(0)},
			provider.Snapshot{GPUMemUsedMB: u(0)}},
		{"the accelerator busy share is clamped",
			provider.Snapshot{GPUBusyPct: provider.Some(130.0)},
			provider.Snapshot{GPUBusyPct: provider.Some(100.0)}},
		{"counters pass through",
			provider.Snapshot{Counters: provider.Counters{CPUStall: provider.Some(time.Second)}},
			provider.Snapshot{Counters: provider.Counters{CPUStall: provider.Some(time.Second)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.in.Wire()); diff != "" {
				t.Errorf("Wire() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want.Wire(), tt.want); diff != "" {
				t.Errorf("Wire is not idempotent (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDerivePressureNoOverflow: values whose ·100 overflows 64 bits still
// compare exactly.
func TestDerivePressureNoOverflow(t *testing.T) {
	u := provider.Some[uint64]
	const huge = math.MaxUint64 / 3
	for _, tt := range []struct {
		a, t uint64
		want provider.MemoryPressure
	}{
		{huge, huge, provider.MemoryPressureNormal},
		{math.MaxUint64, math.MaxUint64, provider.MemoryPressureNormal},
		{math.MaxUint64 / 20, math.MaxUint64, provider.MemoryPressureCritical}, // floor division puts it just under 5 %
		{math.MaxUint64/20 + 1, math.MaxUint64, provider.MemoryPressureWarn},
		{math.MaxUint64 / 10, math.MaxUint64, provider.MemoryPressureWarn},
		{math.MaxUint64 / 100, math.MaxUint64, provider.MemoryPressureCritical},
	} {
		if got := provider.DerivePressure(u(tt.a), u(tt.t)); got != tt.want {
			t.Errorf("DerivePressure(%d, %d) = %v, want %v", tt.a, tt.t, got, tt.want)
		}
	}
}
