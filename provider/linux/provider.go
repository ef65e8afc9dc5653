// Package linux reads device resource state from Linux procfs and sysfs
// (docs/contract.md §2). Android uses the same code for CPU, memory and RSS.
//
// A [Provider] has three parts:
//
//   - the fast signals, read by [Provider.Snapshot] on the inference hot
//     path: CPU use from /proc/stat deltas (Documentation/filesystems/
//     proc.rst §1.8), with the cumulative busy and total CPU time of the
//     same read as counters; host memory from /proc/meminfo; the process's
//     resident set from /proc/<pid>/statm; the container's memory bound
//     from cgroup v2 (memory.max, memory.current, memory.stat;
//     Documentation/admin-guide/cgroup-v2.rst) or cgroup v1
//     (memory.limit_in_bytes, memory.usage_in_bytes, memory.stat;
//     Documentation/admin-guide/cgroup-v1/memory.rst), found through
//     /proc/<pid>/cgroup; and Linux PSI (/proc/pressure/memory,
//     Documentation/accounting/psi.rst). The files are opened once, kept
//     open and re-read with one pread at offset 0 into a fixed buffer: a
//     steady-state refresh does not allocate. The host MemTotal is read
//     once; the cgroup limits and PSI are re-read at most once a second by
//     the Provider's clock (PSI averages only change every 2 s), the
//     bounding cgroup's usage on every refresh. That cadence is what keeps
//     BenchmarkRefresh within 1.3× of BenchmarkFloor (three preads): a
//     refresh that falls due on it also re-reads every limit on the cgroup
//     walk and PSI, and costs what BenchmarkRefreshAllSources measures
//     (BENCHMARKS.md).
//   - the run counters, read only by [Provider.RunSnapshot] for a run's
//     start and end (docs/contract.md §4), never by Snapshot: the
//     process's CPU time (utime+stime of /proc/<pid>/stat), its RSS
//     high-water mark (VmHWM of /proc/<pid>/status), the PSI "some" stall
//     totals of cpu, memory and io (the process's own cgroup v2
//     *.pressure files when it has them, else /proc/pressure/*), and the
//     CPU quota's throttled time (cgroup cpu.stat; Documentation/scheduler/
//     sched-bwc.rst). Same discipline: kept-open files, pread, no
//     allocation.
//   - the slow signals, [Provider.Thermal] and [Provider.Battery], read from
//     sysfs thermal zones, hwmon and power_supply with bounded non-blocking
//     reads. They are never read inside Snapshot; the orchestrator polls them
//     on its own cadence.
//
// The procfs and sysfs roots are constructor values (default /proc and
// /sys, like node_exporter's --path.procfs / --path.sysfs), so tests point a
// Provider at a fixture tree. There is no package-level state and no
// long-lived goroutine: every Provider owns its own CPU delta and open
// files.
//
// Nothing under a root can hang or balloon a Provider, including its
// construction. Every open is non-blocking and keeps only a regular file
// (a named pipe, a device such as a symlink to /dev/zero, a directory is
// refused with an error naming it); every read is bounded (one page for a
// sysfs attribute, 64 KiB for a file read whole); a class directory is
// opened as a directory only, and its listing is bounded. Files are kept
// open only where statfs says the directory is procfs or cgroupfs: under
// any other root (a fixture tree, a copy another program refreshes by
// rename) each read opens, reads and closes the file, so a replaced file
// is seen. There, too, a regular file on FUSE or NFS can block an open
// or read whatever its flags, so each such operation runs on a goroutine
// of its own and one call (New, Snapshot, RunSnapshot, Thermal, Battery)
// waits at most the read timeout for all of them ([WithReadTimeout]);
// what does not answer is abandoned, counted ([Provider.Abandoned]) and
// not retried while it is stuck (see ioGuard). Reads of the live kernel
// file systems stay inline.
//
// Parsers are private functions over []byte named after the file they
// parse; they are untagged and tested on every GOOS. Only the open/pread
// shims are Linux-specific (file_linux.go), with a portable fallback.
package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/restel/restel/internal/vouch"
	"github.com/restel/restel/provider"
)

