package aggregate_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider"
)

func u(v uint64) provider.Opt[uint64]   { return provider.Some(v) }
func f(v float64) provider.Opt[float64] { return provider.Some(v) }
func b8(v uint8) provider.Opt[uint8]    { return provider.Some(v) }

// An interval below the minimum is raised to it; zero means the default.
func TestModeNormalizesIntervalFloor(t *testing.T) {
	tests := []struct {
		in, want aggregate.Mode
	}{
		{aggregate.Mode{Kind: aggregate.Summary, Interval: 10 * time.Millisecond}, aggregate.Mode{Kind: aggregate.Summary, Interval: 250 * time.Millisecond}},
		{aggregate.Mode{Kind: aggregate.DebugLocal, Interval: time.Nanosecond}, aggregate.Mode{Kind: aggregate.DebugLocal, Interval: 250 * time.Millisecond}},
		{aggregate.Mode{Kind: aggregate.Summary}, aggregate.Mode{Kind: aggregate.Summary, Interval: time.Second}},
		{aggregate.Mode{Kind: aggregate.Summary, Interval: 250 * time.Millisecond}, aggregate.Mode{Kind: aggregate.Summary, Interval: 250 * time.Millisecond}},
		{aggregate.Mode{Kind: aggregate.Summary, Interval: 3 * time.Second}, aggregate.Mode{Kind: aggregate.Summary, Interval: 3 * time.Second}},
		{aggregate.Mode{Kind: aggregate.Boundary, Interval: time.Second}, aggregate.ModeBoundary},
		{aggregate.Mode{Kind: aggregate.Off, Interval: time.Second}, aggregate.ModeOff},
		{aggregate.Mode{Kind: 9}, aggregate.ModeOff},
	}
	for _, tt := range tests {
		if got := tt.in.Normalized(); got != tt.want {
			t.Errorf("%+v.Normalized() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

// A Kind no constant names has a name that says so, and never reaches
// the wire: its label there is off, as Normalized treats it.
func TestUnknownKindLabels(t *testing.T) {
	k := aggregate.Kind(9)
	if k.String() != "Kind(9)" || k.WireLabel() != "off" {
		t.Fatalf("Kind(9): String %q WireLabel %q, want Kind(9) and off", k.String(), k.WireLabel())
	}
	u := aggregate.Usage{Mode: aggregate.Mode{Kind: k}}
	if got := string(u.AppendJSON(nil)); !strings.Contains(got, `"sampling_mode":"off"`) {
		t.Fatalf("a summary of Kind(9) writes %s, want sampling_mode off", got)
	}
}

// Ported: mode labels.
func TestModeLabels(t *testing.T) {
	tests := []struct {
		m     aggregate.Mode
		label string
		str   string
	}{
		{aggregate.ModeOff, "off", "off"},
		{aggregate.ModeBoundary, "boundary", "boundary"},
		{aggregate.SummaryEvery(0), "summary", "summary:1s"},
		{aggregate.DebugLocalEvery(500 * time.Millisecond), "debug_local", "debug_local:500ms"},
	}
	for _, tt := range tests {
		if tt.m.WireLabel() != tt.label || tt.m.String() != tt.str {
			t.Errorf("%+v: label %q string %q, want %q %q", tt.m, tt.m.WireLabel(), tt.m.String(), tt.label, tt.str)
		}
		back, err := aggregate.ParseMode(tt.m.String())
		if err != nil || back != tt.m.Normalized() {
			t.Errorf("ParseMode(%q) = %+v, %v", tt.m.String(), back, err)
		}
	}
}

func TestParseMode(t *testing.T) {
	ok := []struct {
		in   string
		want aggregate.Mode
	}{
		{"off", aggregate.ModeOff},
		{"boundary", aggregate.ModeBoundary},
		{"summary", aggregate.Mode{Kind: aggregate.Summary, Interval: time.Second}},
		{"summary:500ms", aggregate.Mode{Kind: aggregate.Summary, Interval: 500 * time.Millisecond}},
		{"summary:100ms", aggregate.Mode{Kind: aggregate.Summary, Interval: 250 * time.Millisecond}},
		{"summary:0s", aggregate.Mode{Kind: aggregate.Summary, Interval: 250 * time.Millisecond}},
		{"debug_local", aggregate.Mode{Kind: aggregate.DebugLocal, Interval: time.Second}},
		{"debug_local:2s", aggregate.Mode{Kind: aggregate.DebugLocal, Interval: 2 * time.Second}},
		{" summary:1m ", aggregate.Mode{Kind: aggregate.Summary, Interval: time.Minute}},
	}
	for _, tt := range ok {
		got, err := aggregate.ParseMode(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseMode(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	bad := []struct{ in, mention string }{
		{"", `""`},
		{"Summary", "Summary"},
		{"sampled", "sampled"},
		{"summary:", "bad interval"},
		{"summary:fast", "bad interval"},
		{"summary:500", "bad interval"},
		{"summary:-1s", "negative"},
		{"boundary:1s", "takes no interval"},
		{"off:1s", "takes no interval"},
	}
	for _, tt := range bad {
		_, err := aggregate.ParseMode(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("ParseMode(%q) error = %v, want one mentioning %q", tt.in, err, tt.mention)
		}
	}
	var m aggregate.Mode
	if err := m.Set("summary:750ms"); err != nil || m.Interval != 750*time.Millisecond {
		t.Errorf("Set: %+v %v", m, err)
	}
	if err := m.UnmarshalText([]byte("nope")); err == nil || m.Interval != 750*time.Millisecond {
		t.Errorf("UnmarshalText of a bad value must fail and keep the old value, got %+v %v", m, err)
	}
}

// Ported: aggregator_tracks_peak_avg_min.
func TestAggregatorTracksPeakAvgMin(t *testing.T) {
	var a aggregate.Aggregator
	a.Observe(provider.Snapshot{CPUPct: f(10), ProcessRSSMB: u(100), AvailableMemMB: u(8000), TotalMemMB: u(16000),
		MemoryPressure: provider.MemoryPressureNormal, Thermal: provider.ThermalNormal, BatteryPct: b8(80)})
	a.Observe(provider.Snapshot{CPUPct: f(90), ProcessRSSMB: u(500), AvailableMemMB: u(1000), TotalMemMB: u(16000),
		MemoryPressure: provider.MemoryPressureWarn, Thermal: provider.ThermalHot, BatteryPct: b8(78), CapturedAtMS: 1000})
	got := a.Usage(aggregate.ModeBoundary)
	// The start snapshot's cpu covers time before the run: only the one
	// interval, measured by the end snapshot, counts.
	want := aggregate.Usage{
		CPUAvgPct: f(90), CPUPeakPct: f(90), ProcessRSSPeakMB: u(500), AvailableMemMinMB: u(1000),
		MemoryPressurePeak: provider.MemoryPressureWarn, ThermalPeak: provider.ThermalHot, BatteryPctEnd: b8(78),
		SampleCount: 2, Mode: aggregate.ModeBoundary, DurationMS: u(1000),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
}

// Ported: aggregator_handles_all_missing_cpu (and the two-sample boundary
// run of all-unknown snapshots a failing provider produces).
func TestAggregatorAllUnknown(t *testing.T) {
	var a aggregate.Aggregator
	a.Observe(provider.Unknown(time.Unix(0, 0)))
	a.Observe(provider.Unknown(time.Unix(1, 0)))
	got := a.Usage(aggregate.ModeBoundary)
	want := aggregate.Usage{SampleCount: 2, Mode: aggregate.ModeBoundary, ThermalPeak: provider.ThermalNormal, DurationMS: u(1000)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	wantJSON := `{"cpu_avg_pct":null,"cpu_peak_pct":null,"process_rss_peak_mb":null,"available_mem_min_mb":null,"memory_pressure_peak":"unknown","thermal_state_peak":"normal","battery_pct_end":null,"sample_count":2,"sampling_mode":"boundary","duration_ms":1000,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}`
	if gotJSON := string(got.AppendJSON(nil)); gotJSON != wantJSON {
		t.Errorf("JSON\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

func TestAggregatorRules(t *testing.T) {
	tests := []struct {
		name  string
		snaps []provider.Snapshot
		check func(aggregate.Usage) string
	}{
		{"battery end is the last non-null", []provider.Snapshot{{BatteryPct: b8(80)}, {BatteryPct: b8(75)}, {}},
			func(u aggregate.Usage) string { return cmp.Diff(b8(75), u.BatteryPctEnd) }},
		{"a real pressure beats unknown", []provider.Snapshot{{MemoryPressure: provider.MemoryPressureNormal}, {}},
			func(u aggregate.Usage) string { return cmp.Diff(provider.MemoryPressureNormal, u.MemoryPressurePeak) }},
		{"pressure peak is the worst", []provider.Snapshot{{MemoryPressure: provider.MemoryPressureCritical}, {MemoryPressure: provider.MemoryPressureNormal}},
			func(u aggregate.Usage) string { return cmp.Diff(provider.MemoryPressureCritical, u.MemoryPressurePeak) }},
		{"thermal peak after recovery", []provider.Snapshot{{Thermal: provider.ThermalNormal}, {Thermal: provider.ThermalCritical}, {Thermal: provider.ThermalWarm}},
			func(u aggregate.Usage) string { return cmp.Diff(provider.ThermalCritical, u.ThermalPeak) }},
		{"cpu average over known intervals only, weighted by duration",
			[]provider.Snapshot{{CPUPct: f(30)}, {CapturedAtMS: 1000}, {CPUPct: f(60), CapturedAtMS: 2000}, {CPUPct: f(90), CapturedAtMS: 2500}},
			func(u aggregate.Usage) string {
				// (60·1000 + 90·500) / 1500 = 70; the start's 30 never counts.
				return cmp.Diff([]any{f(70), f(90), uint64(4)}, []any{u.CPUAvgPct, u.CPUPeakPct, u.SampleCount})
			}},
		{"zero-length intervals: the plain mean", []provider.Snapshot{{CPUPct: f(30)}, {CPUPct: f(20)}, {CPUPct: f(60)}},
			func(u aggregate.Usage) string {
				return cmp.Diff([]any{f(40), f(60)}, []any{u.CPUAvgPct, u.CPUPeakPct})
			}},
		{"non-finite cpu ignored, out-of-range clamped", []provider.Snapshot{{CPUPct: f(math.NaN())}, {CPUPct: f(250)}},
			func(u aggregate.Usage) string {
				return cmp.Diff([]any{f(100), f(100)}, []any{u.CPUAvgPct, u.CPUPeakPct})
			}},
		{"rss peak and avail min ignore unknown", []provider.Snapshot{{ProcessRSSMB: u(5)}, {AvailableMemMB: u(70)}, {ProcessRSSMB: u(3), AvailableMemMB: u(90)}},
			func(us aggregate.Usage) string {
				return cmp.Diff([]any{u(5), u(70)}, []any{us.ProcessRSSPeakMB, us.AvailableMemMinMB})
			}},
		{"zero is a reading", []provider.Snapshot{{AvailableMemMB: u(10)}, {AvailableMemMB: u(0)}},
			func(us aggregate.Usage) string { return cmp.Diff(u(0), us.AvailableMemMinMB) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a aggregate.Aggregator
			for _, s := range tt.snaps {
				a.Observe(s)
			}
			if diff := tt.check(a.Usage(aggregate.SummaryEvery(0))); diff != "" {
				t.Error(diff)
			}
		})
	}
}

func TestUsageJSONGolden(t *testing.T) {
	full := aggregate.Usage{
		CPUAvgPct: f(37.25), CPUPeakPct: f(91.5), ProcessRSSPeakMB: u(512), AvailableMemMinMB: u(900),
		MemoryPressurePeak: provider.MemoryPressureWarn, ThermalPeak: provider.ThermalCritical, BatteryPctEnd: b8(64),
		SampleCount: 7, Mode: aggregate.SummaryEvery(250 * time.Millisecond), SamplesSkipped: 4,
	}
	tests := []struct {
		name string
		in   aggregate.Usage
		want string
	}{
		{"summary with interval", full, `{"cpu_avg_pct":37.25,"cpu_peak_pct":91.5,"process_rss_peak_mb":512,"available_mem_min_mb":900,"memory_pressure_peak":"warn","thermal_state_peak":"critical","battery_pct_end":64,"sample_count":7,"sampling_mode":"summary","sampling_interval_ms":250,"duration_ms":null,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":4}`},
		{"debug_local", func() aggregate.Usage { v := full; v.Mode = aggregate.DebugLocalEvery(2 * time.Second); return v }(),
			`{"cpu_avg_pct":37.25,"cpu_peak_pct":91.5,"process_rss_peak_mb":512,"available_mem_min_mb":900,"memory_pressure_peak":"warn","thermal_state_peak":"critical","battery_pct_end":64,"sample_count":7,"sampling_mode":"debug_local","sampling_interval_ms":2000,"duration_ms":null,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":4}`},
		{"boundary omits the interval", func() aggregate.Usage { v := full; v.Mode = aggregate.ModeBoundary; return v }(),
			`{"cpu_avg_pct":37.25,"cpu_peak_pct":91.5,"process_rss_peak_mb":512,"available_mem_min_mb":900,"memory_pressure_peak":"warn","thermal_state_peak":"critical","battery_pct_end":64,"sample_count":7,"sampling_mode":"boundary","duration_ms":null,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":4}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			var back aggregate.Usage
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.in, back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUsageUnmarshalRejects(t *testing.T) {
	base := `{"cpu_avg_pct":null,"cpu_peak_pct":null,"process_rss_peak_mb":null,"available_mem_min_mb":null,"memory_pressure_peak":"unknown","thermal_state_peak":"normal","battery_pct_end":null,"sample_count":2,"sampling_mode":"boundary","duration_ms":null,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}`
	for _, tt := range []struct{ name, in, mention string }{
		{"boundary with interval", strings.Replace(base, `"boundary"`, `"boundary","sampling_interval_ms":250`, 1), "boundary"},
		{"summary without interval", strings.Replace(base, `"boundary"`, `"summary"`, 1), "sampling_interval_ms"},
		{"summary below floor", strings.Replace(base, `"boundary"`, `"summary","sampling_interval_ms":100`, 1), "sampling_interval_ms"},
		{"off has no summary", strings.Replace(base, `"boundary"`, `"off"`, 1), "off"},
		{"unknown field", strings.Replace(base, `{`, `{"x":1,`, 1), "x"},
		{"bad thermal", strings.Replace(base, `"thermal_state_peak":"normal"`, `"thermal_state_peak":"cold"`, 1), "cold"},
		{"missing count", strings.Replace(base, `"sample_count":2,`, ``, 1), "sample_count"},
		{"negative skipped", strings.Replace(base, `"samples_skipped":0`, `"samples_skipped":-1`, 1), "samples_skipped"},
		{"fractional skipped", strings.Replace(base, `"samples_skipped":0`, `"samples_skipped":1.5`, 1), "samples_skipped"},
	} {
		var got aggregate.Usage
		err := json.Unmarshal([]byte(tt.in), &got)
		if !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s: error = %v, want ErrInvalid naming %q", tt.name, err, tt.mention)
		}
	}
}

// Skipped samples reach the summary: Skip adds up (saturating), and the
// count is written as samples_skipped, always, after the other extension
// fields; a summary without the field reads as one that skipped nothing.
func TestAggregatorSkip(t *testing.T) {
	for _, tc := range []struct {
		name string
		skip []uint64
		want uint64
	}{
		{"nothing skipped", nil, 0},
		{"zero", []uint64{0}, 0},
		{"adds up", []uint64{1, 3, 2}, 6},
		{"saturates", []uint64{math.MaxUint32 - 1, 5}, math.MaxUint32},
		{"saturates at once", []uint64{math.MaxUint64}, math.MaxUint32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a aggregate.Aggregator
			a.Observe(provider.Snapshot{CapturedAtMS: 1000})
			for _, n := range tc.skip {
				a.Skip(n)
			}
			a.Observe(provider.Snapshot{CapturedAtMS: 2000})
			got := a.Usage(aggregate.SummaryEvery(0))
			if got.SamplesSkipped != tc.want {
				t.Fatalf("SamplesSkipped %d, want %d", got.SamplesSkipped, tc.want)
			}
			js := string(got.AppendJSON(nil))
			if want := `,"process_gpu_mem_peak_mb":null,"samples_skipped":` + strconv.FormatUint(tc.want, 10) + `}`; !strings.HasSuffix(js, want) {
				t.Fatalf("JSON %s does not have %s", js, want)
			}
			var back aggregate.Usage
			if err := json.Unmarshal([]byte(js), &back); err != nil || back.SamplesSkipped != tc.want {
				t.Fatalf("round trip: %d, %v; want %d", back.SamplesSkipped, err, tc.want)
			}
		})
	}
	var old aggregate.Usage
	if err := json.Unmarshal([]byte(`{"memory_pressure_peak":"unknown","thermal_state_peak":"normal","sample_count":2,"sampling_mode":"boundary"}`), &old); err != nil || old.SamplesSkipped != 0 {
		t.Fatalf("summary without samples_skipped: %d, %v; want 0, nil", old.SamplesSkipped, err)
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	var a aggregate.Aggregator
	s := provider.Snapshot{CPUPct: f(3), ProcessRSSMB: u(1), AvailableMemMB: u(2), BatteryPct: b8(9)}
	if n := testing.AllocsPerRun(1000, func() { a.Observe(s) }); n != 0 {
		t.Errorf("Observe allocates %v per call", n)
	}
}

// FuzzAggregator feeds arbitrary snapshot sequences and checks the
// summary's invariants.
func FuzzAggregator(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		const rec = 12
		var a aggregate.Aggregator
		var n uint64
		var cpus []float64
		var minAvail provider.Opt[uint64]
		for len(data) >= rec {
			r := data[:rec]
			data = data[rec:]
			var s provider.Snapshot
			if r[0]&1 != 0 {
				c := float64(binary.LittleEndian.Uint16(r[1:3])) / 100
				s.CPUPct = provider.Some(c)
				// The start snapshot's cpu never counts.
				if cc := provider.CPUPercent(c); cc.Valid && n > 0 {
					cpus = append(cpus, cc.V)
				}
			}
			if r[0]&2 != 0 {
				s.ProcessRSSMB = u(uint64(binary.LittleEndian.Uint16(r[3:5])))
			}
			if r[0]&4 != 0 {
				v := uint64(binary.LittleEndian.Uint32(r[5:9]))
				s.AvailableMemMB = u(v)
				if !minAvail.Valid || v < minAvail.V {
					minAvail = u(v)
				}
			}
			s.MemoryPressure = provider.MemoryPressure(r[9] % 4)
			s.Thermal = provider.ThermalState(r[10] % 5)
			if r[0]&8 != 0 {
				s.BatteryPct = b8(r[11] % 101)
			}
			a.Observe(s)
			n++
		}
		got := a.Usage(aggregate.SummaryEvery(0))
		if got.SampleCount != n || a.Count() != n {
			t.Fatalf("count %d, want %d", got.SampleCount, n)
		}
		if len(cpus) == 0 {
			if got.CPUAvgPct.Valid || got.CPUPeakPct.Valid {
				t.Fatalf("cpu present without samples: %+v", got)
			}
		} else {
			lo, hi := slices.Min(cpus), slices.Max(cpus)
			if !(lo <= got.CPUAvgPct.V && got.CPUAvgPct.V <= got.CPUPeakPct.V && got.CPUPeakPct.V == hi) {
				t.Fatalf("min %v <= avg %v <= peak %v (want peak %v) violated", lo, got.CPUAvgPct.V, got.CPUPeakPct.V, hi)
			}
		}
		if got.AvailableMemMinMB != minAvail {
			t.Fatalf("avail min %v, want %v", got.AvailableMemMinMB, minAvail)
		}
		var back aggregate.Usage
		if err := json.Unmarshal(got.AppendJSON(nil), &back); err != nil {
			t.Fatalf("summary JSON does not parse back: %v", err)
		}
		if diff := cmp.Diff(got, back); diff != "" {
			t.Fatalf("JSON round trip (-want +got):\n%s", diff)
		}
	})
}

func BenchmarkAggregatorObserve(b *testing.B) {
	var a aggregate.Aggregator
	s := provider.Snapshot{CPUPct: f(42), ProcessRSSMB: u(300), AvailableMemMB: u(4000), TotalMemMB: u(16000),
		MemoryPressure: provider.MemoryPressureNormal, Thermal: provider.ThermalWarm, BatteryPct: b8(50)}
	b.ReportAllocs()
	for b.Loop() {
		a.Observe(s)
	}
}

func BenchmarkSummaryJSON(b *testing.B) {
	u := aggregate.Usage{CPUAvgPct: f(37.25), CPUPeakPct: f(91.5), ProcessRSSPeakMB: u(512), SampleCount: 7,
		Mode: aggregate.SummaryEvery(0)}
	b.Run("AppendJSON", func(b *testing.B) {
		buf := make([]byte, 0, 512)
		b.ReportAllocs()
		for b.Loop() {
			buf = u.AppendJSON(buf[:0])
		}
	})
	b.Run("MarshalJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(u); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestUsageFromMisbehavingProvider: snapshots carrying enum values no
// constant names (a buggy custom provider) take no part in the peaks, and
// a Usage built by hand with such values or out-of-range numbers still
// encodes to docs/contract.md §4's wire form (enum strings only those listed, cpu in
// [0, 100], battery at most 100) and parses back.
func TestUsageFromMisbehavingProvider(t *testing.T) {
	var a aggregate.Aggregator
	a.Observe(provider.Snapshot{MemoryPressure: provider.MemoryPressureWarn, Thermal: provider.ThermalWarm})
	a.Observe(provider.Snapshot{MemoryPressure: provider.MemoryPressure(9), Thermal: provider.ThermalState(200)})
	got := a.Usage(aggregate.ModeBoundary)
	if got.MemoryPressurePeak != provider.MemoryPressureWarn || got.ThermalPeak != provider.ThermalWarm || got.SampleCount != 2 {
		t.Errorf("peaks %v/%v count %d; want warn/warm 2 (out-of-range enums ignored, still counted)",
			got.MemoryPressurePeak, got.ThermalPeak, got.SampleCount)
	}

	bad := aggregate.Usage{
		CPUAvgPct: f(-1), CPUPeakPct: f(180), BatteryPctEnd: b8(250),
		MemoryPressurePeak: provider.MemoryPressure(9), ThermalPeak: provider.ThermalState(200),
		SampleCount: 2, Mode: aggregate.ModeBoundary,
	}
	const want = `{"cpu_avg_pct":0,"cpu_peak_pct":100,"process_rss_peak_mb":null,"available_mem_min_mb":null,"memory_pressure_peak":"unknown","thermal_state_peak":"normal","battery_pct_end":100,"sample_count":2,"sampling_mode":"boundary","duration_ms":null,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}`
	out := string(bad.AppendJSON(nil))
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s", diff)
	}
	var back aggregate.Usage
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Errorf("wire form does not parse back: %v", err)
	}
}

func TestUsageWire(t *testing.T) {
	inContract := aggregate.Usage{
		CPUAvgPct: f(40), CPUPeakPct: f(100), ProcessCPUPct: f(0),
		MemoryPressurePeak: provider.MemoryPressureCritical, ThermalPeak: provider.ThermalHot,
		BatteryPctEnd: provider.Some[uint8](100), SampleCount: 3,
		Mode: aggregate.SummaryEvery(time.Second),
	}
	for _, tc := range []struct {
		name    string
		in, out aggregate.Usage
	}{
		{"in contract", inContract, inContract},
		{"out of contract",
			aggregate.Usage{
				CPUAvgPct: f(-3), CPUPeakPct: f(250), ProcessCPUPct: f(math.NaN()),
				MemoryPressurePeak: provider.MemoryPressureCritical + 1, ThermalPeak: provider.ThermalCritical + 1,
				BatteryPctEnd: provider.Some[uint8](250), SampleCount: 3,
				Mode: aggregate.Mode{Kind: aggregate.DebugLocal, Interval: time.Millisecond},
			},
			aggregate.Usage{
				CPUAvgPct: f(0), CPUPeakPct: f(100),
				MemoryPressurePeak: provider.MemoryPressureUnknown, ThermalPeak: provider.ThermalUnknown,
				BatteryPctEnd: provider.Some[uint8](100), SampleCount: 3,
				Mode: aggregate.DebugLocalEvery(aggregate.MinInterval),
			},
		},
		{"unknown", aggregate.Usage{}, aggregate.Usage{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.out, tc.in.Wire()); diff != "" {
				t.Errorf("Wire() (-want +got):\n%s", diff)
			}
			if got, want := string(tc.in.AppendJSON(nil)), string(tc.out.AppendJSON(nil)); got != want {
				t.Errorf("AppendJSON = %s, want the wire form's %s", got, want)
			}
		})
	}
}
