package linux

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/restel/restel/internal/cputicks"
	"github.com/restel/restel/provider"
)

const (
	// initialBuf fits /proc/meminfo, a cgroup v1 memory.stat and the first
	// line of /proc/stat on common machines; larger files grow the buffer
	// once, at warm-up.
	initialBuf = 8 << 10
	// maxReadBytes bounds one read of a file read whole (meminfo,
	// memory.stat, <pid>/status, <pid>/cgroup): the buffer grows to at most
	// this, and a file that fills it is refused. These pseudo-files are a
	// few KiB; the bound is what stops an endless or huge file in a
	// foreign root from costing memory or time.
	maxReadBytes = 64 << 10
	// maxCgroupDepth bounds the walk from a cgroup up to the root.
	maxCgroupDepth = 64
	// v1Unlimited: a cgroup v1 limit at or above this is "no limit" even
	// when the host total is unknown (v1 reports 9223372036854771712,
	// PAGE_COUNTER_MAX pages, for an unset limit).
	v1Unlimited = 1 << 62
	// psiThreshold is avg10 = 10.00 %, in hundredths.
	psiThreshold = 1000
	// slowEvery is how often the cgroup limits (which level bounds the
	// process, and at what) and PSI are re-read. The kernel recomputes PSI
	// averages every 2 s (kernel/sched/psi.c, PSI_FREQ), and memory limits
	// change on administrative time scales, so re-reading them on every
	// hot-path refresh costs syscalls and buys nothing. The bounding
	// cgroup's usage and memory.stat, which move fast, are re-read on every
	// refresh.
	slowEvery = time.Second
)

// cadence spaces re-reads of what changes slowly: due at the first call,
// then once every elapsed, at every call when every is 0, and again
// whenever the clock went back.
type cadence struct {
	every  time.Duration
	at     time.Time // the last due call
	called bool
}

// due reports whether the re-read is due at now, and if so records now.
func (c *cadence) due(now time.Time) bool {
	if c.called && c.every > 0 && now.Sub(c.at) < c.every && !now.Before(c.at) {
		return false
	}
	c.at, c.called = now, true
	return true
}

// procFile is a procfs or cgroupfs file re-read from offset 0. On a live
// kernel file system (procfs, cgroupfs: see kernelFS) it is opened on first
// use, kept open and re-read with one pread at offset 0; a failed read
// closes it and the next read reopens it. On any other file system (a
// fixture tree, a copy another program refreshes by rename) it is fresh:
// opened, read and closed on every read, so a file replaced by rename is
// seen. Either way the open is non-blocking and refuses anything but a
// regular file (openRaw), and one read is bounded (maxReadBytes). Errors
// for a repeating failure are built once and reused, so a persistently
// missing file does not allocate per refresh.
type procFile struct {
	path  string
	fresh bool // read afresh each time: not on a kernel pseudo file system
	// bud, for a fresh file, is the budget of the read in progress: the
	// open and read run on a goroutine of their own, waited for at most
	// until the budget's deadline (see ioGuard). Nil: read inline.
	bud  *budget
	f    rawFile
	open bool

	lastOp     string
	lastCause  error
	lastErr    error
	invalidErr error
	dupErr     error // for the key dupKey
	dupKey     string
}

// newProcFile returns a file kept open between reads: for a file on a live
// procfs or cgroupfs. See newFreshProcFile for any other file.
func newProcFile(path string) procFile { return procFile{path: path} }

// newFreshProcFile returns a file opened, read and closed on every read:
// for a file that is not on a kernel pseudo file system, or not known to be.
func newFreshProcFile(path string) procFile { return procFile{path: path, fresh: true} }

// read re-reads the file from offset 0 into *buf and returns the bytes read
// (a slice of *buf, valid until the next read). With whole set, a read that
// fills the buffer doubles it (up to maxReadBytes) and reads again, so the
// caller sees the whole file, and a file that fills maxReadBytes is an
// error wrapping errTooLarge; without it, a prefix is enough and one pread
// of len(*buf) bytes is all that is read.
func (pf *procFile) read(buf *[]byte, whole bool) ([]byte, error) {
	if pf.fresh && pf.bud != nil && pf.bud.g != nil {
		return pf.readGuarded(buf, whole)
	}
	if !pf.open {
		f, err := openRaw(pf.path)
		if err != nil {
			return nil, pf.fail("open", err)
		}
		pf.f, pf.open = f, true
	}
	b, err := pf.readOpen(buf, whole)
	if pf.fresh {
		pf.close()
	}
	return b, err
}

