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
//     deltas between two Snapshots (the first has no value), and from the
//     same reading the cumulative Counters.CPUBusy and CPUTotal, each tick
//     1 s / hz of sysctl kern.clockrate (read once; see [cpuCounters]);
//   - process RSS: ri_resident_size of proc_pid_rusage(pid, RUSAGE_INFO_V0);
//   - on iOS, the app's own memory limit bounds available and total memory
//     as a cgroup does on Linux: os_proc_available_memory() is what the app
//     may still use, and ri_phys_footprint + that is its limit (see
//     [boundByAppLimit] for when a 0 from it is a known 0).
//
// Run counters, read only by [Provider.RunSnapshot] at a run's start and
// end: proc_pid_rusage(pid, RUSAGE_INFO_V4) gives Counters.ProcessCPU
// (ri_user_time + ri_system_time, Mach absolute time converted with
// mach_timebase_info, read once) and Counters.RSSHighWaterMB
// (ri_lifetime_max_phys_footprint). Apple systems have no pressure-stall
// or CPU-quota counters: CPUStall, MemoryStall, IOStall and Throttled stay
// unknown.
//
// Slow signals, never read inside Snapshot ([Provider.Thermal],
// [Provider.Battery], [Provider.Accelerators]):
//
//   - thermal state: notify_register_check + notify_get_state on
//     "com.apple.system.thermalpressurelevel" (macOS levels 0–4, iOS
//     0/10/…/50; see [thermalFromPressureLevel]);
//   - battery: IOPSCopyPowerSourcesInfo, IOPSCopyPowerSourcesList and
//     IOPSGetPowerSourceDescription (IOKit), "Current Capacity" / "Max
//     Capacity" of the internal batteries (macOS only; on iOS the host app
//     pushes the battery level).
//   - accelerators ([Provider.Accelerators]): the IOKit IOAccelerator
//     services' PerformanceStatistics dictionaries (busy share, memory in
//     use; see [acceleratorsFromIOKit]); macOS only.
//
// Libraries are opened once per process and never closed (closing them after
// each call is what crashes peers). Nothing shells out to ioreg or pmset.
//
// iOS: GOOS=ios builds with cgo (gomobile bind always does; ios/arm64 cannot
// even link without it). With CGO_ENABLED=0 purego does not build for iOS,
// so that configuration, which only type-checks, reads the sysctls and
// reports CPU, RSS, the run counters and thermal as unsupported (errors wrapping
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
	"github.com/restel/restel/internal/vouch"
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
	// rusage fills buf (rusageInfoSize(flavor) bytes) with
	// proc_pid_rusage(pid, flavor): RUSAGE_INFO_V0 or RUSAGE_INFO_V4.
	rusage(pid, flavor int, buf []byte) error
	// timebase fills buf (timebaseSize bytes) with mach_timebase_info.
	timebase(buf []byte) error
	// appAvailableMemory returns os_proc_available_memory() (iOS 13+);
	// an error wrapping errors.ErrUnsupported where it does not exist.
	appAvailableMemory() (uint64, error)
	// thermalLevel returns the notify state of thermalNotifyName.
	thermalLevel() (uint64, error)
	// powerSources walks the IOKit power sources.
	powerSources() ([]powerSource, error)
	// accelerators walks the IOKit IOAccelerator services.
	accelerators() ([]ioAccelerator, error)
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

	mu         sync.Mutex // guards the fields below
	cpu        cputicks.Tracker[cpuTicks]
	total      provider.Opt[uint64] // hw.memsize, bytes; read once
	pageSize   uint64               // vm.pagesize; read once
	noLevel    bool                 // kern.memorystatus_vm_pressure_level refused or absent: not read again
	hz         uint64               // kern.clockrate hz, the tick rate of cpuTicks; 0 until read
	noClock    bool                 // kern.clockrate refused or absent: not read again
	numer      uint32               // mach_timebase_info; denom 0 until read
	denom      uint32               //
	appLimited bool                 // os_proc_available_memory has returned non-zero: the process has a limit
	cpuBuf     [cpuLoadInfoSize]byte
	ruBuf      [rusageInfoV4Size]byte
	sysBuf     [8]byte // every integer sysctl read is an int or a quad
	clockBuf   [clockinfoSize]byte
	tbBuf      [timebaseSize]byte
}

