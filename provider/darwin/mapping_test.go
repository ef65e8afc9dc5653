package darwin

import (
	"errors"
	"fmt"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/restel/restel/internal/cputicks"
	"github.com/restel/restel/provider"
)

func TestCPUTicksSince(t *testing.T) {
	tests := []struct {
		name        string
		prev, cur   cpuTicks
		busy, total uint64
		ok          bool
	}{
		{"half busy", cpuTicks{100, 100, 100, 0}, cpuTicks{150, 150, 200, 0}, 100, 200, true},
		{"nice counts as busy", cpuTicks{0, 0, 0, 0}, cpuTicks{0, 0, 30, 10}, 10, 40, true},
		{"all idle", cpuTicks{5, 5, 5, 5}, cpuTicks{5, 5, 105, 5}, 0, 100, true},
		{"no tick elapsed", cpuTicks{5, 5, 5, 5}, cpuTicks{5, 5, 5, 5}, 0, 0, false},
		{"user wraps past 2^32", cpuTicks{math.MaxUint32 - 9, 0, 0, 0}, cpuTicks{10, 0, 20, 0}, 20, 40, true},
		{"idle goes backwards", cpuTicks{0, 0, 1000, 0}, cpuTicks{10, 0, 900, 0}, 0, 0, false},
		{"system goes backwards by one", cpuTicks{0, 7, 0, 0}, cpuTicks{10, 6, 10, 0}, 0, 0, false},
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

// TestCPUTrackerSequence runs host_cpu_load_info readings through the
// shared tracker.
func TestCPUTrackerSequence(t *testing.T) {
	var c cputicks.Tracker[cpuTicks]
	steps := []struct {
		in   cpuTicks
		want provider.Opt[float64]
	}{
		{cpuTicks{100, 100, 800, 0}, provider.Opt[float64]{}},         // first read: no delta
		{cpuTicks{125, 125, 850, 0}, provider.Some(50.0)},             // 50 busy of 100
		{cpuTicks{125, 125, 850, 0}, provider.Some(50.0)},             // nothing elapsed: keep last
		{cpuTicks{125, 125, 800, 0}, provider.Some(50.0)},             // idle backwards: keep last
		{cpuTicks{125, 125, 900, 0}, provider.Some(0.0)},              // fully idle since the last reading
		{cpuTicks{125 + 300, 125, 900 + 100, 0}, provider.Some(75.0)}, // 300 of 400
	}
	for i, s := range steps {
		if got := c.Observe(s.in); got != s.want {
			t.Errorf("step %d: Observe(%+v) = %+v, want %+v", i, s.in, got, s.want)
		}
	}
}

func TestAvailableBytes(t *testing.T) {
	const page = 16384
	tests := []struct {
		name    string
		pages   [3]uint64
		size    uint64
		total   provider.Opt[uint64]
		want    uint64
		wantErr bool
	}{
		{"free+purgeable+external", [3]uint64{100, 10, 1000}, page, provider.Some[uint64](1 << 40), 1110 * page, false},
		{"4 KiB pages (Intel)", [3]uint64{1, 2, 3}, 4096, provider.Some[uint64](1 << 40), 6 * 4096, false},
		{"bounded by total", [3]uint64{1 << 20, 0, 0}, page, provider.Some[uint64](8 << 30), 8 << 30, false},
		{"total unknown: unbounded", [3]uint64{1 << 20, 0, 0}, page, provider.Opt[uint64]{}, 1 << 20 * page, false},
		{"all zero", [3]uint64{}, page, provider.Some[uint64](8 << 30), 0, false},
		{"page size 0", [3]uint64{1, 1, 1}, 0, provider.Opt[uint64]{}, 0, true},
		{"page size not a power of two", [3]uint64{1, 1, 1}, 4095, provider.Opt[uint64]{}, 0, true},
		{"sum overflows", [3]uint64{math.MaxUint64, 1, 0}, page, provider.Opt[uint64]{}, 0, true},
		{"bytes overflow", [3]uint64{1 << 60, 0, 0}, page, provider.Opt[uint64]{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := availableBytes(tt.pages, tt.size, tt.total)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, provider.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPressureFromLevel(t *testing.T) {
	want := map[uint64]provider.MemoryPressure{
		0: provider.MemoryPressureUnknown,
		1: provider.MemoryPressureNormal,
		2: provider.MemoryPressureWarn,
		3: provider.MemoryPressureUnknown, // not a dispatch bit (internal urgent is reported as 2)
		4: provider.MemoryPressureCritical,
		5: provider.MemoryPressureUnknown,
		8: provider.MemoryPressureUnknown,

		math.MaxUint32: provider.MemoryPressureUnknown,
	}
	for in, w := range want {
		if got := pressureFromLevel(in); got != w {
			t.Errorf("pressureFromLevel(%d) = %v, want %v", in, got, w)
		}
	}
	// The native level only raises the derived pressure.
	avail, total := provider.Some[uint64](100), provider.Some[uint64](1000) // 10 %: warn
	if got := provider.PressureFrom(avail, total, pressureFromLevel(1)); got != provider.MemoryPressureWarn {
		t.Errorf("derived warn, native normal: got %v, want warn", got)
	}
	if got := provider.PressureFrom(avail, total, pressureFromLevel(4)); got != provider.MemoryPressureCritical {
		t.Errorf("derived warn, native critical: got %v, want critical", got)
	}
}

func TestLevelUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{syscall.EPERM, true},  // iOS: PRIV_VM_PRESSURE
		{syscall.EACCES, true}, // a sandbox refusing it
		{syscall.ENOENT, true}, // no such sysctl
		{fmt.Errorf("darwin: sysctl x: %w", syscall.EPERM), true},
		{syscall.EIO, false},
		{syscall.ENOMEM, false},
		{errNoSymbol, false},
		{errors.New("other"), false},
	} {
		if got := sysctlRefused(tc.err); got != tc.want {
			t.Errorf("sysctlRefused(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestThermalFromPressureLevel(t *testing.T) {
	tests := []struct {
		level uint64
		want  provider.ThermalState
	}{
		// macOS kOSThermalPressureLevel*.
		{0, provider.ThermalNormal},   // nominal
		{1, provider.ThermalWarm},     // moderate
		{2, provider.ThermalHot},      // heavy
		{3, provider.ThermalCritical}, // trapping
		{4, provider.ThermalCritical}, // sleeping
		// iOS kOSThermalPressureLevel*.
		{10, provider.ThermalNormal},   // light
		{20, provider.ThermalWarm},     // moderate
		{30, provider.ThermalHot},      // heavy
		{40, provider.ThermalCritical}, // trapping
		{50, provider.ThermalCritical}, // sleeping
	}
	for _, tt := range tests {
		got, err := thermalFromPressureLevel(tt.level)
		if err != nil || got != tt.want {
			t.Errorf("thermalFromPressureLevel(%d) = %v, %v; want %v", tt.level, got, err, tt.want)
		}
	}
	for _, bad := range []uint64{5, 9, 11, 25, 60, 100, math.MaxUint64} {
		got, err := thermalFromPressureLevel(bad)
		if got != provider.ThermalUnknown || !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("thermalFromPressureLevel(%d) = %v, %v; want unknown, ErrInvalid", bad, got, err)
		}
	}
}

func TestBatteryFromSources(t *testing.T) {
	batt := func(cur, max int64) powerSource {
		return powerSource{Internal: true, Present: true, Cur: cur, Max: max, HasCur: true, HasMax: true}
	}
	ups := batt(100, 100)
	ups.Internal = false
	absent := batt(10, 100)
	absent.Present = false
	noMax := batt(50, 0)
	noMax.HasMax = false

	tests := []struct {
		name    string
		srcs    []powerSource
		want    provider.Opt[uint8]
		wantErr bool
	}{
		{"no power sources (desktop)", nil, provider.Opt[uint8]{}, false},
		{"only a UPS", []powerSource{ups}, provider.Opt[uint8]{}, false},
		{"battery bay empty", []powerSource{absent}, provider.Opt[uint8]{}, false},
		{"one battery in percent", []powerSource{batt(73, 100)}, provider.Some[uint8](73), false},
		{"UPS ignored", []powerSource{ups, batt(40, 100)}, provider.Some[uint8](40), false},
		{"mAh units, rounded half up", []powerSource{batt(2250, 4500)}, provider.Some[uint8](50), false},
		{"rounds to nearest", []powerSource{batt(2, 3)}, provider.Some[uint8](67), false},
		{"two batteries weighted by capacity", []powerSource{batt(1000, 1000), batt(0, 3000)}, provider.Some[uint8](25), false},
		{"over 100 clamps", []powerSource{batt(105, 100)}, provider.Some[uint8](100), false},
		{"empty battery", []powerSource{batt(0, 100)}, provider.Some[uint8](0), false},
		{"unusable one skipped", []powerSource{noMax, batt(60, 100)}, provider.Some[uint8](60), false},
		{"only unusable", []powerSource{noMax}, provider.Opt[uint8]{}, true},
		{"negative current", []powerSource{batt(-1, 100)}, provider.Opt[uint8]{}, true},
		{"zero max", []powerSource{batt(1, 0)}, provider.Opt[uint8]{}, true},
		{"absurd values", []powerSource{batt(1<<62, 1<<62)}, provider.Opt[uint8]{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := batteryFromSources(tt.srcs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, provider.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBoundByAppLimit(t *testing.T) {
	const mb = 1 << 20
	some := provider.Some[uint64]
	none := provider.Opt[uint64]{}
	tests := []struct {
		name                 string
		avail, total         provider.Opt[uint64]
		footprint, remaining uint64
		limited              bool
		wantAvail, wantTotal provider.Opt[uint64]
	}{
		{"no limit (macOS, a tool): unchanged", some(4000 * mb), some(16000 * mb), 300 * mb, 0, false, some(4000 * mb), some(16000 * mb)},
		{"app limit below the device", some(4000 * mb), some(6000 * mb), 1500 * mb, 500 * mb, false, some(500 * mb), some(2000 * mb)},
		{"app limit, already known limited", some(4000 * mb), some(6000 * mb), 1500 * mb, 500 * mb, true, some(500 * mb), some(2000 * mb)},
		{"device tighter than the app limit", some(100 * mb), some(6000 * mb), 1500 * mb, 500 * mb, false, some(100 * mb), some(2000 * mb)},
		{"device unknown", none, none, 1500 * mb, 500 * mb, false, some(500 * mb), some(2000 * mb)},
		{"limit above the device total", some(4000 * mb), some(6000 * mb), 5000 * mb, 3000 * mb, false, some(3000 * mb), some(6000 * mb)},
		{"app at its limit: a known 0, total the footprint", some(4000 * mb), some(6000 * mb), 1500 * mb, 0, true, some(0), some(1500 * mb)},
		{"app at its limit, device unknown", none, none, 1500 * mb, 0, true, some(0), some(1500 * mb)},
		{"overflow: unchanged", some(1), some(2), math.MaxUint64, 1, true, some(1), some(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, tot := boundByAppLimit(tt.avail, tt.total, tt.footprint, tt.remaining, tt.limited)
			if a != tt.wantAvail || tot != tt.wantTotal {
				t.Errorf("got %+v, %+v; want %+v, %+v", a, tot, tt.wantAvail, tt.wantTotal)
			}
		})
	}
}

func TestCPUCounters(t *testing.T) {
	s := provider.Some[time.Duration]
	none := provider.Opt[time.Duration]{}
	tests := []struct {
		name        string
		ticks       cpuTicks
		hz          uint64
		busy, total provider.Opt[time.Duration]
	}{
		{"user+system+nice busy, idle not", cpuTicks{user: 100, system: 50, idle: 800, nice: 50}, 100, s(2 * time.Second), s(10 * time.Second)},
		{"all idle", cpuTicks{idle: 100}, 100, s(0), s(time.Second)},
		{"zero", cpuTicks{}, 100, s(0), s(0)},
		{"1000 Hz", cpuTicks{user: 1, idle: 1}, 1000, s(time.Millisecond), s(2 * time.Millisecond)},
		{"counters near 2^32 summed in 64 bits", cpuTicks{math.MaxUint32, math.MaxUint32, math.MaxUint32, math.MaxUint32}, 100,
			s(3 * (math.MaxUint32) * 10 * time.Millisecond), s(4 * (math.MaxUint32) * 10 * time.Millisecond)},
		{"hz unknown", cpuTicks{user: 1}, 0, none, none},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busy, total := cpuCounters(tt.ticks, tt.hz)
			if busy != tt.busy || total != tt.total {
				t.Errorf("cpuCounters = %+v, %+v; want %+v, %+v", busy, total, tt.busy, tt.total)
			}
		})
	}
	// A wrapped counter shows as a counter going backwards: the interval
	// is unknown to a consumer, never a negative or huge delta.
	before, after := cpuTicks{user: math.MaxUint32 - 9, idle: 500}, cpuTicks{user: 10, idle: 520}
	b0, t0 := cpuCounters(before, 100)
	b1, t1 := cpuCounters(after, 100)
	if b1.V >= b0.V || t1.V >= t0.V {
		t.Errorf("wrap: busy %v → %v, total %v → %v; want both to go backwards", b0.V, b1.V, t0.V, t1.V)
	}
	if _, _, ok := after.Since(before); !ok {
		t.Error("the percentage delta across the wrap is lost")
	}
}

func TestProcessCPU(t *testing.T) {
	s := provider.Some[time.Duration]
	tests := []struct {
		name         string
		mach         uint64
		numer, denom uint32
		want         provider.Opt[time.Duration]
	}{
		{"Intel 1/1: nanoseconds", 1500, 1, 1, s(1500)},
		{"Apple silicon 125/3", 24e6, 125, 3, s(time.Second)},
		{"rounds down", 1, 125, 3, s(41)},
		{"timebase not read", 24e6, 0, 0, provider.Opt[time.Duration]{}},
		{"past the largest Duration", math.MaxUint64, 125, 3, provider.Opt[time.Duration]{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := processCPU(tt.mach, tt.numer, tt.denom); got != tt.want {
				t.Errorf("processCPU(%d, %d/%d) = %+v, want %+v", tt.mach, tt.numer, tt.denom, got, tt.want)
			}
		})
	}
}

func TestMemoryMiB(t *testing.T) {
	some := provider.Some[uint64]
	none := provider.Opt[uint64]{}
	tests := []struct {
		name                 string
		in                   provider.Opt[uint64]
		wantAvail, wantTotal provider.Opt[uint64]
	}{
		{"unknown", none, none, none},
		{"0 bytes", some(0), some(0), none},
		{"under 1 MiB: available is a known 0, a total unknown", some(1<<20 - 1), some(0), none},
		{"exactly 1 MiB", some(1 << 20), some(1), some(1)},
		{"16 GiB", some(16 << 30), some(16384), some(16384)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := availableMiB(tt.in); got != tt.wantAvail {
				t.Errorf("availableMiB(%+v) = %+v, want %+v", tt.in, got, tt.wantAvail)
			}
			if got := totalMiB(tt.in); got != tt.wantTotal {
				t.Errorf("totalMiB(%+v) = %+v, want %+v", tt.in, got, tt.wantTotal)
			}
		})
	}
}