// Provider reads fast signals from procfs/cgroupfs and slow signals from
// sysfs. It is safe for concurrent use. Create it with [New]; release its
// open files with [Provider.Close].
type Provider struct {
	procfs, sysfs string
	pid           int // 0: the procfs root's "self"
	attr          attrReader
	slow          *sysfsSignals

	clock   provider.Clock
	closed  atomic.Bool
	bounded bool // every fast-signal file is on procfs or cgroupfs

	// guard bounds the file I/O of every read of a file that is not on a
	// kernel pseudo file system (see ioGuard); slowGuarded: the sysfs root
	// is not the live sysfs, so Thermal and Battery read through it.
	guard       *ioGuard
	slowGuarded bool

	mu   sync.Mutex // guards fast
	fast fastSignals

	capr  capacityReader // reads for Capacity, under its own lock
	accel accelReader    // reads for Accelerators, under its own lock
}

// Compile-time checks of the capabilities a Provider offers.
var (
	_ provider.SnapshotProvider  = (*Provider)(nil)
	_ provider.ThermalReader     = (*Provider)(nil)
	_ provider.BatteryReader     = (*Provider)(nil)
	_ provider.RunReader         = (*Provider)(nil)
	_ provider.CapacityReader    = (*Provider)(nil)
	_ provider.AcceleratorReader = (*Provider)(nil)
)

type config struct {
	procfs, sysfs string
	pid           int
	clock         provider.Clock
	readTimeout   time.Duration
	ioHook        func(op, path string) // tests: see ioGuard.hook
}

// Option configures [New].
type Option func(*config)

// WithProcFS sets the procfs root (default "/proc").
func WithProcFS(dir string) Option { return func(c *config) { c.procfs = dir } }

// WithSysFS sets the sysfs root (default "/sys"). The cgroup hierarchies are
// looked up under <sysfs>/fs/cgroup.
func WithSysFS(dir string) Option { return func(c *config) { c.sysfs = dir } }

// WithPID sets whose resident set size (and cgroup) is read. The default is
// the calling process: os.Getpid() under the default root, and the root's
// "self" entry under any other procfs root (a fixture tree).
func WithPID(pid int) Option { return func(c *config) { c.pid = pid } }

// WithClock sets the clock that stamps snapshots (default the system clock).
func WithClock(clk provider.Clock) Option { return func(c *config) { c.clock = clk } }

// WithReadTimeout bounds the file I/O of [New] and of each Snapshot,
// RunSnapshot, Thermal and Battery call on a root that is not the live
// kernel (default [DefaultReadTimeout]; zero or negative selects it). An
// open, read or stat still running at the timeout is abandoned: the
// field it feeds is unknown and the error names the file (wrapping
// [ErrAbandoned]). Reads of the live procfs, cgroupfs and sysfs are never
// handed off and ignore it.
func WithReadTimeout(d time.Duration) Option { return func(c *config) { c.readTimeout = d } }

// withIOHook runs hook on the I/O goroutine before each guarded operation
// (tests: a hook that blocks stands in for a file system that does not
// answer).
func withIOHook(hook func(op, path string)) Option { return func(c *config) { c.ioHook = hook } }

// ErrRoot is wrapped by [New] when a root directory or the process's
// directory is missing or not a directory (a pid given with [WithPID]
// whose directory is missing is [ErrNoProcess] instead).
var ErrRoot = errors.New("bad root")

// ErrNoProcess is wrapped by [New] (with the fs.ErrNotExist of the lookup)
// when the process given by [WithPID] does not exist: the procfs root has
// no directory for it. Its message reads "no process N".
var ErrNoProcess = errors.New("no process")

const (
	defaultProcFS = "/proc"
	defaultSysFS  = "/sys"
)

