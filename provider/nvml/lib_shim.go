//go:build (linux && !android && (amd64 || arm64 || ppc64le)) || (windows && (amd64 || arm64))

package nvml

import "unsafe"

// dl is the loaded NVML library: the address of each function the reader
// calls, 0 for an optional one the library lacks (its call then returns
// NVML_ERROR_FUNCTION_NOT_FOUND). Each method passes its arguments to the
// function as the C ABI wants them and returns the nvmlReturn_t; a
// pointer argument is converted in the argument list of call, whose
// //go:uintptrescapes keeps the pointee alive and in place until the
// function returns.
type dl struct {
	fnInit, fnShutdown, fnCount, fnHandle uintptr // required
	fnName, fnMemory, fnUtil, fnTemp      uintptr
	fnReasons                             uintptr
	fnProcsV3, fnProcsV2, fnProcsV1       uintptr
}

// symbol is one function to resolve.
type symbol struct {
	name     string
	addr     *uintptr
	required bool
}

// symbols lists the functions dl resolves: the C name, where its address
// goes, and whether the reader cannot work without it. fnReasons is
// nvmlDeviceGetCurrentClocksEventReasons or, on drivers from before its
// rename, nvmlDeviceGetCurrentClocksThrottleReasons (same signature and
// bits).
func (d *dl) symbols() []symbol {
	return []symbol{
		{"nvmlInit_v2", &d.fnInit, true},
		{"nvmlShutdown", &d.fnShutdown, true},
		{"nvmlDeviceGetCount_v2", &d.fnCount, true},
		{"nvmlDeviceGetHandleByIndex_v2", &d.fnHandle, true},
		{"nvmlDeviceGetName", &d.fnName, false},
		{"nvmlDeviceGetMemoryInfo", &d.fnMemory, false},
		{"nvmlDeviceGetUtilizationRates", &d.fnUtil, false},
		{"nvmlDeviceGetTemperature", &d.fnTemp, false},
		{"nvmlDeviceGetCurrentClocksThrottleReasons", &d.fnReasons, false},
		{"nvmlDeviceGetCurrentClocksEventReasons", &d.fnReasons, false}, // preferred: resolved last
		{"nvmlDeviceGetComputeRunningProcesses_v3", &d.fnProcsV3, false},
		{"nvmlDeviceGetComputeRunningProcesses_v2", &d.fnProcsV2, false},
		{"nvmlDeviceGetComputeRunningProcesses", &d.fnProcsV1, false},
	}
}

// resolve fills d from find, which returns 0 for a missing function, and
// names the first missing required one.
func (d *dl) resolve(find func(name string) uintptr) (missing string) {
	for _, s := range d.symbols() {
		if p := find(s.name); p != 0 {
			*s.addr = p
		} else if s.required && missing == "" {
			missing = s.name
		}
	}
	return missing
}

// nvmlTemperatureGPU is NVML_TEMPERATURE_GPU, the GPU die sensor.
const nvmlTemperatureGPU = 0

// ret is the nvmlReturn_t (a C int) in a call's first result register.
func ret(r1 uintptr) int32 { return int32(uint32(r1)) }

func (d *dl) init() int32     { return ret(call(d.fnInit)) }
func (d *dl) shutdown() int32 { return ret(call(d.fnShutdown)) }

func (d *dl) deviceCount(n *uint32) int32 {
	return ret(call(d.fnCount, uintptr(unsafe.Pointer(n))))
}

func (d *dl) handleByIndex(i uint32, h *uintptr) int32 {
	return ret(call(d.fnHandle, uintptr(i), uintptr(unsafe.Pointer(h))))
}

func (d *dl) name(h uintptr, buf []byte) int32 {
	if d.fnName == 0 || len(buf) == 0 {
		return retFunctionNotFound
	}
	return ret(call(d.fnName, h, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf))))
}

func (d *dl) memoryInfo(h uintptr, buf []byte) int32 {
	if d.fnMemory == 0 || len(buf) < memorySize {
		return retFunctionNotFound
	}
	return ret(call(d.fnMemory, h, uintptr(unsafe.Pointer(&buf[0]))))
}

func (d *dl) utilization(h uintptr, buf []byte) int32 {
	if d.fnUtil == 0 || len(buf) < utilizationSize {
		return retFunctionNotFound
	}
	return ret(call(d.fnUtil, h, uintptr(unsafe.Pointer(&buf[0]))))
}

func (d *dl) temperature(h uintptr, celsius *uint32) int32 {
	if d.fnTemp == 0 {
		return retFunctionNotFound
	}
	return ret(call(d.fnTemp, h, nvmlTemperatureGPU, uintptr(unsafe.Pointer(celsius))))
}

func (d *dl) clockReasons(h uintptr, reasons *uint64) int32 {
	if d.fnReasons == 0 {
		return retFunctionNotFound
	}
	return ret(call(d.fnReasons, h, uintptr(unsafe.Pointer(reasons))))
}

func (d *dl) processes(h uintptr, count *uint32, buf []byte) (int, int32) {
	fn, stride := d.fnProcsV3, processInfoV2Size
	switch {
	case fn != 0:
	case d.fnProcsV2 != 0:
		fn = d.fnProcsV2
	default:
		fn, stride = d.fnProcsV1, processInfoV1Size
	}
	if fn == 0 || len(buf) < stride {
		return stride, retFunctionNotFound
	}
	if room := uint32(len(buf) / stride); *count > room {
		*count = room
	}
	return stride, ret(call(fn, h, uintptr(unsafe.Pointer(count)), uintptr(unsafe.Pointer(&buf[0]))))
}
