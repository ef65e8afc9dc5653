// Package darwin reads device resource state on macOS and iOS without cgo
// (CGO_ENABLED=0 on macOS): libSystem (sysctlbyname, host_statistics,
// proc_pid_rusage, notify), IOKit and CoreFoundation functions are called
// through github.com/ebitengine/purego; golang.org/x/sys/unix reads the
// sysctls where purego is unavailable (iOS without cgo).
//
// Fast signals, read by [Provider.Snapshot] on the hot path:
//
//   - total memory: sysctl hw.memsize, read once;
//   - available memory: (vm.page_free_count + vm.page_purgeable_count +
//     vm.page_pageable_external_count) × vm.pagesize;
//   - memory pressure: derived from available/total, raised by
//     kern.memorystatus_vm_pressure_level (1 normal, 2 warn, 4 critical)
//     on macOS; iOS refuses that sysctl to apps (EPERM), so there the
//     derived pressure stands alone and the sysctl is not read again;
//   - CPU use: host_statistics(mach_host_self(), HOST_CPU_LOAD_INFO) tick
//     deltas between two Snapshots (the first has no value);
//   - process RSS: ri_resident_size of proc_pid_rusage(pid, RUSAGE_INFO_V0);
//   - on iOS, the app's own memory limit bounds available and total memory
//     as a cgroup does on Linux: os_proc_available_memory() is what the app
//     may still use, and ri_phys_footprint + that is its limit.
//
// Slow signals, never read inside Snapshot ([Provider.Thermal],
// [Provider.Battery]):
//
//   - thermal state: notify_register_check + notify_get_state on
//     "com.apple.system.thermalpressurelevel" (macOS levels 0–4, iOS
//     0/10/…/50; see [thermalFromPressureLevel]);
//   - battery: IOPSCopyPowerSourcesInfo, IOPSCopyPowerSourcesList and
//     IOPSGetPowerSourceDescription (IOKit), "Current Capacity" / "Max
//     Capacity" of the internal batteries (macOS only; on iOS the host app
//     pushes the battery level).
//
// Libraries are opened once per process and never closed (closing them after
// each call is what crashes peers). Nothing shells out to ioreg or pmset.
//
// iOS: GOOS=ios builds with cgo (gomobile bind always does; ios/arm64 cannot
// even link without it). With CGO_ENABLED=0 purego does not build for iOS,
// so that configuration, which only type-checks, reads the sysctls and
// reports CPU, RSS and thermal as unsupported (errors wrapping
// provider.ErrUnavailable and errors.ErrUnsupported).
//
// All decoding, arithmetic and mapping lives in untagged files tested on
// every GOOS; the _darwin.go files only make the calls. On other systems
// [New] fails with an error wrapping errors.ErrUnsupported.
package darwin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/restel/restel/internal/cputicks"
	"github.com/restel/restel/internal/procopt"
	"github.com/restel/restel/provider"
)

// sys is the system-call seam: the tagged files implement it with real
// calls, tests with a fake. Methods return raw buffers; the Provider
// decodes them.
type sys interface {
	// sysctl fills buf with the value of sysctlbyname(name) and returns
	// its length.
	sysctl(name string, buf []byte) (int, error)
	// cpuLoadInfo fills buf (cpuLoadInfoSize bytes) with
	// host_statistics(HOST_CPU_LOAD_INFO) and returns the count written.
	cpuLoadInfo(buf []byte) (count uint32, err error)
	// rusage fills buf (rusageInfoV0Size bytes) with
	// proc_pid_rusage(pid, RUSAGE_INFO_V0).
	rusage(pid int, buf []byte) error
	// appAvailableMemory returns os_proc_available_memory() (iOS 13+);
	// an error wrapping errors.ErrUnsupported where it does not exist.
	appAvailableMemory() (uint64, error)
	// thermalLevel returns the notify state of thermalNotifyName.
	thermalLevel() (uint64, error)
	// powerSources walks the IOKit power sources.
	powerSources() ([]powerSource, error)
	// close releases per-provider resources (the notify token).
	close() error
}

