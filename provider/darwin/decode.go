package darwin

import (
	"encoding/binary"
	"fmt"

	"github.com/restel/restel/provider"
)

// Every Apple platform Go supports (darwin/amd64, darwin/arm64, ios/arm64)
// is little-endian, so the kernel's structures are decoded as such. The
// decoders work on byte slices so that they run, and are tested, on every
// GOOS; the tagged files only fill the buffers.

// decodeSysctlUint decodes the value of an integer sysctl as returned by
// sysctlbyname(3) (unix.SysctlRaw): a 4-byte int/uint (vm.page_free_count,
// vm.pagesize, kern.memorystatus_vm_pressure_level) or an 8-byte quad
// (hw.memsize). Any other length is an error wrapping provider.ErrInvalid.
func decodeSysctlUint(name string, b []byte) (uint64, error) {
	switch len(b) {
	case 4:
		return uint64(binary.LittleEndian.Uint32(b)), nil
	case 8:
		return binary.LittleEndian.Uint64(b), nil
	}
	return 0, fmt.Errorf("darwin: %w: sysctl %s: %d-byte value (want 4 or 8)", provider.ErrInvalid, name, len(b))
}

// cpuLoadInfoSize is sizeof(host_cpu_load_info_data_t): natural_t
// cpu_ticks[CPU_STATE_MAX], CPU_STATE_MAX = 4 (<mach/machine.h>), and
// HOST_CPU_LOAD_INFO_COUNT is that size in integer_t units.
const (
	cpuLoadInfoSize  = 16
	cpuLoadInfoCount = cpuLoadInfoSize / 4
)

// cpuTicks is host_cpu_load_info: system-wide ticks summed over all CPUs, in
// the order of the CPU_STATE_* indices of <mach/machine.h>
// (CPU_STATE_USER 0, CPU_STATE_SYSTEM 1, CPU_STATE_IDLE 2, CPU_STATE_NICE 3).
// The counters are 32-bit natural_t and wrap.
type cpuTicks struct {
	user, system, idle, nice uint32
}

// decodeCPULoadInfo decodes the host_statistics(HOST_CPU_LOAD_INFO) buffer.
// count is the number of integer_t the kernel reported it wrote.
func decodeCPULoadInfo(b []byte, count uint32) (cpuTicks, error) {
	if count != cpuLoadInfoCount || len(b) < cpuLoadInfoSize {
		return cpuTicks{}, fmt.Errorf("darwin: %w: host_cpu_load_info: count %d, %d bytes (want %d, %d)",
			provider.ErrInvalid, count, len(b), cpuLoadInfoCount, cpuLoadInfoSize)
	}
	le := binary.LittleEndian
	return cpuTicks{
		user:   le.Uint32(b[0:]),
		system: le.Uint32(b[4:]),
		idle:   le.Uint32(b[8:]),
		nice:   le.Uint32(b[12:]),
	}, nil
}

// rusageInfoV0Size is sizeof(struct rusage_info_v0) of <sys/resource.h>:
// uint8_t ri_uuid[16] followed by ten uint64_t (ri_user_time,
// ri_system_time, ri_pkg_idle_wkups, ri_interrupt_wkups, ri_pageins,
// ri_wired_size, ri_resident_size, ri_phys_footprint,
// ri_proc_start_abstime, ri_proc_exit_abstime). proc_pid_rusage(pid,
// RUSAGE_INFO_V0, buf) fills it.
const (
	rusageInfoV0Size       = 16 + 10*8
	rusageResidentSizeOffs = 16 + 6*8
	rusageFootprintOffs    = 16 + 7*8
	rusageInfoV0           = 0 // RUSAGE_INFO_V0 flavor
)

// decodeRusage returns ri_resident_size (the resident set) and
// ri_phys_footprint (what iOS's memory limit counts), in bytes, from a
// rusage_info_v0 buffer.
func decodeRusage(b []byte) (resident, footprint uint64, err error) {
	if len(b) < rusageInfoV0Size {
		return 0, 0, fmt.Errorf("darwin: %w: rusage_info_v0: %d bytes (want %d)", provider.ErrInvalid, len(b), rusageInfoV0Size)
	}
	le := binary.LittleEndian
	return le.Uint64(b[rusageResidentSizeOffs:]), le.Uint64(b[rusageFootprintOffs:]), nil
}