// New returns a Provider reading the given roots. It checks that the procfs
// and sysfs roots and the pid's procfs directory exist (an error wrapping
// [ErrRoot] and the fs error names the path; [ErrNoProcess] for a pid with
// no directory) and discovers the process's cgroup from /proc/<pid>/cgroup.
// Every open is non-blocking and every read bounded, so a foreign root
// cannot balloon it. Under the default roots it starts no goroutine; under
// any other root its file I/O runs on goroutines it waits for at most the
// read timeout ([WithReadTimeout]), so a FUSE or network file system that
// does not answer cannot hang it either: what did not answer is
// abandoned, and a process cgroup file that did not is an unknown memory
// bound, reported by every Snapshot.
func New(opts ...Option) (*Provider, error) {
	cfg := config{procfs: defaultProcFS, sysfs: defaultSysFS}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.procfs == "" || cfg.sysfs == "" {
		return nil, fmt.Errorf("linux: %w: empty procfs or sysfs root", ErrRoot)
	}
	if cfg.clock == nil {
		cfg.clock = provider.SystemClock{}
	}
	if cfg.pid < 0 {
		return nil, fmt.Errorf("linux: %w: pid %d is negative", provider.ErrInvalid, cfg.pid)
	}
	g := newIOGuard(cfg.readTimeout, cfg.ioHook)
	// cb bounds construction's own file I/O, except under the live
	// kernel's roots.
	var cb *budget
	if !liveRoots(cfg.procfs, cfg.sysfs) {
		b := g.newBudget(nil)
		cb = &b
	}
	if err := checkDir(cb, "procfs root", cfg.procfs); err != nil {
		return nil, err
	}
	if err := checkDir(cb, "sysfs root", cfg.sysfs); err != nil {
		return nil, err
	}
	pidDir := pidDirName(cfg.procfs, cfg.pid)
	if err := checkDir(cb, "process directory", filepath.Join(cfg.procfs, pidDir)); err != nil {
		if _, serr := cb.stat(filepath.Join(cfg.procfs, pidDir)); cfg.pid > 0 && errors.Is(serr, fs.ErrNotExist) {
			return nil, fmt.Errorf("linux: %w %d (%w)", ErrNoProcess, cfg.pid, serr)
		}
		return nil, err
	}
	p := &Provider{
		procfs: cfg.procfs,
		sysfs:  cfg.sysfs,
		pid:    cfg.pid,
		attr:   readAttr,
		slow:   newSysfsSignals(cfg.sysfs, readAttr),
		clock:  cfg.clock,
		guard:  g,
	}
	p.fast.init(cfg.procfs, cfg.sysfs, pidDir, cb, g)
	p.bounded = boundedRoots(p.fast.fastDirs(cfg.procfs), cb.magic) && !p.fast.anyFresh()
	m, err := cb.magic(cfg.sysfs)
	p.slowGuarded = err != nil || m != sysfsMagic
	return p, nil
}

// liveRoots reports whether the roots are the default /proc and /sys, the
// live kernel's: New then reads them inline.
func liveRoots(procfs, sysfs string) bool {
	return filepath.Clean(procfs) == defaultProcFS && filepath.Clean(sysfs) == defaultSysFS
}

// pidDirName is the directory under the procfs root holding the observed
// process: its pid, or "self" when pid is 0 and the root is not the live
// /proc (a fixture tree's "self" is whichever process it was copied from).
func pidDirName(procfs string, pid int) string {
	if pid == 0 {
		if filepath.Clean(procfs) == defaultProcFS {
			return strconv.Itoa(os.Getpid())
		}
		return "self"
	}
	return strconv.Itoa(pid)
}

