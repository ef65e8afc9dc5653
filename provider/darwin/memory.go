package darwin

import (
	"errors"
	"fmt"
	"io/fs"
	"math/bits"

	"github.com/restel/restel/provider"
)

// The sysctls the fast path reads (<sys/sysctl.h>, xnu bsd/vm/vm_unix.c).
const (
	sysctlMemsize       = "hw.memsize"                          // physical memory, bytes (uint64)
	sysctlPageSize      = "vm.pagesize"                         // kernel page size, bytes; hw.pagesize lies under Rosetta
	sysctlPageFree      = "vm.page_free_count"                  // free pages, excluding speculative ones
	sysctlPagePurgeable = "vm.page_purgeable_count"             // volatile purgeable pages, dropped on demand
	sysctlPageExternal  = "vm.page_pageable_external_count"     // file-backed pageable pages (the file cache)
	sysctlPressureLevel = "kern.memorystatus_vm_pressure_level" // dispatch bits: 1 normal, 2 warn, 4 critical
)

// availableSysctls are the page counters summed into available memory.
var availableSysctls = [...]string{sysctlPageFree, sysctlPagePurgeable, sysctlPageExternal}

// availableBytes is macOS's counterpart of Linux MemAvailable: memory that
// can be handed out without paging anonymous memory out or compressing it.
// That is the free pages, the purgeable pages (dropped on demand) and the
// file-backed pages (clean file cache, read back from disk when needed),
// times the kernel page size. Speculative read-ahead pages are file-backed
// and already inside the external count, so they are not added again. The
// result is bounded by total (when total is known) because the counters are
// read one sysctl at a time and can be mutually inconsistent.
func availableBytes(pages [len(availableSysctls)]uint64, pageSize uint64, total provider.Opt[uint64]) (uint64, error) {
	if pageSize == 0 || pageSize&(pageSize-1) != 0 {
		return 0, fmt.Errorf("darwin: %w: page size %d is not a power of two", provider.ErrInvalid, pageSize)
	}
	var sum uint64
	for _, p := range pages {
		var carry uint64
		sum, carry = bits.Add64(sum, p, 0)
		if carry != 0 {
			return 0, fmt.Errorf("darwin: %w: page counts overflow", provider.ErrInvalid)
		}
	}
	hi, b := bits.Mul64(sum, pageSize)
	if hi != 0 {
		return 0, fmt.Errorf("darwin: %w: %d pages of %d bytes overflow", provider.ErrInvalid, sum, pageSize)
	}
	if t, ok := total.Get(); ok && b > t {
		b = t
	}
	return b, nil
}

// pressureFromLevel maps kern.memorystatus_vm_pressure_level to a
// MemoryPressure (docs/contract.md §2). The sysctl does not return xnu's internal
// kVMPressure* level (0 normal … 4 jetsam): its handler converts it with
// convert_internal_pressure_level_to_dispatch_level (xnu
// bsd/kern/kern_memorystatus_notify.c) to the dispatch bits
// NOTE_MEMORYSTATUS_PRESSURE_NORMAL 0x1, _WARN 0x2 (internal warning and
// urgent) and _CRITICAL 0x4 (<sys/event.h>; DISPATCH_MEMORYPRESSURE_* in
// <dispatch/source.h>). Any other value is MemoryPressureUnknown: it can
// never raise the derived pressure.
func pressureFromLevel(level uint64) provider.MemoryPressure {
	switch level {
	case 1:
		return provider.MemoryPressureNormal
	case 2:
		return provider.MemoryPressureWarn
	case 4:
		return provider.MemoryPressureCritical
	}
	return provider.MemoryPressureUnknown
}

// sysctlRefused reports whether a sysctl read failed because this process
// can never read it: EPERM (iOS requires PRIV_VM_PRESSURE for
// kern.memorystatus_vm_pressure_level, which apps lack) or ENOENT (a kernel
// without the sysctl). The signal is then absent, not faulty, and the
// sysctl is not read again: for the pressure level the derived pressure
// stands alone; for kern.clockrate the CPU counters stay unknown.
func sysctlRefused(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist)
}

// boundByAppLimit bounds memory by an iOS app's own limit (the jetsam
// footprint limit), the way a cgroup bounds it on Linux: an app is killed
// when its footprint reaches the limit, whatever the device has free.
// remaining is os_proc_available_memory() (bytes the app may still use),
// footprint the app's ri_phys_footprint; footprint+remaining is the limit.
// Available becomes min(available, remaining) and total min(total, limit)
// (docs/contract.md §2's container rule).
//
// A remaining of 0 is ambiguous: <os/proc.h> documents that
// os_proc_available_memory returns 0 "if the calling process is not an
// app, or the calling process exceeds its memory limit". limited tells
// the two apart: it is true once the call has returned a non-zero value
// in this process, which only a process with a limit (an app or an app
// extension) gets, and being an app does not change during a process's
// life. So a 0 with limited set is a known 0 (the app is at its limit:
// available 0, total its footprint, pressure critical), and a 0 without
// it is no information (macOS, a command-line tool, a daemon) and changes
// nothing. Where the call does not exist (iOS before 13, macOS) the caller
// never gets here: the bound is unknown, not 0.
func boundByAppLimit(avail, total provider.Opt[uint64], footprint, remaining uint64, limited bool) (provider.Opt[uint64], provider.Opt[uint64]) {
	if remaining == 0 && !limited {
		return avail, total
	}
	limit, carry := bits.Add64(footprint, remaining, 0)
	if carry != 0 {
		return avail, total
	}
	if !avail.Valid || remaining < avail.V {
		avail = provider.Some(remaining)
	}
	if !total.Valid || limit < total.V {
		total = provider.Some(limit)
	}
	return avail, total
}
