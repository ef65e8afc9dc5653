package windows

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/restel/restel/internal/cputicks"
	"github.com/restel/restel/internal/platformtest"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

func TestStructSizes(t *testing.T) {
	if got := unsafe.Sizeof(memoryStatusEx{}); got != memoryStatusExSize {
		t.Errorf("sizeof(MEMORYSTATUSEX) = %d, want %d", got, memoryStatusExSize)
	}
	if got := unsafe.Sizeof(systemPowerStatus{}); got != systemPowerStatusSize {
		t.Errorf("sizeof(SYSTEM_POWER_STATUS) = %d, want %d", got, systemPowerStatusSize)
	}
	if got := unsafe.Sizeof(filetime{}); got != 8 {
		t.Errorf("sizeof(FILETIME) = %d, want 8", got)
	}
	// PROCESS_MEMORY_COUNTERS: 2 DWORDs + 8 SIZE_Ts: 72 bytes on 64-bit, 40 on 32-bit.
	want := uintptr(8 + 8*unsafe.Sizeof(uintptr(0)))
	if got := unsafe.Sizeof(processMemoryCounters{}); got != want {
		t.Errorf("sizeof(PROCESS_MEMORY_COUNTERS) = %d, want %d", got, want)
	}
	if unsafe.Sizeof(uintptr(0)) == 8 && want != 72 {
		t.Errorf("64-bit PROCESS_MEMORY_COUNTERS = %d, want 72", want)
	}
	// Field offsets the kernel writes to.
	var m memoryStatusEx
	if unsafe.Offsetof(m.TotalPhys) != 8 || unsafe.Offsetof(m.AvailPhys) != 16 || unsafe.Offsetof(m.AvailExtendedVirtual) != 56 {
		t.Error("MEMORYSTATUSEX field offsets differ from sysinfoapi.h")
	}
	var ps systemPowerStatus
	if unsafe.Offsetof(ps.BatteryFlag) != 1 || unsafe.Offsetof(ps.BatteryLifePercent) != 2 || unsafe.Offsetof(ps.BatteryLifeTime) != 4 {
		t.Error("SYSTEM_POWER_STATUS field offsets differ from winbase.h")
	}
	var c processMemoryCounters
	if got, want := unsafe.Offsetof(c.PeakWorkingSetSize), uintptr(8); got != want {
		t.Errorf("offsetof(PeakWorkingSetSize) = %d, want %d", got, want)
	}
	if got, want := unsafe.Offsetof(c.WorkingSetSize), 8+unsafe.Sizeof(uintptr(0)); got != want {
		t.Errorf("offsetof(WorkingSetSize) = %d, want %d", got, want)
	}
}

func TestFiletimeTicks(t *testing.T) {
	for _, tc := range []struct {
		f    filetime
		want uint64
	}{
		{filetime{0, 0}, 0},
		{filetime{Low: 1}, 1},
		{filetime{High: 1}, 1 << 32},
		{filetime{Low: math.MaxUint32, High: math.MaxUint32}, math.MaxUint64},
		{filetime{Low: 0x89abcdef, High: 0x01234567}, 0x0123456789abcdef},
	} {
		if got := tc.f.ticks(); got != tc.want {
			t.Errorf("%+v.ticks() = %#x, want %#x", tc.f, got, tc.want)
		}
	}
}

