package darwin

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"unsafe"

	"github.com/restel/restel/provider"
)

func TestDecodeSysctlUint(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    uint64
		wantErr bool
	}{
		{"int 4 bytes (vm.page_free_count)", []byte{0x10, 0x27, 0, 0}, 10000, false},
		{"pressure level 4", []byte{4, 0, 0, 0}, 4, false},
		{"uint32 max", []byte{0xff, 0xff, 0xff, 0xff}, 1<<32 - 1, false},
		{"quad 8 bytes (hw.memsize 16 GiB)", []byte{0, 0, 0, 0, 4, 0, 0, 0}, 16 << 30, false},
		{"empty", nil, 0, true},
		{"3 bytes", []byte{1, 2, 3}, 0, true},
		{"16 bytes", make([]byte, 16), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeSysctlUint("x.y", tt.in)
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

func cpuBuf(user, system, idle, nice uint32) []byte {
	b := make([]byte, cpuLoadInfoSize)
	binary.LittleEndian.PutUint32(b[0:], user)
	binary.LittleEndian.PutUint32(b[4:], system)
	binary.LittleEndian.PutUint32(b[8:], idle)
	binary.LittleEndian.PutUint32(b[12:], nice)
	return b
}

func TestDecodeCPULoadInfo(t *testing.T) {
	got, err := decodeCPULoadInfo(cpuBuf(1, 2, 3, 4), cpuLoadInfoCount)
	if err != nil {
		t.Fatal(err)
	}
	if want := (cpuTicks{user: 1, system: 2, idle: 3, nice: 4}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		name  string
		b     []byte
		count uint32
	}{
		{"short count", cpuBuf(1, 2, 3, 4), 3},
		{"long count", cpuBuf(1, 2, 3, 4), 5},
		{"short buffer", make([]byte, 12), cpuLoadInfoCount},
	} {
		if _, err := decodeCPULoadInfo(tc.b, tc.count); !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tc.name, err)
		}
	}
}

// rusageInfoV0Mirror is struct rusage_info_v0 of <sys/resource.h>.
type rusageInfoV0Mirror struct {
	UUID                                   [16]byte
	UserTime, SystemTime                   uint64
	PkgIdleWkups, InterruptWkups, Pageins  uint64
	WiredSize, ResidentSize, PhysFootprint uint64
	ProcStartAbstime, ProcExitAbstime      uint64
}

func TestLayouts(t *testing.T) {
	// The mirror of struct rusage_info_v0 must agree with the constants
	// decodeRusage uses.
	var r rusageInfoV0Mirror
	if got := unsafe.Sizeof(r); got != rusageInfoV0Size {
		t.Errorf("sizeof(rusage_info_v0) = %d, want %d", got, rusageInfoV0Size)
	}
	if got := unsafe.Offsetof(r.ResidentSize); got != rusageResidentSizeOffs {
		t.Errorf("offsetof(ri_resident_size) = %d, want %d", got, rusageResidentSizeOffs)
	}
	if got := unsafe.Offsetof(r.PhysFootprint); got != rusageFootprintOffs {
		t.Errorf("offsetof(ri_phys_footprint) = %d, want %d", got, rusageFootprintOffs)
	}
	var c [cpuLoadInfoCount]uint32 // natural_t cpu_ticks[CPU_STATE_MAX]
	if got := unsafe.Sizeof(c); got != cpuLoadInfoSize {
		t.Errorf("sizeof(host_cpu_load_info) = %d, want %d", got, cpuLoadInfoSize)
	}
	b := make([]byte, rusageInfoV0Size)
	binary.LittleEndian.PutUint64(b[rusageResidentSizeOffs-8:], 7)       // ri_wired_size
	binary.LittleEndian.PutUint64(b[rusageResidentSizeOffs:], 123<<20)   // ri_resident_size
	binary.LittleEndian.PutUint64(b[rusageResidentSizeOffs+8:], 999<<20) // ri_phys_footprint
	rss, fp, err := decodeRusage(b)
	if err != nil || rss != 123<<20 || fp != 999<<20 {
		t.Errorf("decodeRusage = %d, %d, %v; want %d, %d", rss, fp, err, 123<<20, 999<<20)
	}
	if _, _, err := decodeRusage(b[:95]); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("short buffer: err = %v, want ErrInvalid", err)
	}
}

