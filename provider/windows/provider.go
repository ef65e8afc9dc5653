// Package windows reads device resource state on Windows through kernel32,
// without cgo. golang.org/x/sys/windows has no wrappers for these
// functions, so they are resolved with windows.NewLazySystemDLL (once per
// process; the DLL is never freed).
//
// Fast signals, read by [Provider.Snapshot]:
//
//   - total and available memory: GlobalMemoryStatusEx (ullTotalPhys,
//     ullAvailPhys);
//   - memory pressure: derived from available/total, raised to critical
//     while QueryMemoryResourceNotification reports the
//     LowMemoryResourceNotification signalled (see [pressureFromLowMemory]);
//   - CPU use: GetSystemTimes deltas (kernel time includes idle time), and
//     from the same reading the cumulative Counters.CPUBusy (kernel + user
//     − idle) and CPUTotal (kernel + user), 100 ns units summed over all
//     processors;
//   - process RSS: WorkingSetSize of K32GetProcessMemoryInfo.
//
// Run counters, read only by [Provider.RunSnapshot] at a run's start and
// end: Counters.ProcessCPU is kernel + user time of GetProcessTimes and
// Counters.RSSHighWaterMB is PeakWorkingSetSize of the same
// K32GetProcessMemoryInfo call that gives the RSS. Windows has no
// pressure-stall or CPU-quota counters that restel reads: CPUStall,
// MemoryStall, IOStall and Throttled stay unknown.
//
// Slow signals, never read inside Snapshot: battery, from
// GetSystemPowerStatus ([Provider.Battery]); accelerators, from the PDH
// GPU Engine, GPU Adapter Memory and GPU Process Memory counters
// ([Provider.Accelerators], pdh.dll; the query stays open until Close).
//
// Thermal state has no cheap native source: the only one is WMI
// (MSAcpi_ThermalZoneTemperature), a COM round trip of tens of milliseconds
// that needs administrator rights on most machines. It is not called on any
// path; the thermal state is unknown ("normal" on the wire) unless a host
// pushes it. Provider therefore does not implement provider.ThermalReader.
//
// All struct layouts, FILETIME arithmetic and mappings live in untagged
// files tested on every GOOS; sys_windows.go only makes the calls. On other
// systems [New] fails with an error wrapping errors.ErrUnsupported.
package windows

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

// sys is the system-call seam: sys_windows.go implements it with kernel32
// calls, tests with a fake.
type sys interface {
	// memoryStatus calls GlobalMemoryStatusEx.
	memoryStatus() (memoryStatusEx, error)
	// systemTimes calls GetSystemTimes.
	systemTimes() (systemTimes, error)
	// processMemory calls K32GetProcessMemoryInfo on the observed
	// process.
	processMemory() (processMemoryCounters, error)
	// processTimes calls GetProcessTimes on the observed process.
	processTimes() (processTimes, error)
	// lowMemory calls QueryMemoryResourceNotification on the
	// LowMemoryResourceNotification handle.
	lowMemory() (bool, error)
	// powerStatus calls GetSystemPowerStatus.
	powerStatus() (systemPowerStatus, error)
	// close releases the process and notification handles.
	close() error
}

// Provider reads Windows resource state. It is safe for concurrent use and
// starts no goroutine. Create it with [New]; release its handles with
// [Provider.Close].
type Provider struct {
	sys   sys
	clock provider.Clock

	bounded bool // sys is the operating system's (set by New)
	closed  atomic.Bool

	mu  sync.Mutex // guards cpu and the handles inside sys
	cpu cputicks.Tracker[systemTimes]

	pid uint32    // the observed process
	gpu gpuReader // reads for Accelerators, under its own lock
}

// Compile-time checks of the capabilities a Provider offers.
var (
	_ provider.SnapshotProvider = (*Provider)(nil)
	_ provider.BatteryReader    = (*Provider)(nil)
	_ provider.RunReader        = (*Provider)(nil)
)

// New returns a Provider. It opens the observed process (when it is not the
// caller) and a LowMemoryResourceNotification handle, but reads nothing and
// starts no goroutine. A negative pid is an error wrapping
// provider.ErrInvalid; a process that cannot be opened is an error naming
// it. On a system other than Windows the error wraps errors.ErrUnsupported.
func New(opts ...Option) (*Provider, error) {
	cfg, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	s, err := newSys(cfg.PID)
	if err != nil {
		return nil, err
	}
	p := newProvider(s, cfg)
	p.bounded = true
	return p, nil
}