// Compile-time checks of the capabilities a Provider offers.
var (
	_ provider.SnapshotProvider = (*Provider)(nil)
	_ provider.ThermalReader    = (*Provider)(nil)
	_ provider.BatteryReader    = (*Provider)(nil)
	_ provider.RunReader        = (*Provider)(nil)
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
// memory and memory pressure, with the cumulative CPU busy and total
// counters. Thermal state stays ThermalUnknown and battery invalid: they
// are slow signals ([Provider.Thermal], [Provider.Battery]). The first
// Snapshot has no CPU value. A non-nil error names what could not be read;
// the snapshot still holds everything else.
func (p *Provider) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	return p.read(ctx, false)
}

// RunSnapshot is [Provider.Snapshot] plus the run counters (see
// [provider.RunReader]): the observed process's CPU time and the kernel's
// high-water mark of its physical footprint, from one
// proc_pid_rusage(pid, RUSAGE_INFO_V4) that also gives the RSS. The stall
// and throttle counters stay unknown: Apple systems have none.
func (p *Provider) RunSnapshot(ctx context.Context) (provider.Snapshot, error) {
	return p.read(ctx, true)
}

// read is Snapshot, and RunSnapshot when run is set.
func (p *Provider) read(ctx context.Context, run bool) (provider.Snapshot, error) {
	now := p.clock.Now()
	if err := procopt.BeginRead(ctx, &p.mu, &p.closed); err != nil {
		return provider.Unknown(now), err
	}
	defer p.mu.Unlock()
	s := provider.Unknown(now)
	var errs []error

	// RSS (and the footprint iOS's app memory limit counts), and for a run
	// the process CPU time and footprint high-water mark.
	flavor := rusageInfoV0
	if run {
		flavor = rusageInfoV4
	}
	buf := p.ruBuf[:rusageInfoSize(flavor)]
	var footprint provider.Opt[uint64]
	if err := p.sys.rusage(p.pid, flavor, buf); err != nil {
		errs = append(errs, fmt.Errorf("darwin: proc_pid_rusage(%d, RUSAGE_INFO_V%d): %w", p.pid, flavor, err))
	} else if rss, fp, err := decodeRusage(buf); err != nil {
		errs = append(errs, err)
	} else {
		s.ProcessRSSMB = provider.MiB(rss)
		footprint = provider.Some(fp)
		if run {
			errs = p.runCounters(&s.Counters, buf, errs)
		}
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
		// Where os_proc_available_memory does not exist the bound is
		// unknown and nothing changes.
		if remaining, err := p.sys.appAvailableMemory(); err == nil {
			p.appLimited = p.appLimited || remaining > 0
			avail, total = boundByAppLimit(avail, total, footprint.V, remaining, p.appLimited)
		} else if !errors.Is(err, errors.ErrUnsupported) {
			errs = append(errs, fmt.Errorf("darwin: os_proc_available_memory: %w", err))
		}
	}
	s.TotalMemMB = totalMiB(total)
	s.AvailableMemMB = availableMiB(avail)
	native := provider.MemoryPressureUnknown
	if !p.noLevel {
		if lvl, err := p.sysctlUint(sysctlPressureLevel); err == nil {
			native = pressureFromLevel(lvl)
		} else if sysctlRefused(err) {
			p.noLevel = true
		} else {
			errs = append(errs, err)
		}
	}
	s.MemoryPressure = provider.PressureFrom(s.AvailableMemMB, s.TotalMemMB, native)

	// CPU, and from the same reading the cumulative counters.
	if p.hz == 0 && !p.noClock {
		if err := p.readClockrate(); err != nil {
			errs = append(errs, err)
		}
	}
	if n, err := p.sys.cpuLoadInfo(p.cpuBuf[:]); err != nil {
		errs = append(errs, fmt.Errorf("darwin: host_statistics(HOST_CPU_LOAD_INFO): %w", err))
		s.CPUPct = p.cpu.Last()
	} else if t, err := decodeCPULoadInfo(p.cpuBuf[:], n); err != nil {
		errs = append(errs, err)
		s.CPUPct = p.cpu.Last()
	} else {
		s.CPUPct = p.cpu.Observe(t)
		if p.hz != 0 {
			s.Counters.CPUBusy, s.Counters.CPUTotal = cpuCounters(t, p.hz)
		}
	}
	return s, errors.Join(errs...)
}

