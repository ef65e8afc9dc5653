package darwin

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/restel/restel/internal/platformtest"
	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/fake"
)

// fakeSys is an in-memory sys: sysctl values, tick readings, a resident
// size, a thermal level and power sources, each with an optional error.
type fakeSys struct {
	mu       sync.Mutex
	sysctls  map[string][]byte
	sysErrs  map[string]error // a sysctl failing with this error
	calls    map[string]int
	ticks    []cpuTicks // consumed one per cpuLoadInfo call; the last one repeats
	cpuErr   error
	rss      uint64
	rssErr   error
	rssPIDs  map[int]int
	flavors  map[int]int // rusage calls by flavor
	cpuTime  [2]uint64   // ri_user_time, ri_system_time (Mach time units)
	maxFoot  uint64      // ri_lifetime_max_phys_footprint
	tb       []byte      // mach_timebase_info
	tbErr    error
	tbCalls  int
	appAvail uint64
	appErr   error
	thermal  uint64
	thermErr error
	sources  []powerSource
	srcErr   error
	accels   []ioAccelerator
	accelErr error
	closed   int
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// clockrate is a struct clockinfo of the given hz.
func clockrate(hz int32) []byte {
	b := make([]byte, 0, clockinfoSize)
	for _, v := range []int32{hz, 1e6 / max(hz, 1), 1, hz, hz} {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b
}

// timebase is a struct mach_timebase_info.
func timebase(numer, denom uint32) []byte {
	return binary.LittleEndian.AppendUint32(u32(numer), denom)
}

// newFakeSys is a 16 GiB Mac with 16 KiB pages, 4 GiB available, normal
// native pressure.
func newFakeSys() *fakeSys {
	return &fakeSys{
		sysctls: map[string][]byte{
			sysctlMemsize:       u64(16 << 30),
			sysctlPageSize:      u32(16384),
			sysctlPageFree:      u32(65536),  // 1 GiB
			sysctlPagePurgeable: u32(0),      //
			sysctlPageExternal:  u32(196608), // 3 GiB
			sysctlPressureLevel: u32(1),
			sysctlClockrate:     clockrate(100),
		},
		calls:   map[string]int{},
		rssPIDs: map[int]int{},
		flavors: map[int]int{},
		ticks:   []cpuTicks{{100, 100, 800, 0}, {200, 100, 1000, 0}},
		rss:     300 << 20,
		cpuTime: [2]uint64{18e6, 6e6}, // 1 s at 125/3
		maxFoot: 900 << 20,
		tb:      timebase(125, 3),
	}
}

func (f *fakeSys) sysctl(name string, buf []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[name]++
	if err := f.sysErrs[name]; err != nil {
		return 0, err
	}
	v, ok := f.sysctls[name]
	if !ok {
		return 0, fmt.Errorf("fake: %s: %w", name, errors.ErrUnsupported)
	}
	if len(v) > len(buf) {
		return 0, syscall.ENOMEM
	}
	return copy(buf, v), nil
}

func (f *fakeSys) cpuLoadInfo(buf []byte) (uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cpuErr != nil {
		return 0, f.cpuErr
	}
	t := f.ticks[0]
	if len(f.ticks) > 1 {
		f.ticks = f.ticks[1:]
	}
	binary.LittleEndian.PutUint32(buf[0:], t.user)
	binary.LittleEndian.PutUint32(buf[4:], t.system)
	binary.LittleEndian.PutUint32(buf[8:], t.idle)
	binary.LittleEndian.PutUint32(buf[12:], t.nice)
	return cpuLoadInfoCount, nil
}

func (f *fakeSys) rusage(pid, flavor int, buf []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rssPIDs[pid]++
	f.flavors[flavor]++
	if f.rssErr != nil {
		return f.rssErr
	}
	if size := rusageInfoSize(flavor); size == 0 || len(buf) != size {
		return fmt.Errorf("fake: flavor %d with a buffer of %d bytes", flavor, len(buf))
	}
	clear(buf)
	le := binary.LittleEndian
	le.PutUint64(buf[rusageResidentSizeOffs:], f.rss)
	le.PutUint64(buf[rusageFootprintOffs:], f.rss+50<<20)
	le.PutUint64(buf[rusageUserTimeOffs:], f.cpuTime[0])
	le.PutUint64(buf[rusageSystemTimeOffs:], f.cpuTime[1])
	if flavor == rusageInfoV4 {
		le.PutUint64(buf[rusageLifetimeMaxFootOffs:], f.maxFoot)
	}
	return nil
}

func (f *fakeSys) timebase(buf []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tbCalls++
	if f.tbErr != nil {
		return f.tbErr
	}
	if len(f.tb) > len(buf) {
		return syscall.ENOMEM
	}
	copy(buf, f.tb)
	return nil
}

func (f *fakeSys) appAvailableMemory() (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.appAvail, f.appErr
}

func (f *fakeSys) thermalLevel() (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.thermal, f.thermErr
}

func (f *fakeSys) powerSources() ([]powerSource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sources, f.srcErr
}

func (f *fakeSys) accelerators() ([]ioAccelerator, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accels, f.accelErr
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

func newTestProvider(t *testing.T, f *fakeSys, opts ...Option) *Provider {
	t.Helper()
	p := mustProvider(t, f, append([]Option{WithClock(fake.NewManualClock(t0))}, opts...)...)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestSnapshot(t *testing.T) {
	f := newFakeSys()
	p := newTestProvider(t, f, WithPID(4242))
	ctx := context.Background()

	s1, err := p.Snapshot(ctx)
	if err != nil {
		t.Fatalf("first Snapshot: %v", err)
	}
	want := provider.Snapshot{
		ProcessRSSMB:   provider.Some[uint64](300),
		AvailableMemMB: provider.Some[uint64](4096),
		TotalMemMB:     provider.Some[uint64](16384),
		MemoryPressure: provider.MemoryPressureNormal, // 25 %
		CapturedAtMS:   t0.UnixMilli(),
		Counters: provider.Counters{ // ticks {100, 100, 800, 0} at 100 Hz
			CPUBusy:  provider.Some(2 * time.Second),
			CPUTotal: provider.Some(10 * time.Second),
		},
	}
	if s1 != want {
		t.Errorf("first Snapshot =\n %+v\nwant\n %+v", s1, want)
	}

	s2, err := p.Snapshot(ctx)
	if err != nil {
		t.Fatalf("second Snapshot: %v", err)
	}
	want.CPUPct = provider.Some(100 * 100.0 / 300)           // 100 busy of 300 ticks
	want.Counters.CPUBusy = provider.Some(3 * time.Second)   // 300 ticks
	want.Counters.CPUTotal = provider.Some(13 * time.Second) // 1300 ticks
	if s2 != want {
		t.Errorf("second Snapshot =\n %+v\nwant\n %+v", s2, want)
	}
	if got := f.calls[sysctlMemsize]; got != 1 {
		t.Errorf("hw.memsize read %d times, want once", got)
	}
	if got := f.calls[sysctlPageSize]; got != 1 {
		t.Errorf("vm.pagesize read %d times, want once", got)
	}
	if got := f.calls[sysctlPageFree]; got != 2 {
		t.Errorf("vm.page_free_count read %d times, want every Snapshot", got)
	}
	if got := f.calls[sysctlClockrate]; got != 1 {
		t.Errorf("kern.clockrate read %d times, want once", got)
	}
	if len(f.rssPIDs) != 1 || f.rssPIDs[4242] != 2 {
		t.Errorf("rusage reads by pid %v, want pid 4242 twice", f.rssPIDs)
	}
	if f.flavors[rusageInfoV4] != 0 || f.tbCalls != 0 {
		t.Errorf("Snapshot read the run counters: rusage flavors %v, %d timebase calls", f.flavors, f.tbCalls)
	}
}

func TestRunSnapshot(t *testing.T) {
	f := newFakeSys()
	p := newTestProvider(t, f, WithPID(4242))
	ctx := context.Background()
	s, err := p.RunSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := provider.Snapshot{
		ProcessRSSMB:   provider.Some[uint64](300),
		AvailableMemMB: provider.Some[uint64](4096),
		TotalMemMB:     provider.Some[uint64](16384),
		MemoryPressure: provider.MemoryPressureNormal,
		CapturedAtMS:   t0.UnixMilli(),
		Counters: provider.Counters{
			CPUBusy:        provider.Some(2 * time.Second),
			CPUTotal:       provider.Some(10 * time.Second),
			ProcessCPU:     provider.Some(time.Second), // (18e6 + 6e6) × 125/3 ns
			RSSHighWaterMB: provider.Some[uint64](900),
		},
	}
	if s != want {
		t.Errorf("RunSnapshot =\n %+v\nwant\n %+v", s, want)
	}
	if f.flavors[rusageInfoV4] != 1 || f.flavors[rusageInfoV0] != 0 {
		t.Errorf("rusage flavors %v, want one RUSAGE_INFO_V4 read", f.flavors)
	}

	// The timebase is read once; later run reads reuse it, and the CPU
	// counters advance with the host ticks.
	f.cpuTime = [2]uint64{48e6, 24e6} // 3 s
	if s, err = p.RunSnapshot(ctx); err != nil || s.Counters.ProcessCPU != provider.Some(3*time.Second) {
		t.Errorf("second RunSnapshot: process CPU %+v, %v; want 3s", s.Counters.ProcessCPU, err)
	}
	if s.Counters.CPUTotal != provider.Some(13*time.Second) || !s.CPUPct.Valid {
		t.Errorf("second RunSnapshot: CPU %+v total %+v; want a value and 13s", s.CPUPct, s.Counters.CPUTotal)
	}
	if f.tbCalls != 1 {
		t.Errorf("mach_timebase_info called %d times, want once", f.tbCalls)
	}
	// A plain Snapshot in between leaves the run counters unknown.
	if s, _ = p.Snapshot(ctx); s.Counters.ProcessCPU.Valid || s.Counters.RSSHighWaterMB.Valid {
		t.Errorf("Snapshot filled run counters: %+v", s.Counters)
	}
	// Stall and throttle counters do not exist on Apple systems.
	s, _ = p.RunSnapshot(ctx)
	if c := s.Counters; c.CPUStall.Valid || c.MemoryStall.Valid || c.IOStall.Valid || c.Throttled.Valid {
		t.Errorf("stall or throttle counters reported: %+v", c)
	}
}

// TestRunSnapshotDegrades: each run counter that cannot be read is unknown
// with an error naming it, and the rest of the snapshot stands.
func TestRunSnapshotDegrades(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*fakeSys)
		wantErr error
		wantCPU bool // process CPU known
		wantHWM bool // high-water mark known
	}{
		{"timebase call fails", func(f *fakeSys) { f.tbErr = kernReturn(5) }, kernReturn(5), false, true},
		{"timebase 0/0", func(f *fakeSys) { f.tb = timebase(0, 0) }, provider.ErrInvalid, false, true},
		{"user+system overflow", func(f *fakeSys) { f.cpuTime = [2]uint64{math.MaxUint64, 1} }, provider.ErrInvalid, false, false},
		{"CPU time past the largest Duration", func(f *fakeSys) { f.cpuTime = [2]uint64{math.MaxUint64 / 2, 0} }, provider.ErrInvalid, false, true},
		{"no footprint high-water mark", func(f *fakeSys) { f.maxFoot = 0 }, nil, true, false},
		{"process gone", func(f *fakeSys) { f.rssErr = syscall.ESRCH }, syscall.ESRCH, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSys()
			tt.setup(f)
			p := newTestProvider(t, f)
			s, err := p.RunSnapshot(context.Background())
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err %v, want %v", err, tt.wantErr)
			}
			if s.Counters.ProcessCPU.Valid != tt.wantCPU || s.Counters.RSSHighWaterMB.Valid != tt.wantHWM {
				t.Errorf("counters %+v; want process CPU known %v, high-water known %v", s.Counters, tt.wantCPU, tt.wantHWM)
			}
			if !s.TotalMemMB.Valid || !s.Counters.CPUTotal.Valid {
				t.Errorf("the rest of the snapshot was lost: %+v", s)
			}
		})
	}
}

