package linux

import (
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"github.com/restel/restel/provider"
)

// runSignals are the counters only a run's start and end need
// (docs/contract.md §4), read by [Provider.RunSnapshot] and never by
// Snapshot, so the cached hot path does not pay for them:
//
//   - the process's CPU time: utime+stime of /proc/<pid>/stat;
//   - its resident set high-water mark: VmHWM of /proc/<pid>/status;
//   - the pressure-stall "some" totals of cpu, memory and io
//     (Documentation/accounting/psi.rst): the process's own cgroup v2
//     cpu.pressure, memory.pressure and io.pressure when it has them, else
//     /proc/pressure/{cpu,memory,io}; a kernel without PSI (no file, or
//     EOPNOTSUPP) leaves them unknown;
//   - the CPU quota's throttled time (Documentation/scheduler/sched-bwc.rst):
//     cpu.stat throttled_usec of the nearest cgroup v2 level whose cpu.max
//     sets a quota, or on a cgroup v1 cpu controller throttled_time (ns) of
//     the nearest level whose cpu.cfs_quota_us is not -1; unknown when no
//     quota applies. Which level has a quota is re-read at most once a
//     second (slowEvery), like the memory limits.
//
// For the calling process itself on the live procfs (the library's case,
// where every run pays for it), getrusage(2) replaces the read of
// /proc/self/stat: its ru_utime+ru_stime is the same CPU time at
// microsecond rather than tick resolution. The high-water mark is still
// VmHWM of status: ru_maxrss would be cheaper, but it also remembers the
// peak of the image the process replaced at exec, and the kernel computes
// it from approximate per-CPU counters, so it cannot stand in for VmHWM.
//
// The files are kept open and re-read with pread like the fast signals
// (fresh reads under a foreign root): a steady-state RunSnapshot does not
// allocate. Counters are cumulative; one that went backwards is the
// consumer's business, but none is ever negative.
type runSignals struct {
	pidStat, pidStatus procFile
	self               bool        // the observed process is this one, on the live procfs
	psi                [3]psiTotal // cpu, memory, io
	quota              cpuQuota
}

// psiTotal is one PSI file read for its "some" total.
type psiTotal struct {
	file procFile
	off  bool // absent or EOPNOTSUPP: not tried again
}

// cpuQuota is the walk from the process's CPU cgroup up to the root.
type cpuQuota struct {
	v1     bool
	levels []quotaLevel // leaf first
	best   int          // the nearest level with a quota, -1 for none

	limits cadence // of the re-reads of which level has a quota
}

type quotaLevel struct {
	limit procFile // v2 cpu.max, v1 cpu.cfs_quota_us
	stat  procFile // cpu.stat
}

func (r *runSignals) init(procfs, pidDir, sysfs string, cg cgroupPaths, cb *budget) {
	r.pidStat = newProcFile(filepath.Join(pidDir, "stat"))
	r.pidStatus = newProcFile(filepath.Join(pidDir, "status"))
	cgroupRoot := filepath.Join(sysfs, "fs", "cgroup")
	for i, res := range [3]string{"cpu", "memory", "io"} {
		name := filepath.Join(procfs, "pressure", res)
		if cg.v2ok && cg.err == nil {
			for _, base := range []string{cgroupRoot, filepath.Join(cgroupRoot, "unified")} {
				own := filepath.Join(base, filepath.FromSlash(path.Clean("/"+cg.v2)), res+".pressure")
				if _, err := cb.stat(own); err == nil {
					name = own
					break
				}
			}
		}
		r.psi[i].file = newProcFile(name)
	}
	r.quota.best = -1
	r.quota.limits.every = slowEvery
	switch {
	case cg.err != nil:
	case cg.v1cpuOK:
		for _, mount := range v1CPUMounts {
			r.quota.levels = walkQuota(filepath.Join(cgroupRoot, mount), cg.v1cpu, "cpu.cfs_quota_us", cb)
			if len(r.quota.levels) > 0 {
				r.quota.v1 = true
				break
			}
		}
	case cg.v2ok:
		for _, base := range []string{cgroupRoot, filepath.Join(cgroupRoot, "unified")} {
			if r.quota.levels = walkQuota(base, cg.v2, "cpu.max", cb); len(r.quota.levels) > 0 {
				break
			}
		}
	}
}

// v1CPUMounts are the names under which a cgroup v1 hierarchy with the
// cpu controller is mounted: the kernel names it after its controllers,
// and "cpu" is often a link to "cpu,cpuacct".
var v1CPUMounts = []string{"cpu,cpuacct", "cpu", "cpuacct,cpu"}

// walkQuota lists the levels from cgPath up to the root of the hierarchy
// at base that have a quota file named limitName.
func walkQuota(base, cgPath, limitName string, cb *budget) []quotaLevel {
	return cgroupLevels(base, cgPath, limitName, cb, func(dir string) quotaLevel {
		return quotaLevel{
			limit: newProcFile(filepath.Join(dir, limitName)),
			stat:  newProcFile(filepath.Join(dir, "cpu.stat")),
		}
	})
}

