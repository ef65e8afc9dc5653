package darwin

import (
	"encoding/binary"
	"fmt"
	"math/bits"

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

// The rusage_info structures of <sys/resource.h> that proc_pid_rusage(pid,
// flavor, buf) fills. Each version extends the one before, so every field
// keeps its offset:
//
//   - rusage_info_v0: uint8_t ri_uuid[16], then ten uint64_t: ri_user_time,
//     ri_system_time, ri_pkg_idle_wkups, ri_interrupt_wkups, ri_pageins,
//     ri_wired_size, ri_resident_size, ri_phys_footprint,
//     ri_proc_start_abstime, ri_proc_exit_abstime (96 bytes);
//   - v1 adds six ri_child_* fields, v2 ri_diskio_bytesread and
//     ri_diskio_byteswritten, v3 seven ri_cpu_time_qos_* fields,
//     ri_billed_system_time and ri_serviced_system_time;
//   - rusage_info_v4 adds ri_logical_writes, ri_lifetime_max_phys_footprint,
//     ri_instructions, ri_cycles, ri_billed_energy, ri_serviced_energy,
//     ri_interval_max_phys_footprint and ri_runnable_time (35 uint64_t in
//     all: 296 bytes; macOS 10.14 and iOS 12 onwards).
//
// ri_user_time and ri_system_time are in Mach absolute time units (the
// kernel copies them from TASK_ABSOLUTETIME_INFO), not nanoseconds: they
// equal nanoseconds only where mach_timebase_info is 1/1 (Intel Macs).
const (
	rusageInfoV0     = 0 // RUSAGE_INFO_V0 flavor
	rusageInfoV4     = 4 // RUSAGE_INFO_V4 flavor
	rusageInfoV0Size = 16 + 10*8
	rusageInfoV4Size = 16 + 35*8

	rusageUserTimeOffs        = 16 + 0*8
	rusageSystemTimeOffs      = 16 + 1*8
	rusageResidentSizeOffs    = 16 + 6*8
	rusageFootprintOffs       = 16 + 7*8
	rusageLifetimeMaxFootOffs = 16 + 28*8
)

// rusageInfoSize returns the size of the structure of a flavor restel
// reads, 0 for any other.
func rusageInfoSize(flavor int) int {
	switch flavor {
	case rusageInfoV0:
		return rusageInfoV0Size
	case rusageInfoV4:
		return rusageInfoV4Size
	}
	return 0
}

// decodeRusage returns ri_resident_size (the resident set) and
// ri_phys_footprint (what iOS's memory limit counts), in bytes, from a
// rusage_info_v0 buffer or any later version.
func decodeRusage(b []byte) (resident, footprint uint64, err error) {
	if len(b) < rusageInfoV0Size {
		return 0, 0, fmt.Errorf("darwin: %w: rusage_info_v0: %d bytes (want %d)", provider.ErrInvalid, len(b), rusageInfoV0Size)
	}
	le := binary.LittleEndian
	return le.Uint64(b[rusageResidentSizeOffs:]), le.Uint64(b[rusageFootprintOffs:]), nil
}

// rusageRun is what a run's start and end read from rusage_info_v4 beyond
// decodeRusage's fields.
type rusageRun struct {
	cpuTime      uint64 // ri_user_time + ri_system_time, Mach absolute time units
	maxFootprint uint64 // ri_lifetime_max_phys_footprint, bytes
}

// decodeRusageRun decodes a rusage_info_v4 buffer. A user+system time
// that overflows 64 bits is invalid.
func decodeRusageRun(b []byte) (rusageRun, error) {
	if len(b) < rusageInfoV4Size {
		return rusageRun{}, fmt.Errorf("darwin: %w: rusage_info_v4: %d bytes (want %d)", provider.ErrInvalid, len(b), rusageInfoV4Size)
	}
	le := binary.LittleEndian
	user, sys := le.Uint64(b[rusageUserTimeOffs:]), le.Uint64(b[rusageSystemTimeOffs:])
	cpu, carry := bits.Add64(user, sys, 0)
	if carry != 0 {
		return rusageRun{}, fmt.Errorf("darwin: %w: rusage_info_v4: ri_user_time %d + ri_system_time %d overflow", provider.ErrInvalid, user, sys)
	}
	return rusageRun{cpuTime: cpu, maxFootprint: le.Uint64(b[rusageLifetimeMaxFootOffs:])}, nil
}

// timebaseSize is sizeof(struct mach_timebase_info) of <mach/mach_time.h>:
// uint32_t numer, uint32_t denom. Mach absolute time × numer / denom is
// nanoseconds (1/1 on Intel Macs, 125/3 on Apple silicon).
const timebaseSize = 8

// decodeTimebase decodes mach_timebase_info. A zero numer or denom is
// invalid (the conversion would be meaningless or divide by zero).
func decodeTimebase(b []byte) (numer, denom uint32, err error) {
	if len(b) != timebaseSize {
		return 0, 0, fmt.Errorf("darwin: %w: mach_timebase_info: %d bytes (want %d)", provider.ErrInvalid, len(b), timebaseSize)
	}
	le := binary.LittleEndian
	numer, denom = le.Uint32(b[0:]), le.Uint32(b[4:])
	if numer == 0 || denom == 0 {
		return 0, 0, fmt.Errorf("darwin: %w: mach_timebase_info %d/%d", provider.ErrInvalid, numer, denom)
	}
	return numer, denom, nil
}

// sysctlClockrate is struct clockinfo of <sys/time.h>, five ints: hz (the
// clock frequency), tick (µs per hz tick), tickadj, stathz, profhz. Its hz
// is the rate of the host_cpu_load_info tick counters: xnu divides each
// processor's user, system and idle time by hz_tick_interval, the Mach
// time of 1 s / hz (processor_cpu_load_info), so one tick is exactly
// 1 s / hz (xnu's hz is 100: a tick is 10 ms).
const (
	sysctlClockrate = "kern.clockrate"
	clockinfoSize   = 5 * 4
)

// decodeClockrate returns the hz of a kern.clockrate buffer. A length other
// than sizeof(struct clockinfo), or an hz that is not positive, is
// invalid.
func decodeClockrate(b []byte) (hz uint64, err error) {
	if len(b) != clockinfoSize {
		return 0, fmt.Errorf("darwin: %w: sysctl %s: %d bytes (want %d)", provider.ErrInvalid, sysctlClockrate, len(b), clockinfoSize)
	}
	v := int32(binary.LittleEndian.Uint32(b))
	if v <= 0 {
		return 0, fmt.Errorf("darwin: %w: sysctl %s: hz %d", provider.ErrInvalid, sysctlClockrate, v)
	}
	return uint64(v), nil
}
