package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/restel/restel/provider"
)

// capacityReader reads the constraints of docs/contract.md §10 — what
// bounds the CPUs and memory the process may use, and its temperature
// sensors with their thresholds — for [Provider.Capacity]. It reads
// every file afresh (a process can be moved to another cgroup, a cpuset
// narrowed, at any time), on the slow-signal cadence, never on the hot
// path.
type capacityReader struct {
	mu  sync.Mutex // guards buf, errs and bud: one read at a time
	buf []byte
	// errs collects what a read could not use; reused.
	errs []error
	// bud bounds the read's file I/O under a root that is not the live
	// kernel (nil on the live roots: inline).
	bud *budget
}

// severeBandsC is the severe threshold of a sensor without usable trip
// points or limits: the start of the "hot" band of the thermal state
// (docs/contract.md §2), where the platform is assumed to throttle.
const severeBandsC = 70.0

// Capacity implements provider.CapacityReader (docs/contract.md §10)
// from the procfs and sysfs roots:
//
//   - CPU limits, most specific first: the CPU quota of the process's
//     cgroup and of every ancestor up to the root (cgroup v2 cpu.max, else
//     v1 cpu.cfs_quota_us ÷ cpu.cfs_period_us), each named
//     "cgroup:<path>"; the cpusets (v2 cpuset.cpus.effective, else v1
//     cpuset.effective_cpus) from the topmost level down, so a tie names
//     the level that set it, "cpuset:<path>"; the affinity mask
//     (Cpus_allowed_list of <procfs>/<pid>/status), "affinity"; and the
//     host's online CPUs (<sysfs>/devices/system/cpu/online), "host".
//   - The throttle counters (cpu.stat nr_periods, nr_throttled) of the
//     cgroup with the tightest quota.
//   - Memory limits: every ancestor cgroup with a memory limit below the
//     host total (v2 memory.max, v1 memory.limit_in_bytes), whose
//     available memory is its limit less its usage, inactive file pages
//     not counted as used; then the host's MemAvailable.
//   - Temperature sensors: the usable thermal zones, each with its severe
//     threshold (its lowest passive trip, else hot trip, else critical
//     trip − 5 °C, else 70 °C); if no zone is usable, the hwmon sensors
//     (temp*_max, else 70 °C).
//   - Throttling: a CPU cooling device (Processor, thermal-cpufreq-*,
//     intel_powerclamp) with cur_state above 0 throttles, whatever the
//     temperatures say; with such devices present and none active, not
//     throttling; without any, unknown.
//
// What cannot be read is left out; the error joins what went wrong.
func (p *Provider) Capacity(ctx context.Context, c *provider.Capacity) error {
	c.Reset()
	if p.closed.Load() {
		return provider.ErrClosed
	}
	r := &p.capr
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buf == nil {
		r.buf = make([]byte, initialBuf)
	}
	r.errs = r.errs[:0]
	r.bud = p.readBudget(ctx)
	defer func() { r.bud = nil }()
	pidDir := filepath.Join(p.procfs, pidDirName(p.procfs, p.pid))

	cgroups, err := r.readFile(filepath.Join(pidDir, "cgroup"))
	var v2 string
	var v2ok bool
	var v1cpu, v1cpuset, v1mem string
	var v1cpuOK, v1cpusetOK, v1memOK bool
	if err == nil {
		v2, v2ok, v1mem, v1memOK = procPIDCgroup(cgroups)
		v1cpu, v1cpuOK = procPIDCgroupV1(cgroups, "cpu")
		v1cpuset, v1cpusetOK = procPIDCgroupV1(cgroups, "cpuset")
	} else if !errors.Is(err, fs.ErrNotExist) {
		r.errs = append(r.errs, err)
	}
	cgRoot := filepath.Join(p.sysfs, "fs", "cgroup")
	v2base := ""
	if v2ok {
		v2base = cgroupMount(r.bud, cgRoot, v2, ".", "unified")
	}

	// CPU quotas, leaf first. Each controller is read from the hierarchy
	// that has it: on a hybrid host the unified hierarchy exists for every
	// process but holds no cpu.max, and the v1 cpu controller does.
	best := -1
	var bestDir, bestPath string
	addQuota := func(cpus float64, dir, lv string) {
		c.CPULimits = append(c.CPULimits, provider.CPULimit{By: "cgroup:" + lv, CPUs: cpus})
		if best < 0 || cpus < c.CPULimits[best].CPUs {
			best, bestDir, bestPath = len(c.CPULimits)-1, dir, lv
		}
	}
	v2cpu := false
	for _, lv := range levels(v2, v2base != "") {
		dir := filepath.Join(v2base, filepath.FromSlash(lv))
		b, err := r.readFile(filepath.Join(dir, "cpu.max"))
		if err != nil {
			r.note(err)
			continue
		}
		v2cpu = true
		q, per, limited, ok := cgroupCPUMaxQuota(b)
		if !ok {
			r.errs = append(r.errs, fmt.Errorf("%s: %w: %q", filepath.Join(dir, "cpu.max"), provider.ErrInvalid, trimAttr(b)))
			continue
		}
		if cpus, ok := quotaCPUs(q, per, limited); ok {
			addQuota(cpus, dir, lv)
		}
	}
	if !v2cpu && v1cpuOK {
		base := cgroupMount(r.bud, cgRoot, v1cpu, v1CPUMounts...)
		for _, lv := range levels(v1cpu, base != "") {
			dir := filepath.Join(base, filepath.FromSlash(lv))
			qb, err := r.readFile(filepath.Join(dir, "cpu.cfs_quota_us"))
			if err != nil {
				r.note(err)
				continue
			}
			q, qok := cgroupCFSValue(qb)
			if !qok {
				r.errs = append(r.errs, fmt.Errorf("%s: %w: %q", filepath.Join(dir, "cpu.cfs_quota_us"), provider.ErrInvalid, trimAttr(qb)))
				continue
			}
			if q < 0 {
				continue
			}
			pb, err := r.readFile(filepath.Join(dir, "cpu.cfs_period_us"))
			if err != nil {
				r.note(err)
				continue
			}
			per, pok := cgroupCFSValue(pb)
			if !pok || per <= 0 {
				r.errs = append(r.errs, fmt.Errorf("%s: %w: %q", filepath.Join(dir, "cpu.cfs_period_us"), provider.ErrInvalid, trimAttr(pb)))
				continue
			}
			if cpus, ok := quotaCPUs(q, per, true); ok {
				addQuota(cpus, dir, lv)
			}
		}
	}
	if best >= 0 {
		if b, err := r.readFile(filepath.Join(bestDir, "cpu.stat")); err != nil {
			r.note(err)
		} else if per, thr, ok := cpuStatThrottle(b); ok {
			c.Throttle = provider.Some(provider.ThrottleCounts{By: "cgroup:" + bestPath, Periods: per, Throttled: thr})
		}
	}

	// Cpusets, topmost first (the root's set is the host's, and is
	// skipped): the unified hierarchy's where the process's cgroup has
	// one, else the v1 cpuset controller's.
	cpusetBase, cpusetPath, cpusetFile := v2base, v2, "cpuset.cpus.effective"
	if v2base == "" || !r.exists(filepath.Join(cgroupDir(v2base, v2), cpusetFile)) {
		cpusetBase, cpusetPath, cpusetFile = "", v1cpuset, "cpuset.effective_cpus"
		if v1cpusetOK {
			cpusetBase = cgroupMount(r.bud, cgRoot, v1cpuset, "cpuset")
		}
	}
	if cpusetBase != "" {
		lvs := levels(cpusetPath, true)
		for i := len(lvs) - 1; i >= 0; i-- {
			if lvs[i] == "/" {
				continue
			}
			fn := filepath.Join(cpusetBase, filepath.FromSlash(lvs[i]), cpusetFile)
			b, err := r.readFile(fn)
			if err != nil {
				r.note(err)
				continue
			}
			if n, ok := cpuListCount(b); ok {
				c.CPULimits = append(c.CPULimits, provider.CPULimit{By: "cpuset:" + lvs[i], CPUs: float64(n)})
			} else {
				r.errs = append(r.errs, fmt.Errorf("%s: %w: %q", fn, provider.ErrInvalid, trimAttr(b)))
			}
		}
	}

	// The affinity mask and the host.
	if b, err := r.readFile(filepath.Join(pidDir, "status")); err != nil {
		r.note(err)
	} else if list, ok := statusCpusAllowedList(b); ok {
		if n, ok := cpuListCount(list); ok {
			c.CPULimits = append(c.CPULimits, provider.CPULimit{By: "affinity", CPUs: float64(n)})
		} else {
			r.errs = append(r.errs, fmt.Errorf("%s: %w: Cpus_allowed_list %q", filepath.Join(pidDir, "status"), provider.ErrInvalid, list))
		}
	}
	online := filepath.Join(p.sysfs, "devices", "system", "cpu", "online")
	if b, err := p.readAttrIn(r.bud, online); err != nil {
		r.note(err)
	} else if n, ok := cpuListCount(b); ok {
		c.CPULimits = append(c.CPULimits, provider.CPULimit{By: "host", CPUs: float64(n)})
	} else {
		r.errs = append(r.errs, fmt.Errorf("%s: %w: %q", online, provider.ErrInvalid, trimAttr(b)))
	}

	// Memory: limited cgroups leaf first, then the host.
	var hostTotal, hostAvail uint64
	var hostOK bool
	if b, err := r.readFile(filepath.Join(p.procfs, "meminfo")); err != nil {
		r.note(err)
	} else if m := procMeminfo(b); m.totalOK && m.availOK {
		hostTotal, hostAvail, hostOK = m.total, m.avail, true
	} else {
		r.errs = append(r.errs, fmt.Errorf("%s: %w: no MemTotal or MemAvailable", filepath.Join(p.procfs, "meminfo"), provider.ErrInvalid))
	}
	// Memory limits from the hierarchy that has the controller (see the
	// CPU quotas above).
	v2mem := v2base != "" && r.memLimits(c, v2base, v2, false, hostTotal, hostOK)
	if !v2mem && v1memOK {
		if base := cgroupMount(r.bud, cgRoot, v1mem, "memory"); base != "" {
			r.memLimits(c, base, v1mem, true, hostTotal, hostOK)
		}
	}
	if hostOK {
		c.MemLimits = append(c.MemLimits, provider.MemLimit{By: "host", AvailMB: hostAvail >> 20})
	}

	// The sensors share the read's one budget: the whole call is bounded
	// by one read timeout, not one for the files and another for sysfs.
	sensors := p.slow
	if r.bud != nil {
		sensors = &sysfsSignals{root: p.slow.root, read: r.bud.attr, list: r.bud.list}
	}
	p.sensors(ctx, sensors, c, &r.errs)
	if err := ctx.Err(); err != nil {
		return err
	}
	return joinErrs(r.errs)
}

