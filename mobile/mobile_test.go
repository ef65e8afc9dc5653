package mobile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/restel/restel/orchestrator"
	"github.com/restel/restel/provider"
)

// capturedAt is the fixed capture time of the test provider's snapshots.
const capturedAt = 1764097200000

// reads counts the test provider's reads.
var reads atomic.Int64

// testSnapshot is what the test provider reads: native CPU, memory and RSS,
// no battery and no thermal state (what a phone's provider gives).
func testSnapshot(context.Context) (provider.Snapshot, error) {
	reads.Add(1)
	return provider.Snapshot{
		CPUPct:         provider.Some(12.5),
		ProcessRSSMB:   provider.Some[uint64](300),
		AvailableMemMB: provider.Some[uint64](2000),
		TotalMemMB:     provider.Some[uint64](8000),
		MemoryPressure: provider.MemoryPressureNormal,
		CapturedAtMS:   capturedAt,
	}, nil
}

type closingM struct {
	*testing.M
	mon *orchestrator.Monitor
}

func (c closingM) Run() int {
	code := c.M.Run()
	c.mon.Close()
	return code
}

// TestMain points the bound functions at a monitor over the test provider
// and a private host state, so no test touches the process-wide ones, and
// checks that the monitor's goroutines are gone once it is closed.
func TestMain(m *testing.M) {
	h := &orchestrator.HostState{}
	mon := orchestrator.New(provider.Func(testSnapshot), orchestrator.WithHost(h))
	target.monitor = func() *orchestrator.Monitor { return mon }
	target.host = func() *orchestrator.HostState { return h }
	goleak.VerifyTestMain(closingM{m, mon})
}

func TestAndroidThermal(t *testing.T) {
	want := []provider.ThermalState{
		0: provider.ThermalNormal,   // NONE
		1: provider.ThermalNormal,   // LIGHT
		2: provider.ThermalWarm,     // MODERATE
		3: provider.ThermalHot,      // SEVERE
		4: provider.ThermalCritical, // CRITICAL
		5: provider.ThermalCritical, // EMERGENCY
		6: provider.ThermalCritical, // SHUTDOWN
	}
	for status, w := range want {
		if got, err := androidThermal(status); got != w || err != nil {
			t.Errorf("androidThermal(%d) = %v, %v; want %v", status, got, err, w)
		}
	}
	for _, bad := range []int{-1, 7, 10, math.MinInt, math.MaxInt} {
		if got, err := androidThermal(bad); got != provider.ThermalUnknown || !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("androidThermal(%d) = %v, %v; want unknown, ErrInvalid", bad, got, err)
		}
	}
}

func TestAppleThermal(t *testing.T) {
	for _, tc := range []struct {
		raw  int
		name string
		want provider.ThermalState
	}{
		{0, "nominal", provider.ThermalNormal},
		{1, "fair", provider.ThermalWarm},
		{2, "serious", provider.ThermalHot},
		{3, "critical", provider.ThermalCritical},
	} {
		if got, err := appleThermal(tc.raw); got != tc.want || err != nil {
			t.Errorf("appleThermal(%d) = %v, %v; want %v", tc.raw, got, err, tc.want)
		}
		if got, err := appleThermalName(tc.name); got != tc.want || err != nil {
			t.Errorf("appleThermalName(%q) = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []int{-1, 4, 10, math.MaxInt} {
		if got, err := appleThermal(bad); got != provider.ThermalUnknown || !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("appleThermal(%d) = %v, %v; want unknown, ErrInvalid", bad, got, err)
		}
	}
	for _, bad := range []string{"", "Nominal", "hot", "normal", " fair"} {
		if got, err := appleThermalName(bad); got != provider.ThermalUnknown || !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("appleThermalName(%q) = %v, %v; want unknown, ErrInvalid", bad, got, err)
		}
	}
}

func TestMaxAge(t *testing.T) {
	for _, tc := range []struct {
		ms   int64
		want time.Duration
	}{
		{-5, 0},
		{0, 0},
		{1, time.Millisecond},
		{500, 500 * time.Millisecond},
		{math.MaxInt64 / int64(time.Millisecond), time.Duration(math.MaxInt64/int64(time.Millisecond)) * time.Millisecond},
		{math.MaxInt64/int64(time.Millisecond) + 1, math.MaxInt64},
		{math.MaxInt64, math.MaxInt64},
	} {
		if got := maxAge(tc.ms); got != tc.want {
			t.Errorf("maxAge(%d) = %v, want %v", tc.ms, got, tc.want)
		}
	}
}