func (pf *procFile) readOpen(buf *[]byte, whole bool) ([]byte, error) {
	for {
		n, err := pf.f.pread(*buf)
		if err != nil {
			pf.close()
			return nil, pf.fail("read", err)
		}
		if !whole || n < len(*buf) {
			return (*buf)[:n], nil
		}
		if len(*buf) >= maxReadBytes {
			pf.close()
			return nil, pf.fail("read", errTooLarge)
		}
		*buf = make([]byte, min(2*len(*buf), maxReadBytes))
	}
}

// readGuarded is read for a fresh file under a budget: the open, reads and
// close run on the guard's goroutine into a buffer of its own (an
// abandoned read keeps it), which becomes *buf when the read returns in
// time. The file is read whole or as a prefix as read describes.
func (pf *procFile) readGuarded(buf *[]byte, whole bool) ([]byte, error) {
	type out struct {
		b   []byte
		op  string
		err error
	}
	path, size := pf.path, len(*buf)
	r, err := guarded(pf.bud, "read", path, func() (out, error) {
		f, err := openRaw(path)
		if err != nil {
			return out{op: "open", err: err}, nil
		}
		defer f.close()
		b := make([]byte, size)
		for {
			n, err := f.pread(b)
			if err != nil {
				return out{op: "read", err: err}, nil
			}
			if !whole || n < len(b) {
				return out{b: b[:n]}, nil
			}
			if len(b) >= maxReadBytes {
				return out{op: "read", err: errTooLarge}, nil
			}
			b = make([]byte, min(2*len(b), maxReadBytes))
		}
	})
	if err != nil {
		return nil, pf.fail("read", err)
	}
	if r.err != nil {
		return nil, pf.fail(r.op, r.err)
	}
	if cap(r.b) > len(*buf) {
		*buf = r.b[:cap(r.b)]
	}
	return r.b, nil
}

func (pf *procFile) fail(op string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the portable shim already named the path
	}
	if pf.lastErr != nil && op == pf.lastOp && sameCause(err, pf.lastCause) {
		return pf.lastErr
	}
	pf.lastOp, pf.lastCause = op, err
	pf.lastErr = &fs.PathError{Op: op, Path: pf.path, Err: err}
	return pf.lastErr
}

// invalid is the (cached) error for a read that did not parse.
func (pf *procFile) invalid() error {
	if pf.invalidErr == nil {
		pf.invalidErr = fmt.Errorf("linux: %w: %s: malformed content", provider.ErrInvalid, pf.path)
	}
	return pf.invalidErr
}

// duplicate is the (cached) warning for a file that gives key twice: the
// first value is used.
func (pf *procFile) duplicate(key string) error {
	if pf.dupErr == nil || pf.dupKey != key {
		pf.dupErr = fmt.Errorf("linux: %w: %s: %s appears more than once; the first is used", provider.ErrInvalid, pf.path, key)
		pf.dupKey = key
	}
	return pf.dupErr
}

func (pf *procFile) close() {
	if pf.open {
		_ = pf.f.close()
		pf.open = false
	}
}

// fastSignals is the hot-path state of one Provider: its open files, read
// buffer and CPU delta. It is guarded by Provider.mu.
type fastSignals struct {
	buf      []byte
	pageSize uint64
	pidDir   string // directory of the observed process under procfs

	stat, meminfo, statm, psi procFile

	cpu cputicks.Tracker[cpuTimes]

	hz uint64 // USER_HZ: /proc/stat and /proc/<pid>/stat count in 1/hz s

	hostTotal   uint64 // bytes; host MemTotal is read once
	hostTotalOK bool

	pidGone bool
	psiOff  bool
	psiLast provider.MemoryPressure

	cg  cgroupBound
	run runSignals // read only by RunSnapshot

	// slow is the cadence of the cgroup limit and PSI re-reads.
	slow cadence

	// bud is the budget of the refresh in progress, shared by every fresh
	// file (their procFile.bud points here): renewed by Provider.read
	// when guarded, i.e. when any file is fresh.
	bud     budget
	guarded bool

	errs []error // this refresh's errors; reused
}

