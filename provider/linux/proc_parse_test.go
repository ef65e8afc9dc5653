package linux

import (
	"math"
	"strings"
	"testing"

	"github.com/restel/restel/provider"
)

func TestDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"42", 42, true},
		{"18446744073709551615", math.MaxUint64, true},
		{"18446744073709551616", 0, false}, // overflow by one
		{"99999999999999999999", 0, false}, // overflow in the multiply
		{"", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1 ", 0, false},
		{"1.5", 0, false},
		{"0x10", 0, false},
	}
	for _, tt := range tests {
		got, ok := decimal([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("decimal(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProcStat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want cpuTimes
		ok   bool
	}{
		{
			// busy = user+nice+system+irq+softirq+steal; guest columns
			// are already inside user and are not added again.
			name: "modern kernel",
			in:   "cpu  100 10 50 800 20 5 5 10 99 99\ncpu0 1 2 3 4 5 6 7 8 9 10\n",
			want: cpuTimes{busy: 180, total: 1000}, ok: true,
		},
		{name: "2.6.11 eight columns", in: "cpu  100 0 100 700 50 25 25 0\n", want: cpuTimes{busy: 250, total: 1000}, ok: true},
		{name: "2.6.0 seven columns", in: "cpu 100 0 100 700 50 25 25\n", want: cpuTimes{busy: 250, total: 1000}, ok: true},
		{name: "four columns", in: "cpu 1 2 3 4\n", want: cpuTimes{busy: 6, total: 10}, ok: true},
		{name: "tabs", in: "cpu\t1\t2\t3\t4\n", want: cpuTimes{busy: 6, total: 10}, ok: true},
		{name: "cpu line not first", in: "intr 5\ncpu 1 2 3 4\n", want: cpuTimes{busy: 6, total: 10}, ok: true},
		{name: "cpu0 is not cpu", in: "cpu0 1 2 3 4\n", ok: false},
		{name: "three columns", in: "cpu 1 2 3\n", ok: false},
		{name: "garbage column", in: "cpu 1 2 x 4\n", ok: false},
		{name: "negative", in: "cpu 1 2 -3 4\n", ok: false},
		{name: "column overflow", in: "cpu 1 2 3 18446744073709551616\n", ok: false},
		{name: "sum overflow", in: "cpu 18446744073709551615 1 0 0\n", ok: false},
		{name: "cut short (no newline)", in: "cpu 1 2 3 4", ok: false},
		{name: "empty", in: "", ok: false},
		{name: "only newlines", in: "\n\n\n", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := procStat([]byte(tt.in))
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("procStat(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestProcMeminfo(t *testing.T) {
	const kB = 1024
	tests := []struct {
		name string
		in   string
		want meminfo
	}{
		{
			name: "modern",
			in:   "MemTotal:       16303392 kB\nMemFree:         5224716 kB\nMemAvailable:   10894576 kB\nBuffers:          412316 kB\nCached:          5439880 kB\n",
			want: meminfo{total: 16303392 * kB, avail: 10894576 * kB, totalOK: true, availOK: true},
		},
		{
			name: "no MemAvailable: MemFree+Buffers+Cached",
			in:   "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n",
			want: meminfo{total: 1000 * kB, avail: 420 * kB, totalOK: true, availOK: true},
		},
		{
			name: "no MemAvailable and no Cached: unknown, not a guess",
			in:   "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\n",
			want: meminfo{total: 1000 * kB, totalOK: true},
		},
		{
			name: "MemAvailable wins over the fallback",
			in:   "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\nBuffers: 20 kB\nCached: 300 kB\n",
			want: meminfo{total: 1000 * kB, avail: 500 * kB, totalOK: true, availOK: true},
		},
		{
			name: "garbage MemAvailable is not replaced by the fallback",
			in:   "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: lots kB\nBuffers: 20 kB\nCached: 300 kB\n",
			want: meminfo{total: 1000 * kB, totalOK: true},
		},
		{name: "first occurrence wins, and is named", in: "MemTotal: 1 kB\nMemTotal: 2 kB\n", want: meminfo{total: kB, totalOK: true, dup: "MemTotal"}},
		{
			name: "a duplicate far down the file is seen",
			in:   "MemTotal: 4 kB\nMemFree: 1 kB\nMemAvailable: 2 kB\nBuffers: 1 kB\nCached: 1 kB\nSwapCached: 0 kB\nMemAvailable: 3 kB\n",
			want: meminfo{total: 4 * kB, avail: 2 * kB, totalOK: true, availOK: true, dup: "MemAvailable"},
		},
		{
			name: "a malformed duplicate does not spoil the first",
			in:   "MemTotal: 4 kB\nMemAvailable: 2 kB\nMemTotal: lots\n",
			want: meminfo{total: 4 * kB, avail: 2 * kB, totalOK: true, availOK: true, dup: "MemTotal"},
		},
		{
			name: "the first duplicate is named",
			in:   "MemTotal: 4 kB\nCached: 1 kB\nCached: 1 kB\nMemTotal: 4 kB\n",
			want: meminfo{total: 4 * kB, totalOK: true, dup: "Cached"},
		},
		{name: "missing unit", in: "MemTotal: 1000\n", want: meminfo{}},
		{name: "wrong unit", in: "MemTotal: 1000 MB\n", want: meminfo{}},
		{name: "trailing junk", in: "MemTotal: 1000 kB extra\n", want: meminfo{}},
		{name: "negative", in: "MemTotal: -1000 kB\n", want: meminfo{}},
		{name: "overflow in bytes", in: "MemTotal: 18014398509481984 kB\n", want: meminfo{}},
		{name: "just the key (procfs's panic)", in: "MemTotal:\n", want: meminfo{}},
		{name: "key without colon", in: "MemTotal\n", want: meminfo{}},
		{
			name: "fallback sum overflows",
			in:   "MemTotal: 1 kB\nMemFree: 18014398509481983 kB\nBuffers: 18014398509481983 kB\nCached: 1 kB\n",
			want: meminfo{total: kB, totalOK: true},
		},
		{name: "empty", in: "", want: meminfo{}},
		{name: "no trailing newline", in: "MemTotal: 4 kB", want: meminfo{total: 4 * kB, totalOK: true}},
		{name: "similar keys ignored", in: "MemTotalX: 4 kB\nSwapCached: 4 kB\n", want: meminfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := procMeminfo([]byte(tt.in)); got != tt.want {
				t.Errorf("procMeminfo(%q) = %+v; want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestProcPIDStatm(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1163612 102400 25600 1 0 221184 0\n", 102400, true},
		{"0 0 0 0 0 0 0\n", 0, true}, // a zombie
		{"5 7", 7, true},
		{"5\n", 0, false},
		{"", 0, false},
		{"x 7 0\n", 0, false},
		{"5 -7 0\n", 0, false},
		{"5 99999999999999999999 0\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := procPIDStatm([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("procPIDStatm(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProcPIDCgroup(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		v2           string
		v2ok         bool
		v1           string
		v1ok         bool
		wantNoDotDot bool
	}{
		{name: "pure v2", in: "0::/user.slice/session-2.scope\n", v2: "/user.slice/session-2.scope", v2ok: true},
		{name: "this machine (hybrid)", in: "9:name=systemd:/\n4:memory:/process_api/d2\n1:cpu:/\n0::/\n", v2: "/", v2ok: true, v1: "/process_api/d2", v1ok: true},
		{name: "joined controllers", in: "11:cpu,memory,pids:/docker/x\n", v1: "/docker/x", v1ok: true},
		{name: "memory.x is not memory", in: "11:memoryx:/a\n", v1ok: false},
		{name: "path with colon", in: "0::/a:b\n", v2: "/a:b", v2ok: true},
		{name: "climbing out is cleaned", in: "0::/../../etc\n", v2: "/etc", v2ok: true},
		{name: "relative path rejected", in: "0::a/b\n", v2ok: false},
		{name: "non-numeric id", in: "x::/a\n", v2ok: false},
		{name: "v2 line with controllers is not v2", in: "0:memory:/a\n", v1: "/a", v1ok: true},
		{name: "first wins", in: "0::/a\n0::/b\n", v2: "/a", v2ok: true},
		{name: "garbage", in: "hello\n::\n:\n", v2ok: false},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v2, v2ok, v1, v1ok := procPIDCgroup([]byte(tt.in))
			if v2 != tt.v2 || v2ok != tt.v2ok || v1 != tt.v1 || v1ok != tt.v1ok {
				t.Errorf("procPIDCgroup(%q) = %q %v %q %v; want %q %v %q %v", tt.in, v2, v2ok, v1, v1ok, tt.v2, tt.v2ok, tt.v1, tt.v1ok)
			}
		})
	}
}

func TestCgroupValue(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"536870912\n", 536870912, true},
		{"9223372036854771712\n", 9223372036854771712, true},
		{"0\n", 0, true},
		{"12", 12, true},
		{"-1\n", 0, false},
		{"max\n", 0, false},
		{"\n", 0, false},
		{"", 0, false},
		{"1\n2\n", 0, false},
		{"18446744073709551616\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := cgroupValue([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("cgroupValue(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCgroupMemoryMax(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		limited bool
		ok      bool
	}{
		{"max\n", 0, false, true},
		{"max", 0, false, true},
		{"1610612736\n", 1610612736, true, true},
		{"0\n", 0, true, true},
		{"Max\n", 0, false, false},
		{"-1\n", 0, false, false},
		{"", 0, false, false},
		{"max\nmax\n", 0, false, false},
		{"99999999999999999999\n", 0, false, false},
	}
	for _, tt := range tests {
		got, limited, ok := cgroupMemoryMax([]byte(tt.in))
		if got != tt.want || limited != tt.limited || ok != tt.ok {
			t.Errorf("cgroupMemoryMax(%q) = %d, %v, %v; want %d, %v, %v", tt.in, got, limited, ok, tt.want, tt.limited, tt.ok)
		}
	}
}

func TestCgroupMemoryStat(t *testing.T) {
	const v1 = "cache 10\ninactive_file 1\ntotal_inactive_file 64\n"
	tests := []struct {
		in, key string
		want    uint64
		ok      bool
	}{
		{"anon 5\ninactive_file 268435456\nactive_file 0\n", "inactive_file", 268435456, true},
		{v1, "total_inactive_file", 64, true},
		{v1, "inactive_file", 1, true}, // exact key: not total_inactive_file
		{"inactive_file_x 5\n", "inactive_file", 0, false},
		{"inactive_file\n", "inactive_file", 0, false},
		{"inactive_file -5\n", "inactive_file", 0, false},
		{"inactive_file 5 6\n", "inactive_file", 0, false},
		{"", "inactive_file", 0, false},
	}
	for _, tt := range tests {
		got, ok := cgroupMemoryStat([]byte(tt.in), tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("cgroupMemoryStat(%q, %q) = %d, %v; want %d, %v", tt.in, tt.key, got, ok, tt.want, tt.ok)
		}
	}
}

func TestProcPressureMemory(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want psiMemory
		p    provider.MemoryPressure
	}{
		{
			name: "quiet",
			in:   "some avg10=0.00 avg60=0.12 avg300=0.31 total=12873412\nfull avg10=0.00 avg60=0.05 avg300=0.12 total=5672310\n",
			want: psiMemory{someOK: true, fullOK: true}, p: provider.MemoryPressureNormal,
		},
		{
			name: "some just below 10",
			in:   "some avg10=9.99 avg60=0 avg300=0 total=1\nfull avg10=9.99 avg60=0 avg300=0 total=1\n",
			want: psiMemory{some: 999, full: 999, someOK: true, fullOK: true}, p: provider.MemoryPressureNormal,
		},
		{
			name: "some exactly 10 is warn",
			in:   "some avg10=10.00 avg60=0 avg300=0 total=1\nfull avg10=3.05 avg60=0 avg300=0 total=1\n",
			want: psiMemory{some: 1000, full: 305, someOK: true, fullOK: true}, p: provider.MemoryPressureWarn,
		},
		{
			name: "full exactly 10 is critical",
			in:   "some avg10=40.00 avg60=0 avg300=0 total=1\nfull avg10=10.00 avg60=0 avg300=0 total=1\n",
			want: psiMemory{some: 4000, full: 1000, someOK: true, fullOK: true}, p: provider.MemoryPressureCritical,
		},
		{
			name: "no full line (old kernels)",
			in:   "some avg10=55.5 avg60=0 avg300=0 total=1\n",
			want: psiMemory{some: 5550, someOK: true}, p: provider.MemoryPressureWarn,
		},
		{name: "garbage avg10", in: "some avg10=abc\nfull avg10=1.234\n", want: psiMemory{bad: true}, p: provider.MemoryPressureUnknown},
		{name: "negative", in: "some avg10=-1.00\n", want: psiMemory{bad: true}, p: provider.MemoryPressureUnknown},
		{name: "unknown kind only", in: "most avg10=99.00\n", want: psiMemory{bad: true}, p: provider.MemoryPressureUnknown},
		{
			name: "unknown kind beside the known ones is skipped",
			in:   "some avg10=1.00 total=1\nmost avg10=99.00\nfull avg10=0.00 total=1\n",
			want: psiMemory{some: 100, someOK: true, fullOK: true}, p: provider.MemoryPressureNormal,
		},
		{name: "empty", in: "", want: psiMemory{bad: true}, p: provider.MemoryPressureUnknown},
		{
			name: "malformed full spoils a good some",
			in:   "some avg10=55.00 total=1\nfull avg10=x total=1\n",
			want: psiMemory{some: 5500, someOK: true, bad: true}, p: provider.MemoryPressureUnknown,
		},
		{name: "no avg10 field", in: "some avg60=1.00 total=1\n", want: psiMemory{bad: true}, p: provider.MemoryPressureUnknown},
		{
			name: "some twice",
			in:   "some avg10=1.00 total=1\nsome avg10=99.00 total=1\n",
			want: psiMemory{some: 100, someOK: true, bad: true}, p: provider.MemoryPressureUnknown,
		},
		{name: "full without some", in: "full avg10=20.00 total=1\n", want: psiMemory{full: 2000, fullOK: true, bad: true}, p: provider.MemoryPressureUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := procPressureMemory([]byte(tt.in))
			if got != tt.want {
				t.Errorf("procPressureMemory(%q) = %+v; want %+v", tt.in, got, tt.want)
			}
			if p := psiPressure(got); p != tt.p {
				t.Errorf("psiPressure = %v; want %v", p, tt.p)
			}
		})
	}
}

func TestCenti(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0.00", 0, true}, {"10.00", 1000, true}, {"9.99", 999, true}, {"12.5", 1250, true},
		{"100", 10000, true}, {"1.", 0, false}, {".5", 0, false}, {"1.234", 0, false},
		{"", 0, false}, {"1e3", 0, false}, {"99999999999999999999.00", 0, false},
	}
	for _, tt := range tests {
		got, ok := centi([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("centi(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestParsersDoNotAllocate: the hot-path parsers run on every refresh.
func TestParsersDoNotAllocate(t *testing.T) {
	stat := []byte("cpu  1394826 2162 402733 24530110 21310 0 11523 0 0 0\n")
	mem := []byte("MemTotal: 16303392 kB\nMemFree: 5224716 kB\nMemAvailable: 10894576 kB\n")
	statm := []byte("1163612 102400 25600 1 0 221184 0\n")
	psi := []byte("some avg10=0.00 avg60=0.12 avg300=0.31 total=1\nfull avg10=0.00 avg60=0.05 avg300=0.12 total=1\n")
	mstat := []byte("anon 5\ninactive_file 268435456\n")
	allocs := testing.AllocsPerRun(100, func() {
		procStat(stat)
		procMeminfo(mem)
		procPIDStatm(statm)
		procPressureMemory(psi)
		cgroupMemoryStat(mstat, "inactive_file")
		cgroupMemoryMax([]byte("max\n"))
		cgroupValue([]byte("12\n"))
	})
	if allocs != 0 {
		t.Errorf("parsers allocate %v times per run; want 0", allocs)
	}
}

// Fuzz tests: every parser must accept any input without panicking, and
// what it accepts must be internally consistent.

func FuzzProcStat(f *testing.F) {
	f.Add([]byte("cpu  1394826 2162 402733 24530110 21310 0 11523 0 0 0\ncpu0 1 2 3 4\n"))
	f.Add([]byte("cpu 1 2 3 4\n"))
	f.Add([]byte("cpu 18446744073709551615 1 0 0\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := procStat(b)
		if ok && got.busy > got.total {
			t.Errorf("busy %d > total %d", got.busy, got.total)
		}
	})
}

func FuzzProcMeminfo(f *testing.F) {
	f.Add([]byte("MemTotal: 16303392 kB\nMemFree: 5224716 kB\nMemAvailable: 10894576 kB\nBuffers: 1 kB\nCached: 2 kB\n"))
	f.Add([]byte("MemTotal:\n"))
	f.Add([]byte("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := procMeminfo(b)
		if !m.totalOK && m.total != 0 || !m.availOK && m.avail != 0 {
			t.Errorf("invalid field with a value: %+v", m)
		}
	})
}

func FuzzProcPIDStatm(f *testing.F) {
	f.Add([]byte("1163612 102400 25600 1 0 221184 0\n"))
	f.Add([]byte("0 0 0 0 0 0 0\n"))
	f.Add([]byte("5"))
	f.Fuzz(func(t *testing.T, b []byte) {
		procPIDStatm(b)
	})
}

func FuzzProcPIDCgroup(f *testing.F) {
	f.Add([]byte("9:name=systemd:/\n4:memory:/process_api/d2\n0::/\n"))
	f.Add([]byte("0::/../../etc\n"))
	f.Add([]byte("11:cpu,memory:/a:b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v2, v2ok, v1, v1ok := procPIDCgroup(b)
		for _, p := range []struct {
			s  string
			ok bool
		}{{v2, v2ok}, {v1, v1ok}} {
			if !p.ok {
				continue
			}
			if !strings.HasPrefix(p.s, "/") || strings.Contains(p.s, "/../") || strings.HasSuffix(p.s, "/..") {
				t.Errorf("path %q escapes the cgroup root", p.s)
			}
		}
	})
}

func FuzzCgroupFiles(f *testing.F) {
	f.Add([]byte("max\n"))
	f.Add([]byte("9223372036854771712\n"))
	f.Add([]byte("-1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, limited, ok := cgroupMemoryMax(b)
		if !ok && (limited || v != 0) {
			t.Errorf("memory.max %q: not ok but limited=%v v=%d", b, limited, v)
		}
		cgroupValue(b)
	})
}

func FuzzCgroupMemoryStat(f *testing.F) {
	f.Add([]byte("anon 5\ninactive_file 268435456\n"), "inactive_file")
	f.Add([]byte("total_inactive_file 64\n"), "total_inactive_file")
	f.Add([]byte("inactive_file"), "inactive_file")
	f.Fuzz(func(t *testing.T, b []byte, key string) {
		cgroupMemoryStat(b, key)
	})
}

func FuzzProcPressureMemory(f *testing.F) {
	f.Add([]byte("some avg10=12.50 avg60=4.31 avg300=1.02 total=987654321\nfull avg10=3.05 avg60=1.00 avg300=0.25 total=123456789\n"))
	f.Add([]byte("some avg10=\n"))
	f.Add([]byte("full avg10=.\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := procPressureMemory(b)
		if got := psiPressure(p); got > provider.MemoryPressureCritical {
			t.Errorf("pressure %v out of range", got)
		}
	})
}
