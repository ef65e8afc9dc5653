package nvml

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/restel/restel/provider"
)

func TestRetError(t *testing.T) {
	tests := []struct {
		ret     int32
		want    string
		is      []error
		isNot   []error
		wantNil bool
	}{
		{ret: retSuccess, wantNil: true},
		{ret: retNotSupported, want: "NVML_ERROR_NOT_SUPPORTED", is: []error{provider.ErrUnavailable, errors.ErrUnsupported}, isNot: []error{ErrGPULost}},
		{ret: retNoPermission, want: "NVML_ERROR_NO_PERMISSION", is: []error{provider.ErrUnavailable}, isNot: []error{errors.ErrUnsupported}},
		{ret: retDriverNotLoaded, want: "NVML_ERROR_DRIVER_NOT_LOADED", is: []error{provider.ErrUnavailable}},
		{ret: retGPUIsLost, want: "NVML_ERROR_GPU_IS_LOST", is: []error{provider.ErrUnavailable, ErrGPULost}},
		{ret: retResetRequired, want: "NVML_ERROR_RESET_REQUIRED", is: []error{ErrGPULost}},
		{ret: retUnknown, want: "NVML_ERROR_UNKNOWN", is: []error{provider.ErrUnavailable}},
		{ret: 12345, want: "undefined code 12345", is: []error{provider.ErrInvalid}, isNot: []error{provider.ErrUnavailable}},
		{ret: -1, want: "undefined code -1", is: []error{provider.ErrInvalid}},
	}
	for _, tt := range tests {
		err := retError("nvmlDeviceGetX", tt.ret)
		if tt.wantNil {
			if err != nil {
				t.Errorf("retError(%d) = %v, want nil", tt.ret, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "nvmlDeviceGetX") {
			t.Errorf("retError(%d) = %v, want it to name nvmlDeviceGetX and %s", tt.ret, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("retError(%d) = %q spans lines", tt.ret, err)
		}
		for _, target := range tt.is {
			if !errors.Is(err, target) {
				t.Errorf("retError(%d) = %v, want it to wrap %v", tt.ret, err, target)
			}
		}
		for _, target := range tt.isNot {
			if errors.Is(err, target) {
				t.Errorf("retError(%d) = %v wraps %v", tt.ret, err, target)
			}
		}
	}
}

func le64s(vs ...uint64) []byte {
	b := make([]byte, 0, 8*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

func TestDecodeMemory(t *testing.T) {
	tests := []struct {
		name    string
		b       []byte
		want    memory
		wantErr bool
	}{
		{"8 GiB, 1 GiB used", le64s(8<<30, 7<<30, 1<<30), memory{8 << 30, 7 << 30, 1 << 30}, false},
		{"empty device", le64s(0, 0, 0), memory{}, false},
		{"longer buffer", append(le64s(100, 60, 40), 0xff), memory{100, 60, 40}, false},
		{"short", le64s(1, 2)[:16], memory{}, true},
		{"used above total", le64s(1<<30, 0, 2<<30), memory{}, true},
		{"nil", nil, memory{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeMemory(tt.b)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("decodeMemory = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, provider.ErrInvalid) {
				t.Errorf("error %v does not wrap provider.ErrInvalid", err)
			}
		})
	}
}

func TestDecodeUtilization(t *testing.T) {
	u := func(gpu, mem uint32) []byte {
		return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, gpu), mem)
	}
	tests := []struct {
		name    string
		b       []byte
		want    float64
		wantErr bool
	}{
		{"idle", u(0, 0), 0, false},
		{"busy", u(37, 90), 37, false},
		{"full", u(100, 100), 100, false},
		{"above 100", u(101, 0), 0, true},
		{"garbage", u(0xffffffff, 0), 0, true},
		{"short", u(1, 2)[:7], 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeUtilization(tt.b)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("decodeUtilization = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestThrottling(t *testing.T) {
	tests := []struct {
		name    string
		reasons uint64
		want    bool
	}{
		{"none", 0, false},
		{"GPU idle", reasonGPUIdle, false},
		{"applications clocks setting", reasonApplicationsClocks, false},
		{"SW power cap", reasonSWPowerCap, false},
		{"HW slowdown", reasonHWSlowdown, true},
		{"sync boost", reasonSyncBoost, false},
		{"SW thermal slowdown", reasonSWThermalSlowdown, true},
		{"HW thermal slowdown", reasonHWThermalSlowdown, true},
		{"HW power brake slowdown", reasonHWPowerBrakeSlowdown, true},
		{"display clock setting", reasonDisplayClockSetting, false},
		{"idle and power cap", reasonGPUIdle | reasonSWPowerCap, false},
		{"power cap and thermal", reasonSWPowerCap | reasonHWThermalSlowdown, true},
		{"undefined high bits", 1 << 40, false},
	}
	for _, tt := range tests {
		if got := throttling(tt.reasons); got != tt.want {
			t.Errorf("%s: throttling(%#x) = %v, want %v", tt.name, tt.reasons, got, tt.want)
		}
	}
}

// procs encodes nvmlProcessInfo entries of the given stride.
func procs(stride int, entries ...[2]uint64) []byte {
	b := make([]byte, stride*len(entries))
	for i, e := range entries {
		binary.LittleEndian.PutUint32(b[i*stride:], uint32(e[0]))
		binary.LittleEndian.PutUint64(b[i*stride+8:], e[1])
		if stride == processInfoV2Size {
			binary.LittleEndian.PutUint32(b[i*stride+16:], 0xffffffff) // gpuInstanceId: none
			binary.LittleEndian.PutUint32(b[i*stride+20:], 0xffffffff)
		}
	}
	return b
}

func TestProcessMemory(t *testing.T) {
	self := map[uint32]struct{}{42: {}}
	tree := map[uint32]struct{}{42: {}, 43: {}}
	tests := []struct {
		name    string
		b       []byte
		stride  int
		count   uint32
		pids    map[uint32]struct{}
		want    uint64
		wantOK  bool
		wantErr bool
	}{
		{"v2: self among others", procs(24, [2]uint64{1, 1 << 30}, [2]uint64{42, 256 << 20}, [2]uint64{7, 5}), 24, 3, self, 256 << 20, true, false},
		{"v1: self among others", procs(16, [2]uint64{1, 1 << 30}, [2]uint64{42, 256 << 20}), 16, 2, self, 256 << 20, true, false},
		{"tree sums", procs(24, [2]uint64{42, 100}, [2]uint64{43, 200}, [2]uint64{44, 400}), 24, 3, tree, 300, true, false},
		{"listed twice (MIG instances) sums", procs(24, [2]uint64{42, 100}, [2]uint64{42, 50}), 24, 2, self, 150, true, false},
		{"not on the device", procs(24, [2]uint64{1, 100}), 24, 1, self, 0, true, false},
		{"empty list", nil, 24, 0, self, 0, true, false},
		{"count below the buffer", procs(24, [2]uint64{1, 100}, [2]uint64{42, 100}), 24, 1, self, 0, true, false},
		{"no pid set", procs(24, [2]uint64{42, 100}), 24, 1, nil, 0, true, false},
		{"self's memory not available", procs(24, [2]uint64{42, valueNotAvailable}, [2]uint64{43, 7}), 24, 2, tree, 0, false, false},
		{"someone else's not available", procs(24, [2]uint64{1, valueNotAvailable}, [2]uint64{42, 7}), 24, 2, self, 7, true, false},
		{"saturates", procs(24, [2]uint64{42, 1 << 63}, [2]uint64{43, 1 << 63}, [2]uint64{43, 1 << 63}), 24, 3, tree, ^uint64(0) - 1, true, false},
		{"count beyond buffer", procs(24, [2]uint64{42, 1}), 24, 2, self, 0, false, true},
		{"odd stride", procs(24, [2]uint64{42, 1}), 20, 1, self, 0, false, true},
		{"huge count", nil, 24, 0xffffffff, self, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := processMemory(tt.b, tt.stride, tt.count, tt.pids)
			if (err != nil) != tt.wantErr || ok != tt.wantOK {
				t.Fatalf("processMemory = %d, %v, %v; want ok %v, error %v", got, ok, err, tt.wantOK, tt.wantErr)
			}
			if err != nil && !errors.Is(err, provider.ErrInvalid) {
				t.Errorf("error %v does not wrap provider.ErrInvalid", err)
			}
			if tt.name == "saturates" {
				if got != ^uint64(0) {
					t.Errorf("sum = %d, want saturated %d", got, ^uint64(0))
				}
				return
			}
			if got != tt.want {
				t.Errorf("sum = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCString(t *testing.T) {
	tests := []struct {
		b    []byte
		want string
	}{
		{[]byte("NVIDIA GeForce RTX 4090\x00garbage"), "NVIDIA GeForce RTX 4090"},
		{[]byte("no terminator"), "no terminator"},
		{[]byte("\x00"), ""},
		{nil, ""},
		{[]byte("line\nbreak\x1b[31m\xff\x00"), "line?break?[31m?"},
	}
	for _, tt := range tests {
		if got := cString(tt.b); got != tt.want {
			t.Errorf("cString(%q) = %q, want %q", tt.b, got, tt.want)
		}
	}
}

func TestHostPIDNamespace(t *testing.T) {
	tests := []struct {
		name    string
		link    string
		status  string
		want    bool
		wantErr bool
	}{
		{"host", "pid:[4026531836]", "Name:\tx\nNSpid:\t1234\nNSpgid:\t1234\n", true, false},
		{"host, kernel without NSpid", "pid:[4026531836]", "Name:\tx\nPid:\t1234\n", true, false},
		{"container", "pid:[4026532291]", "NSpid:\t1\n", false, false},
		{"container seen through the host's procfs", "pid:[4026532291]", "NSpid:\t8812\t1\n", false, false},
		{"initial inode but nested NSpid", "pid:[4026531836]", "NSpid:\t8812\t1\n", false, false},
		{"empty status", "pid:[4026531836]", "", true, false},
		{"not a pid link", "net:[4026531840]", "", false, true},
		{"garbage", "pid:[abc]", "", false, true},
		{"unterminated", "pid:[4026531836", "", false, true},
		{"empty", "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hostPIDNamespace(tt.link, []byte(tt.status))
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("hostPIDNamespace = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, provider.ErrInvalid) {
				t.Errorf("error %v does not wrap provider.ErrInvalid", err)
			}
		})
	}
}

func FuzzDecoders(f *testing.F) {
	f.Add(le64s(8<<30, 7<<30, 1<<30), 24, uint32(1), uint32(42))
	f.Add(procs(16, [2]uint64{42, 100}, [2]uint64{1, valueNotAvailable}), 16, uint32(2), uint32(1))
	f.Add([]byte{}, 0, uint32(0), uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, stride int, count, pid uint32) {
		if m, err := decodeMemory(b); err == nil && m.used > m.total {
			t.Fatalf("decodeMemory accepted used %d > total %d", m.used, m.total)
		}
		if u, err := decodeUtilization(b); err == nil && (u < 0 || u > 100) {
			t.Fatalf("decodeUtilization accepted %v", u)
		}
		sum, ok, err := processMemory(b, stride, count, map[uint32]struct{}{pid: {}})
		if err != nil && (ok || sum != 0) {
			t.Fatalf("processMemory = %d, %v with error %v", sum, ok, err)
		}
		s := cString(b)
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				t.Fatalf("cString kept byte %#x", s[i])
			}
		}
	})
}

func FuzzHostPIDNamespace(f *testing.F) {
	f.Add("pid:[4026531836]", []byte("NSpid:\t1\n"))
	f.Add("pid:[1]", []byte("NSpid: 1 2\n"))
	f.Fuzz(func(t *testing.T, link string, status []byte) {
		host, err := hostPIDNamespace(link, status)
		if err != nil && host {
			t.Fatalf("host with error %v", err)
		}
		if host && link != "pid:[4026531836]" && !strings.HasPrefix(link, "pid:[") {
			t.Fatalf("host from link %q", link)
		}
	})
}