// init finds and classifies the files. cb bounds its own file I/O (the
// process's cgroup file, the cgroup walks, statfs): nil under the live
// kernel's roots. g guards the later reads of every file that is not on a
// kernel pseudo file system.
func (f *fastSignals) init(procfs, sysfs, pidDir string, cb *budget, g *ioGuard) {
	f.buf = make([]byte, initialBuf)
	f.pageSize = uint64(os.Getpagesize())
	f.hz = userHZ()
	f.pidDir = filepath.Join(procfs, pidDir)
	f.stat = newProcFile(filepath.Join(procfs, "stat"))
	f.meminfo = newProcFile(filepath.Join(procfs, "meminfo"))
	f.statm = newProcFile(filepath.Join(f.pidDir, "statm"))
	f.psi = newProcFile(filepath.Join(procfs, "pressure", "memory"))
	f.errs = make([]error, 0, 8)
	f.slow.every = slowEvery

	cgPaths := f.readPIDCgroup(filepath.Join(f.pidDir, "cgroup"), cb)
	f.cg.discover(cgPaths, sysfs, cb)
	f.run.init(procfs, f.pidDir, sysfs, cgPaths, cb)
	f.classify(cb.magic)
	f.bud = budget{g: g}
	for _, pf := range f.files() {
		if pf.fresh {
			pf.bud, f.guarded = &f.bud, true
		}
	}
	// The calling process on the live procfs: its CPU time comes from
	// getrusage(2) (see runSignals).
	f.run.self = filepath.Clean(procfs) == defaultProcFS &&
		pidDir == strconv.Itoa(os.Getpid()) && !f.run.pidStat.fresh
}

// cgroupPaths is what /proc/<pid>/cgroup says about the process's cgroups.
type cgroupPaths struct {
	v2, v1mem, v1cpu       string
	v2ok, v1memOK, v1cpuOK bool
	// err is the failure to read the file, other than its absence (a
	// kernel without cgroups, a fixture without the file): the process's
	// memory bound cannot be known.
	err error
}

// readPIDCgroup reads /proc/<pid>/cgroup once, at construction, with the
// same bounded, non-blocking read as every other file, within cb.
func (f *fastSignals) readPIDCgroup(name string, cb *budget) cgroupPaths {
	var c cgroupPaths
	pf := newFreshProcFile(name)
	pf.bud = cb
	b, err := pf.read(&f.buf, true)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.err = err
		}
		return c
	}
	c.v2, c.v2ok, c.v1mem, c.v1memOK = procPIDCgroup(b)
	c.v1cpu, c.v1cpuOK = procPIDCgroupV1(b, "cpu")
	return c
}

// files lists every file the Provider reads from procfs and cgroupfs: the
// fast signals', then RunSnapshot's.
func (f *fastSignals) files() []*procFile {
	fs := []*procFile{&f.stat, &f.meminfo, &f.statm, &f.psi}
	for i := range f.cg.levels {
		lv := &f.cg.levels[i]
		fs = append(fs, &lv.limit, &lv.usage, &lv.stat)
	}
	return append(fs, f.run.files()...)
}

// classify makes every file that is not on a kernel pseudo file system
// (per magicOf, the statfs(2) of its directory) fresh: read afresh on
// every read, never kept open.
func (f *fastSignals) classify(magicOf func(string) (int64, error)) {
	live := map[string]bool{}
	for _, pf := range f.files() {
		// The file's own file system first: a file bind-mounted over a
		// procfs file (LXCFS serves /proc/meminfo and /proc/stat from a
		// FUSE server in containers) is not the kernel's, whatever its
		// directory is. A file that is not there yet is judged by its
		// directory.
		if m, err := magicOf(pf.path); err == nil {
			pf.fresh = !kernelFS(m)
			continue
		}
		dir := filepath.Dir(pf.path)
		k, ok := live[dir]
		if !ok {
			m, err := magicOf(dir)
			k = err == nil && kernelFS(m)
			live[dir] = k
		}
		pf.fresh = !k
	}
}

// anyFresh reports whether a file is read afresh, i.e. is not known to be
// on a kernel pseudo file system.
func (f *fastSignals) anyFresh() bool {
	for _, pf := range f.files() {
		if pf.fresh {
			return true
		}
	}
	return false
}

func (f *fastSignals) close() {
	for _, pf := range f.files() {
		pf.close()
	}
}

