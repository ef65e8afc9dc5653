package windows

// Mirrors of the Win32 structures the provider passes to kernel32. They are
// declared untagged so that their sizes are asserted on every GOOS
// (TestStructSizes); the layouts follow the Windows SDK headers, and Go lays
// out these fields exactly as the C compiler does (no field needs padding
// beyond natural alignment).

// memoryStatusEx mirrors MEMORYSTATUSEX (sysinfoapi.h), filled by
// GlobalMemoryStatusEx. The caller sets Length to its size (64 bytes).
type memoryStatusEx struct {
	Length               uint32 // dwLength
	MemoryLoad           uint32 // dwMemoryLoad, percent of physical memory in use
	TotalPhys            uint64 // ullTotalPhys, bytes
	AvailPhys            uint64 // ullAvailPhys, bytes
	TotalPageFile        uint64
	AvailPageFile        uint64
	TotalVirtual         uint64
	AvailVirtual         uint64
	AvailExtendedVirtual uint64
}

const memoryStatusExSize = 64

// systemPowerStatus mirrors SYSTEM_POWER_STATUS (winbase.h), 12 bytes,
// filled by GetSystemPowerStatus.
type systemPowerStatus struct {
	ACLineStatus        byte   // 0 offline, 1 online, 255 unknown
	BatteryFlag         byte   // 1 high, 2 low, 4 critical, 8 charging, 128 no system battery, 255 unknown
	BatteryLifePercent  byte   // 0..100, 255 unknown
	SystemStatusFlag    byte   // 1 battery saver on
	BatteryLifeTime     uint32 // seconds left, 0xFFFFFFFF unknown
	BatteryFullLifeTime uint32 // seconds on a full charge, 0xFFFFFFFF unknown
}

const systemPowerStatusSize = 12

// processMemoryCounters mirrors PROCESS_MEMORY_COUNTERS (psapi.h), filled by
// K32GetProcessMemoryInfo: two DWORDs then eight SIZE_Ts, 72 bytes on 64-bit
// Windows and 40 on 32-bit. The caller passes its size as cb.
type processMemoryCounters struct {
	CB                         uint32
	PageFaultCount             uint32
	PeakWorkingSetSize         uintptr // bytes: the working set's high-water mark
	WorkingSetSize             uintptr // bytes: the resident set
	QuotaPeakPagedPoolUsage    uintptr
	QuotaPagedPoolUsage        uintptr
	QuotaPeakNonPagedPoolUsage uintptr
	QuotaNonPagedPoolUsage     uintptr
	PagefileUsage              uintptr
	PeakPagefileUsage          uintptr
}

// filetime mirrors FILETIME (minwinbase.h): a 64-bit count of 100 ns
// intervals split into two DWORDs. GetSystemTimes reports CPU time summed
// over all processors in this unit, GetProcessTimes a process's CPU time
// summed over its threads.
type filetime struct {
	Low, High uint32
}

// ticks joins the two halves.
func (f filetime) ticks() uint64 { return uint64(f.High)<<32 | uint64(f.Low) }
