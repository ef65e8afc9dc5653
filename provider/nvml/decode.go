package nvml

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/restel/restel/provider"
)

// Every platform NVML ships on (linux/amd64, linux/arm64, linux/ppc64le,
// windows/amd64, windows/arm64) is little-endian, so NVML's structures are
// decoded as such. The decoders work on byte slices so that they run, and
// are tested, on every GOOS; the tagged files only fill the buffers.

// nvmlReturn_t values (nvml.h).
const (
	retSuccess              = 0
	retUninitialized        = 1
	retInvalidArgument      = 2
	retNotSupported         = 3
	retNoPermission         = 4
	retAlreadyInitialized   = 5
	retNotFound             = 6
	retInsufficientSize     = 7
	retInsufficientPower    = 8
	retDriverNotLoaded      = 9
	retTimeout              = 10
	retIRQIssue             = 11
	retLibraryNotFound      = 12
	retFunctionNotFound     = 13
	retCorruptedInforom     = 14
	retGPUIsLost            = 15
	retResetRequired        = 16
	retOperatingSystem      = 17
	retLibRMVersionMismatch = 18
	retInUse                = 19
	retMemory               = 20
	retNoData               = 21
	retArgVersionMismatch   = 25
	retDeprecated           = 26
	retNotReady             = 27
	retGPUNotFound          = 28
	retInvalidState         = 29
	retUnknown              = 999
)

// retNames are the nvmlReturn_t names an error message quotes.
var retNames = map[int32]string{
	retUninitialized:        "NVML_ERROR_UNINITIALIZED",
	retInvalidArgument:      "NVML_ERROR_INVALID_ARGUMENT",
	retNotSupported:         "NVML_ERROR_NOT_SUPPORTED",
	retNoPermission:         "NVML_ERROR_NO_PERMISSION",
	retAlreadyInitialized:   "NVML_ERROR_ALREADY_INITIALIZED",
	retNotFound:             "NVML_ERROR_NOT_FOUND",
	retInsufficientSize:     "NVML_ERROR_INSUFFICIENT_SIZE",
	retInsufficientPower:    "NVML_ERROR_INSUFFICIENT_POWER",
	retDriverNotLoaded:      "NVML_ERROR_DRIVER_NOT_LOADED",
	retTimeout:              "NVML_ERROR_TIMEOUT",
	retIRQIssue:             "NVML_ERROR_IRQ_ISSUE",
	retLibraryNotFound:      "NVML_ERROR_LIBRARY_NOT_FOUND",
	retFunctionNotFound:     "NVML_ERROR_FUNCTION_NOT_FOUND",
	retCorruptedInforom:     "NVML_ERROR_CORRUPTED_INFOROM",
	retGPUIsLost:            "NVML_ERROR_GPU_IS_LOST",
	retResetRequired:        "NVML_ERROR_RESET_REQUIRED",
	retOperatingSystem:      "NVML_ERROR_OPERATING_SYSTEM",
	retLibRMVersionMismatch: "NVML_ERROR_LIB_RM_VERSION_MISMATCH",
	retInUse:                "NVML_ERROR_IN_USE",
	retMemory:               "NVML_ERROR_MEMORY",
	retNoData:               "NVML_ERROR_NO_DATA",
	retArgVersionMismatch:   "NVML_ERROR_ARGUMENT_VERSION_MISMATCH",
	retDeprecated:           "NVML_ERROR_DEPRECATED",
	retNotReady:             "NVML_ERROR_NOT_READY",
	retGPUNotFound:          "NVML_ERROR_GPU_NOT_FOUND",
	retInvalidState:         "NVML_ERROR_INVALID_STATE",
	retUnknown:              "NVML_ERROR_UNKNOWN",
}

// ErrGPULost is wrapped by the error of a read that found a device that
// fell off the bus or needs a reset (NVML_ERROR_GPU_IS_LOST,
// NVML_ERROR_RESET_REQUIRED): the device's fields are unknown until it is
// back.
var ErrGPULost = errors.New("GPU is lost")

// retError converts a return code of the NVML function fn to an error: nil
// for NVML_SUCCESS; otherwise one line naming fn and the code, wrapping
// provider.ErrUnavailable for what the device or driver cannot give
// (not supported — then errors.ErrUnsupported too —, no permission,
// driver not loaded, not found...),
// ErrGPULost (and provider.ErrUnavailable) for a lost device, and
// provider.ErrInvalid for a code NVML does not define.
func retError(fn string, r int32) error {
	if r == retSuccess {
		return nil
	}
	name, ok := retNames[r]
	switch {
	case !ok:
		return fmt.Errorf("nvml: %w: %s returned undefined code %d", provider.ErrInvalid, fn, r)
	case r == retGPUIsLost || r == retResetRequired:
		return fmt.Errorf("nvml: %w: %w: %s: %s", provider.ErrUnavailable, ErrGPULost, fn, name)
	case r == retNotSupported:
		return fmt.Errorf("nvml: %w: %w: %s: %s", provider.ErrUnavailable, errors.ErrUnsupported, fn, name)
	}
	return fmt.Errorf("nvml: %w: %s: %s", provider.ErrUnavailable, fn, name)
}

// memorySize is sizeof(nvmlMemory_t) (nvmlDeviceGetMemoryInfo, version 1):
// unsigned long long total, free, used — bytes.
const memorySize = 24

// memory is a decoded nvmlMemory_t.
type memory struct {
	total, free, used uint64
}

