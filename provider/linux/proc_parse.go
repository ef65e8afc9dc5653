package linux

import (
	"bytes"
	"math/bits"
	"path"
)

// The parsers in this file work on the bytes of one read of a procfs or
// cgroupfs file. They never allocate (except procPIDCgroup, which runs once
// at construction), never panic on any input, and report malformed input
// as "not ok" rather than guessing.

// decimal parses an unsigned decimal number with no sign, no spaces and at
// most 2^64-1. An empty, non-digit or overflowing input is not ok.
func decimal(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		hi, lo := bits.Mul64(v, 10)
		if hi != 0 {
			return 0, false
		}
		lo, carry := bits.Add64(lo, uint64(c-'0'), 0)
		if carry != 0 {
			return 0, false
		}
		v = lo
	}
	return v, true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// field returns the first blank-separated field of b and the rest after it.
func field(b []byte) (f, rest []byte) {
	i := 0
	for i < len(b) && isBlank(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isBlank(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

// line returns the first line of b (without its newline) and the rest after
// it. complete is false when b has no newline: the line may be cut short.
func line(b []byte) (ln, rest []byte, complete bool) {
	for i, c := range b {
		if c == '\n' {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}

// hasPrefix is bytes.HasPrefix for a string prefix, without conversion.
func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}

// cpuTimes is the aggregate CPU time of /proc/stat, in USER_HZ ticks.
type cpuTimes struct {
	busy, total uint64
}

// Since returns the busy and total ticks elapsed since prev for
// cputicks.Tracker. Any counter going backwards (CPU hot-unplug, a kernel's
// iowait accounting) or no elapsed tick gives no delta: the tracker keeps
// the last value and rebases on this reading.
func (t cpuTimes) Since(prev cpuTimes) (busy, total uint64, ok bool) {
	if t.total <= prev.total || t.busy < prev.busy || t.total-t.busy < prev.total-prev.busy {
		return 0, 0, false
	}
	return t.busy - prev.busy, t.total - prev.total, true
}

// procStat parses the aggregate "cpu" line of /proc/stat
// (Documentation/filesystems/proc.rst, "1.8 Miscellaneous kernel statistics
// in /proc/stat"): "cpu user nice system idle iowait irq softirq steal guest
// guest_nice". total = user+nice+system+idle+iowait+irq+softirq+steal (guest
// time is already counted in user); busy = total − idle − iowait. Kernels
// older than 2.6.11 print fewer columns; at least the first four are
// required. Only a complete line is parsed.
func procStat(b []byte) (cpuTimes, bool) {
	for len(b) > 0 {
		ln, rest, complete := line(b)
		b = rest
		name, cols := field(ln)
		if string(name) != "cpu" {
			continue
		}
		if !complete {
			return cpuTimes{}, false
		}
		var v [8]uint64
		n := 0
		for n < len(v) {
			var f []byte
			f, cols = field(cols)
			if len(f) == 0 {
				break
			}
			x, ok := decimal(f)
			if !ok {
				return cpuTimes{}, false
			}
			v[n] = x
			n++
		}
		if n < 4 {
			return cpuTimes{}, false
		}
		var total, carry, c uint64
		for _, x := range v {
			total, c = bits.Add64(total, x, 0)
			carry |= c
		}
		if carry != 0 {
			return cpuTimes{}, false
		}
		idle := v[3] + v[4] // both are terms of total, which did not overflow
		return cpuTimes{busy: total - idle, total: total}, true
	}
	return cpuTimes{}, false
}

// meminfo holds the /proc/meminfo values restel uses, in bytes.
type meminfo struct {
	total, avail     uint64
	totalOK, availOK bool
	// dup names the first key restel uses that appears more than once
	// ("MemTotal"); "" when none does.
	dup string
}

// meminfoKeys are the /proc/meminfo keys procMeminfo reads, with their
// colon, in the order of their bits.
var meminfoKeys = [...]string{"MemTotal:", "MemAvailable:", "MemFree:", "Buffers:", "Cached:"}

// procMeminfo parses /proc/meminfo (Documentation/filesystems/proc.rst,
// "meminfo"): MemTotal, and MemAvailable — or, on kernels older than 3.14
// that lack it, MemFree + Buffers + Cached. Values are "<n> kB"; a value
// that is malformed or overflows in bytes is not ok. The kernel writes each
// key once: when one of these keys appears again, the first occurrence is
// used (a later line never changes a value) and dup names the key, so the
// caller can say so.
func procMeminfo(b []byte) meminfo {
	const (
		kTotal = 1 << iota
		kAvail
		kFree
		kBuffers
		kCached
	)
	var m meminfo
	var seen, bad uint
	var free, buffers, cached uint64
	for len(b) > 0 {
		// Every line is looked at, so a repeated key is seen wherever it
		// is; lines are found with bytes.IndexByte and most are skipped
		// on their first byte.
		var ln []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			ln, b = b[:i], b[i+1:]
		} else {
			ln, b = b, nil
		}
		if len(ln) == 0 || ln[0] != 'M' && ln[0] != 'B' && ln[0] != 'C' {
			continue
		}
		var key uint
		for i, k := range meminfoKeys {
			if hasPrefix(ln, k) {
				key = 1 << i
				if seen&key != 0 && m.dup == "" {
					m.dup = k[:len(k)-1]
				}
				break
			}
		}
		if key == 0 || seen&key != 0 {
			continue
		}
		seen |= key
		v, ok := meminfoValue(ln)
		if !ok {
			bad |= key
			continue
		}
		switch key {
		case kTotal:
			m.total = v
		case kAvail:
			m.avail = v
		case kFree:
			free = v
		case kBuffers:
			buffers = v
		case kCached:
			cached = v
		}
	}
	m.totalOK = seen&kTotal != 0 && bad&kTotal == 0
	switch {
	case seen&kAvail != 0:
		m.availOK = bad&kAvail == 0
	case seen&(kFree|kBuffers|kCached) == kFree|kBuffers|kCached && bad&(kFree|kBuffers|kCached) == 0:
		sum, c1 := bits.Add64(free, buffers, 0)
		sum, c2 := bits.Add64(sum, cached, 0)
		if c1|c2 == 0 {
			m.avail, m.availOK = sum, true
		}
	}
	return m
}

// meminfoValue parses "Key:   <n> kB" into bytes.
func meminfoValue(ln []byte) (uint64, bool) {
	i := 0
	for i < len(ln) && ln[i] != ':' {
		i++
	}
	if i == len(ln) {
		return 0, false
	}
	num, rest := field(ln[i+1:])
	unit, rest := field(rest)
	if extra, _ := field(rest); len(extra) != 0 {
		return 0, false
	}
	v, ok := decimal(num)
	if !ok {
		return 0, false
	}
	if string(unit) != "kB" {
		return 0, false // every key restel reads is in kB
	}
	hi, lo := bits.Mul64(v, 1024)
	if hi != 0 {
		return 0, false
	}
	return lo, true
}

// procPIDStatm parses /proc/<pid>/statm (Documentation/filesystems/proc.rst,
// Table 1-3: "size resident shared text lib data dt", in pages) and returns
// the resident page count. A zombie's statm is all zeros.
func procPIDStatm(b []byte) (resident uint64, ok bool) {
	ln, _, _ := line(b)
	size, rest := field(ln)
	res, _ := field(rest)
	if _, ok := decimal(size); !ok {
		return 0, false
	}
	return decimal(res)
}

// procPIDCgroup parses /proc/<pid>/cgroup (Documentation/admin-guide/
// cgroup-v2.rst, "Processes"; cgroups(7)): lines "hierarchy-ID:controller-
// list:cgroup-path". It returns the cgroup v2 path (the "0::/path" line) and
// the cgroup v1 memory controller's path (the "N:...memory...:/path" line).
// Paths are cleaned and rooted, so a hostile "/../.." cannot climb out of
// the cgroup mount.
func procPIDCgroup(b []byte) (v2 string, v2ok bool, v1mem string, v1ok bool) {
	for {
		id, ctrls, p, rest, ok := nextCgroupLine(b)
		if !ok {
			return v2, v2ok, v1mem, v1ok
		}
		b = rest
		switch {
		case string(id) == "0" && len(ctrls) == 0:
			if !v2ok {
				v2, v2ok = path.Clean(string(p)), true
			}
		case hasController(ctrls, "memory"):
			if !v1ok {
				v1mem, v1ok = path.Clean(string(p)), true
			}
		}
	}
}

// nextCgroupLine returns the first well-formed line of /proc/<pid>/cgroup
// in b, "hierarchy-ID:controller-list:/path", split into its three parts,
// and what follows it. Other lines are skipped; ok is false when none is
// left.
func nextCgroupLine(b []byte) (id, ctrls, p, rest []byte, ok bool) {
	for len(b) > 0 {
		var ln []byte
		ln, b, _ = line(b)
		c1 := indexByte(ln, ':')
		if c1 < 0 {
			continue
		}
		c2 := indexByte(ln[c1+1:], ':')
		if c2 < 0 {
			continue
		}
		id, ctrls, p = ln[:c1], ln[c1+1:c1+1+c2], ln[c1+1+c2+1:]
		if len(p) == 0 || p[0] != '/' {
			continue
		}
		if _, ok := decimal(id); !ok {
			continue
		}
		return id, ctrls, p, b, true
	}
	return nil, nil, nil, nil, false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// hasController reports whether the comma-separated list has name.
func hasController(list []byte, name string) bool {
	for len(list) > 0 {
		i := indexByte(list, ',')
		if i < 0 {
			return string(list) == name
		}
		if string(list[:i]) == name {
			return true
		}
		list = list[i+1:]
	}
	return false
}

// cgroupValue parses a single-value cgroup file: cgroup v2 memory.current
// (Documentation/admin-guide/cgroup-v2.rst, "Memory Interface Files"), and
// cgroup v1 memory.usage_in_bytes and memory.limit_in_bytes
// (Documentation/admin-guide/cgroup-v1/memory.rst). A trailing newline is
// allowed; a negative, malformed or overflowing value is not ok.
func cgroupValue(b []byte) (uint64, bool) {
	ln, rest, _ := line(b)
	if len(rest) != 0 {
		return 0, false
	}
	return decimal(ln)
}

// cgroupMemoryMax parses cgroup v2 memory.max (Documentation/admin-guide/
// cgroup-v2.rst, "memory.max": a byte count or "max"). limited is false for
// "max".
func cgroupMemoryMax(b []byte) (limit uint64, limited, ok bool) {
	ln, rest, _ := line(b)
	if len(rest) != 0 {
		return 0, false, false
	}
	if string(ln) == "max" {
		return 0, false, true
	}
	v, ok := decimal(ln)
	return v, ok, ok
}

// cgroupMemoryLimit parses a memory limit file: cgroup v1
// memory.limit_in_bytes when v1, where a value at or above v1Unlimited is
// no limit, else cgroup v2 memory.max.
func cgroupMemoryLimit(b []byte, v1 bool) (limit uint64, limited, ok bool) {
	if !v1 {
		return cgroupMemoryMax(b)
	}
	limit, ok = cgroupValue(b)
	return limit, ok && limit < v1Unlimited, ok
}

// cgroupMemoryStat returns the value of key in a memory.stat file: cgroup v2
// "inactive_file" (Documentation/admin-guide/cgroup-v2.rst, "memory.stat")
// or cgroup v1 "total_inactive_file" (Documentation/admin-guide/cgroup-v1/
// memory.rst, "5.2 stat file"). Lines are "key value"; the key must match
// exactly.
func cgroupMemoryStat(b []byte, key string) (uint64, bool) {
	for len(b) > 0 {
		var ln []byte
		ln, b, _ = line(b)
		k, rest := field(ln)
		if string(k) != key {
			continue
		}
		v, rest := field(rest)
		if extra, _ := field(rest); len(extra) != 0 {
			return 0, false
		}
		return decimal(v)
	}
	return 0, false
}

// psiMemory holds the avg10 figures of /proc/pressure/memory in hundredths
// of a percent.
type psiMemory struct {
	some, full     uint64
	someOK, fullOK bool
	// bad marks a malformed file: no "some" line, a "some" or "full" line
	// without a well-formed avg10, or either line twice. Its figures are
	// not used (see psiPressure).
	bad bool
}

// procPressureMemory parses /proc/pressure/memory
// (Documentation/accounting/psi.rst): "some avg10=0.00 avg60=0.00
// avg300=0.00 total=0" and the same for "full" (a file without "full" is
// accepted). Only avg10 is used; it is a fixed-point number with two
// decimals, parsed exactly. Lines of other kinds are skipped.
func procPressureMemory(b []byte) psiMemory {
	var p psiMemory
	for len(b) > 0 {
		var ln []byte
		ln, b, _ = line(b)
		kind, rest := field(ln)
		var ok *bool
		var dst *uint64
		switch string(kind) {
		case "some":
			dst, ok = &p.some, &p.someOK
		case "full":
			dst, ok = &p.full, &p.fullOK
		default:
			continue
		}
		if *ok {
			p.bad = true // the same kind twice
			continue
		}
		v, good := avg10(rest)
		if !good {
			p.bad = true
			continue
		}
		*dst, *ok = v, true
	}
	if !p.someOK {
		p.bad = true
	}
	return p
}

// avg10 returns the value of the "avg10=" field among fields.
func avg10(fields []byte) (uint64, bool) {
	for {
		var f []byte
		f, fields = field(fields)
		if len(f) == 0 {
			return 0, false
		}
		if hasPrefix(f, "avg10=") {
			return centi(f[len("avg10="):])
		}
	}
}

// centi parses "12.34" (at most two decimals, or none) into 1234.
func centi(b []byte) (uint64, bool) {
	ip, fp := b, []byte(nil)
	if i := indexByte(b, '.'); i >= 0 {
		ip, fp = b[:i], b[i+1:]
		if len(fp) == 0 || len(fp) > 2 {
			return 0, false
		}
	}
	whole, ok := decimal(ip)
	if !ok || whole > 1<<50 {
		return 0, false
	}
	var frac uint64
	if len(fp) > 0 {
		if frac, ok = decimal(fp); !ok {
			return 0, false
		}
		if len(fp) == 1 {
			frac *= 10
		}
	}
	return whole*100 + frac, true
}

// procPIDCgroupV1 returns the cleaned, rooted path of the cgroup v1
// hierarchy that has controller in /proc/<pid>/cgroup ("N:cpu,cpuacct:/p").
func procPIDCgroupV1(b []byte, controller string) (string, bool) {
	for {
		id, ctrls, p, rest, ok := nextCgroupLine(b)
		if !ok {
			return "", false
		}
		b = rest
		if string(id) != "0" && hasController(ctrls, controller) {
			return path.Clean(string(p)), true
		}
	}
}
