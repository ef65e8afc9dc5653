//go:build windows

package windows

import (
	"errors"
	"fmt"
	"math"
	"os"
	"syscall"
	"unsafe"

	win "golang.org/x/sys/windows"

	"github.com/restel/restel/provider"
)

// kernel32 is loaded once per process from the system directory and never
// freed; each procedure is resolved on first use.
var (
	kernel32                             = win.NewLazySystemDLL("kernel32.dll")
	procGlobalMemoryStatusEx             = kernel32.NewProc("GlobalMemoryStatusEx")
	procGetSystemTimes                   = kernel32.NewProc("GetSystemTimes")
	procK32GetProcessMemoryInfo          = kernel32.NewProc("K32GetProcessMemoryInfo")
	procGetSystemPowerStatus             = kernel32.NewProc("GetSystemPowerStatus")
	procCreateMemoryResourceNotification = kernel32.NewProc("CreateMemoryResourceNotification")
	procQueryMemoryResourceNotification  = kernel32.NewProc("QueryMemoryResourceNotification")
)

// lowMemoryResourceNotification is LowMemoryResourceNotification of the
// MEMORY_RESOURCE_NOTIFICATION_TYPE enum (memoryapi.h).
const lowMemoryResourceNotification = 0

// call resolves p (an error, not a panic, when it is missing) and calls it;
// a zero return (BOOL FALSE, NULL HANDLE) is an error carrying
// GetLastError.
func call(p *win.LazyProc, args ...uintptr) (uintptr, error) {
	if err := p.Find(); err != nil {
		return 0, fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	r, _, e := p.Call(args...)
	if r == 0 {
		if errno, ok := e.(syscall.Errno); ok && errno == 0 {
			return 0, fmt.Errorf("%s failed without an error code", p.Name)
		}
		return 0, e
	}
	return r, nil
}

type nativeSys struct {
	process    win.Handle // CurrentProcess() or an OpenProcess handle
	ownProcess bool
	lowMem     win.Handle // LowMemoryResourceNotification; 0 when it could not be created
	lowMemErr  error
}

func newSys(pid int) (sys, error) {
	s := &nativeSys{process: win.CurrentProcess()}
	if pid != os.Getpid() {
		if uint64(pid) > math.MaxUint32 {
			return nil, fmt.Errorf("windows: %w: pid %d out of range", provider.ErrInvalid, pid)
		}
		h, err := win.OpenProcess(win.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
		if err != nil {
			return nil, fmt.Errorf("windows: OpenProcess(%d): %w", pid, err)
		}
		s.process, s.ownProcess = h, true
	}
	h, err := call(procCreateMemoryResourceNotification, lowMemoryResourceNotification)
	if err != nil {
		s.lowMemErr = fmt.Errorf("CreateMemoryResourceNotification: %w", err)
	} else {
		s.lowMem = win.Handle(h)
	}
	return s, nil
}

func (*nativeSys) memoryStatus() (memoryStatusEx, error) {
	m := memoryStatusEx{Length: memoryStatusExSize}
	_, err := call(procGlobalMemoryStatusEx, uintptr(unsafe.Pointer(&m)))
	return m, err
}

func (*nativeSys) systemTimes() (systemTimes, error) {
	var idle, kernel, user filetime
	_, err := call(procGetSystemTimes, uintptr(unsafe.Pointer(&idle)),
		uintptr(unsafe.Pointer(&kernel)), uintptr(unsafe.Pointer(&user)))
	if err != nil {
		return systemTimes{}, err
	}
	return systemTimes{idle: idle.ticks(), kernel: kernel.ticks(), user: user.ticks()}, nil
}

func (s *nativeSys) workingSet() (uint64, error) {
	var c processMemoryCounters
	c.CB = uint32(unsafe.Sizeof(c))
	if _, err := call(procK32GetProcessMemoryInfo, uintptr(s.process), uintptr(unsafe.Pointer(&c)), uintptr(c.CB)); err != nil {
		return 0, err
	}
	return uint64(c.WorkingSetSize), nil
}

func (s *nativeSys) lowMemory() (bool, error) {
	if s.lowMem == 0 {
		return false, s.lowMemErr
	}
	var state int32 // BOOL
	if _, err := call(procQueryMemoryResourceNotification, uintptr(s.lowMem), uintptr(unsafe.Pointer(&state))); err != nil {
		return false, err
	}
	return state != 0, nil
}

func (*nativeSys) powerStatus() (systemPowerStatus, error) {
	var ps systemPowerStatus
	_, err := call(procGetSystemPowerStatus, uintptr(unsafe.Pointer(&ps)))
	return ps, err
}

func (s *nativeSys) close() error {
	var errs []error
	if s.lowMem != 0 {
		errs = append(errs, win.CloseHandle(s.lowMem))
		s.lowMem = 0
	}
	if s.ownProcess {
		errs = append(errs, win.CloseHandle(s.process))
		s.ownProcess = false
	}
	return errors.Join(errs...)
}
