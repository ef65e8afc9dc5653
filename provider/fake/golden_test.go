package fake_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/internal/winacl"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
	"github.com/restel/restel/replay"
)

var update = flag.Bool("update", false, "rewrite testdata/scripts/*.golden.json from the replays")

var scriptsDir = filepath.Join("..", "..", "testdata", "scripts")

// goldenMode is the mode the goldens hold: `restel replay --mode
// summary:250ms FILE`.
var goldenMode = aggregate.SummaryEvery(250 * time.Millisecond)

func replayFile(t *testing.T, path string, mode aggregate.Mode, opts ...replay.Option) replay.Result {
	t.Helper()
	tr, err := fake.ParseFile(path)
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	res, err := replay.Run(context.Background(), fake.NewReplay(tr), mode, opts...)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	return res
}

// TestGolden replays every trace in summary:250ms and compares the summary
// with its golden file, byte for byte (the exact stdout of restel replay).
// Run with -update to rewrite the goldens.
func TestGolden(t *testing.T) {
	traces, err := filepath.Glob(filepath.Join(scriptsDir, "*.trace"))
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) < 8 {
		t.Fatalf("%d traces in %s, want at least 8", len(traces), scriptsDir)
	}
	for _, path := range traces {
		name := strings.TrimSuffix(filepath.Base(path), ".trace")
		t.Run(name, func(t *testing.T) {
			res := replayFile(t, path, goldenMode)
			if !res.HasSummary {
				t.Fatal("no summary")
			}
			got := append(res.Summary.AppendJSON(nil), '\n')
			golden := strings.TrimSuffix(path, ".trace") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./provider/fake -run TestGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-golden +replay):\n%s", golden, diff)
			}
		})
	}
	// Every golden belongs to a trace.
	goldens, _ := filepath.Glob(filepath.Join(scriptsDir, "*.golden.json"))
	for _, g := range goldens {
		if _, err := os.Stat(strings.TrimSuffix(g, ".golden.json") + ".trace"); err != nil {
			t.Errorf("orphan golden %s: %v", g, err)
		}
	}
}