func TestSystemTimesSince(t *testing.T) {
	tests := []struct {
		name        string
		prev, cur   systemTimes
		busy, total uint64
		ok          bool
	}{
		// kernel includes idle: 100 kernel of which 60 idle, 40 user → busy 80 of 140.
		{"kernel includes idle", systemTimes{0, 0, 0}, systemTimes{60, 100, 40}, 80, 140, true},
		{"all idle", systemTimes{10, 10, 10}, systemTimes{110, 110, 10}, 0, 100, true},
		{"all user", systemTimes{0, 0, 0}, systemTimes{0, 0, 50}, 50, 50, true},
		{"nothing elapsed", systemTimes{5, 5, 5}, systemTimes{5, 5, 5}, 0, 0, false},
		{"idle backwards", systemTimes{10, 10, 10}, systemTimes{9, 20, 20}, 0, 0, false},
		{"kernel backwards", systemTimes{10, 10, 10}, systemTimes{10, 9, 20}, 0, 0, false},
		{"user backwards", systemTimes{10, 10, 10}, systemTimes{10, 20, 9}, 0, 0, false},
		{"idle grew more than kernel", systemTimes{0, 0, 0}, systemTimes{50, 40, 10}, 0, 0, false},
		{"overflowing total", systemTimes{0, 0, 0}, systemTimes{0, math.MaxUint64, 1}, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busy, total, ok := tt.cur.Since(tt.prev)
			if busy != tt.busy || total != tt.total || ok != tt.ok {
				t.Errorf("Since = %d, %d, %v; want %d, %d, %v", busy, total, ok, tt.busy, tt.total, tt.ok)
			}
		})
	}
}

func TestSystemTimesCounters(t *testing.T) {
	some := provider.Some[time.Duration]
	none := provider.Opt[time.Duration]{}
	tests := []struct {
		name        string
		st          systemTimes
		busy, total provider.Opt[time.Duration]
	}{
		{"kernel includes idle", systemTimes{idle: 60, kernel: 100, user: 40}, some(8 * time.Microsecond), some(14 * time.Microsecond)},
		{"all idle", systemTimes{idle: 1e7, kernel: 1e7}, some(0), some(time.Second)},
		{"zero", systemTimes{}, some(0), some(0)},
		{"idle above kernel", systemTimes{idle: 101, kernel: 100, user: 5}, none, none},
		{"kernel + user overflow", systemTimes{kernel: math.MaxUint64, user: 1}, none, none},
		{"past the largest Duration", systemTimes{kernel: math.MaxUint64 / 2}, none, none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busy, total := tt.st.counters()
			if busy != tt.busy || total != tt.total {
				t.Errorf("counters(%+v) = %+v, %+v; want %+v, %+v", tt.st, busy, total, tt.busy, tt.total)
			}
		})
	}
}

func TestProcessTimesCPU(t *testing.T) {
	tests := []struct {
		name string
		pt   processTimes
		want provider.Opt[time.Duration]
	}{
		{"kernel + user", processTimes{kernel: 5e6, user: 15e6}, provider.Some(2 * time.Second)},
		{"one 100 ns unit", processTimes{user: 1}, provider.Some(100 * time.Nanosecond)},
		{"zero", processTimes{}, provider.Some[time.Duration](0)},
		{"sum overflows", processTimes{kernel: math.MaxUint64, user: 1}, provider.Opt[time.Duration]{}},
		{"past the largest Duration", processTimes{kernel: math.MaxInt64 / 100, user: 1}, provider.Opt[time.Duration]{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pt.cpu(); got != tt.want {
				t.Errorf("cpu(%+v) = %+v, want %+v", tt.pt, got, tt.want)
			}
		})
	}
}