func (f *fastSignals) addErr(err error) { f.errs = append(f.errs, err) }

// refresh reads every fast signal once, at now, and with run set the
// counters only a run's start and end need (see runSignals). It does not
// allocate in steady state.
func (f *fastSignals) refresh(now time.Time, run bool) (provider.Snapshot, error) {
	f.errs = f.errs[:0]
	slow := f.slow.due(now)
	var s provider.Snapshot
	s.CPUPct = f.readCPU(&s.Counters)
	s.ProcessRSSMB, s.Bytes.ProcessRSS = f.readRSS()

	total, avail := f.readMeminfo()
	if slow {
		f.cg.readLimits(f)
		f.psiLast = f.readPSI()
		if f.cg.unknown != nil {
			f.addErr(f.cg.unknown)
		}
	}
	if f.cg.unknown != nil {
		// The process's cgroup is unknown, so is its memory bound: the
		// host's figures would be a guess.
		total, avail = provider.Opt[uint64]{}, provider.Opt[uint64]{}
	}
	if limit, cgAvail, ok := f.cg.read(f); ok {
		if !total.Valid || limit < total.V {
			total = provider.Some(limit)
		}
		switch {
		case !cgAvail.Valid:
			// Bounded, but the cgroup's usage is unknown: the host's
			// available memory says nothing about the container's.
			avail = cgAvail
		case !avail.Valid || cgAvail.V < avail.V:
			avail = cgAvail
		}
	}
	if avail.Valid && total.Valid && avail.V > total.V {
		avail.V = total.V
	}
	if total.Valid {
		s.TotalMemMB = provider.TotalMiB(total.V)
		s.Bytes.Total = total
	}
	if avail.Valid {
		// A container at its limit has a known 0 available (under 1 MiB
		// is 0): derived pressure is critical.
		s.AvailableMemMB = provider.AvailableMiB(avail.V)
		s.Bytes.Available = avail
	}
	s.MemoryPressure = provider.PressureFrom(s.AvailableMemMB, s.TotalMemMB, f.psiLast)
	if run {
		f.run.read(f, &s.Counters, now)
	}

	return s, joinErrs(f.errs)
}