// rusageInfoV4Mirror is struct rusage_info_v4 of <sys/resource.h>.
type rusageInfoV4Mirror struct {
	rusageInfoV0Mirror
	ChildUserTime, ChildSystemTime                       uint64
	ChildPkgIdleWkups, ChildInterruptWkups, ChildPageins uint64
	ChildElapsedAbstime                                  uint64
	DiskioBytesread, DiskioByteswritten                  uint64
	CPUTimeQOSDefault, CPUTimeQOSMaintenance             uint64
	CPUTimeQOSBackground, CPUTimeQOSUtility              uint64
	CPUTimeQOSLegacy, CPUTimeQOSUserInitiated            uint64
	CPUTimeQOSUserInteractive                            uint64
	BilledSystemTime, ServicedSystemTime                 uint64
	LogicalWrites, LifetimeMaxPhysFootprint              uint64
	Instructions, Cycles, BilledEnergy, ServicedEnergy   uint64
	IntervalMaxPhysFootprint, RunnableTime               uint64
}

func TestLayoutsV4(t *testing.T) {
	var r rusageInfoV4Mirror
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(rusage_info_v4)", unsafe.Sizeof(r), rusageInfoV4Size},
		{"offsetof(ri_user_time)", unsafe.Offsetof(r.UserTime), rusageUserTimeOffs},
		{"offsetof(ri_system_time)", unsafe.Offsetof(r.SystemTime), rusageSystemTimeOffs},
		{"offsetof(ri_lifetime_max_phys_footprint)", unsafe.Offsetof(r.LifetimeMaxPhysFootprint), rusageLifetimeMaxFootOffs},
		{"sizeof(mach_timebase_info)", unsafe.Sizeof([2]uint32{}), timebaseSize},
		{"sizeof(struct clockinfo)", unsafe.Sizeof([5]int32{}), clockinfoSize},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for flavor, want := range map[int]int{rusageInfoV0: rusageInfoV0Size, rusageInfoV4: rusageInfoV4Size, 1: 0, 2: 0, 3: 0, 5: 0, -1: 0} {
		if got := rusageInfoSize(flavor); got != want {
			t.Errorf("rusageInfoSize(%d) = %d, want %d", flavor, got, want)
		}
	}
}

// v4Buf is a rusage_info_v4 buffer with the given times and high-water
// mark, every other field set to a distinct marker.
func v4Buf(user, system, maxFoot uint64) []byte {
	b := make([]byte, rusageInfoV4Size)
	for off := 16; off < len(b); off += 8 {
		binary.LittleEndian.PutUint64(b[off:], 0xdead0000+uint64(off))
	}
	binary.LittleEndian.PutUint64(b[rusageUserTimeOffs:], user)
	binary.LittleEndian.PutUint64(b[rusageSystemTimeOffs:], system)
	binary.LittleEndian.PutUint64(b[rusageLifetimeMaxFootOffs:], maxFoot)
	return b
}

func TestDecodeRusageRun(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		want    rusageRun
		wantErr bool
	}{
		{"user + system", v4Buf(18e6, 6e6, 900<<20), rusageRun{cpuTime: 24e6, maxFootprint: 900 << 20}, false},
		{"zero", v4Buf(0, 0, 0), rusageRun{}, false},
		{"largest sum", v4Buf(math.MaxUint64-1, 1, 1), rusageRun{cpuTime: math.MaxUint64, maxFootprint: 1}, false},
		{"sum overflows", v4Buf(math.MaxUint64, 1, 1), rusageRun{}, true},
		{"a rusage_info_v0 is too short", v4Buf(1, 1, 1)[:rusageInfoV0Size], rusageRun{}, true},
		{"one byte short", v4Buf(1, 1, 1)[:rusageInfoV4Size-1], rusageRun{}, true},
		{"longer (a later version) is fine", append(v4Buf(1, 2, 3), make([]byte, 64)...), rusageRun{cpuTime: 3, maxFootprint: 3}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeRusageRun(tt.b)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, provider.ErrInvalid)) {
				t.Fatalf("err = %v, wantErr %v (ErrInvalid)", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	// The v0 fields sit at the same offsets in a v4 buffer.
	b := v4Buf(1, 2, 3)
	binary.LittleEndian.PutUint64(b[rusageResidentSizeOffs:], 77<<20)
	if rss, _, err := decodeRusage(b); err != nil || rss != 77<<20 {
		t.Errorf("decodeRusage(v4) = %d, %v; want %d", rss, err, 77<<20)
	}
}

func TestDecodeTimebase(t *testing.T) {
	tests := []struct {
		name         string
		b            []byte
		numer, denom uint32
		wantErr      bool
	}{
		{"Intel 1/1", []byte{1, 0, 0, 0, 1, 0, 0, 0}, 1, 1, false},
		{"Apple silicon 125/3", []byte{125, 0, 0, 0, 3, 0, 0, 0}, 125, 3, false},
		{"numer 0", []byte{0, 0, 0, 0, 3, 0, 0, 0}, 0, 0, true},
		{"denom 0", []byte{125, 0, 0, 0, 0, 0, 0, 0}, 0, 0, true},
		{"short", []byte{1, 0, 0, 0}, 0, 0, true},
		{"long", make([]byte, 16), 0, 0, true},
		{"empty", nil, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, d, err := decodeTimebase(tt.b)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, provider.ErrInvalid)) {
				t.Fatalf("err = %v, wantErr %v (ErrInvalid)", err, tt.wantErr)
			}
			if n != tt.numer || d != tt.denom {
				t.Errorf("got %d/%d, want %d/%d", n, d, tt.numer, tt.denom)
			}
		})
	}
}

