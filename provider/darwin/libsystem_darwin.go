//go:build darwin && (!ios || cgo)

package darwin

import (
	"fmt"
	"sync"
	"syscall"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/restel/restel/provider"
)

const libSystemPath = "/usr/lib/libSystem.B.dylib"

// hostCPULoadInfoFlavor is HOST_CPU_LOAD_INFO (<mach/host_info.h>).
const hostCPULoadInfoFlavor = 3

// libSystem holds the libSystem functions restel calls, resolved once per
// process. The library is never closed. A function missing from this OS
// version is 0 and its signal is unavailable.
type libSystem struct {
	host                uintptr // mach_host_self(): one send right, kept for the process
	hostStatistics      uintptr // kern_return_t host_statistics(host_t, host_flavor_t, host_info_t, mach_msg_type_number_t *)
	procPidRusage       uintptr // int proc_pid_rusage(int pid, int flavor, rusage_info_t *buffer)
	notifyRegisterCheck uintptr // uint32_t notify_register_check(const char *name, int *out_token)
	notifyGetState      uintptr // uint32_t notify_get_state(int token, uint64_t *state64)
	notifyCancel        uintptr // uint32_t notify_cancel(int token)
	procAvailableMemory uintptr // size_t os_proc_available_memory(void), iOS 13+ only
	machTimebaseInfo    uintptr // kern_return_t mach_timebase_info(mach_timebase_info_t info)
	sysctlbyname        uintptr // int sysctlbyname(const char *, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
}

var loadLibSystem = sync.OnceValues(func() (*libSystem, error) {
	h, err := purego.Dlopen(libSystemPath, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("%w: dlopen %s: %w", provider.ErrUnavailable, libSystemPath, err)
	}
	sym := func(name string) uintptr {
		p, err := purego.Dlsym(h, name)
		if err != nil {
			return 0
		}
		return p
	}
	l := &libSystem{
		hostStatistics:      sym("host_statistics"),
		procPidRusage:       sym("proc_pid_rusage"),
		notifyRegisterCheck: sym("notify_register_check"),
		notifyGetState:      sym("notify_get_state"),
		notifyCancel:        sym("notify_cancel"),
		procAvailableMemory: sym("os_proc_available_memory"),
		machTimebaseInfo:    sym("mach_timebase_info"),
		sysctlbyname:        sym("sysctlbyname"),
	}
	if self := sym("mach_host_self"); self != 0 {
		r, _, _ := purego.SyscallN(self)
		l.host = uintptr(uint32(r)) // mach_port_t
	}
	return l, nil
})

// hostCPULoadInfo calls host_statistics(mach_host_self(), HOST_CPU_LOAD_INFO,
// buf, &count).
func hostCPULoadInfo(buf []byte) (uint32, error) {
	l, err := loadLibSystem()
	if err != nil {
		return 0, err
	}
	if l.hostStatistics == 0 || l.host == 0 {
		return 0, errNoSymbol
	}
	if len(buf) < cpuLoadInfoSize {
		return 0, fmt.Errorf("%w: buffer of %d bytes", provider.ErrInvalid, len(buf))
	}
	count := uint32(cpuLoadInfoCount)
	r, _, _ := purego.SyscallN(l.hostStatistics, l.host, hostCPULoadInfoFlavor,
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&count)))
	if kr := kernReturn(int32(r)); kr != 0 {
		return 0, kr
	}
	return count, nil
}

// procPidRusage calls proc_pid_rusage(pid, flavor, buf) for RUSAGE_INFO_V0
// or RUSAGE_INFO_V4.
func procPidRusage(pid, flavor int, buf []byte) error {
	l, err := loadLibSystem()
	if err != nil {
		return err
	}
	if l.procPidRusage == 0 {
		return errNoSymbol
	}
	if size := rusageInfoSize(flavor); size == 0 || len(buf) < size {
		return fmt.Errorf("%w: flavor %d, buffer of %d bytes", provider.ErrInvalid, flavor, len(buf))
	}
	r, _, errno := purego.SyscallN(l.procPidRusage, uintptr(int32(pid)), uintptr(flavor),
		uintptr(unsafe.Pointer(&buf[0])))
	if int32(r) != 0 {
		if errno != 0 {
			return syscall.Errno(errno)
		}
		return fmt.Errorf("returned %d", int32(r))
	}
	return nil
}

