package linux

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/provider"
)

// TestRunSnapshotFixtures reads the run counters from fixture machines.
// Every expectation is computed by hand from the fixture files.
func TestRunSnapshotFixtures(t *testing.T) {
	none := provider.Opt[time.Duration]{}
	some := provider.Some[time.Duration]
	tests := []struct {
		name, procfs, sysfs string
		files, sysw         map[string]string
		remove              []string // under sysfs
		want                provider.Counters
	}{
		{
			// cgroup v2: the container's own pressure files (not
			// /proc/pressure's), its cpu.stat throttled_usec under its
			// 50 % quota; self/stat utime 1523 + stime 377 = 1900
			// ticks; VmHWM 614400 kB = 600 MiB.
			name: "cgroup v2 with PSI and a quota", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			want: provider.Counters{
				ProcessCPU:     some(19 * time.Second),
				CPUStall:       some(12345678 * time.Microsecond),
				MemoryStall:    some(2500 * time.Millisecond),
				IOStall:        some(750 * time.Millisecond),
				Throttled:      some(4321 * time.Millisecond),
				RSSHighWaterMB: provider.Some[uint64](600),
			},
		},
		{
			// No pressure files in the cgroup: the system-wide ones.
			name: "cgroup v2 without its own PSI", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			remove: []string{k8sScope + "/cpu.pressure", k8sScope + "/memory.pressure", k8sScope + "/io.pressure"},
			want: provider.Counters{
				ProcessCPU:     some(19 * time.Second),
				CPUStall:       some(555 * time.Second),
				MemoryStall:    some(987654321 * time.Microsecond),
				IOStall:        some(333 * time.Second),
				Throttled:      some(4321 * time.Millisecond),
				RSSHighWaterMB: provider.Some[uint64](600),
			},
		},
		{
			// "max" at every level: no quota applies, throttled unknown.
			name: "cgroup v2 without a quota", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw: map[string]string{k8sScope + "/cpu.max": "max 100000\n"},
			want: provider.Counters{
				ProcessCPU:     some(19 * time.Second),
				CPUStall:       some(12345678 * time.Microsecond),
				MemoryStall:    some(2500 * time.Millisecond),
				IOStall:        some(750 * time.Millisecond),
				RSSHighWaterMB: provider.Some[uint64](600),
			},
		},
		{
			// The pod's quota applies when the container has none: the
			// pod's cpu.stat.
			name: "cgroup v2 quota on the parent", procfs: "procfs-k8s", sysfs: "cgroup-k8s",
			sysw: map[string]string{
				k8sScope + "/cpu.max": "max 100000\n",
				k8sPod + "/cpu.max":   "200000 100000\n",
				k8sPod + "/cpu.stat":  "usage_usec 1\nthrottled_usec 60000000\n",
			},
			want: provider.Counters{
				ProcessCPU:     some(19 * time.Second),
				CPUStall:       some(12345678 * time.Microsecond),
				MemoryStall:    some(2500 * time.Millisecond),
				IOStall:        some(750 * time.Millisecond),
				Throttled:      some(time.Minute),
				RSSHighWaterMB: provider.Some[uint64](600),
			},
		},
		{
			// cgroup v1 cpu controller: throttled_time in ns under a
			// 1.5-CPU quota; no PSI on this kernel: stalls unknown.
			// utime 250 + stime 50 = 3 s; VmHWM 262144 kB = 256 MiB.
			name: "cgroup v1 without PSI", procfs: "procfs-v1", sysfs: "cgroup-v1",
			want: provider.Counters{
				ProcessCPU:     some(3 * time.Second),
				Throttled:      some(987654321 * time.Nanosecond),
				RSSHighWaterMB: provider.Some[uint64](256),
			},
		},
		{
			name: "cgroup v1 quota -1", procfs: "procfs-v1", sysfs: "cgroup-v1",
			sysw: map[string]string{"fs/cgroup/cpu,cpuacct/docker/9b3e/cpu.cfs_quota_us": "-1\n"},
			want: provider.Counters{
				ProcessCPU:     some(3 * time.Second),
				RSSHighWaterMB: provider.Some[uint64](256),
			},
		},
		{
			// A zombie's status has no VmHWM; its stat still has times.
			name: "zombie", procfs: "procfs-v1", sysfs: "cgroup-v1",
			files: map[string]string{"self/status": "Name:\tx\nState:\tZ (zombie)\n"},
			want: provider.Counters{
				ProcessCPU: some(3 * time.Second),
				Throttled:  some(987654321 * time.Nanosecond),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			procfs, sysfs := copyProcTree(t, tt.procfs), copyProcTree(t, tt.sysfs)
			writeTree(t, procfs, tt.files)
			writeTree(t, sysfs, tt.sysw)
			for _, r := range tt.remove {
				if err := os.Remove(filepath.Join(sysfs, filepath.FromSlash(r))); err != nil {
					t.Fatal(err)
				}
			}
			p, _ := newTestProvider(t, procfs, sysfs)
			s, err := p.RunSnapshot(context.Background())
			if err != nil {
				t.Fatalf("RunSnapshot: %v", err)
			}
			got := s.Counters
			got.CPUBusy, got.CPUTotal = none, none // TestCPUCounters
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counters (-want +got):\n%s", diff)
			}
			// The cached path never reads them.
			s, _ = p.Snapshot(context.Background())
			c := s.Counters
			if c.ProcessCPU.Valid || c.CPUStall.Valid || c.MemoryStall.Valid || c.IOStall.Valid || c.Throttled.Valid || c.RSSHighWaterMB.Valid {
				t.Errorf("Snapshot read run counters: %+v", c)
			}
		})
	}
}