// Provider reads macOS / iOS resource state. It is safe for concurrent use
// and starts no goroutine. Create it with [New]; release it with
// [Provider.Close].
type Provider struct {
	sys   sys
	pid   int
	self  bool // pid is the calling process
	clock provider.Clock

	bounded bool // sys is the operating system's (set by New)
	closed  atomic.Bool

	mu       sync.Mutex // guards the fields below
	cpu      cputicks.Tracker[cpuTicks]
	total    provider.Opt[uint64] // hw.memsize, bytes; read once
	pageSize uint64               // vm.pagesize; read once
	noLevel  bool                 // kern.memorystatus_vm_pressure_level refused or absent: not read again
	cpuBuf   [cpuLoadInfoSize]byte
	ruBuf    [rusageInfoV0Size]byte
	sysBuf   [8]byte // every sysctl read is an int or a quad
}

// Compile-time checks of the capabilities a Provider offers.
var (
	_ provider.SnapshotProvider = (*Provider)(nil)
	_ provider.ThermalReader    = (*Provider)(nil)
	_ provider.BatteryReader    = (*Provider)(nil)
	_ provider.Bounded          = (*Provider)(nil)
)

// New returns a Provider for the running system. It resolves the library
// functions (once per process) but reads nothing and starts no goroutine.
// A negative pid is an error wrapping provider.ErrInvalid; on a system other
// than macOS / iOS the error wraps errors.ErrUnsupported.
func New(opts ...Option) (*Provider, error) {
	cfg, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	s, err := newSys()
	if err != nil {
		return nil, err
	}
	p := newProvider(s, cfg)
	p.bounded = true
	return p, nil
}

func newProvider(s sys, cfg procopt.Config) *Provider {
	return &Provider{sys: s, pid: cfg.PID, self: cfg.Self, clock: cfg.Clock}
}

// Snapshot reads the fast signals: CPU use, process RSS, available and total
// memory and memory pressure. Thermal state stays ThermalUnknown and battery
// invalid: they are slow signals ([Provider.Thermal], [Provider.Battery]).
// The first Snapshot has no CPU value. A non-nil error names what could not
// be read; the snapshot still holds everything else.
func (p *Provider) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	now := p.clock.Now()
	if err := ctx.Err(); err != nil {
		return provider.Unknown(now), err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return provider.Unknown(now), provider.ErrClosed
	}
	s := provider.Unknown(now)
	var errs []error

	// RSS (and the footprint iOS's app memory limit counts).
	var footprint provider.Opt[uint64]
	if err := p.sys.rusage(p.pid, p.ruBuf[:]); err != nil {
		errs = append(errs, fmt.Errorf("darwin: proc_pid_rusage(%d): %w", p.pid, err))
	} else if rss, fp, err := decodeRusage(p.ruBuf[:]); err != nil {
		errs = append(errs, err)
	} else {
		s.ProcessRSSMB = provider.MiB(rss)
		footprint = provider.Some(fp)
	}

	// Memory.
	if !p.total.Valid {
		if v, err := p.sysctlUint(sysctlMemsize); err != nil {
			errs = append(errs, err)
		} else if v > 0 {
			p.total = provider.Some(v)
		}
	}
	if p.pageSize == 0 {
		if v, err := p.sysctlUint(sysctlPageSize); err != nil {
			errs = append(errs, err)
		} else {
			p.pageSize = v
		}
	}
	avail, err := p.available()
	if err != nil {
		errs = append(errs, err)
	}
	total := p.total
	if p.self && footprint.Valid {
		// iOS: the app's own memory limit bounds both, like a cgroup.
		// Elsewhere os_proc_available_memory does not exist (or returns 0).
		if remaining, err := p.sys.appAvailableMemory(); err == nil {
			avail, total = boundByAppLimit(avail, total, footprint.V, remaining)
		} else if !errors.Is(err, errors.ErrUnsupported) {
			errs = append(errs, fmt.Errorf("darwin: os_proc_available_memory: %w", err))
		}
	}
	s.TotalMemMB = mib(total)
	s.AvailableMemMB = mib(avail)
	native := provider.MemoryPressureUnknown
	if !p.noLevel {
		if lvl, err := p.sysctlUint(sysctlPressureLevel); err == nil {
			native = pressureFromLevel(lvl)
		} else if levelUnavailable(err) {
			p.noLevel = true
		} else {
			errs = append(errs, err)
		}
	}
	s.MemoryPressure = provider.PressureFrom(s.AvailableMemMB, s.TotalMemMB, native)

	// CPU.
	if n, err := p.sys.cpuLoadInfo(p.cpuBuf[:]); err != nil {
		errs = append(errs, fmt.Errorf("darwin: host_statistics(HOST_CPU_LOAD_INFO): %w", err))
		s.CPUPct = p.cpu.Last()
	} else if t, err := decodeCPULoadInfo(p.cpuBuf[:], n); err != nil {
		errs = append(errs, err)
		s.CPUPct = p.cpu.Last()
	} else {
		s.CPUPct = p.cpu.Observe(t)
	}
	return s, errors.Join(errs...)
}