// TestCPUCountersClockrate: the tick counters need kern.clockrate's hz. A
// sysctl this process may not read leaves them unknown without an error
// and is not retried; any other failure is reported and retried.
func TestCPUCountersClockrate(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EPERM, syscall.ENOENT} {
		f := newFakeSys()
		f.sysErrs = map[string]error{sysctlClockrate: errno}
		p := newTestProvider(t, f)
		for range 2 {
			s, err := p.Snapshot(context.Background())
			if err != nil || s.Counters.CPUBusy.Valid || s.Counters.CPUTotal.Valid {
				t.Errorf("%v: counters %+v, err %v; want unknown, nil", errno, s.Counters, err)
			}
		}
		if got := f.calls[sysctlClockrate]; got != 1 {
			t.Errorf("%v: kern.clockrate read %d times, want once", errno, got)
		}
	}
	for _, tc := range []struct {
		name  string
		value []byte
		err   error
	}{
		{"EIO", nil, syscall.EIO},
		{"hz 0", clockrate(0), provider.ErrInvalid},
		{"short", clockrate(100)[:16], provider.ErrInvalid},
	} {
		f := newFakeSys()
		if tc.value != nil {
			f.sysctls[sysctlClockrate] = tc.value
		} else {
			f.sysErrs = map[string]error{sysctlClockrate: tc.err}
		}
		p := newTestProvider(t, f)
		for range 2 {
			s, err := p.Snapshot(context.Background())
			if !errors.Is(err, tc.err) || s.Counters.CPUBusy.Valid {
				t.Errorf("%s: counters %+v, err %v; want unknown, %v", tc.name, s.Counters, err, tc.err)
			}
		}
		if got := f.calls[sysctlClockrate]; got != 2 {
			t.Errorf("%s: kern.clockrate read %d times, want every Snapshot until it works", tc.name, got)
		}
	}
	// A 1000 Hz clock: each tick is 1 ms.
	f := newFakeSys()
	f.sysctls[sysctlClockrate] = clockrate(1000)
	p := newTestProvider(t, f)
	if s, _ := p.Snapshot(context.Background()); s.Counters.CPUTotal != provider.Some(time.Second) {
		t.Errorf("1000 Hz: total %+v, want 1000 ticks = 1s", s.Counters.CPUTotal)
	}
}