// TestGoldenArithmetic states, worked out by hand from the traces, what
// the goldens must hold, so the goldens are not merely whatever the code
// printed when they were written. In summary:250ms the intervals run from
// one sample to the next; each takes the later sample's cpu (the start
// snapshot's cpu covers time before the run and never counts) and weighs
// its duration.
func TestGoldenArithmetic(t *testing.T) {
	some := provider.Some[uint64]
	for _, tc := range []struct {
		trace      string
		mode       aggregate.Mode
		want       aggregate.Usage
		readErrors uint64
	}{
		{
			// Samples at 0, 250, ..., 3750 ms and the end at 4 s: 17, so
			// 16 intervals of 250 ms. Later cpu: 250–750 ms 10 (×3),
			// 1000–1250 95 (×2), 1500–1750 100 (×2), 2000–2750 40 (×4),
			// 3000–3750 10 (×4), end 10: (30+190+200+160+40+10)/16.
			trace: "cpu-spike", mode: goldenMode,
			want: aggregate.Usage{
				CPUAvgPct: provider.Some(630.0 / 16), CPUPeakPct: provider.Some(100.0),
				ProcessRSSPeakMB: some(1900), AvailableMemMinMB: some(4300),
				MemoryPressurePeak: provider.MemoryPressureNormal, // 4300/8000 = 54 %
				ThermalPeak:        provider.ThermalNormal,
				BatteryPctEnd:      provider.Some[uint8](90),
				SampleCount:        17, Mode: goldenMode, DurationMS: some(4000),
			},
		},
		{
			// A boundary run: the start (cpu 10, covering time before the
			// run) and the end (cpu 10); one 4 s interval of 10 %. The
			// spike in between is not seen.
			trace: "cpu-spike", mode: aggregate.ModeBoundary,
			want: aggregate.Usage{
				CPUAvgPct: provider.Some(10.0), CPUPeakPct: provider.Some(10.0),
				ProcessRSSPeakMB: some(400), AvailableMemMinMB: some(5900),
				MemoryPressurePeak: provider.MemoryPressureNormal,
				ThermalPeak:        provider.ThermalNormal,
				BatteryPctEnd:      provider.Some[uint8](90),
				SampleCount:        2, Mode: aggregate.ModeBoundary, DurationMS: some(4000),
			},
		},
		{
			// An error span. Samples at 0..1750 ms and 2 s: 9. The reads at
			// 1000 and 1250 fail (counted, unknown), so the intervals they
			// end are unknown. Known: 250–750 30 (×3), 1500, 1750 and the
			// end 35 (×3), all 250 ms: (90 + 105) / 6.
			trace: "error-burst", mode: goldenMode,
			want: aggregate.Usage{
				CPUAvgPct: provider.Some(32.5), CPUPeakPct: provider.Some(35.0),
				ProcessRSSPeakMB: some(800), AvailableMemMinMB: some(6000),
				MemoryPressurePeak: provider.MemoryPressureNormal,
				ThermalPeak:        provider.ThermalWarm,
				BatteryPctEnd:      provider.Some[uint8](55),
				SampleCount:        9, Mode: goldenMode, DurationMS: some(2000),
			},
			readErrors: 2,
		},
		{
			// 17 samples, 16 intervals of 250 ms. Later cpu: 250–2750 ms 20
			// (×11), 3000–3250 35 (×2), 3500–3750 and the end 60 (×3):
			// (220 + 70 + 180) / 16. avail 180 of 4000 is 4.5 %: critical.
			// No battery line.
			trace: "memory-climb", mode: goldenMode,
			want: aggregate.Usage{
				CPUAvgPct: provider.Some(470.0 / 16), CPUPeakPct: provider.Some(60.0),
				ProcessRSSPeakMB: some(3100), AvailableMemMinMB: some(180),
				MemoryPressurePeak: provider.MemoryPressureCritical,
				ThermalPeak:        provider.ThermalNormal,
				SampleCount:        17, Mode: goldenMode, DurationMS: some(4000),
			},
		},
		{
			// 17 samples; avail/total stays at 62.5 % (normal) but PSI
			// raises it to critical at 2 s. Later cpu: 40×3, 45×4, 50×4,
			// 42×5 (3000–3750 and the end) = 710/16.
			trace: "psi-pressure", mode: goldenMode,
			want: aggregate.Usage{
				CPUAvgPct: provider.Some(710.0 / 16), CPUPeakPct: provider.Some(50.0),
				ProcessRSSPeakMB: some(2048), AvailableMemMinMB: some(40000),
				MemoryPressurePeak: provider.MemoryPressureCritical,
				ThermalPeak:        provider.ThermalNormal, // no thermal line: the normal baseline
				SampleCount:        17, Mode: goldenMode, DurationMS: some(4000),
			},
		},
		{
			// pcpu and the counters, and a short last interval. Samples at
			// 0, 250, ..., 1500 ms and the end at 1.6 s: 8; the last
			// interval lasts 100 ms. Later cpu: 250 30, 500–750 80,
			// 1000–1250 90, 1500 40 (250 ms each) and the end 40 (100 ms):
			// (30·250 + 80·500 + 90·500 + 40·350) / 1600 = 106500/1600.
			// pcpu likewise: (5·250 + 60·500 + 70·500 + 20·350) / 1600 =
			// 73250/1600. Counters, end − start: cpu_stall 10.6 s − 10 s,
			// mem_stall 1.5 ms (floor 1), io_stall 300 ms, throttled 150 ms.
			trace: "process-stalls", mode: goldenMode,
			want: aggregate.Usage{
				CPUAvgPct: provider.Some(106500.0 / 1600), CPUPeakPct: provider.Some(90.0),
				ProcessRSSPeakMB: some(500), AvailableMemMinMB: some(3000),
				MemoryPressurePeak: provider.MemoryPressureNormal,
				ThermalPeak:        provider.ThermalNormal,
				SampleCount:        8, Mode: goldenMode, DurationMS: some(1600),
				ProcessCPUPct: provider.Some(73250.0 / 1600),
				CPUStallMS:    some(600), MemoryStallMS: some(1), IOStallMS: some(300), CPUThrottledMS: some(150),
			},
		},
		{
			// The same trace as a boundary run: one 1.6 s interval, the
			// end's cpu 40 and pcpu 20; the counters as above.
			trace: "process-stalls", mode: aggregate.ModeBoundary,
			want: aggregate.Usage{
				CPUAvgPct: provider.Some(40.0), CPUPeakPct: provider.Some(40.0),
				ProcessRSSPeakMB: some(500), AvailableMemMinMB: some(3000),
				MemoryPressurePeak: provider.MemoryPressureNormal,
				ThermalPeak:        provider.ThermalNormal,
				SampleCount:        2, Mode: aggregate.ModeBoundary, DurationMS: some(1600),
				ProcessCPUPct: provider.Some(20.0),
				CPUStallMS:    some(600), MemoryStallMS: some(1), IOStallMS: some(300), CPUThrottledMS: some(150),
			},
		},
		{
			// Unknown counters. 9 samples; later cpu 50 (×3) then 70 (×5):
			// 500/8. cpu_stall is unknown at the end, io_stall at the start,
			// mem_stall and pcpu throughout: null. throttled: 2.25 s − 2 s.
			trace: "counters-unknown", mode: goldenMode,
			want: aggregate.Usage{
				CPUAvgPct: provider.Some(62.5), CPUPeakPct: provider.Some(70.0),
				ProcessRSSPeakMB: some(300), AvailableMemMinMB: some(2000),
				MemoryPressurePeak: provider.MemoryPressureNormal,
				ThermalPeak:        provider.ThermalNormal,
				SampleCount:        9, Mode: goldenMode, DurationMS: some(2000),
				CPUThrottledMS: some(250),
			},
		},
	} {
		t.Run(tc.trace+"/"+tc.mode.String(), func(t *testing.T) {
			if tc.mode == goldenMode {
				b, err := os.ReadFile(filepath.Join(scriptsDir, tc.trace+".golden.json"))
				if err != nil {
					t.Fatal(err)
				}
				var got aggregate.Usage
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatalf("golden does not parse: %v", err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("golden (-hand-computed +golden):\n%s", diff)
				}
			}
			res := replayFile(t, filepath.Join(scriptsDir, tc.trace+".trace"), tc.mode)
			if diff := cmp.Diff(tc.want, res.Summary); diff != "" {
				t.Errorf("replay (-hand-computed +replay):\n%s", diff)
			}
			if res.ReadErrors != tc.readErrors {
				t.Errorf("ReadErrors = %d, want %d", res.ReadErrors, tc.readErrors)
			}
		})
	}
}