// FuzzSystemTimes checks the GetSystemTimes arithmetic on any readings:
// cumulative busy never exceeds total, and the delta Since reports is the
// difference of the cumulative counters whenever both are known.
func FuzzSystemTimes(f *testing.F) {
	f.Add(uint64(60), uint64(100), uint64(40), uint64(120), uint64(250), uint64(90))
	f.Add(uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(uint64(math.MaxUint64), uint64(math.MaxUint64), uint64(1), uint64(5), uint64(4), uint64(3))
	f.Fuzz(func(t *testing.T, i0, k0, u0, i1, k1, u1 uint64) {
		prev, cur := systemTimes{i0, k0, u0}, systemTimes{i1, k1, u1}
		b1, t1 := cur.counters()
		if b1.Valid != t1.Valid || (b1.Valid && (b1.V > t1.V || b1.V < 0)) {
			t.Fatalf("counters(%+v) = %+v, %+v", cur, b1, t1)
		}
		b0, t0 := prev.counters()
		busy, total, ok := cur.Since(prev)
		if ok && busy > total {
			t.Fatalf("Since: busy %d above total %d", busy, total)
		}
		if ok && b0.Valid && b1.Valid {
			if time.Duration(busy)*100 != b1.V-b0.V || time.Duration(total)*100 != t1.V-t0.V {
				t.Fatalf("Since %d/%d disagrees with counters %v→%v, %v→%v", busy, total, b0.V, b1.V, t0.V, t1.V)
			}
		}
	})
}

func BenchmarkSystemTimes(b *testing.B) {
	st := systemTimes{idle: 6e9, kernel: 1e10, user: 4e9}
	prev := systemTimes{idle: 5e9, kernel: 9e9, user: 3e9}
	pt := processTimes{kernel: 5e6, user: 15e6}
	b.ReportAllocs()
	for b.Loop() {
		st.counters()
		st.Since(prev)
		pt.cpu()
		st.user++
	}
}

// TestCPUTrackerSequence runs GetSystemTimes readings through the shared
// tracker.
func TestCPUTrackerSequence(t *testing.T) {
	var c cputicks.Tracker[systemTimes]
	steps := []struct {
		in   systemTimes
		want provider.Opt[float64]
	}{
		{systemTimes{100, 200, 100}, provider.Opt[float64]{}}, // first: no delta
		{systemTimes{150, 300, 150}, provider.Some(66.66666666666667)},
		{systemTimes{150, 300, 150}, provider.Some(66.66666666666667)}, // nothing elapsed: keep
		{systemTimes{140, 400, 200}, provider.Some(66.66666666666667)}, // idle backwards: keep
		{systemTimes{240, 500, 200}, provider.Some(0.0)},
	}
	for i, s := range steps {
		if got := c.Observe(s.in); got != s.want {
			t.Errorf("step %d: Observe(%+v) = %+v, want %+v", i, s.in, got, s.want)
		}
	}
}

func TestBatteryFromPowerStatus(t *testing.T) {
	tests := []struct {
		name      string
		flag, pct byte
		want      provider.Opt[uint8]
	}{
		{"high, 80 %", 1, 80, provider.Some[uint8](80)},
		{"charging and low", 8 | 2, 9, provider.Some[uint8](9)},
		{"empty", 4, 0, provider.Some[uint8](0)},
		{"full", 1, 100, provider.Some[uint8](100)},
		{"above 100 clamps", 1, 101, provider.Some[uint8](100)},
		{"254 clamps", 0, 254, provider.Some[uint8](100)},
		{"percent 255 unknown", 1, 255, provider.Opt[uint8]{}},
		{"no system battery", 128, 255, provider.Opt[uint8]{}},
		{"no system battery, stray percent", 128, 100, provider.Opt[uint8]{}},
		{"no battery with charging bit", 128 | 8, 50, provider.Opt[uint8]{}},
		{"flags unknown, percent known", 255, 42, provider.Some[uint8](42)},
		{"flags and percent unknown", 255, 255, provider.Opt[uint8]{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := batteryFromPowerStatus(systemPowerStatus{BatteryFlag: tt.flag, BatteryLifePercent: tt.pct})
			if got != tt.want {
				t.Errorf("flag %d pct %d: got %+v, want %+v", tt.flag, tt.pct, got, tt.want)
			}
		})
	}
}

func TestMemoryFromStatus(t *testing.T) {
	avail, total, err := memoryFromStatus(memoryStatusEx{Length: memoryStatusExSize, TotalPhys: 16 << 30, AvailPhys: 5 << 30})
	if err != nil || avail != 5<<30 || total != 16<<30 {
		t.Errorf("memoryFromStatus = %d, %d, %v", avail, total, err)
	}
	if _, _, err := memoryFromStatus(memoryStatusEx{Length: memoryStatusExSize, TotalPhys: 1, AvailPhys: 2}); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("available above total: %v, want ErrInvalid", err)
	}
}