func TestSnapshotNativePressureRaises(t *testing.T) {
	for _, tc := range []struct {
		level uint32
		want  provider.MemoryPressure
	}{
		{1, provider.MemoryPressureNormal},
		{2, provider.MemoryPressureWarn},
		{4, provider.MemoryPressureCritical},
		{0, provider.MemoryPressureNormal}, // unknown native level: derived only
	} {
		f := newFakeSys()
		f.sysctls[sysctlPressureLevel] = u32(tc.level)
		p := newTestProvider(t, f)
		s, _ := p.Snapshot(context.Background())
		if s.MemoryPressure != tc.want {
			t.Errorf("level %d: pressure %v, want %v", tc.level, s.MemoryPressure, tc.want)
		}
	}
	// Derived critical is not lowered by a native "normal".
	f := newFakeSys()
	f.sysctls[sysctlPageExternal] = u32(0)
	f.sysctls[sysctlPageFree] = u32(16384) // 256 MiB of 16 GiB: 1.6 %
	p := newTestProvider(t, f)
	if s, _ := p.Snapshot(context.Background()); s.MemoryPressure != provider.MemoryPressureCritical {
		t.Errorf("derived critical, native normal: got %v", s.MemoryPressure)
	}
}

// TestSnapshotPressureLevelUnavailable: iOS refuses
// kern.memorystatus_vm_pressure_level to apps (PRIV_VM_PRESSURE: EPERM) and
// an old kernel may not have it (ENOENT). That is a signal this device does
// not offer, not a fault: no error on every read, no further sysctl call on
// the hot path, and the derived pressure alone.
func TestSnapshotPressureLevelUnavailable(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EPERM, syscall.ENOENT} {
		f := newFakeSys()
		f.sysErrs = map[string]error{sysctlPressureLevel: errno}
		p := newTestProvider(t, f)
		for i := range 3 {
			s, err := p.Snapshot(context.Background())
			if err != nil {
				t.Errorf("%v, read %d: err %v, want nil", errno, i, err)
			}
			if s.MemoryPressure != provider.MemoryPressureNormal {
				t.Errorf("%v, read %d: pressure %v, want the derived normal", errno, i, s.MemoryPressure)
			}
		}
		if got := f.calls[sysctlPressureLevel]; got != 1 {
			t.Errorf("%v: pressure sysctl read %d times, want once", errno, got)
		}
	}
	// Any other failure is reported on every read.
	f := newFakeSys()
	f.sysErrs = map[string]error{sysctlPressureLevel: syscall.EIO}
	p := newTestProvider(t, f)
	for range 2 {
		if _, err := p.Snapshot(context.Background()); !errors.Is(err, syscall.EIO) {
			t.Errorf("EIO: err %v", err)
		}
	}
	if got := f.calls[sysctlPressureLevel]; got != 2 {
		t.Errorf("EIO: pressure sysctl read %d times, want every Snapshot", got)
	}
}