func TestReplayOtherModes(t *testing.T) {
	path := filepath.Join(scriptsDir, "cpu-spike.trace")

	t.Run("off", func(t *testing.T) {
		res := replayFile(t, path, aggregate.ModeOff)
		if res.HasSummary {
			t.Errorf("off produced a summary: %+v", res)
		}
	})

	t.Run("boundary", func(t *testing.T) {
		res := replayFile(t, path, aggregate.ModeBoundary)
		// Start (0 s: cpu 10, rss 300, avail 6000) and end (4 s: cpu 10,
		// rss 400, avail 5900): the spike in between is not seen.
		want := `{"cpu_avg_pct":10,"cpu_peak_pct":10,"process_rss_peak_mb":400,"available_mem_min_mb":5900,` +
			`"memory_pressure_peak":"normal","thermal_state_peak":"normal","battery_pct_end":90,"sample_count":2,"sampling_mode":"boundary",` +
			`"duration_ms":4000,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}`
		if diff := cmp.Diff(want, string(res.Summary.AppendJSON(nil))); !res.HasSummary || diff != "" {
			t.Errorf("boundary summary (-want +got):\n%s", diff)
		}
	})

	t.Run("summary default interval", func(t *testing.T) {
		res := replayFile(t, path, aggregate.Mode{Kind: aggregate.Summary})
		// Samples at 0, 1, 2, 3 s and the end at 4 s: four 1 s intervals
		// ending at cpu 95, 40, 10, 10.
		if u := res.Summary; u.SampleCount != 5 || u.CPUAvgPct != provider.Some(155.0/4) || u.Mode.Interval != time.Second {
			t.Errorf("summary:1s = %s", u.AppendJSON(nil))
		}
	})
}