// memLimits appends the limited cgroups on the walk from cg up to the
// root of the hierarchy at base, and reports whether the hierarchy has
// the memory controller there (any level has a limit file).
func (r *capacityReader) memLimits(c *provider.Capacity, base, cg string, v1 bool, hostTotal uint64, hostOK bool) (found bool) {
	limitName, usageName, inactiveKey := "memory.max", "memory.current", "inactive_file"
	if v1 {
		limitName, usageName, inactiveKey = "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"
	}
	for _, lv := range levels(cg, true) {
		dir := filepath.Join(base, filepath.FromSlash(lv))
		b, err := r.readFile(filepath.Join(dir, limitName))
		if err != nil {
			r.note(err)
			continue
		}
		found = true
		limit, limited, ok := cgroupMemoryLimit(b, v1)
		if !ok {
			r.errs = append(r.errs, fmt.Errorf("%s: %w: %q", filepath.Join(dir, limitName), provider.ErrInvalid, trimAttr(b)))
			continue
		}
		if !limited || (hostOK && limit >= hostTotal) {
			continue
		}
		b, err = r.readFile(filepath.Join(dir, usageName))
		if err != nil {
			r.note(err)
			continue
		}
		usage, ok := cgroupValue(b)
		if !ok {
			r.errs = append(r.errs, fmt.Errorf("%s: %w: %q", filepath.Join(dir, usageName), provider.ErrInvalid, trimAttr(b)))
			continue
		}
		var inactive uint64
		if b, err = r.readFile(filepath.Join(dir, "memory.stat")); err != nil {
			r.note(err) // conservative: all usage counts as used
		} else if inactive, ok = cgroupMemoryStat(b, inactiveKey); !ok {
			inactive = 0
		}
		used := usage - min(inactive, usage)
		c.MemLimits = append(c.MemLimits, provider.MemLimit{By: "cgroup:" + lv, AvailMB: (limit - min(used, limit)) >> 20})
	}
	return found
}