func TestPressureFromLowMemory(t *testing.T) {
	if got := pressureFromLowMemory(true); got != provider.MemoryPressureCritical {
		t.Errorf("low = %v, want critical", got)
	}
	if got := pressureFromLowMemory(false); got != provider.MemoryPressureUnknown {
		t.Errorf("not low = %v, want unknown", got)
	}
	// Not low never lowers a derived critical; low raises a derived normal.
	a, tot := provider.Some[uint64](300), provider.Some[uint64](10000)
	if got := provider.PressureFrom(a, tot, pressureFromLowMemory(false)); got != provider.MemoryPressureCritical {
		t.Errorf("derived critical, not low: %v", got)
	}
	if got := provider.PressureFrom(provider.Some[uint64](5000), tot, pressureFromLowMemory(true)); got != provider.MemoryPressureCritical {
		t.Errorf("derived normal, low: %v", got)
	}
}

type fakeSys struct {
	mu      sync.Mutex
	mem     memoryStatusEx
	memErr  error
	times   []systemTimes
	timeErr error
	ws      uint64
	peakWS  uint64
	wsErr   error
	ptimes  processTimes
	ptErr   error
	ptCalls int
	low     bool
	lowErr  error
	power   systemPowerStatus
	powErr  error
	closed  int
}

func newFakeSys() *fakeSys {
	return &fakeSys{
		mem:    memoryStatusEx{Length: memoryStatusExSize, TotalPhys: 32 << 30, AvailPhys: 8 << 30},
		times:  []systemTimes{{100, 200, 100}, {150, 300, 150}},
		ws:     512 << 20,
		peakWS: 2 << 30,
		ptimes: processTimes{kernel: 5e6, user: 15e6}, // 0.5 s + 1.5 s
		power:  systemPowerStatus{BatteryFlag: 128, BatteryLifePercent: 255},
	}
}

func (f *fakeSys) memoryStatus() (memoryStatusEx, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mem, f.memErr
}

func (f *fakeSys) systemTimes() (systemTimes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.timeErr != nil {
		return systemTimes{}, f.timeErr
	}
	t := f.times[0]
	if len(f.times) > 1 {
		f.times = f.times[1:]
	}
	return t, nil
}

func (f *fakeSys) processMemory() (processMemoryCounters, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return processMemoryCounters{WorkingSetSize: uintptr(f.ws), PeakWorkingSetSize: uintptr(f.peakWS)}, f.wsErr
}

func (f *fakeSys) processTimes() (processTimes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ptCalls++
	return f.ptimes, f.ptErr
}

func (f *fakeSys) lowMemory() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.low, f.lowErr
}

func (f *fakeSys) powerStatus() (systemPowerStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.power, f.powErr
}

func (f *fakeSys) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return nil
}

var t0 = time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)

// mustProvider is New over a fake sys.
func mustProvider(t testing.TB, f sys, opts ...Option) *Provider {
	t.Helper()
	cfg, err := resolve(opts)
	if err != nil {
		t.Fatal(err)
	}
	return newProvider(f, cfg)
}

