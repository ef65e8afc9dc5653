// Package nvml reads NVIDIA GPUs through NVML, the NVIDIA Management
// Library the driver installs (libnvidia-ml.so.1 on Linux, nvml.dll on
// Windows), loaded at run time without cgo (docs/contract.md §9).
//
// The package is opt-in: a program imports it to get NVIDIA support.
// Loading a shared library needs the C library's dlopen, so on Linux a
// binary that imports this package is dynamically linked (it needs
// ld-linux, libc, libdl and libpthread) even when built with
// CGO_ENABLED=0 — purego, which makes the calls, imports them with
// cgo_import_dynamic and sets the runtime up with its fakecgo. The
// default restel binary does not import it and stays statically linked;
// `go build -tags nvml ./cmd/restel` builds one that does. On Windows the
// DLL is loaded with LoadLibraryEx from the system directory (then the
// NVSMI directory older drivers used), which changes nothing about
// linking. On macOS, iOS, Android and architectures NVIDIA ships no NVML
// for, [Open] fails with an error wrapping errors.ErrUnsupported.
//
// # Use
//
//	r, err := nvml.Open()
//	if err == nil { // else: no usable NVIDIA driver
//		p = nvml.Wrap(p, r) // p's accelerators plus NVIDIA's
//	}
//
// [Reader] implements provider.AcceleratorReader on its own; [Wrap] adds
// it to any provider and closes it with that provider.
//
// # What is read
//
// Per device, in NVML's index order: nvmlDeviceGetHandleByIndex_v2 after
// nvmlInit_v2 and nvmlDeviceGetCount_v2, then
//
//   - Name "nvidia<index>" (the Accelerator's identity, as the OTel hw.id),
//     Driver "nvidia", Kind gpu. The product name (nvmlDeviceGetName,
//     "NVIDIA L4") is in [Reader.Devices].
//   - MemUsedMB, MemTotalMB: nvmlDeviceGetMemoryInfo (nvmlMemory_t used,
//     total). A device for which NVML answers NVML_ERROR_NOT_SUPPORTED, or
//     a total of 0, has no memory of its own (Tegra, Grace-Blackwell
//     superchips): it is Unified, its memory unknown. Every other device
//     is discrete.
//   - BusyPct: nvmlDeviceGetUtilizationRates, the gpu share — the percent
//     of NVML's last sample period (1/6 s to 1 s, by product) during which
//     a kernel ran. NVML gives no cumulative busy counter through these
//     calls, so BusyTime stays unknown.
//   - TempC: nvmlDeviceGetTemperature(NVML_TEMPERATURE_GPU).
//   - Throttling: nvmlDeviceGetCurrentClocksEventReasons (or, on drivers
//     before its rename, nvmlDeviceGetCurrentClocksThrottleReasons). True
//     when any of HW slowdown (0x8), SW thermal slowdown (0x20), HW
//     thermal slowdown (0x40) or HW power-brake slowdown (0x80) is set;
//     idle, application-clock and display-clock settings, sync boost and
//     the SW power cap (the GPU at its configured power limit) are not
//     throttling.
//   - ProcessMemMB: the usedGpuMemory, summed, of the entries of
//     nvmlDeviceGetComputeRunningProcesses_v3 (else _v2, else the
//     original, whose entries are shorter) whose PID is the observed
//     process ([WithPID]) or, with [Reader.AcceleratorsOf], one of a set
//     (a process tree). 0 when none of them uses the device; unknown when
//     the list cannot be read or a matching entry's memory is
//     NVML_VALUE_NOT_AVAILABLE (Windows WDDM). Compute processes only:
//     graphics clients are not counted.
//
// A call that fails leaves its fields unknown and adds a one-line error
// naming the function and the NVML code; NVML_ERROR_NOT_SUPPORTED adds
// none (the device lacks the signal). A lost GPU (NVML_ERROR_GPU_IS_LOST,
// NVML_ERROR_RESET_REQUIRED) wraps [ErrGPULost]. The other devices are
// read all the same.
//
// # Host PIDs
//
// NVML reports PIDs as the host's initial PID namespace numbers them.
// Inside a container with a PID namespace of its own the same number is
// another process, so per-process memory is read only when this process
// sees the host's PIDs: <procfs>/self/ns/pid links to the initial
// namespace's fixed inode, "pid:[4026531836]" (PROC_PID_INIT_INO), and
// the NSpid line of <procfs>/self/status, where the kernel writes one,
// lists a single PID. Otherwise — or when those files cannot be read —
// ProcessMemMB is unknown on every device, never someone else's memory.
// Comparing with /proc/1/ns/pid, or counting NSpid alone, would not do: a
// container with its own procfs sees its own init as PID 1 and its own
// PID only. [Reader.HostPIDs] reports the outcome. Windows has a single
// PID space.
//
// # Slow and hung drivers
//
// NVML calls can be slow (the first nvmlInit_v2 wakes every GPU of a
// machine without persistence mode) or hang (a wedged driver). [Open]
// only loads the library; each read runs every NVML call on a goroutine
// of its own and waits for it until the read's context or the reader's
// timeout ([WithTimeout], [DefaultTimeout]) ends, whichever is first. A
// read that runs out of time returns at once with an error wrapping
// provider.ErrUnavailable and the context's error; its call is abandoned,
// counted by [Reader.Abandoned], and keeps its goroutine until the driver
// returns. Until then reads fail at once instead of queueing behind it.
// A panic in a call is a failed read, never a crash. [Reader.Close] never
// waits for an abandoned call: nvmlShutdown is then called by the call's
// goroutine when it returns. The library is never unloaded.
package nvml