// decodeMemory decodes nvmlMemory_t. used greater than total is an error
// wrapping provider.ErrInvalid.
func decodeMemory(b []byte) (memory, error) {
	if len(b) < memorySize {
		return memory{}, fmt.Errorf("nvml: %w: nvmlMemory_t of %d bytes (want %d)", provider.ErrInvalid, len(b), memorySize)
	}
	le := binary.LittleEndian
	m := memory{total: le.Uint64(b[0:]), free: le.Uint64(b[8:]), used: le.Uint64(b[16:])}
	if m.used > m.total {
		return memory{}, fmt.Errorf("nvml: %w: nvmlMemory_t used %d > total %d bytes", provider.ErrInvalid, m.used, m.total)
	}
	return m, nil
}

// utilizationSize is sizeof(nvmlUtilization_t): unsigned int gpu, memory —
// the percent of the last sample period (1/6 s to 1 s, by product) during
// which a kernel ran, and during which device memory was read or written.
const utilizationSize = 8

// decodeUtilization decodes nvmlUtilization_t and returns its gpu field;
// a share above 100 is an error wrapping provider.ErrInvalid.
func decodeUtilization(b []byte) (float64, error) {
	if len(b) < utilizationSize {
		return 0, fmt.Errorf("nvml: %w: nvmlUtilization_t of %d bytes (want %d)", provider.ErrInvalid, len(b), utilizationSize)
	}
	gpu := binary.LittleEndian.Uint32(b[0:])
	if gpu > 100 {
		return 0, fmt.Errorf("nvml: %w: nvmlUtilization_t gpu %d%%", provider.ErrInvalid, gpu)
	}
	return float64(gpu), nil
}

// Clock-event (formerly clock-throttle) reason bits
// (nvmlClocksEventReason*, nvmlClocksThrottleReason* in nvml.h).
const (
	reasonGPUIdle              = 0x1
	reasonApplicationsClocks   = 0x2
	reasonSWPowerCap           = 0x4
	reasonHWSlowdown           = 0x8
	reasonSyncBoost            = 0x10
	reasonSWThermalSlowdown    = 0x20
	reasonHWThermalSlowdown    = 0x40
	reasonHWPowerBrakeSlowdown = 0x80
	reasonDisplayClockSetting  = 0x100

	// throttleReasons are the bits that count as throttling: the device
	// is held below the clocks it was asked for by heat or by an emergency
	// power brake (HW slowdown, SW and HW thermal slowdown, HW power-brake
	// slowdown). Idle, application-clock and display settings, sync boost
	// and the software power cap are not: a GPU at its configured power
	// limit runs as configured, as a CPU at its TDP does.
	throttleReasons = reasonHWSlowdown | reasonSWThermalSlowdown | reasonHWThermalSlowdown | reasonHWPowerBrakeSlowdown
)

// throttling reports whether a clock-event reason mask says the device is
// throttling (see throttleReasons).
func throttling(reasons uint64) bool { return reasons&throttleReasons != 0 }

// Process list strides: nvmlProcessInfo_v1_t (unsigned int pid; unsigned
// long long usedGpuMemory) for nvmlDeviceGetComputeRunningProcesses, and
// nvmlProcessInfo_t / nvmlProcessInfo_v2_t (the same plus unsigned int
// gpuInstanceId, computeInstanceId) for its _v2 and _v3.
const (
	processInfoV1Size = 16
	processInfoV2Size = 24
)

// valueNotAvailable is NVML_VALUE_NOT_AVAILABLE, the usedGpuMemory of a
// process whose memory the driver cannot tell (Windows WDDM).
const valueNotAvailable = ^uint64(0)

// processMemory sums usedGpuMemory (bytes) over the first count entries of
// an nvmlProcessInfo array of the given stride whose pid is in pids (a nil
// set matches no process). ok is false when a matching entry's memory is
// not available: the sum would then be a guess. count beyond the buffer,
// or a stride other than the two NVML defines, is an error wrapping
// provider.ErrInvalid.
func processMemory(b []byte, stride int, count uint32, pids map[uint32]struct{}) (sum uint64, ok bool, err error) {
	if stride != processInfoV1Size && stride != processInfoV2Size {
		return 0, false, fmt.Errorf("nvml: %w: nvmlProcessInfo_t stride %d", provider.ErrInvalid, stride)
	}
	if uint64(count)*uint64(stride) > uint64(len(b)) {
		return 0, false, fmt.Errorf("nvml: %w: %d processes of %d bytes in a %d-byte buffer", provider.ErrInvalid, count, stride, len(b))
	}
	le := binary.LittleEndian
	ok = true
	for i := 0; i < int(count); i++ {
		e := b[i*stride:]
		if _, in := pids[le.Uint32(e[0:])]; !in {
			continue
		}
		used := le.Uint64(e[8:])
		if used == valueNotAvailable {
			ok = false
			continue
		}
		if sum += used; sum < used {
			sum = ^uint64(0)
		}
	}
	if !ok {
		return 0, false, nil
	}
	return sum, true, nil
}

// nameSize is NVML_DEVICE_NAME_V2_BUFFER_SIZE, the buffer
// nvmlDeviceGetName fills with a NUL-terminated product name.
const nameSize = 96

// cString returns the NUL-terminated string at the start of b (all of b
// when it has no NUL), with bytes outside printable ASCII replaced by '?'
// so a corrupted name cannot break a line of output.
func cString(b []byte) string {
	n := 0
	for n < len(b) && b[n] != 0 {
		n++
	}
	out := []byte(string(b[:n]))
	for i, c := range out {
		if c < 0x20 || c > 0x7e {
			out[i] = '?'
		}
	}
	return string(out)
}
