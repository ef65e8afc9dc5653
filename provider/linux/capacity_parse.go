package linux

// Parsers of the files the capacity reader reads (docs/contract.md §10).
// Like every parser here they never panic and report malformed input as
// not ok.

// maxCPUs bounds a CPU list: no kernel supports more (CONFIG_NR_CPUS
// tops out at 8192), so a list past it is not a CPU list.
const maxCPUs = 1 << 16

// cgroupCPUMaxQuota parses cgroup v2 cpu.max ("$MAX $PERIOD", $MAX "max"
// for no limit; Documentation/admin-guide/cgroup-v2.rst) into its quota
// and period in microseconds. limited is false for "max". A period that
// is missing, zero or not a number, a quota that is neither "max" nor a
// positive number, or values past int64 are not ok.
func cgroupCPUMaxQuota(b []byte) (quota, period int64, limited, ok bool) {
	ln, rest, _ := line(b)
	if len(rest) != 0 {
		return 0, 0, false, false
	}
	q, rest2 := field(ln)
	p, extra := field(rest2)
	if x, _ := field(extra); len(x) != 0 {
		return 0, 0, false, false
	}
	pv, pok := decimal(p)
	if !pok || pv == 0 || pv > 1<<63-1 {
		return 0, 0, false, false
	}
	if string(q) == "max" {
		return 0, int64(pv), false, true
	}
	qv, qok := decimal(q)
	if !qok || qv == 0 || qv > 1<<63-1 {
		return 0, 0, false, false
	}
	return int64(qv), int64(pv), true, true
}

// cgroupCFSValue parses cgroup v1 cpu.cfs_quota_us or cpu.cfs_period_us
// (Documentation/scheduler/sched-bwc.rst): a number of microseconds, or
// -1 for "no quota". Values past int64 are not ok.
func cgroupCFSValue(b []byte) (int64, bool) {
	ln, rest, _ := line(b)
	if len(rest) != 0 {
		return 0, false
	}
	if string(ln) == "-1" {
		return -1, true
	}
	v, ok := decimal(ln)
	if !ok || v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// cpuListCount parses a kernel CPU list ("0-3,8,10-11", the format of
// cpuset.cpus.effective, /sys/devices/system/cpu/online and
// Cpus_allowed_list; Documentation/admin-guide/cgroup-v2.rst "Cpuset")
// and returns how many CPUs it names. An empty list, a range whose end is
// below its start, a CPU number past maxCPUs or anything else is not ok.
// A CPU named twice counts twice: the kernel never writes one.
func cpuListCount(b []byte) (int, bool) {
	b = trimAttr(b)
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for len(b) > 0 {
		i := indexByte(b, ',')
		item := b
		if i >= 0 {
			item, b = b[:i], b[i+1:]
			if len(b) == 0 {
				return 0, false // a trailing comma
			}
		} else {
			b = nil
		}
		lo, hi := item, item
		if j := indexByte(item, '-'); j >= 0 {
			lo, hi = item[:j], item[j+1:]
		}
		l, lok := decimal(lo)
		h, hok := decimal(hi)
		if !lok || !hok || h < l || h >= maxCPUs {
			return 0, false
		}
		n += int(h-l) + 1
		if n > maxCPUs {
			return 0, false
		}
	}
	return n, true
}

// statusCpusAllowedList returns the value of the Cpus_allowed_list line
// of /proc/<pid>/status (Documentation/filesystems/proc.rst, table 1-2):
// the CPUs the process's affinity mask allows.
func statusCpusAllowedList(b []byte) ([]byte, bool) {
	for len(b) > 0 {
		var ln []byte
		ln, b, _ = line(b)
		if v, ok := cutPrefix(ln, "Cpus_allowed_list:"); ok {
			return trimAttr(v), true
		}
	}
	return nil, false
}

// cpuStatThrottle parses nr_periods and nr_throttled of a cgroup cpu.stat
// (v2 and v1 alike: "key value" lines). Both must be present.
func cpuStatThrottle(b []byte) (periods, throttled uint64, ok bool) {
	var pok, tok bool
	for len(b) > 0 {
		var ln []byte
		ln, b, _ = line(b)
		k, rest := field(ln)
		v, extra := field(rest)
		if len(extra) != 0 && !allBlank(extra) {
			continue
		}
		switch string(k) {
		case "nr_periods":
			periods, pok = decimal(v)
			if !pok {
				return 0, 0, false
			}
		case "nr_throttled":
			throttled, tok = decimal(v)
			if !tok {
				return 0, 0, false
			}
		}
	}
	return periods, throttled, pok && tok
}

func cutPrefix(b []byte, s string) ([]byte, bool) {
	if !hasPrefix(b, s) {
		return nil, false
	}
	return b[len(s):], true
}