// runCounters fills c from a rusage_info_v4 buffer, reading the Mach
// timebase on first use, and returns errs with any failure appended. Call
// with p.mu held.
func (p *Provider) runCounters(c *provider.Counters, buf []byte, errs []error) []error {
	ru, err := decodeRusageRun(buf)
	if err != nil {
		return append(errs, err)
	}
	c.RSSHighWaterMB = provider.MiB(ru.maxFootprint)
	if p.denom == 0 {
		if err := p.sys.timebase(p.tbBuf[:]); err != nil {
			return append(errs, fmt.Errorf("darwin: mach_timebase_info: %w", err))
		}
		numer, denom, err := decodeTimebase(p.tbBuf[:])
		if err != nil {
			return append(errs, err)
		}
		p.numer, p.denom = numer, denom
	}
	c.ProcessCPU = processCPU(ru.cpuTime, p.numer, p.denom)
	if !c.ProcessCPU.Valid {
		errs = append(errs, fmt.Errorf("darwin: %w: process CPU time of %d Mach time units overflows", provider.ErrInvalid, ru.cpuTime))
	}
	return errs
}

// readClockrate reads hz from kern.clockrate. A sysctl this process can
// never read (EPERM, ENOENT) leaves the CPU counters unknown without an
// error and is not read again. Call with p.mu held.
func (p *Provider) readClockrate() error {
	n, err := p.sys.sysctl(sysctlClockrate, p.clockBuf[:])
	if err != nil {
		if sysctlRefused(err) {
			p.noClock = true
			return nil
		}
		return fmt.Errorf("darwin: sysctl %s: %w", sysctlClockrate, err)
	}
	if n < 0 || n > len(p.clockBuf) {
		return fmt.Errorf("darwin: %w: sysctl %s: length %d", provider.ErrInvalid, sysctlClockrate, n)
	}
	hz, err := decodeClockrate(p.clockBuf[:n])
	if err != nil {
		return err
	}
	p.hz = hz
	return nil
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

// availableMiB converts an optional byte count of available memory to MiB
// (a known amount under 1 MiB is 0).
func availableMiB(b provider.Opt[uint64]) provider.Opt[uint64] {
	if !b.Valid {
		return provider.Opt[uint64]{}
	}
	return provider.AvailableMiB(b.V)
}

// totalMiB converts an optional total in bytes to MiB (under 1 MiB is
// unknown).
func totalMiB(b provider.Opt[uint64]) provider.Opt[uint64] {
	if !b.Valid {
		return provider.Opt[uint64]{}
	}
	return provider.TotalMiB(b.V)
}

// Bounded reports that Snapshot and RunSnapshot cannot hang
// ([Provider.Vouch] says so to the orchestrator): they make only
// sysctls, host_statistics, proc_pid_rusage and mach_timebase_info (and, on iOS,
// os_proc_available_memory), kernel counters that return at once, so the
// orchestrator reads them on the caller's goroutine. A Provider built on
// injected system calls (tests) reports false.
func (p *Provider) Bounded() bool { return p.bounded }

// Vouch tells the orchestrator that p's reads cannot block, when
// [Provider.Bounded] reports so: it returns p itself then, and nil
// otherwise. Its argument is a type only this module can name.
func (p *Provider) Vouch(vouch.Key) any {
	if p.bounded {
		return p
	}
	return nil
}

// Thermal reads the thermal pressure level published on
// com.apple.system.thermalpressurelevel (notify_get_state).
func (p *Provider) Thermal(ctx context.Context) (provider.ThermalState, error) {
	if err := procopt.CheckRead(ctx, &p.closed); err != nil {
		return provider.ThermalUnknown, err
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
	if err := procopt.CheckRead(ctx, &p.closed); err != nil {
		return provider.Opt[uint8]{}, err
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
	return procopt.Close(&p.mu, &p.closed, p.sys.close)
}