// joinErrs is errors.Join of errs, except that one error is returned
// itself, neither wrapped nor allocated for.
func joinErrs(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// readCPU turns two reads of /proc/stat into a percentage, and sets the
// cumulative busy and total CPU time of the read in c. Counters going
// backwards (CPU hot-unplug, a kernel's iowait accounting) or no elapsed
// ticks keep the last value; the first read has none.
func (f *fastSignals) readCPU(c *provider.Counters) provider.Opt[float64] {
	b, err := f.stat.read(&f.buf, false)
	if err != nil {
		f.addErr(err)
		return f.cpu.Last()
	}
	t, ok := procStat(b)
	if !ok {
		f.addErr(f.stat.invalid())
		return f.cpu.Last()
	}
	c.CPUBusy = ticksDuration(t.busy, f.hz)
	c.CPUTotal = ticksDuration(t.total, f.hz)
	return f.cpu.Observe(t)
}

// readRSS reads the resident pages of /proc/<pid>/statm. A process that has
// exited is reported once; its RSS then stays unknown and its statm is not
// reopened (its pid may be reused by an unrelated process).
func (f *fastSignals) readRSS() (mib, bytes provider.Opt[uint64]) {
	if f.pidGone {
		return mib, bytes
	}
	b, err := f.statm.read(&f.buf, false)
	if err != nil {
		if errors.Is(err, syscall.ESRCH) || (errors.Is(err, fs.ErrNotExist) && !f.dirExists(f.pidDir)) {
			f.pidGone = true
			f.statm.close()
			f.addErr(fmt.Errorf("linux: %w: process %s has exited: %w", provider.ErrUnavailable, f.pidDir, err))
			return mib, bytes
		}
		f.addErr(err)
		return mib, bytes
	}
	pages, ok := procPIDStatm(b)
	if !ok {
		f.addErr(f.statm.invalid())
		return mib, bytes
	}
	if pages != 0 && pages > ^uint64(0)/f.pageSize {
		f.addErr(f.statm.invalid())
		return mib, bytes
	}
	rss := pages * f.pageSize
	if rss == 0 {
		return mib, bytes // a zombie's 0 pages is unknown
	}
	return provider.MiB(rss), provider.Some(rss)
}

// dirExists reports whether dir is a directory, within the refresh's
// budget when guarded.
func (f *fastSignals) dirExists(dir string) bool {
	var b *budget
	if f.guarded {
		b = &f.bud
	}
	fi, err := b.stat(dir)
	return err == nil && fi.IsDir()
}

// readMeminfo returns host total and available memory in bytes. The host
// total is latched from the first good read.
func (f *fastSignals) readMeminfo() (total, avail provider.Opt[uint64]) {
	if f.hostTotalOK {
		total = provider.Some(f.hostTotal)
	}
	b, err := f.meminfo.read(&f.buf, true)
	if err != nil {
		f.addErr(err)
		return total, avail
	}
	m := procMeminfo(b)
	if !f.hostTotalOK && m.totalOK && m.total > 0 {
		f.hostTotal, f.hostTotalOK = m.total, true
		total = provider.Some(m.total)
	}
	if m.availOK {
		avail = provider.Some(m.avail)
	}
	if !m.availOK || !f.hostTotalOK {
		f.addErr(f.meminfo.invalid())
	}
	if m.dup != "" {
		f.addErr(f.meminfo.duplicate(m.dup))
	}
	return total, avail
}

// readPSI maps /proc/pressure/memory to a native pressure: full avg10 >= 10
// is critical, some avg10 >= 10 is warn, otherwise normal. A kernel without
// PSI (no file, or EOPNOTSUPP when booted with psi=0) gives unknown and the
// file is not tried again.
func (f *fastSignals) readPSI() provider.MemoryPressure {
	if f.psiOff {
		return provider.MemoryPressureUnknown
	}
	b, err := f.psi.read(&f.buf, false)
	if err != nil {
		if psiUnsupported(err) {
			f.psiOff = true
			f.psi.close()
			return provider.MemoryPressureUnknown
		}
		f.addErr(err)
		return provider.MemoryPressureUnknown
	}
	p := procPressureMemory(b)
	if p.bad {
		f.addErr(f.psi.invalid())
	}
	return psiPressure(p)
}

// psiUnsupported reports whether a failed open or read of
// /proc/pressure/memory means the kernel has no PSI: the file is absent
// (CONFIG_PSI off, or psi=0 on kernels that then skip /proc/pressure) or
// reading it fails with EOPNOTSUPP (psi=0 on kernels that keep the files).
func psiUnsupported(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, errors.ErrUnsupported)
}

// psiPressure is the native pressure p shows; a malformed file shows none.
func psiPressure(p psiMemory) provider.MemoryPressure {
	switch {
	case p.bad:
		return provider.MemoryPressureUnknown
	case p.fullOK && p.full >= psiThreshold:
		return provider.MemoryPressureCritical
	case p.someOK && p.some >= psiThreshold:
		return provider.MemoryPressureWarn
	case p.someOK || p.fullOK:
		return provider.MemoryPressureNormal
	}
	return provider.MemoryPressureUnknown
}

// cgroupLevel is one cgroup directory on the walk from the process's
// cgroup up to the hierarchy root that has a memory limit file.
type cgroupLevel struct {
	// v1Root marks the root of a cgroup v1 hierarchy (it has
	// cgroup.sane_behavior, a file only the root has), whose limit cannot
	// be set: the kernel rejects writes to the root memcg's
	// memory.limit_in_bytes. Inside a container the mount root is usually
	// the container's own cgroup, which is not a hierarchy root.
	v1Root bool
	limit  procFile // v2 memory.max, v1 memory.limit_in_bytes
	usage  procFile // v2 memory.current, v1 memory.usage_in_bytes
	stat   procFile // memory.stat
}

// cgroupBound is the container memory bound: the levels found at
// construction, whose files are re-read on every refresh.
type cgroupBound struct {
	// unknown is why the process's cgroup could not be read: the memory
	// bound, and so the available and total memory, are unknown.
	unknown error

	v1     bool
	levels []cgroupLevel // leaf first

	best  int    // index of the bounding level, -1 for none
	limit uint64 // its limit in bytes
}