func TestDecodeClockrate(t *testing.T) {
	ci := func(hz int32) []byte {
		b := make([]byte, clockinfoSize)
		binary.LittleEndian.PutUint32(b, uint32(hz))
		binary.LittleEndian.PutUint32(b[4:], 10000)
		return b
	}
	tests := []struct {
		name    string
		b       []byte
		want    uint64
		wantErr bool
	}{
		{"hz 100", ci(100), 100, false},
		{"hz 1000", ci(1000), 1000, false},
		{"hz 0", ci(0), 0, true},
		{"negative hz", ci(-100), 0, true},
		{"short", ci(100)[:16], 0, true},
		{"long", append(ci(100), 0, 0, 0, 0), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeClockrate(tt.b)
			if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, provider.ErrInvalid)) {
				t.Fatalf("err = %v, wantErr %v (ErrInvalid)", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func FuzzDecoders(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0}, uint32(4))
	f.Add(make([]byte, 96), uint32(4))
	f.Add([]byte{}, uint32(0))
	f.Add(v4Buf(18e6, 6e6, 900<<20), uint32(4))
	f.Add(v4Buf(math.MaxUint64, 1, 0), uint32(4))
	f.Add([]byte{125, 0, 0, 0, 3, 0, 0, 0}, uint32(2))
	f.Add([]byte{100, 0, 0, 0, 16, 39, 0, 0, 1, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0}, uint32(5))
	f.Fuzz(func(t *testing.T, b []byte, count uint32) {
		if v, err := decodeSysctlUint("fuzz", b); err == nil && len(b) == 4 && v > 1<<32-1 {
			t.Fatalf("4-byte value %d out of range", v)
		}
		if _, err := decodeCPULoadInfo(b, count); err == nil && (len(b) < cpuLoadInfoSize || count != cpuLoadInfoCount) {
			t.Fatal("accepted a short host_cpu_load_info")
		}
		if _, _, err := decodeRusage(b); err == nil && len(b) < rusageInfoV0Size {
			t.Fatal("accepted a short rusage_info_v0")
		}
		if r, err := decodeRusageRun(b); err == nil {
			if len(b) < rusageInfoV4Size {
				t.Fatal("accepted a short rusage_info_v4")
			}
			le := binary.LittleEndian
			u, s := le.Uint64(b[rusageUserTimeOffs:]), le.Uint64(b[rusageSystemTimeOffs:])
			if r.cpuTime < u || r.cpuTime-u != s {
				t.Fatalf("cpuTime %d is not %d + %d", r.cpuTime, u, s)
			}
		}
		if n, d, err := decodeTimebase(b); err == nil && (len(b) != timebaseSize || n == 0 || d == 0) {
			t.Fatalf("accepted timebase %d/%d from %d bytes", n, d, len(b))
		}
		if hz, err := decodeClockrate(b); err == nil && (len(b) != clockinfoSize || hz == 0 || hz > math.MaxInt32) {
			t.Fatalf("accepted hz %d from %d bytes", hz, len(b))
		}
	})
}

// The decoders run at a run's start and end (rusage_info_v4, the
// timebase on first use) and on every Snapshot (host_cpu_load_info,
// rusage_info_v0); none may allocate.
func BenchmarkDecode(b *testing.B) {
	v4 := v4Buf(18e6, 6e6, 900<<20)
	cpu := cpuBuf(1, 2, 3, 4)
	tb := []byte{125, 0, 0, 0, 3, 0, 0, 0}
	ci := []byte{100, 0, 0, 0, 16, 39, 0, 0, 1, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0}
	b.Run("rusage_info_v4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeRusageRun(v4); err != nil {
				b.Fatal(err)
			}
			if _, _, err := decodeRusage(v4); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("host_cpu_load_info", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := decodeCPULoadInfo(cpu, cpuLoadInfoCount)
			if err != nil {
				b.Fatal(err)
			}
			cpuCounters(t, 100)
		}
	})
	b.Run("mach_timebase_info", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n, d, err := decodeTimebase(tb)
			if err != nil {
				b.Fatal(err)
			}
			processCPU(24e6, n, d)
		}
	})
	b.Run("kern.clockrate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeClockrate(ci); err != nil {
				b.Fatal(err)
			}
		}
	})
}
