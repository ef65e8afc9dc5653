package linux

import "bytes"

// Parsers of the per-process files a [Tree] reads. Like the others in this
// package they never allocate (appendChildren appends to its caller's
// slice), never panic, and report malformed input as not ok.

// appendChildren parses /proc/<pid>/task/<tid>/children (proc(5): the
// space-separated pids of the task's children, each followed by a space)
// and appends them to dst. An entry that is not a pid in [1, maxPID] makes
// the whole file not ok; what was appended before it stays.
func appendChildren(dst []int, b []byte) ([]int, bool) {
	ln, rest, _ := line(b)
	if len(rest) != 0 {
		return dst, false // one line only
	}
	for {
		f, tail := field(ln)
		if len(f) == 0 {
			return dst, true
		}
		pid, ok := pidNumber(f)
		if !ok {
			return dst, false
		}
		dst = append(dst, pid)
		ln = tail
	}
}

// maxPID is the kernel's PID_MAX_LIMIT (4M on 64-bit): no pid is larger.
const maxPID = 1 << 22

// pidNumber parses a pid: a decimal in [1, maxPID].
func pidNumber(b []byte) (int, bool) {
	v, ok := decimal(b)
	if !ok || v == 0 || v > maxPID {
		return 0, false
	}
	return int(v), true
}

// statusMem is what a Tree needs of /proc/<pid>/status: the resident set
// now (VmRSS) and its high-water mark (VmHWM), in KiB. A zombie, or a
// kernel thread, has neither line.
type statusMem struct {
	rss, hwm     uint64
	rssOK, hwmOK bool
}

// procPIDStatus parses the VmRSS and VmHWM lines of /proc/<pid>/status
// (proc(5): "VmHWM:\t    1596 kB"). A line that is present but
// malformed makes the file not ok; absent lines are simply not reported.
// Nothing after the second of the two lines is read.
func procPIDStatus(b []byte) (m statusMem, ok bool) {
	for len(b) > 0 {
		ln, rest, _ := line(b)
		b = rest
		var v *uint64
		var got *bool
		switch {
		case hasPrefix(ln, "VmRSS:"):
			v, got = &m.rss, &m.rssOK
		case hasPrefix(ln, "VmHWM:"):
			v, got = &m.hwm, &m.hwmOK
		default:
			continue
		}
		n, unit := field(ln[len("VmRSS:"):])
		u, tail := field(unit)
		if len(tail) != 0 && !allBlank(tail) {
			return m, false
		}
		val, good := decimal(n)
		if !good || string(u) != "kB" {
			return m, false
		}
		*v, *got = val, true
		if m.rssOK && m.hwmOK {
			break
		}
	}
	return m, true
}

func allBlank(b []byte) bool {
	for _, c := range b {
		if !isBlank(c) {
			return false
		}
	}
	return true
}

// statTimes is what a Tree needs of /proc/<pid>/stat: the state, the
// parent's pid and the CPU times in USER_HZ ticks (proc(5), fields 3, 4
// and 14-17): the process's own user and system time, and the cumulative
// time of its children it has waited for; and, when the line has them,
// the thread count and the resident set in pages (fields 20 and 24).
type statTimes struct {
	state                        byte
	ppid                         int
	utime, stime, cutime, cstime uint64
	threads                      uint64
	rssPages                     uint64
	threadsOK, rssOK             bool
}

// total is the process's own CPU time plus its waited-for children's, in
// ticks; it saturates rather than wraps.
func (s statTimes) total() uint64 {
	return satAdd(satAdd(s.utime, s.stime), satAdd(s.cutime, s.cstime))
}

// zombie reports whether the process has exited and waits to be reaped
// (state Z, or X while it is being reaped).
func (s statTimes) zombie() bool { return s.state == 'Z' || s.state == 'X' }

func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}

// procPIDStat parses /proc/<pid>/stat (proc(5); Documentation/
// filesystems/proc.rst, Table 1-4). The command name (field 2) is in
// parentheses and may contain spaces and parentheses itself, so fields are
// counted from the last ')'. A ppid of 0 (the kernel's own threads, init)
// is valid. Fields up to cstime (17) are required; num_threads (20) and
// rss (24) are taken when present and well-formed. On failure it returns
// the zero statTimes.
func procPIDStat(b []byte) (statTimes, bool) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return statTimes{}, false
	}
	ln, _, _ := line(b[end+1:])
	// Fields after the name, from field 3 (state): index 0 is the state, 1
	// ppid, 11-14 utime, stime, cutime, cstime, 17 num_threads, 21 rss.
	var s statTimes
	times := [...]*uint64{&s.utime, &s.stime, &s.cutime, &s.cstime}
	for i := range 22 {
		var f []byte
		if f, ln = field(ln); len(f) == 0 {
			if i < 15 {
				return statTimes{}, false
			}
			break
		}
		switch {
		case i == 0:
			if len(f) != 1 {
				return statTimes{}, false
			}
			s.state = f[0]
		case i == 1:
			p, good := decimal(f)
			if !good || p > maxPID {
				return statTimes{}, false
			}
			s.ppid = int(p)
		case i >= 11 && i <= 14:
			var good bool
			if *times[i-11], good = decimal(f); !good {
				return statTimes{}, false
			}
		case i == 17:
			s.threads, s.threadsOK = decimal(f)
		case i == 21:
			s.rssPages, s.rssOK = decimal(f)
		}
	}
	return s, true
}