// machTimebaseInfo calls mach_timebase_info(buf) (<mach/mach_time.h>).
func machTimebaseInfo(buf []byte) error {
	l, err := loadLibSystem()
	if err != nil {
		return err
	}
	if l.machTimebaseInfo == 0 {
		return errNoSymbol
	}
	if len(buf) < timebaseSize {
		return fmt.Errorf("%w: buffer of %d bytes", provider.ErrInvalid, len(buf))
	}
	r, _, _ := purego.SyscallN(l.machTimebaseInfo, uintptr(unsafe.Pointer(&buf[0])))
	if kr := kernReturn(int32(r)); kr != 0 {
		return kr
	}
	return nil
}

// notifyRegisterCheck calls notify_register_check(name, &token).
func notifyRegisterCheck(name string) (int32, error) {
	l, err := loadLibSystem()
	if err != nil {
		return 0, err
	}
	if l.notifyRegisterCheck == 0 || l.notifyGetState == 0 {
		return 0, errNoSymbol
	}
	cname := append([]byte(name), 0)
	var tok int32
	r, _, _ := purego.SyscallN(l.notifyRegisterCheck,
		uintptr(unsafe.Pointer(&cname[0])), uintptr(unsafe.Pointer(&tok)))
	if st := notifyStatus(uint32(r)); st != 0 {
		return 0, st
	}
	return tok, nil
}

// notifyGetState calls notify_get_state(token, &state).
func notifyGetState(tok int32) (uint64, error) {
	l, err := loadLibSystem()
	if err != nil {
		return 0, err
	}
	if l.notifyGetState == 0 {
		return 0, errNoSymbol
	}
	var state uint64
	r, _, _ := purego.SyscallN(l.notifyGetState, uintptr(uint32(tok)), uintptr(unsafe.Pointer(&state)))
	if st := notifyStatus(uint32(r)); st != 0 {
		return 0, st
	}
	return state, nil
}

// notifyCancel calls notify_cancel(token).
func notifyCancel(tok int32) error {
	l, err := loadLibSystem()
	if err != nil {
		return err
	}
	if l.notifyCancel == 0 {
		return errNoSymbol
	}
	r, _, _ := purego.SyscallN(l.notifyCancel, uintptr(uint32(tok)))
	if st := notifyStatus(uint32(r)); st != 0 {
		return st
	}
	return nil
}

// osProcAvailableMemory calls os_proc_available_memory() (<os/proc.h>,
// iOS 13+; absent on macOS).
func osProcAvailableMemory() (uint64, error) {
	l, err := loadLibSystem()
	if err != nil {
		return 0, err
	}
	if l.procAvailableMemory == 0 {
		return 0, errNoSymbol
	}
	r, _, _ := purego.SyscallN(l.procAvailableMemory)
	return uint64(r), nil
}

// sysctl calls sysctlbyname(name, buf, &len, NULL, 0) and returns len: one
// system call, no allocation (golang.org/x/sys/unix.SysctlRaw makes three
// and allocates twice).
func (s *nativeSys) sysctl(name string, buf []byte) (int, error) {
	l, err := loadLibSystem()
	if err != nil {
		return 0, err
	}
	if l.sysctlbyname == 0 {
		return 0, errNoSymbol
	}
	s.sysMu.Lock()
	defer s.sysMu.Unlock()
	if len(name) >= len(s.cname) || len(buf) == 0 {
		return 0, fmt.Errorf("%w: sysctl name of %d bytes, buffer of %d", provider.ErrInvalid, len(name), len(buf))
	}
	n := copy(s.cname[:], name)
	s.cname[n] = 0
	s.oldlen = uintptr(len(buf))
	r, _, errno := purego.SyscallN(l.sysctlbyname, uintptr(unsafe.Pointer(&s.cname[0])),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&s.oldlen)), 0, 0)
	if int32(r) != 0 {
		if errno != 0 {
			return 0, syscall.Errno(errno)
		}
		return 0, fmt.Errorf("returned %d", int32(r))
	}
	return int(s.oldlen), nil
}
