package darwin

import (
	"encoding/binary"
	"errors"
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

func FuzzDecoders(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0}, uint32(4))
	f.Add(make([]byte, 96), uint32(4))
	f.Add([]byte{}, uint32(0))
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
	})
}