// wire decodes CurrentSnapshotJSON strictly.
func wire(t *testing.T, maxAgeMillis int64) provider.Snapshot {
	t.Helper()
	var s provider.Snapshot
	if err := json.Unmarshal([]byte(CurrentSnapshotJSON(maxAgeMillis)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPushesShowInSnapshot(t *testing.T) {
	t.Cleanup(func() { ClearBatteryLevel(); ClearThermalState() })
	s := wire(t, 0)
	if s.BatteryPct.Valid || s.Thermal != provider.ThermalNormal || s.CPUPct != provider.Some(12.5) { // unknown is "normal" on the wire
		t.Fatalf("before pushes: %+v", s)
	}

	SetBatteryLevel(80)
	if err := SetAndroidThermalStatus(3); err != nil {
		t.Fatal(err)
	}
	s = wire(t, 60_000) // cached read: pushes still apply at once
	if s.BatteryPct != provider.Some[uint8](80) || s.Thermal != provider.ThermalHot {
		t.Errorf("after pushes: battery %+v thermal %v; want 80, hot", s.BatteryPct, s.Thermal)
	}

	SetBatteryLevel(130)
	if s = wire(t, 60_000); s.BatteryPct != provider.Some[uint8](100) {
		t.Errorf("battery 130: %+v, want clamped to 100", s.BatteryPct)
	}
	SetBatteryLevel(-1)
	if s = wire(t, 60_000); s.BatteryPct.Valid {
		t.Errorf("battery -1: %+v, want cleared", s.BatteryPct)
	}

	for _, tc := range []struct {
		push func() error
		want provider.ThermalState
	}{
		{func() error { return SetThermalState("warm") }, provider.ThermalWarm},
		{func() error { return SetAppleThermalState(3) }, provider.ThermalCritical},
		{func() error { return SetAppleThermalStateName("fair") }, provider.ThermalWarm},
		{func() error { return SetAndroidThermalStatus(1) }, provider.ThermalNormal},
	} {
		if err := tc.push(); err != nil {
			t.Fatal(err)
		}
		if s = wire(t, 60_000); s.Thermal != tc.want {
			t.Errorf("thermal %v, want %v", s.Thermal, tc.want)
		}
	}

	// Bad input is an error and leaves the pushed state alone.
	SetAppleThermalState(2) // hot
	for name, err := range map[string]error{
		"SetThermalState(boiling)":       SetThermalState("boiling"),
		"SetThermalState(unknown)":       SetThermalState("unknown"),
		"SetAndroidThermalStatus(7)":     SetAndroidThermalStatus(7),
		"SetAppleThermalState(-1)":       SetAppleThermalState(-1),
		"SetAppleThermalStateName(cold)": SetAppleThermalStateName("cold"),
	} {
		if !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if s = wire(t, 60_000); s.Thermal != provider.ThermalHot {
		t.Errorf("after bad pushes: thermal %v, want hot kept", s.Thermal)
	}
	ClearThermalState()
	ClearBatteryLevel()
	if s = wire(t, 60_000); s.Thermal != provider.ThermalNormal || s.BatteryPct.Valid {
		t.Errorf("after clears: %+v", s)
	}
	if h := target.host(); h.ThermalState() != provider.ThermalUnknown || h.BatteryLevel().Valid {
		t.Errorf("after clears: host state %v, %+v; want nothing pushed", h.ThermalState(), h.BatteryLevel())
	}
}

func TestCurrentSnapshotJSONRefresh(t *testing.T) {
	before := reads.Load()
	CurrentSnapshotJSON(0)
	if reads.Load() == before {
		t.Error("maxAge 0 did not refresh")
	}
	CurrentSnapshotJSON(-1)
	mid := reads.Load()
	CurrentSnapshotJSON(math.MaxInt64) // any cached value is fresh enough
	if reads.Load() != mid {
		t.Error("a huge maxAge refreshed")
	}
}

func TestCurrentSnapshotJSONNeverPanics(t *testing.T) {
	saved := target.monitor
	t.Cleanup(func() { target.monitor = saved })
	target.monitor = func() *orchestrator.Monitor { panic("boom") }
	var s provider.Snapshot
	if err := json.Unmarshal([]byte(CurrentSnapshotJSON(0)), &s); err != nil {
		t.Fatal(err)
	}
	if s.CPUPct.Valid || s.TotalMemMB.Valid || s.CapturedAtMS == 0 {
		t.Errorf("after a panic: %+v, want all unknown", s)
	}
}

// A host pushes what its platform notifications say; CurrentSnapshotJSON
// merges it with the natively read CPU and memory.
func Example() {
	SetBatteryLevel(80)                                // Android: EXTRA_LEVEL*100/EXTRA_SCALE
	if err := SetAndroidThermalStatus(2); err != nil { // THERMAL_STATUS_MODERATE
		fmt.Println(err)
	}
	fmt.Println(CurrentSnapshotJSON(500))
	fmt.Println(SetAppleThermalState(9))
	ClearBatteryLevel()
	ClearThermalState()
	// Output:
	// {"cpu_pct":12.5,"process_rss_mb":300,"available_mem_mb":2000,"total_mem_mb":8000,"memory_pressure":"normal","thermal_state":"warm","battery_pct":80,"captured_at_ms":1764097200000,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null}
	// mobile: SetAppleThermalState: invalid value: ProcessInfo.ThermalState raw value 9 (want 0..3)
}