// sensors appends the usable thermal zones (else hwmon sensors) with
// their severe thresholds, and whether a CPU cooling device throttles.
func (p *Provider) sensors(ctx context.Context, s *sysfsSignals, c *provider.Capacity, errs *[]error) {
	thermalDir := s.root + "/class/thermal"
	names, err := s.listDir(thermalDir)
	if err != nil {
		*errs = append(*errs, err)
	}
	for _, name := range names {
		if !strings.HasPrefix(name, "thermal_zone") || ctx.Err() != nil {
			continue
		}
		dir := thermalDir + "/" + name
		if b, err := s.read(dir + "/mode"); err == nil && attrIs(b, "disabled") {
			continue
		}
		b, err := s.read(dir + "/temp")
		if err != nil {
			continue
		}
		milli, ok := parseAttrInt(b)
		if !ok || !saneReading(milli) {
			continue
		}
		c.Sensors = append(c.Sensors, provider.ThermalReading{
			Sensor: name, Celsius: float64(milli) / 1000, SevereC: zoneSevereC(s.zoneTrips(ctx, dir)),
		})
	}
	if len(c.Sensors) == 0 {
		hwmonSensors(ctx, s, c, errs)
	}

	coolers := false
	for _, name := range names {
		if !strings.HasPrefix(name, "cooling_device") || ctx.Err() != nil {
			continue
		}
		dir := thermalDir + "/" + name
		typ, err := s.read(dir + "/type")
		if err != nil || !isThrottlingCooler(typ) {
			continue
		}
		coolers = true
		b, err := s.read(dir + "/cur_state")
		if err != nil {
			continue
		}
		if v, ok := parseAttrInt(b); ok && v > 0 {
			c.Throttling, c.ThrottlingBy = provider.Some(true), name+":"+string(trimAttr(typ))
			return
		}
	}
	if coolers {
		c.Throttling = provider.Some(false)
	}
}