func TestSnapshotDegrades(t *testing.T) {
	f := newFakeSys()
	delete(f.sysctls, sysctlMemsize)
	delete(f.sysctls, sysctlPressureLevel)
	f.cpuErr = kernReturn(5)
	f.rssErr = errors.New("ESRCH")
	p := newTestProvider(t, f)
	s, err := p.Snapshot(context.Background())
	if err == nil {
		t.Fatal("Snapshot with failing sources: nil error")
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("err = %v, want it to wrap the sysctl error", err)
	}
	var kr kernReturn
	if !errors.As(err, &kr) || kr != 5 {
		t.Errorf("err = %v, want it to carry kern_return_t 5", err)
	}
	if s.TotalMemMB.Valid || s.CPUPct.Valid || s.ProcessRSSMB.Valid {
		t.Errorf("unreadable fields reported: %+v", s)
	}
	if !s.AvailableMemMB.Valid || s.AvailableMemMB.V != 4096 {
		t.Errorf("available = %+v, want 4096 (readable without total)", s.AvailableMemMB)
	}
	if s.MemoryPressure != provider.MemoryPressureUnknown {
		t.Errorf("pressure = %v, want unknown without total or native level", s.MemoryPressure)
	}
	if s.CapturedAtMS != t0.UnixMilli() {
		t.Errorf("CapturedAtMS = %d", s.CapturedAtMS)
	}

	// A bad buffer from the kernel is invalid, not a guess; the last CPU
	// value is kept.
	f2 := newFakeSys()
	f2.sysctls[sysctlPageFree] = []byte{1, 2, 3}
	p2 := newTestProvider(t, f2)
	p2.Snapshot(context.Background())
	s, err = p2.Snapshot(context.Background())
	if !errors.Is(err, provider.ErrInvalid) || s.AvailableMemMB.Valid {
		t.Errorf("3-byte sysctl: available %+v, err %v; want unknown, ErrInvalid", s.AvailableMemMB, err)
	}
	if !s.CPUPct.Valid {
		t.Error("CPU lost because memory failed")
	}
	f2.sysctls[sysctlPageFree] = make([]byte, 16) // longer than any integer
	if s, err = p2.Snapshot(context.Background()); !errors.Is(err, syscall.ENOMEM) || s.AvailableMemMB.Valid {
		t.Errorf("16-byte sysctl: available %+v, err %v; want unknown, ENOMEM", s.AvailableMemMB, err)
	}
	f2.cpuErr = kernReturn(4)
	s, _ = p2.Snapshot(context.Background())
	if !s.CPUPct.Valid {
		t.Error("failing host_statistics dropped the last CPU value")
	}
}