// checkDir checks that dir is a directory, within cb.
func checkDir(cb *budget, what, dir string) error {
	fi, err := cb.stat(dir)
	if err != nil {
		return fmt.Errorf("linux: %w: %s %s: %w", ErrRoot, what, dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("linux: %w: %s %s is not a directory", ErrRoot, what, dir)
	}
	return nil
}

// Snapshot reads the fast signals: CPU use, process RSS, available and
// total memory (bounded by the cgroup) and memory pressure (raised by PSI).
// Thermal state stays ThermalUnknown and battery invalid: they are slow
// signals, read by [Provider.Thermal] and [Provider.Battery].
//
// The first Snapshot has no CPU value (no delta yet). A non-nil error
// names what could not be read; the snapshot still holds everything else.
// A process that has exited is reported once, then its RSS stays unknown
// without an error. A steady-state Snapshot does not allocate.
func (p *Provider) Snapshot(ctx context.Context) (provider.Snapshot, error) {
	return p.read(ctx, false)
}

// RunSnapshot is Snapshot plus the counters a run's start and end need
// (see [provider.RunReader]): the process's CPU time (utime+stime of
// /proc/<pid>/stat, or getrusage(2) for the calling process itself), its
// RSS high-water mark (VmHWM of /proc/<pid>/status),
// the PSI "some" stall totals of cpu, memory and io (the process's own
// cgroup v2 pressure files when it has them, else /proc/pressure), and the
// cgroup CPU quota's throttled time (cpu.stat; unknown when no quota
// applies). Snapshot never reads those files. A steady-state RunSnapshot
// does not allocate.
func (p *Provider) RunSnapshot(ctx context.Context) (provider.Snapshot, error) {
	return p.read(ctx, true)
}

// read is Snapshot, with the run counters when run is set.
func (p *Provider) read(ctx context.Context, run bool) (provider.Snapshot, error) {
	now := p.clock.Now()
	if err := ctx.Err(); err != nil {
		return provider.Unknown(now), err
	}
	if p.closed.Load() {
		return provider.Unknown(now), provider.ErrClosed
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() {
		return provider.Unknown(now), provider.ErrClosed
	}
	if p.fast.guarded {
		p.fast.bud = p.guard.newBudget(ctx)
		defer func() { p.fast.bud.ctx = nil }()
	}
	s, err := p.fast.refresh(now, run)
	s.CapturedAtMS = now.UnixMilli()
	return s, err
}

// Bounded reports whether Snapshot cannot hang ([Provider.Vouch] says so
// to the orchestrator):
// true when the procfs root, the process's directory and every cgroup
// directory the fast signals read are on procfs or cgroupfs, as they are
// under the default roots on Linux and Android. Those files are generated
// by the kernel from memory (statm takes no mmap lock), so a read returns
// promptly. A fixture tree, or a root on any other file system (a FUSE or
// network mount could hang a read), reports false. It is decided once, in
// [New].
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

// Thermal reads the thermal state from sysfs (thermal zones with trip
// points, else hwmon, raised by throttling cooling devices; docs/contract.md §2).
func (p *Provider) Thermal(ctx context.Context) (provider.ThermalState, error) {
	if p.closed.Load() {
		return provider.ThermalUnknown, provider.ErrClosed
	}
	return p.slowSignals(ctx).Thermal(ctx)
}

// Battery reads the battery charge from sysfs power_supply (docs/contract.md §2).
func (p *Provider) Battery(ctx context.Context) (provider.Opt[uint8], error) {
	if p.closed.Load() {
		return provider.Opt[uint8]{}, provider.ErrClosed
	}
	return p.slowSignals(ctx).Battery(ctx)
}

// slowSignals is the slow-signal reader for one call: under a sysfs root
// that is not the live sysfs, one whose every read and listing is bounded
// by the read timeout (and ctx).
func (p *Provider) slowSignals(ctx context.Context) *sysfsSignals {
	if !p.slowGuarded {
		return p.slow
	}
	b := p.guard.newBudget(ctx)
	return &sysfsSignals{root: p.slow.root, read: b.attr, list: b.list}
}

// Abandoned returns how many file operations (an open, read or stat of a
// root that is not the live kernel) this Provider has abandoned because
// they did not return within the read timeout, construction included.
// Each left a goroutine blocked in its system call until the file system
// answers; no second one is started on a file whose first has not
// returned.
func (p *Provider) Abandoned() uint64 { return p.guard.abandoned.Load() }

// Close releases the open files. It is safe to call more than once and
// concurrently with Snapshot; later Snapshots fail with provider.ErrClosed.
func (p *Provider) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fast.close()
	return nil
}