// available reads the page counters. Call with p.mu held.
func (p *Provider) available() (provider.Opt[uint64], error) {
	if p.pageSize == 0 {
		return provider.Opt[uint64]{}, nil // already reported
	}
	var pages [len(availableSysctls)]uint64
	for i, name := range availableSysctls {
		v, err := p.sysctlUint(name)
		if err != nil {
			return provider.Opt[uint64]{}, err
		}
		pages[i] = v
	}
	b, err := availableBytes(pages, p.pageSize, p.total)
	if err != nil {
		return provider.Opt[uint64]{}, err
	}
	return provider.Some(b), nil
}

// sysctlUint reads an integer sysctl. Call with p.mu held.
func (p *Provider) sysctlUint(name string) (uint64, error) {
	n, err := p.sys.sysctl(name, p.sysBuf[:])
	if err != nil {
		return 0, fmt.Errorf("darwin: sysctl %s: %w", name, err)
	}
	if n < 0 || n > len(p.sysBuf) {
		return 0, fmt.Errorf("darwin: %w: sysctl %s: length %d", provider.ErrInvalid, name, n)
	}
	return decodeSysctlUint(name, p.sysBuf[:n])
}

// mib converts an optional byte count to MiB (0 bytes is unknown).
func mib(b provider.Opt[uint64]) provider.Opt[uint64] {
	if !b.Valid {
		return provider.Opt[uint64]{}
	}
	return provider.MiB(b.V)
}

// Bounded reports that Snapshot cannot hang (see [provider.Bounded]): it
// makes only sysctls, host_statistics64 and proc_pid_rusage (and, on iOS,
// os_proc_available_memory), kernel counters that return at once, so the
// orchestrator reads it on the caller's goroutine. A Provider built on
// injected system calls (tests) reports false.
func (p *Provider) Bounded() bool { return p.bounded }

// Thermal reads the thermal pressure level published on
// com.apple.system.thermalpressurelevel (notify_get_state).
func (p *Provider) Thermal(ctx context.Context) (provider.ThermalState, error) {
	if err := ctx.Err(); err != nil {
		return provider.ThermalUnknown, err
	}
	if p.closed.Load() {
		return provider.ThermalUnknown, provider.ErrClosed
	}
	lvl, err := p.sys.thermalLevel()
	if err != nil {
		return provider.ThermalUnknown, fmt.Errorf("darwin: notify_get_state(%s): %w", thermalNotifyName, err)
	}
	return thermalFromPressureLevel(lvl)
}

// Battery reads the internal batteries' charge from the IOKit power sources.
// A Mac without a battery gives an invalid Opt and a nil error. On iOS the
// error wraps provider.ErrUnavailable: the host app pushes the level.
func (p *Provider) Battery(ctx context.Context) (provider.Opt[uint8], error) {
	if err := ctx.Err(); err != nil {
		return provider.Opt[uint8]{}, err
	}
	if p.closed.Load() {
		return provider.Opt[uint8]{}, provider.ErrClosed
	}
	srcs, err := p.sys.powerSources()
	if err != nil {
		return provider.Opt[uint8]{}, fmt.Errorf("darwin: IOKit power sources: %w", err)
	}
	return batteryFromSources(srcs)
}

// Close releases the provider's notify registration. The libraries stay
// loaded for the process. Close is idempotent and safe to call concurrently
// with reads; later reads fail with provider.ErrClosed.
func (p *Provider) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sys.close()
}