func newTestProvider(t *testing.T, f *fakeSys) *Provider {
	t.Helper()
	p := mustProvider(t, f, WithClock(fake.NewManualClock(t0)))
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestSnapshot(t *testing.T) {
	f := newFakeSys()
	p := newTestProvider(t, f)
	ctx := context.Background()
	want := provider.Snapshot{
		ProcessRSSMB:   provider.Some[uint64](512),
		AvailableMemMB: provider.Some[uint64](8192),
		TotalMemMB:     provider.Some[uint64](32768),
		MemoryPressure: provider.MemoryPressureNormal,
		CapturedAtMS:   t0.UnixMilli(),
		Counters: provider.Counters{ // idle 100, kernel 200, user 100 (100 ns)
			CPUBusy:  provider.Some(20 * time.Microsecond),
			CPUTotal: provider.Some(30 * time.Microsecond),
		},
	}
	s, err := p.Snapshot(ctx)
	if err != nil || s != want {
		t.Fatalf("first Snapshot = %+v, %v\nwant %+v", s, err, want)
	}
	want.CPUPct = provider.Some(100 * 100 / 150.0)                // busy (100−50)+50 of 150
	want.Counters.CPUBusy = provider.Some(30 * time.Microsecond)  // 300 − 150 + 150
	want.Counters.CPUTotal = provider.Some(45 * time.Microsecond) // 300 + 150
	if s, err = p.Snapshot(ctx); err != nil || s != want {
		t.Fatalf("second Snapshot = %+v, %v\nwant %+v", s, err, want)
	}

	f.low = true
	if s, _ = p.Snapshot(ctx); s.MemoryPressure != provider.MemoryPressureCritical {
		t.Errorf("low-memory notification: pressure %v, want critical", s.MemoryPressure)
	}
	if f.ptCalls != 0 {
		t.Errorf("Snapshot called GetProcessTimes %d times; only a run reads it", f.ptCalls)
	}
}

func TestRunSnapshot(t *testing.T) {
	f := newFakeSys()
	p := newTestProvider(t, f)
	ctx := context.Background()
	s, err := p.RunSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := provider.Snapshot{
		ProcessRSSMB:   provider.Some[uint64](512),
		AvailableMemMB: provider.Some[uint64](8192),
		TotalMemMB:     provider.Some[uint64](32768),
		MemoryPressure: provider.MemoryPressureNormal,
		CapturedAtMS:   t0.UnixMilli(),
		Counters: provider.Counters{
			CPUBusy:        provider.Some(20 * time.Microsecond),
			CPUTotal:       provider.Some(30 * time.Microsecond),
			ProcessCPU:     provider.Some(2 * time.Second),
			RSSHighWaterMB: provider.Some[uint64](2048),
		},
	}
	if s != want {
		t.Errorf("RunSnapshot =\n %+v\nwant\n %+v", s, want)
	}
	// A plain Snapshot leaves the run counters unknown.
	if s, _ = p.Snapshot(ctx); s.Counters.ProcessCPU.Valid || s.Counters.RSSHighWaterMB.Valid {
		t.Errorf("Snapshot filled run counters: %+v", s.Counters)
	}
}

func TestRunSnapshotDegrades(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(*fakeSys)
		wantErr  error
		wantCPU  bool
		wantPeak bool
	}{
		{"GetProcessTimes fails", func(f *fakeSys) { f.ptErr = errors.New("ERROR_ACCESS_DENIED") }, nil, false, true},
		{"kernel + user overflow", func(f *fakeSys) { f.ptimes = processTimes{math.MaxUint64, 1} }, provider.ErrInvalid, false, true},
		{"K32GetProcessMemoryInfo fails", func(f *fakeSys) { f.wsErr = errors.New("ERROR_PARTIAL_COPY") }, nil, true, false},
		{"no peak", func(f *fakeSys) { f.peakWS = 0 }, nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSys()
			tt.setup(f)
			p := newTestProvider(t, f)
			s, err := p.RunSnapshot(context.Background())
			want := tt.wantErr
			if want == nil {
				want = f.ptErr
			}
			if want == nil {
				want = f.wsErr
			}
			if want == nil && err != nil || want != nil && !errors.Is(err, want) {
				t.Errorf("err %v, want %v", err, want)
			}
			if s.Counters.ProcessCPU.Valid != tt.wantCPU || s.Counters.RSSHighWaterMB.Valid != tt.wantPeak {
				t.Errorf("counters %+v; want process CPU known %v, peak known %v", s.Counters, tt.wantCPU, tt.wantPeak)
			}
			if !s.TotalMemMB.Valid || !s.Counters.CPUTotal.Valid {
				t.Errorf("the rest of the snapshot was lost: %+v", s)
			}
		})
	}
}