// TestRunSnapshotFaults: a malformed run file is an error naming it and an
// unknown counter; the snapshot's other fields stay.
func TestRunSnapshotFaults(t *testing.T) {
	procfs, sysfs := copyProcTree(t, "procfs-k8s"), copyProcTree(t, "cgroup-k8s")
	writeTree(t, procfs, map[string]string{"self/stat": "4242 (x) S 1 2\n"})
	writeTree(t, sysfs, map[string]string{k8sScope + "/cpu.pressure": "some avg10=1.00\n", k8sScope + "/cpu.stat": "throttled_usec -5\n"})
	p, _ := newTestProvider(t, procfs, sysfs)
	s, err := p.RunSnapshot(context.Background())
	for _, name := range []string{"self/stat", "cpu.pressure", "cpu.stat"} {
		if err == nil || !strings.Contains(filepath.ToSlash(err.Error()), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
	c := s.Counters
	if c.ProcessCPU.Valid || c.CPUStall.Valid || c.Throttled.Valid {
		t.Errorf("counters %+v; want process CPU, CPU stall and throttled unknown", c)
	}
	if !c.MemoryStall.Valid || !c.RSSHighWaterMB.Valid || !s.TotalMemMB.Valid {
		t.Errorf("snapshot %+v lost fields it could read", s)
	}
}

// TestCPUCounters: every snapshot carries /proc/stat's cumulative busy and
// total time, from the same read as cpu_pct, in USER_HZ ticks.
func TestCPUCounters(t *testing.T) {
	root := copyProcTree(t, "procfs-laptop")
	p, _ := newTestProvider(t, root, t.TempDir())
	p.fast.hz = 100
	// total = 100+5+50+800+20+10+10+5 = 1000 ticks; busy = 1000-800-20.
	writeTree(t, root, map[string]string{"stat": "cpu 100 5 50 800 20 10 10 5 7 0\n"})
	s, err := p.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.Counters.CPUBusy != provider.Some(1800*time.Millisecond) || s.Counters.CPUTotal != provider.Some(10*time.Second) {
		t.Errorf("busy %+v total %+v; want 1.8s and 10s", s.Counters.CPUBusy, s.Counters.CPUTotal)
	}
	writeTree(t, root, map[string]string{"stat": "garbage\n"})
	if s, _ = p.Snapshot(context.Background()); s.Counters.CPUBusy.Valid || s.Counters.CPUTotal.Valid {
		t.Errorf("counters %+v from a garbage stat; want unknown", s.Counters)
	}
}

func TestRunSnapshotDoesNotAllocate(t *testing.T) {
	p, _ := newTestProvider(t, filepath.Join("testdata", "procfs-k8s"), filepath.Join("testdata", "cgroup-k8s"))
	keepOpen(p)
	p.fast.slow.every, p.fast.run.quota.limits.every = 0, 0
	ctx := context.Background()
	p.RunSnapshot(ctx)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := p.RunSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("RunSnapshot allocates %v times; want 0", allocs)
	}
}

func TestProcPIDStatCPU(t *testing.T) {
	tests := []struct {
		in           string
		utime, stime uint64
		ok           bool
	}{
		{"1 (sh) S 1 1 1 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 5 1 1\n", 7, 3, true},
		{"1 (a b) c) S 1 1 1 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 5 1 1\n", 7, 3, true},
		{"1 ()) S 1 1 1 0 -1 4194560 100 0 0 0 18446744073709551615 0 0 0\n", math.MaxUint64, 0, true},
		{"1 (x\ny) S 1 1 1 0 -1 4194560 100 0 0 0 7 3 0 0\n", 7, 3, true},
		{"1 (sh) S 1 1 1 0 -1 4194560 100 0 0 0 7\n", 0, 0, false},
		{"1 (sh) S 1 1 1 0 -1 4194560 100 0 0 0 -7 3\n", 0, 0, false},
		{"1 sh S 1 1 1 0 -1 4194560 100 0 0 0 7 3\n", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		u, s, ok := procPIDStatCPU([]byte(tt.in))
		if u != tt.utime || s != tt.stime || ok != tt.ok {
			t.Errorf("procPIDStatCPU(%q) = %d, %d, %v; want %d, %d, %v", tt.in, u, s, ok, tt.utime, tt.stime, tt.ok)
		}
	}
}

func TestProcPIDStatusHWM(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"Name:\tx\nVmPeak:\t 10 kB\nVmHWM:\t  2072 kB\nVmRSS:\t 1 kB\n", 2072 << 10, true},
		{"VmHWM:\t0 kB\n", 0, true},
		{"Name:\tkthreadd\nState:\tS\n", 0, false},
		{"VmHWM:\t-1 kB\n", 0, false},
		{"VmHWM:\t12 MB\n", 0, false},
		{"VmHWM:\t18014398509481984 kB\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := procPIDStatusHWM([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("procPIDStatusHWM(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPressureSomeTotal(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"some avg10=0.00 avg60=0.00 avg300=0.00 total=61241709\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", 61241709, true},
		{"full avg10=0.00 total=5\nsome avg10=1 total=7\n", 7, true},
		{"some avg10=0.00 avg60=0.00 avg300=0.00\n", 0, false},
		{"some total=-1\n", 0, false},
		{"some total=\n", 0, false},
		{"full total=5\n", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, ok := pressureSomeTotal([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("pressureSomeTotal(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCgroupQuota(t *testing.T) {
	for _, tt := range []struct {
		in          string
		limited, ok bool
	}{
		{"max 100000\n", false, true},
		{"max\n", false, true},
		{"50000 100000\n", true, true},
		{"0 100000\n", false, true},
		{"lots 100000\n", false, false},
		{"50000 x\n", false, false},
		{"50000 100000 7\n", false, false},
		{"", false, false},
	} {
		if limited, ok := cgroupCPUMax([]byte(tt.in)); limited != tt.limited || ok != tt.ok {
			t.Errorf("cgroupCPUMax(%q) = %v, %v; want %v, %v", tt.in, limited, ok, tt.limited, tt.ok)
		}
	}
	for _, tt := range []struct {
		in          string
		limited, ok bool
	}{
		{"-1\n", false, true},
		{"150000\n", true, true},
		{"-2\n", false, false},
		{"x\n", false, false},
		{"", false, false},
	} {
		if limited, ok := cgroupCFSQuota([]byte(tt.in)); limited != tt.limited || ok != tt.ok {
			t.Errorf("cgroupCFSQuota(%q) = %v, %v; want %v, %v", tt.in, limited, ok, tt.limited, tt.ok)
		}
	}
}

func TestProcPIDCgroupV1(t *testing.T) {
	in := "12:hugetlb:/a\n11:cpu,cpuacct:/docker/../x/\n0::/docker/9b3e\n"
	if got, ok := procPIDCgroupV1([]byte(in), "cpu"); got != "/x" || !ok {
		t.Errorf("cpu = %q, %v; want /x", got, ok)
	}
	if got, ok := procPIDCgroupV1([]byte(in), "cpuacct"); got != "/x" || !ok {
		t.Errorf("cpuacct = %q, %v; want /x", got, ok)
	}
	if _, ok := procPIDCgroupV1([]byte("0::/a\n1:name=systemd:/\n"), "cpu"); ok {
		t.Error("found a cpu controller in a v2-only file")
	}
}

// TestDurations: conversions never give a negative duration; one that
// does not fit is unknown.
func TestDurations(t *testing.T) {
	some := provider.Some[time.Duration]
	for _, tt := range []struct {
		ticks, hz uint64
		want      provider.Opt[time.Duration]
	}{
		{0, 100, some(0)},
		{1, 100, some(10 * time.Millisecond)},
		{3, 1024, some(2929687)}, // floor(3e9/1024) ns
		{math.MaxInt64 / 10_000_000, 100, some(time.Duration(math.MaxInt64/10_000_000) * 10_000_000)},
		{math.MaxInt64/10_000_000 + 1, 100, provider.Opt[time.Duration]{}},
		{math.MaxUint64, 100, provider.Opt[time.Duration]{}},
		{5, 0, provider.Opt[time.Duration]{}},
	} {
		if got := ticksDuration(tt.ticks, tt.hz); got != tt.want {
			t.Errorf("ticksDuration(%d, %d) = %+v; want %+v", tt.ticks, tt.hz, got, tt.want)
		}
	}
	for _, tt := range []struct {
		n    uint64
		unit time.Duration
		want provider.Opt[time.Duration]
	}{
		{7, time.Microsecond, some(7 * time.Microsecond)},
		{math.MaxInt64 / 1000, time.Microsecond, some(time.Duration(math.MaxInt64/1000) * 1000)},
		{math.MaxInt64/1000 + 1, time.Microsecond, provider.Opt[time.Duration]{}},
		{math.MaxInt64, time.Nanosecond, some(math.MaxInt64)},
		{math.MaxInt64 + 1, time.Nanosecond, provider.Opt[time.Duration]{}},
	} {
		if got := unitDuration(tt.n, tt.unit); got != tt.want {
			t.Errorf("unitDuration(%d, %v) = %+v; want %+v", tt.n, tt.unit, got, tt.want)
		}
	}
}

func TestRunParsersDoNotAllocate(t *testing.T) {
	stat := []byte("1 (a b) S 1 1 1 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 5 1 1\n")
	status := []byte("Name:\tx\nVmHWM:\t  2072 kB\n")
	psi := []byte("some avg10=0.00 avg60=0.00 avg300=0.00 total=61241709\n")
	if n := testing.AllocsPerRun(100, func() {
		procPIDStatCPU(stat)
		procPIDStatusHWM(status)
		pressureSomeTotal(psi)
		cgroupCPUMax([]byte("max 100000\n"))
		cgroupCFSQuota([]byte("-1\n"))
	}); n != 0 {
		t.Errorf("run parsers allocate %v times", n)
	}
}

func FuzzProcPIDStatCPU(f *testing.F) {
	f.Add([]byte("1 (a b) c) S 1 1 1 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 5 1 1\n"))
	f.Add([]byte(")))"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, s, ok := procPIDStatCPU(b)
		if !ok && (u != 0 || s != 0) {
			t.Errorf("not ok with values %d %d", u, s)
		}
		if d := ticksDuration(u+s, 100); d.Valid && d.V < 0 {
			t.Errorf("negative duration %v", d.V)
		}
	})
}

func FuzzRunFiles(f *testing.F) {
	f.Add([]byte("some avg10=0.00 avg60=0.00 avg300=0.00 total=61241709\n"))
	f.Add([]byte("VmHWM:\t  2072 kB\n"))
	f.Add([]byte("50000 100000\n"))
	f.Add([]byte("-1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, ok := pressureSomeTotal(b); ok {
			if d := unitDuration(v, time.Microsecond); d.Valid && d.V < 0 {
				t.Errorf("negative stall %v", d.V)
			}
		}
		if v, ok := procPIDStatusHWM(b); !ok && v != 0 {
			t.Errorf("not ok with %d", v)
		}
		if limited, ok := cgroupCPUMax(b); limited && !ok {
			t.Error("limited but not ok")
		}
		if limited, ok := cgroupCFSQuota(b); limited && !ok {
			t.Error("limited but not ok")
		}
		procPIDCgroupV1(b, "cpu")
	})
}

func TestCadenceDue(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name  string
		every time.Duration
		calls []time.Duration // offsets from t0
		want  []bool
	}{
		{"first call", time.Second, []time.Duration{0}, []bool{true}},
		{"within the period", time.Second, []time.Duration{0, 999 * time.Millisecond}, []bool{true, false}},
		{"period elapsed", time.Second, []time.Duration{0, 500 * time.Millisecond, time.Second}, []bool{true, false, true}},
		{"measured from the last due call", time.Second, []time.Duration{0, time.Second, 1500 * time.Millisecond, 2 * time.Second}, []bool{true, true, false, true}},
		{"clock set back", time.Second, []time.Duration{0, -time.Millisecond, 0}, []bool{true, true, false}},
		{"every 0", 0, []time.Duration{0, 0, time.Nanosecond}, []bool{true, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cadence{every: tc.every}
			for i, off := range tc.calls {
				if got := c.due(t0.Add(off)); got != tc.want[i] {
					t.Errorf("call %d at %v: due = %v; want %v", i, off, got, tc.want[i])
				}
			}
		})
	}
}