// TestSnapshotContextAndClose: a cancelled context and a closed provider
// answer every read with their error; Close releases once.
func TestSnapshotContextAndClose(t *testing.T) {
	f := newFakeSys()
	platformtest.Lifecycle(t, newTestProvider(t, f), t0, func() int { return f.closed })
}

func TestSlowSignals(t *testing.T) {
	f := newFakeSys()
	p := newTestProvider(t, f)
	ctx := context.Background()

	f.thermal = 2
	if got, err := p.Thermal(ctx); got != provider.ThermalHot || err != nil {
		t.Errorf("Thermal level 2 = %v, %v; want hot", got, err)
	}
	f.thermal = 40
	if got, err := p.Thermal(ctx); got != provider.ThermalCritical || err != nil {
		t.Errorf("Thermal level 40 = %v, %v; want critical", got, err)
	}
	f.thermal = 7
	if got, err := p.Thermal(ctx); got != provider.ThermalUnknown || !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("Thermal level 7 = %v, %v; want unknown, ErrInvalid", got, err)
	}
	f.thermErr = notifyStatus(2)
	if got, err := p.Thermal(ctx); got != provider.ThermalUnknown || !errors.Is(err, notifyStatus(2)) {
		t.Errorf("Thermal failing = %v, %v", got, err)
	}

	if got, err := p.Battery(ctx); got.Valid || err != nil {
		t.Errorf("Battery without sources = %+v, %v; want no battery", got, err)
	}
	f.sources = []powerSource{{Internal: true, Present: true, Cur: 81, Max: 100, HasCur: true, HasMax: true}}
	if got, err := p.Battery(ctx); got != provider.Some[uint8](81) || err != nil {
		t.Errorf("Battery = %+v, %v; want 81", got, err)
	}
	f.srcErr = errNoIOKit
	if got, err := p.Battery(ctx); got.Valid || !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("Battery on iOS = %+v, %v; want unknown, ErrUnavailable", got, err)
	}

	// Snapshot never reads the slow signals.
	f.thermal, f.thermErr, f.srcErr = 2, nil, nil
	s, _ := p.Snapshot(ctx)
	if s.Thermal != provider.ThermalUnknown || s.BatteryPct.Valid {
		t.Errorf("Snapshot read slow signals: %+v", s)
	}
}