// hwmonSensors appends the usable hwmon temperature sensors.
func hwmonSensors(ctx context.Context, s *sysfsSignals, c *provider.Capacity, errs *[]error) {
	hwmonDir := s.root + "/class/hwmon"
	devs, err := s.listDir(hwmonDir)
	if err != nil {
		*errs = append(*errs, err)
	}
	for _, dev := range devs {
		if !strings.HasPrefix(dev, "hwmon") {
			continue
		}
		files, _ := s.listDir(hwmonDir + "/" + dev)
		for _, f := range files {
			sensor, ok := strings.CutSuffix(f, "_input")
			if !ok || !strings.HasPrefix(sensor, "temp") || ctx.Err() != nil {
				continue
			}
			base := hwmonDir + "/" + dev + "/" + sensor
			b, err := s.read(base + "_input")
			if err != nil {
				continue
			}
			milli, ok := parseAttrInt(b)
			if !ok || !saneReading(milli) {
				continue
			}
			severe := severeBandsC
			if l := s.readLimit(base + "_max"); l.ok {
				severe = float64(l.milli) / 1000
			}
			c.Sensors = append(c.Sensors, provider.ThermalReading{Sensor: dev + "/" + sensor, Celsius: float64(milli) / 1000, SevereC: severe})
		}
	}
}

