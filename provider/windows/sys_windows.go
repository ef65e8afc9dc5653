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

// find resolves p once: a missing function is an error wrapping
// provider.ErrUnavailable, never the panic of LazyProc.Call.
func find(p *win.LazyProc) error {
	if err := p.Find(); err != nil {
		return fmt.Errorf("%w: %w", provider.ErrUnavailable, err)
	}
	return nil
}

// check turns the result of a kernel32 call into an error: a zero return
// (BOOL FALSE, NULL HANDLE) is a failure carrying GetLastError.
//
// The calls themselves are written out as syscall.SyscallN(p.Addr(),
// uintptr(unsafe.Pointer(&x)), ...) at each site: unsafe.Pointer rule 4
// keeps x alive and in place only when it is converted inside the argument
// list of the call that hands it to the system, not when a Go helper
// forwards an already-converted uintptr (a stack growth in between would
// leave it pointing at the old stack). TestShimPointerArgs checks this.
func check(p *win.LazyProc, r uintptr, e syscall.Errno) error {
	if r != 0 {
		return nil
	}
	if e == 0 {
		return fmt.Errorf("%s failed without an error code", p.Name)
	}
	return e
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
		// K32GetProcessMemoryInfo documents PROCESS_VM_READ beside the
		// query right; GetProcessTimes needs only the query right. A
		// process that refuses VM_READ (protected, another user's) is
		// still opened for its CPU time; its memory calls then fail with
		// an error naming them.
		h, err := win.OpenProcess(win.PROCESS_QUERY_LIMITED_INFORMATION|win.PROCESS_VM_READ, false, uint32(pid))
		if err != nil {
			h, err = win.OpenProcess(win.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
		}
		if err != nil {
			return nil, fmt.Errorf("windows: OpenProcess(%d): %w", pid, err)
		}
		s.process, s.ownProcess = h, true
	}
	if h, err := createLowMemoryNotification(); err != nil {
		s.lowMemErr = fmt.Errorf("CreateMemoryResourceNotification: %w", err)
	} else {
		s.lowMem = h
	}
	return s, nil
}

// createLowMemoryNotification calls
// CreateMemoryResourceNotification(LowMemoryResourceNotification).
func createLowMemoryNotification() (win.Handle, error) {
	p := procCreateMemoryResourceNotification
	if err := find(p); err != nil {
		return 0, err
	}
	r, _, e := syscall.SyscallN(p.Addr(), lowMemoryResourceNotification)
	return win.Handle(r), check(p, r, e)
}

func (*nativeSys) memoryStatus() (memoryStatusEx, error) {
	p := procGlobalMemoryStatusEx
	if err := find(p); err != nil {
		return memoryStatusEx{}, err
	}
	m := memoryStatusEx{Length: memoryStatusExSize}
	r, _, e := syscall.SyscallN(p.Addr(), uintptr(unsafe.Pointer(&m)))
	return m, check(p, r, e)
}

func (*nativeSys) systemTimes() (systemTimes, error) {
	p := procGetSystemTimes
	if err := find(p); err != nil {
		return systemTimes{}, err
	}
	var idle, kernel, user filetime
	r, _, e := syscall.SyscallN(p.Addr(), uintptr(unsafe.Pointer(&idle)),
		uintptr(unsafe.Pointer(&kernel)), uintptr(unsafe.Pointer(&user)))
	if err := check(p, r, e); err != nil {
		return systemTimes{}, err
	}
	return systemTimes{idle: idle.ticks(), kernel: kernel.ticks(), user: user.ticks()}, nil
}

func (s *nativeSys) processMemory() (processMemoryCounters, error) {
	p := procK32GetProcessMemoryInfo
	if err := find(p); err != nil {
		return processMemoryCounters{}, err
	}
	var c processMemoryCounters
	c.CB = uint32(unsafe.Sizeof(c))
	r, _, e := syscall.SyscallN(p.Addr(), uintptr(s.process), uintptr(unsafe.Pointer(&c)), uintptr(c.CB))
	if err := check(p, r, e); err != nil {
		return processMemoryCounters{}, err
	}
	return c, nil
}

// processTimes calls GetProcessTimes (golang.org/x/sys/windows wraps it).
func (s *nativeSys) processTimes() (processTimes, error) {
	var creation, exit, kernel, user win.Filetime
	if err := win.GetProcessTimes(s.process, &creation, &exit, &kernel, &user); err != nil {
		return processTimes{}, err
	}
	return processTimes{
		kernel: filetime{Low: kernel.LowDateTime, High: kernel.HighDateTime}.ticks(),
		user:   filetime{Low: user.LowDateTime, High: user.HighDateTime}.ticks(),
	}, nil
}

func (s *nativeSys) lowMemory() (bool, error) {
	if s.lowMem == 0 {
		return false, s.lowMemErr
	}
	p := procQueryMemoryResourceNotification
	if err := find(p); err != nil {
		return false, err
	}
	var state int32 // BOOL
	r, _, e := syscall.SyscallN(p.Addr(), uintptr(s.lowMem), uintptr(unsafe.Pointer(&state)))
	if err := check(p, r, e); err != nil {
		return false, err
	}
	return state != 0, nil
}

func (*nativeSys) powerStatus() (systemPowerStatus, error) {
	p := procGetSystemPowerStatus
	if err := find(p); err != nil {
		return systemPowerStatus{}, err
	}
	var ps systemPowerStatus
	r, _, e := syscall.SyscallN(p.Addr(), uintptr(unsafe.Pointer(&ps)))
	return ps, check(p, r, e)
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