func TestNewOptions(t *testing.T) {
	if _, err := New(WithPID(-1)); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("WithPID(-1): %v, want ErrInvalid", err)
	}
	p := mustProvider(t, newFakeSys(), nil, WithPID(0))
	if p.pid != os.Getpid() || !p.self {
		t.Errorf("default pid %d (self %v), want the caller's", p.pid, p.self)
	}
	if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
		if _, err := New(); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("New on %s: %v, want ErrUnsupported", runtime.GOOS, err)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	f := newFakeSys()
	f.ticks = []cpuTicks{{1, 1, 1, 1}}
	platformtest.Concurrent(t, newTestProvider(t, f), func() int { return f.closed })
}

func BenchmarkSnapshot(b *testing.B) {
	f := newFakeSys()
	f.ticks = []cpuTicks{{1, 1, 1, 1}}
	p := mustProvider(b, f)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p.Snapshot(ctx)
	}
}

// TestSnapshotAppLimit is an iOS app: os_proc_available_memory bounds
// available and total memory when the provider observes itself.
func TestSnapshotAppLimit(t *testing.T) {
	f := newFakeSys() // RSS 300 MiB, footprint 350 MiB
	f.appErr, f.appAvail = nil, 200<<20
	p := newTestProvider(t, f)
	s, err := p.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.AvailableMemMB != provider.Some[uint64](200) || s.TotalMemMB != provider.Some[uint64](550) {
		t.Errorf("available %+v total %+v; want 200, 550 (footprint 350 + 200)", s.AvailableMemMB, s.TotalMemMB)
	}
	f.appAvail = 18 << 20 // 18 of 368 MiB: 4.9 %
	if s, _ = p.Snapshot(context.Background()); s.MemoryPressure != provider.MemoryPressureCritical {
		t.Errorf("near the app limit: pressure %v, want critical", s.MemoryPressure)
	}
	f.appAvail = 0 // at the limit: a known 0, the footprint is the total
	s, _ = p.Snapshot(context.Background())
	if s.AvailableMemMB != provider.Some[uint64](0) || s.TotalMemMB != provider.Some[uint64](350) || s.MemoryPressure != provider.MemoryPressureCritical {
		t.Errorf("at the app limit: available %+v total %+v pressure %v; want 0, 350, critical", s.AvailableMemMB, s.TotalMemMB, s.MemoryPressure)
	}
	f.appErr = errors.New("boom")
	if _, err = p.Snapshot(context.Background()); !errors.Is(err, f.appErr) {
		t.Errorf("failing os_proc_available_memory: err %v", err)
	}

	// A process that never had a limit (macOS, a tool) gets 0 from the
	// first call: no information, the device's memory stands.
	f3 := newFakeSys()
	f3.appErr, f3.appAvail = nil, 0
	p3 := newTestProvider(t, f3)
	if s, _ = p3.Snapshot(context.Background()); s.AvailableMemMB != provider.Some[uint64](4096) || s.TotalMemMB != provider.Some[uint64](16384) {
		t.Errorf("no limit: available %+v total %+v; want the device's 4096, 16384", s.AvailableMemMB, s.TotalMemMB)
	}
	// Where the call does not exist the bound is unknown, not 0.
	f3.appErr = errNoSymbol
	if s, err = p3.Snapshot(context.Background()); err != nil || s.AvailableMemMB != provider.Some[uint64](4096) {
		t.Errorf("unsupported: available %+v, err %v; want 4096, nil", s.AvailableMemMB, err)
	}

	// Observing another process: the caller's app limit does not apply.
	f2 := newFakeSys()
	f2.appErr, f2.appAvail = nil, 200<<20
	p2 := newTestProvider(t, f2, WithPID(4242))
	if s, _ = p2.Snapshot(context.Background()); s.TotalMemMB != provider.Some[uint64](16384) {
		t.Errorf("other pid: total %+v, want the device's 16384", s.TotalMemMB)
	}
}

func BenchmarkRunSnapshot(b *testing.B) {
	f := newFakeSys()
	f.ticks = []cpuTicks{{1, 1, 1, 1}}
	p := mustProvider(b, f)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p.RunSnapshot(ctx)
	}
}