// zoneSevereC is a zone's severe threshold: its lowest passive trip,
// else its lowest hot trip, else its lowest critical trip − 5 °C (where
// the thermal state turns critical), else the bands' 70 °C.
func zoneSevereC(t zoneTrips) float64 {
	switch {
	case t.passive.ok:
		return float64(t.passive.milli) / 1000
	case t.hot.ok:
		return float64(t.hot.milli) / 1000
	case t.critical.ok:
		return float64(t.critical.milli-criticalLeadMill) / 1000
	}
	return severeBandsC
}

// quotaCPUs is a quota's CPUs: quota ÷ period.
func quotaCPUs(quota, period int64, limited bool) (float64, bool) {
	if !limited || quota <= 0 || period <= 0 {
		return 0, false
	}
	return float64(quota) / float64(period), true
}

// levels returns the cgroup paths from cg up to the root "/", leaf
// first; none when ok is false.
func levels(cg string, ok bool) []string {
	if !ok {
		return nil
	}
	var out []string
	p := path.Clean("/" + cg)
	for range maxCgroupDepth {
		out = append(out, p)
		if p == "/" {
			break
		}
		p = path.Dir(p)
	}
	return out
}

// readFile reads a whole procfs or cgroupfs file afresh, bounded and
// non-blocking like every other read.
func (r *capacityReader) readFile(name string) ([]byte, error) {
	pf := newFreshProcFile(name)
	pf.bud = r.bud
	return pf.read(&r.buf, true)
}

// note records err unless it says the file does not exist: a missing
// file means the limit is not set (a cgroup without the controller, a
// kernel without cgroups).
func (r *capacityReader) note(err error) {
	if !errors.Is(err, fs.ErrNotExist) {
		r.errs = append(r.errs, err)
	}
}

// readBudget returns the bound of one slow read's file I/O: under a root
// that is not the live kernel, the read timeout (and ctx); nil on the
// live roots, whose reads stay inline.
func (p *Provider) readBudget(ctx context.Context) *budget {
	if !p.fast.guarded && !p.slowGuarded {
		return nil
	}
	b := p.guard.newBudget(ctx)
	return &b
}

// readAttrIn reads a sysfs attribute within b (inline when b is nil).
func (p *Provider) readAttrIn(b *budget, path string) ([]byte, error) {
	if b == nil {
		return p.attr(path)
	}
	return b.attr(path)
}

// cgroupMount returns the mount directory under cgRoot of a cgroup
// hierarchy, among names (v2: "." or "unified" on a hybrid host; v1: the
// kernel names it after its controllers, "cpu,cpuacct", with "cpu" often
// a link to it), whose tree has the process's cgroup cg; "" when none has.
func cgroupMount(b *budget, cgRoot, cg string, names ...string) string {
	for _, n := range names {
		base := filepath.Join(cgRoot, n)
		if fi, err := b.stat(cgroupDir(base, cg)); err == nil && fi.IsDir() {
			return base
		}
	}
	return ""
}

// exists reports whether name exists, within the read's budget.
func (r *capacityReader) exists(name string) bool {
	_, err := r.bud.stat(name)
	return err == nil
}

// cgroupDir is the directory of the cgroup cg in the hierarchy at base.
func cgroupDir(base, cg string) string {
	return filepath.Join(base, filepath.FromSlash(path.Clean("/"+cg)))
}