func (r *runSignals) files() []*procFile {
	fs := []*procFile{&r.pidStat, &r.pidStatus, &r.psi[0].file, &r.psi[1].file, &r.psi[2].file}
	for i := range r.quota.levels {
		fs = append(fs, &r.quota.levels[i].limit, &r.quota.levels[i].stat)
	}
	return fs
}

// dirs lists the directories RunSnapshot reads beyond the fast signals'.
func (r *runSignals) dirs() []string {
	var ds []string
	for _, pf := range r.files() {
		ds = append(ds, filepath.Dir(pf.path))
	}
	return ds
}

// read fills the run counters of c; failures are added to f's errors.
func (r *runSignals) read(f *fastSignals, c *provider.Counters, now time.Time) {
	if !f.pidGone {
		c.ProcessCPU = r.readProcessCPU(f)
		c.RSSHighWaterMB = r.readHWM(f)
	}
	c.CPUStall = r.psi[0].read(f)
	c.MemoryStall = r.psi[1].read(f)
	c.IOStall = r.psi[2].read(f)
	c.Throttled = r.quota.read(f, now)
}

// pidFault adds the error of a failed read of a /proc/<pid> file, unless
// the process has exited (statm's read reports that, once).
func pidFault(f *fastSignals, err error) {
	if errors.Is(err, syscall.ESRCH) || errors.Is(err, fs.ErrNotExist) {
		return
	}
	f.addErr(err)
}

func (r *runSignals) readProcessCPU(f *fastSignals) provider.Opt[time.Duration] {
	if r.self {
		if cpu, ok := selfCPU(); ok {
			return provider.Some(cpu)
		}
	}
	b, err := r.pidStat.read(&f.buf, false)
	if err != nil {
		pidFault(f, err)
		return provider.Opt[time.Duration]{}
	}
	u, s, ok := procPIDStatCPU(b)
	if !ok || u+s < u {
		f.addErr(r.pidStat.invalid())
		return provider.Opt[time.Duration]{}
	}
	return ticksDuration(u+s, f.hz)
}

// readHWM returns VmHWM of the observed process in MiB.
func (r *runSignals) readHWM(f *fastSignals) provider.Opt[uint64] {
	b, err := r.pidStatus.read(&f.buf, true)
	if err != nil {
		pidFault(f, err)
		return provider.Opt[uint64]{}
	}
	hwm, ok := procPIDStatusHWM(b)
	if !ok {
		return provider.Opt[uint64]{} // a kernel thread or a zombie has none
	}
	return provider.MiB(hwm)
}

func (p *psiTotal) read(f *fastSignals) provider.Opt[time.Duration] {
	if p.off {
		return provider.Opt[time.Duration]{}
	}
	b, err := p.file.read(&f.buf, false)
	if err != nil {
		if psiUnsupported(err) {
			p.off = true
			p.file.close()
			return provider.Opt[time.Duration]{}
		}
		f.addErr(err)
		return provider.Opt[time.Duration]{}
	}
	v, ok := pressureSomeTotal(b)
	if !ok {
		f.addErr(p.file.invalid())
		return provider.Opt[time.Duration]{}
	}
	return unitDuration(v, time.Microsecond)
}

// read returns the throttled time of the nearest level with a quota.
func (q *cpuQuota) read(f *fastSignals, now time.Time) provider.Opt[time.Duration] {
	if len(q.levels) == 0 {
		return provider.Opt[time.Duration]{}
	}
	if q.limits.due(now) {
		q.readLimits(f)
	}
	if q.best < 0 {
		return provider.Opt[time.Duration]{}
	}
	lv := &q.levels[q.best]
	b, err := lv.stat.read(&f.buf, true)
	if err != nil {
		f.addErr(err)
		return provider.Opt[time.Duration]{}
	}
	key, unit := "throttled_usec", time.Microsecond
	if q.v1 {
		key, unit = "throttled_time", time.Nanosecond
	}
	v, ok := cgroupMemoryStat(b, key) // the same "key value" lines
	if !ok {
		f.addErr(lv.stat.invalid())
		return provider.Opt[time.Duration]{}
	}
	return unitDuration(v, unit)
}

func (q *cpuQuota) readLimits(f *fastSignals) {
	q.best = -1
	for i := range q.levels {
		lv := &q.levels[i]
		b, err := lv.limit.read(&f.buf, false)
		if err != nil {
			f.addErr(err)
			continue
		}
		var limited, ok bool
		if q.v1 {
			limited, ok = cgroupCFSQuota(b)
		} else {
			limited, ok = cgroupCPUMax(b)
		}
		if !ok {
			f.addErr(lv.limit.invalid())
			continue
		}
		if limited {
			q.best = i
			return
		}
	}
}