func TestSnapshotDegrades(t *testing.T) {
	f := newFakeSys()
	f.memErr = errors.New("ERROR_INVALID_PARAMETER")
	f.lowErr = errors.New("no notification handle")
	f.timeErr = errors.New("GetSystemTimes failed")
	f.wsErr = errors.New("ERROR_ACCESS_DENIED")
	p := newTestProvider(t, f)
	s, err := p.Snapshot(context.Background())
	if err == nil {
		t.Fatal("nil error from failing sources")
	}
	if s != provider.Unknown(t0) {
		t.Errorf("Snapshot = %+v, want all unknown", s)
	}
	for _, e := range []error{f.memErr, f.lowErr, f.timeErr, f.wsErr} {
		if !errors.Is(err, e) {
			t.Errorf("err %v does not wrap %v", err, e)
		}
	}
	f.mem = memoryStatusEx{Length: memoryStatusExSize, TotalPhys: 1 << 30, AvailPhys: 2 << 30}
	f.memErr = nil
	if _, err := p.Snapshot(context.Background()); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("available above total: %v, want ErrInvalid", err)
	}
}

// TestSnapshotMemoryEdges: an amount of available memory under 1 MiB is a
// known 0 (critical pressure), a total under 1 MiB unknown.
func TestSnapshotMemoryEdges(t *testing.T) {
	tests := []struct {
		name         string
		avail, total uint64
		wantAvail    provider.Opt[uint64]
		wantTotal    provider.Opt[uint64]
		wantPressure provider.MemoryPressure
	}{
		{"under 1 MiB available", 512 << 10, 8 << 30, provider.Some[uint64](0), provider.Some[uint64](8192), provider.MemoryPressureCritical},
		{"nothing available", 0, 8 << 30, provider.Some[uint64](0), provider.Some[uint64](8192), provider.MemoryPressureCritical},
		{"total under 1 MiB", 1000, 1 << 19, provider.Some[uint64](0), provider.Opt[uint64]{}, provider.MemoryPressureUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSys()
			f.mem = memoryStatusEx{Length: memoryStatusExSize, TotalPhys: tt.total, AvailPhys: tt.avail}
			s, err := newTestProvider(t, f).Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if s.AvailableMemMB != tt.wantAvail || s.TotalMemMB != tt.wantTotal || s.MemoryPressure != tt.wantPressure {
				t.Errorf("available %+v total %+v pressure %v; want %+v, %+v, %v",
					s.AvailableMemMB, s.TotalMemMB, s.MemoryPressure, tt.wantAvail, tt.wantTotal, tt.wantPressure)
			}
		})
	}
}

func TestBatteryAndClose(t *testing.T) {
	f := newFakeSys()
	p := newTestProvider(t, f)
	ctx := context.Background()
	if b, err := p.Battery(ctx); b.Valid || err != nil {
		t.Errorf("desktop Battery = %+v, %v; want no battery", b, err)
	}
	f.power = systemPowerStatus{BatteryFlag: 8, BatteryLifePercent: 57}
	if b, err := p.Battery(ctx); b != provider.Some[uint8](57) || err != nil {
		t.Errorf("Battery = %+v, %v; want 57", b, err)
	}
	f.powErr = errors.New("boom")
	if b, err := p.Battery(ctx); b.Valid || !errors.Is(err, f.powErr) {
		t.Errorf("failing Battery = %+v, %v", b, err)
	}
	platformtest.Lifecycle(t, p, t0, func() int { return f.closed })
}

func TestOptions(t *testing.T) {
	if _, err := New(WithPID(-3)); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("WithPID(-3): %v, want ErrInvalid", err)
	}
	if runtime.GOOS != "windows" {
		if _, err := New(); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("New on %s: %v, want ErrUnsupported", runtime.GOOS, err)
		}
	}
	if p := mustProvider(t, newFakeSys(), nil); p.clock == nil {
		t.Error("no default clock")
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFakeSys()
	platformtest.Concurrent(t, newTestProvider(t, f), func() int { return f.closed })
}

func BenchmarkSnapshot(b *testing.B) {
	f := newFakeSys()
	f.times = []systemTimes{{1, 2, 1}}
	p := mustProvider(b, f)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p.Snapshot(ctx)
	}
}

func BenchmarkRunSnapshot(b *testing.B) {
	f := newFakeSys()
	f.times = []systemTimes{{1, 2, 1}}
	p := mustProvider(b, f)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p.RunSnapshot(ctx)
	}
}