func newProvider(s sys, cfg procopt.Config) *Provider {
	p := &Provider{sys: s, clock: cfg.Clock, pid: uint32(cfg.PID)}
	p.gpu.open = openGPUCounters
	return p
}

// Snapshot reads the fast signals: CPU use, the process working set,
// available and total memory and memory pressure, with the cumulative CPU
// busy and total counters. Thermal state stays unknown and battery invalid
// ([Provider.Battery] reads it off the hot path). The first Snapshot has
// no CPU value. A non-nil error names what could not be read; the
// snapshot still holds everything else.
func (p *Provider) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	return p.read(ctx, false)
}

// RunSnapshot is [Provider.Snapshot] plus the run counters (see
// [provider.RunReader]): the observed process's CPU time (GetProcessTimes)
// and its peak working set (PeakWorkingSetSize). The stall and throttle
// counters stay unknown.
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

	if ms, err := p.sys.memoryStatus(); err != nil {
		errs = append(errs, fmt.Errorf("windows: GlobalMemoryStatusEx: %w", err))
	} else if avail, total, err := memoryFromStatus(ms); err != nil {
		errs = append(errs, err)
	} else {
		s.AvailableMemMB = provider.AvailableMiB(avail)
		s.TotalMemMB = provider.TotalMiB(total)
	}
	native := provider.MemoryPressureUnknown
	if low, err := p.sys.lowMemory(); err != nil {
		errs = append(errs, fmt.Errorf("windows: QueryMemoryResourceNotification: %w", err))
	} else {
		native = pressureFromLowMemory(low)
	}
	s.MemoryPressure = provider.PressureFrom(s.AvailableMemMB, s.TotalMemMB, native)

	if st, err := p.sys.systemTimes(); err != nil {
		errs = append(errs, fmt.Errorf("windows: GetSystemTimes: %w", err))
		s.CPUPct = p.cpu.Last()
	} else {
		s.CPUPct = p.cpu.Observe(st)
		s.Counters.CPUBusy, s.Counters.CPUTotal = st.counters()
	}

	if pmc, err := p.sys.processMemory(); err != nil {
		errs = append(errs, fmt.Errorf("windows: K32GetProcessMemoryInfo: %w", err))
	} else {
		s.ProcessRSSMB = provider.MiB(uint64(pmc.WorkingSetSize))
		if run {
			s.Counters.RSSHighWaterMB = provider.MiB(uint64(pmc.PeakWorkingSetSize))
		}
	}
	if run {
		if pt, err := p.sys.processTimes(); err != nil {
			errs = append(errs, fmt.Errorf("windows: GetProcessTimes: %w", err))
		} else if s.Counters.ProcessCPU = pt.cpu(); !s.Counters.ProcessCPU.Valid {
			errs = append(errs, fmt.Errorf("windows: %w: GetProcessTimes: kernel %d + user %d (100 ns) overflow", provider.ErrInvalid, pt.kernel, pt.user))
		}
	}
	return s, errors.Join(errs...)
}

// Bounded reports that Snapshot and RunSnapshot cannot hang
// ([Provider.Vouch] says so to the orchestrator): they make only GlobalMemoryStatusEx,
// QueryMemoryResourceNotification, GetSystemTimes,
// K32GetProcessMemoryInfo and GetProcessTimes, kernel counters that return
// at once, so the orchestrator reads them on the caller's goroutine. A
// Provider built on injected system calls (tests) reports false.
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

// Battery reads GetSystemPowerStatus. A machine without a system battery
// gives an invalid Opt and a nil error.
func (p *Provider) Battery(ctx context.Context) (provider.Opt[uint8], error) {
	if err := procopt.CheckRead(ctx, &p.closed); err != nil {
		return provider.Opt[uint8]{}, err
	}
	ps, err := p.sys.powerStatus()
	if err != nil {
		return provider.Opt[uint8]{}, fmt.Errorf("windows: GetSystemPowerStatus: %w", err)
	}
	return batteryFromPowerStatus(ps), nil
}

// Close releases the process and notification handles and the PDH query.
// It is idempotent and safe to call concurrently with reads; later reads
// fail with provider.ErrClosed.
func (p *Provider) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	gerr := p.gpu.close()
	p.mu.Lock()
	defer p.mu.Unlock()
	return errors.Join(p.sys.close(), gerr)
}