// discover finds the memory limit files on the walk from the process's
// cgroup (from /proc/<pid>/cgroup) up to the root: cgroup v2 first (the
// "0::/path" line, under <sysfs>/fs/cgroup, or <sysfs>/fs/cgroup/unified on
// hybrid hosts), else the cgroup v1 memory controller (under
// <sysfs>/fs/cgroup/memory). The walk reaches the mount root, which inside
// a container without a cgroup namespace is the container's own cgroup.
func (c *cgroupBound) discover(cg cgroupPaths, sysfs string, cb *budget) {
	c.best = -1
	c.unknown = cg.err
	if cg.err != nil {
		return
	}
	cgroupRoot := filepath.Join(sysfs, "fs", "cgroup")
	if cg.v2ok {
		for _, base := range []string{cgroupRoot, filepath.Join(cgroupRoot, "unified")} {
			c.levels = walkCgroup(base, cg.v2, "memory.max", "memory.current", cb)
			if len(c.levels) > 0 {
				return
			}
		}
	}
	if cg.v1memOK {
		c.levels = walkCgroup(filepath.Join(cgroupRoot, "memory"), cg.v1mem, "memory.limit_in_bytes", "memory.usage_in_bytes", cb)
		c.levels = slices.DeleteFunc(c.levels, func(lv cgroupLevel) bool { return lv.v1Root })
		c.v1 = len(c.levels) > 0
	}
}

func walkCgroup(base, cgPath, limitName, usageName string, cb *budget) []cgroupLevel {
	return cgroupLevels(base, cgPath, limitName, cb, func(dir string) cgroupLevel {
		_, err := cb.stat(filepath.Join(dir, "cgroup.sane_behavior"))
		return cgroupLevel{
			v1Root: err == nil,
			limit:  newProcFile(filepath.Join(dir, limitName)),
			usage:  newProcFile(filepath.Join(dir, usageName)),
			stat:   newProcFile(filepath.Join(dir, "memory.stat")),
		}
	})
}

// cgroupLevels walks from cgPath up to the root of the hierarchy at base
// and returns, in that order, the level mk makes of each directory that
// has a file named limitName. Any file by that name makes a level,
// whatever its type: one that is not a regular file fails its reads with
// an error naming it. The stats run within cb.
func cgroupLevels[L any](base, cgPath, limitName string, cb *budget, mk func(dir string) L) []L {
	var out []L
	for _, p := range levels(cgPath, true) {
		dir := filepath.Join(base, filepath.FromSlash(p))
		if _, err := cb.stat(filepath.Join(dir, limitName)); err == nil {
			out = append(out, mk(dir))
		}
	}
	return out
}

// readLimits re-reads the limits and picks the tightest numeric one below
// the host total (v2: not "max"; v1: below host MemTotal and below the v1
// "unset" value).
func (c *cgroupBound) readLimits(f *fastSignals) {
	best, limit := -1, uint64(0)
	for i := range c.levels {
		lv := &c.levels[i]
		b, err := lv.limit.read(&f.buf, false)
		if err != nil {
			f.addErr(err)
			continue
		}
		v, limited, good := cgroupMemoryLimit(b, c.v1)
		if !good {
			f.addErr(lv.limit.invalid())
			continue
		}
		if !limited || (f.hostTotalOK && v >= f.hostTotal) {
			continue
		}
		if best < 0 || v < limit {
			best, limit = i, v
		}
	}
	c.best, c.limit = best, limit
}

// read returns the bound picked by readLimits and that cgroup's available
// memory, re-read now: limit − (usage − inactive_file), floored at 0. ok is
// false when there is no bound.
func (c *cgroupBound) read(f *fastSignals) (limit uint64, avail provider.Opt[uint64], ok bool) {
	if c.best < 0 {
		return 0, avail, false
	}
	limit = c.limit
	lv := &c.levels[c.best]
	b, err := lv.usage.read(&f.buf, false)
	if err != nil {
		f.addErr(err)
		return limit, avail, true
	}
	usage, good := cgroupValue(b)
	if !good {
		f.addErr(lv.usage.invalid())
		return limit, avail, true
	}
	key := "inactive_file"
	if c.v1 {
		key = "total_inactive_file"
	}
	var inactive uint64
	if b, err = lv.stat.read(&f.buf, true); err != nil {
		f.addErr(err) // conservative: count all usage as used
	} else if inactive, good = cgroupMemoryStat(b, key); !good {
		f.addErr(lv.stat.invalid())
		inactive = 0
	}
	used := usage - min(inactive, usage)
	return limit, provider.Some(limit - min(used, limit)), true
}