func TestReplayDebugLocal(t *testing.T) {
	// slow-sensor.trace: reads from 1 s take 300 ms, from 2 s 800 ms, from
	// 3 s none. The delay shows in captured_at_ms of the raw samples only.
	dir := filepath.Join(t.TempDir(), "debug")
	res := replayFile(t, filepath.Join(scriptsDir, "slow-sensor.trace"), aggregate.DebugLocalEvery(250*time.Millisecond), replay.WithDebugDir(dir))
	if !res.HasSummary || res.DebugErr != nil || res.DebugPath == "" {
		t.Fatalf("debug_local replay: summary %v, DebugErr %v, DebugPath %q", res.HasSummary, res.DebugErr, res.DebugPath)
	}
	if got := res.Summary.Mode; got != aggregate.DebugLocalEvery(250*time.Millisecond) {
		t.Errorf("mode = %v", got)
	}
	if filepath.Dir(res.DebugPath) != dir {
		t.Errorf("DebugPath %s not in %s", res.DebugPath, dir)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, res.DebugPath: 0o600} {
		if runtime.GOOS == "windows" { // an owner-only DACL; mode bits mean nothing
			if why, err := winacl.Unsafe(path); why != "" || err != nil {
				t.Errorf("%s: %s (%v), want private to the user", path, why, err)
			}
			continue
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode(), err, want)
		}
	}
	b, err := os.ReadFile(res.DebugPath)
	if err != nil {
		t.Fatal(err)
	}
	var lines []provider.Snapshot
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var s provider.Snapshot
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %d: %v: %s", len(lines)+1, err, sc.Bytes())
		}
		lines = append(lines, s)
	}
	if uint64(len(lines)) != res.Summary.SampleCount || len(lines) != 17 {
		t.Fatalf("%d NDJSON lines, summary counts %d, want 17", len(lines), res.Summary.SampleCount)
	}
	for i, s := range lines {
		off := int64(i) * 250
		delay := int64(0)
		switch {
		case off >= 3000:
		case off >= 2000:
			delay = 800
		case off >= 1000:
			delay = 300
		}
		// A Replay's clock starts at the Unix epoch: captured_at_ms is the
		// offset plus the delay, 0 for the start snapshot (Replay
		// restamps an unset 0 from the same replay clock).
		if s.CapturedAtMS != off+delay {
			t.Errorf("line %d: captured_at_ms %d, want %d (offset %d + delay %d)", i+1, s.CapturedAtMS, off+delay, off, delay)
		}
		wantCPU := 12.0
		if off >= 2000 {
			wantCPU = 18
		}
		if s.CPUPct != provider.Some(wantCPU) {
			t.Errorf("line %d: cpu %v, want %v", i+1, s.CPUPct, wantCPU)
		}
	}
}

// seekRecorder records the offsets replay.Run samples at. It
// claims a change at every nanosecond, so that Replay reads every sample.
type seekRecorder struct {
	*fake.Replay
	at []time.Duration
}

func (r *seekRecorder) Seek(off time.Duration) {
	r.at = append(r.at, off)
	r.Replay.Seek(off)
}

func (r *seekRecorder) NextChange(off time.Duration) (time.Duration, bool) { return off + 1, true }

// TestReplayTiming checks docs/contract.md §5's replay timing on traces whose end is
// and is not a multiple of the interval: the start at 0, mid-run samples
// at k·I while k·I < end, the end snapshot at end.
func TestReplayTiming(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	q := goldenMode // summary:250ms
	for _, tc := range []struct {
		name  string
		trace string
		mode  aggregate.Mode
		want  []time.Duration
	}{
		{"end between ticks", "@0s cpu=1\n@1.1s end\n", q, ms(0, 250, 500, 750, 1000, 1100)},
		{"end on a tick is not sampled twice", "@0s cpu=1\n@1s end\n", q, ms(0, 250, 500, 750, 1000)},
		{"end defaults to the last line", "@0s cpu=1\n@600ms cpu=2\n", q, ms(0, 250, 500, 600)},
		{"end before the first tick", "@0s cpu=1\n@100ms end\n", q, ms(0, 100)},
		{"zero-length run", "@0s cpu=1\n", q, ms(0, 0)},
		{"boundary", "@0s cpu=1\n@1.1s end\n", aggregate.ModeBoundary, ms(0, 1100)},
		{"default interval", "@0s cpu=1\n@2.5s end\n", aggregate.Mode{Kind: aggregate.Summary}, ms(0, 1000, 2000, 2500)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := fake.Parse("t.trace", strings.NewReader(tc.trace))
			if err != nil {
				t.Fatal(err)
			}
			rec := &seekRecorder{Replay: fake.NewReplay(tr)}
			res, err := replay.Run(context.Background(), rec, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, rec.at); diff != "" {
				t.Errorf("sampled at (-want +got):\n%s", diff)
			}
			if res.Summary.SampleCount != uint64(len(tc.want)) {
				t.Errorf("sample_count %d, want %d", res.Summary.SampleCount, len(tc.want))
			}
		})
	}
}
