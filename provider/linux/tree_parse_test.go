package linux

import (
	"slices"
	"testing"
)

func TestAppendChildren(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"", nil, true},
		{"\n", nil, true},
		{"123 ", []int{123}, true},
		{"123 456 7 ", []int{123, 456, 7}, true},
		{"123 456\n", []int{123, 456}, true},
		{"4194304 ", []int{4194304}, true},
		{"4194305 ", nil, false},     // above PID_MAX_LIMIT
		{"0 ", nil, false},           // no pid 0
		{"12 -3 ", []int{12}, false}, // what came before stays
		{"12 x ", []int{12}, false},
		{"99999999999999999999999 ", nil, false},
		{"12\n13 ", nil, false}, // one line only
	} {
		got, ok := appendChildren(nil, []byte(tc.in))
		if ok != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("appendChildren(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	// It appends.
	if got, _ := appendChildren([]int{1}, []byte("2 ")); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("appendChildren appended to [1]: %v", got)
	}
}

func TestProcPIDStatus(t *testing.T) {
	const live = "Name:\tcat\nUmask:\t0022\nState:\tR (running)\nVmPeak:\t    3060 kB\nVmHWM:\t    1596 kB\nVmRSS:\t    1500 kB\nRssAnon:\t     112 kB\n"
	for _, tc := range []struct {
		name string
		in   string
		want statusMem
		ok   bool
	}{
		{"live", live, statusMem{rss: 1500, hwm: 1596, rssOK: true, hwmOK: true}, true},
		{"zombie", "Name:\tsh\nState:\tZ (zombie)\nThreads:\t1\n", statusMem{}, true},
		{"empty", "", statusMem{}, true},
		{"no newline at end", "VmHWM:\t7 kB", statusMem{hwm: 7, hwmOK: true}, true},
		{"trailing blanks", "VmRSS:\t 8 kB \t\n", statusMem{rss: 8, rssOK: true}, true},
		{"bad unit", "VmRSS:\t8 MB\n", statusMem{}, false},
		{"no unit", "VmRSS:\t8\n", statusMem{}, false},
		{"garbage number", "VmRSS:\tx kB\n", statusMem{}, false},
		{"negative", "VmHWM:\t-1 kB\n", statusMem{}, false},
		{"extra field", "VmHWM:\t1 kB 2\n", statusMem{}, false},
		{"overflow", "VmHWM:\t99999999999999999999999 kB\n", statusMem{}, false},
		{"similar names ignored", "VmRSSx\nRssFile:\t9 kB\n", statusMem{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := procPIDStatus([]byte(tc.in))
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("procPIDStatus = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestProcPIDStat(t *testing.T) {
	const live = "7385 (cat) R 7378 7378 6679 0 -1 4194304 97 0 0 0 11 22 33 44 20 0 1 0 83068 3133440 358 18446744073709551615 0 0\n"
	for _, tc := range []struct {
		name string
		in   string
		want statTimes
		ok   bool
	}{
		{"live", live, statTimes{state: 'R', ppid: 7378, utime: 11, stime: 22, cutime: 33, cstime: 44, threads: 1, threadsOK: true, rssPages: 358, rssOK: true}, true},
		{"name with spaces and parens", "1 (a) b) (c) S 0 1 1 0 -1 0 0 0 0 0 1 2 3 4 20\n", statTimes{state: 'S', ppid: 0, utime: 1, stime: 2, cutime: 3, cstime: 4}, true},
		{"zombie, threads but no rss", "9 (z) Z 1 1 1 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0\n", statTimes{state: 'Z', ppid: 1, utime: 1, stime: 2, cutime: 3, cstime: 4, threads: 1, threadsOK: true}, true},
		{"malformed rss", "9 (z) S 1 1 1 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 5 6 x\n", statTimes{state: 'S', ppid: 1, utime: 1, stime: 2, cutime: 3, cstime: 4, threads: 1, threadsOK: true}, true},
		{"long state", "9 (z) SS 1 1 1 0 -1 0 0 0 0 0 1 2 3 4\n", statTimes{}, false},
		{"short", "1 (a) S 0 1 1 0 -1 0 0 0 0 0 1 2 3\n", statTimes{}, false},
		{"no name", "1 a S 0 1 1 0 -1 0 0 0 0 0 1 2 3 4\n", statTimes{}, false},
		{"negative cutime", "1 (a) S 0 1 1 0 -1 0 0 0 0 0 1 2 -3 4\n", statTimes{}, false},
		{"bad ppid", "1 (a) S x 1 1 0 -1 0 0 0 0 0 1 2 3 4\n", statTimes{}, false},
		{"ppid too large", "1 (a) S 5000000 1 1 0 -1 0 0 0 0 0 1 2 3 4\n", statTimes{}, false},
		{"empty", "", statTimes{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := procPIDStat([]byte(tc.in))
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("procPIDStat = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	if got := (statTimes{utime: ^uint64(0), stime: 1}).total(); got != ^uint64(0) {
		t.Errorf("total saturates: got %d", got)
	}
}

func FuzzTreeChildren(f *testing.F) {
	f.Add([]byte("123 456 7 "))
	f.Add([]byte("0 -1 x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, _ := appendChildren(nil, b)
		for _, pid := range got {
			if pid <= 0 || pid > maxPID {
				t.Fatalf("appendChildren(%q) gave pid %d", b, pid)
			}
		}
		if len(got) > (len(b)+1)/2 {
			t.Fatalf("appendChildren(%q) gave %d pids from %d bytes", b, len(got), len(b))
		}
	})
}

func FuzzTreeStatus(f *testing.F) {
	f.Add([]byte("VmHWM:\t    1596 kB\nVmRSS:\t    1500 kB\n"))
	f.Add([]byte("VmRSS: 1 MB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok := procPIDStatus(b)
		if !ok {
			return
		}
		if (m.rssOK && !containsLine(b, "VmRSS:")) || (m.hwmOK && !containsLine(b, "VmHWM:")) {
			t.Fatalf("procPIDStatus(%q) = %+v: a value without its line", b, m)
		}
	})
}

func FuzzTreeStat(f *testing.F) {
	f.Add([]byte("7385 (cat) R 7378 7378 6679 0 -1 4194304 97 0 0 0 11 22 33 44 20 0 1\n"))
	f.Add([]byte("1 ()) S 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := procPIDStat(b)
		if ok && (s.ppid < 0 || s.ppid > maxPID) {
			t.Fatalf("procPIDStat(%q) ppid %d", b, s.ppid)
		}
		_ = s.total()
	})
}

// containsLine reports whether some line of b starts with prefix.
func containsLine(b []byte, prefix string) bool {
	for len(b) > 0 {
		ln, rest, _ := line(b)
		if hasPrefix(ln, prefix) {
			return true
		}
		b = rest
	}
	return false
}
