package linux

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/provider"
)

// capTree is a procfs root and a sysfs root written from files: keys
// starting "proc/" go under the procfs root, "sys/" under the sysfs root.
func capTree(t *testing.T, files map[string]string) (procfs, sysfs string) {
	t.Helper()
	root := t.TempDir()
	procfs, sysfs = filepath.Join(root, "proc"), filepath.Join(root, "sys")
	all := map[string]string{
		"proc/self/stat":  "1 (x) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 0 0 0\n",
		"proc/self/statm": "100 10 0 0 0 0 0\n",
		"proc/meminfo":    "MemTotal: 16384000 kB\nMemAvailable: 8192000 kB\n",
		"proc/stat":       "cpu 1 0 1 100 0 0 0 0 0 0\n",
	}
	maps.Copy(all, files)
	for name, content := range all {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(sysfs, 0o755); err != nil {
		t.Fatal(err)
	}
	return procfs, sysfs
}

func readCapacity(t *testing.T, files map[string]string) (provider.Capacity, error) {
	t.Helper()
	procfs, sysfs := capTree(t, files)
	p, _ := newTestProvider(t, procfs, sysfs)
	var c provider.Capacity
	err := p.Capacity(t.Context(), &c)
	return c, err
}

const (
	cgV2Leaf = "0::/pod/ctr\n"
	status8  = "Name:\tx\nCpus_allowed:\tff\nCpus_allowed_list:\t0-7\n"
)

func TestCapacityCPU(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []provider.CPULimit
	}{
		{"parent-only quota", map[string]string{
			"proc/self/cgroup":                   cgV2Leaf,
			"proc/self/status":                   "Cpus_allowed_list:\t0-4\n",
			"sys/devices/system/cpu/online":      "0-4\n",
			"sys/fs/cgroup/pod/cpu.max":          "200000 100000\n",
			"sys/fs/cgroup/pod/ctr/cpu.max":      "max 100000\n",
			"sys/fs/cgroup/pod/ctr/cgroup.procs": "1\n",
		}, []provider.CPULimit{{By: "cgroup:/pod", CPUs: 2}, {By: "affinity", CPUs: 5}, {By: "host", CPUs: 5}}},
		{"fractional quota", map[string]string{
			"proc/self/cgroup":              cgV2Leaf,
			"proc/self/status":              "Cpus_allowed_list:\t0-15\n",
			"sys/devices/system/cpu/online": "0-15\n",
			"sys/fs/cgroup/pod/ctr/cpu.max": "850000 100000\n",
		}, []provider.CPULimit{{By: "cgroup:/pod/ctr", CPUs: 8.5}, {By: "affinity", CPUs: 16}, {By: "host", CPUs: 16}}},
		{"affinity narrower than quota", map[string]string{
			"proc/self/cgroup":              cgV2Leaf,
			"proc/self/status":              "Cpus_allowed_list:\t2,5\n",
			"sys/devices/system/cpu/online": "0-7\n",
			"sys/fs/cgroup/pod/ctr/cpu.max": "600000 100000\n",
		}, []provider.CPULimit{{By: "cgroup:/pod/ctr", CPUs: 6}, {By: "affinity", CPUs: 2}, {By: "host", CPUs: 8}}},
		{"cpuset narrower than both, named where it was set", map[string]string{
			"proc/self/cgroup":                            cgV2Leaf,
			"proc/self/status":                            status8,
			"sys/devices/system/cpu/online":               "0-7\n",
			"sys/fs/cgroup/cpuset.cpus.effective":         "0-7\n",
			"sys/fs/cgroup/pod/cpuset.cpus.effective":     "3\n",
			"sys/fs/cgroup/pod/ctr/cpuset.cpus.effective": "3\n",
			"sys/fs/cgroup/pod/ctr/cpu.max":               "300000 100000\n",
		}, []provider.CPULimit{{By: "cgroup:/pod/ctr", CPUs: 3}, {By: "cpuset:/pod", CPUs: 1}, {By: "cpuset:/pod/ctr", CPUs: 1}, {By: "affinity", CPUs: 8}, {By: "host", CPUs: 8}}},
		{"cgroup v1 CFS", map[string]string{
			"proc/self/cgroup":                                      "5:cpu,cpuacct:/docker/abc\n3:cpuset:/docker/abc\n2:memory:/docker/abc\n",
			"proc/self/status":                                      status8,
			"sys/devices/system/cpu/online":                         "0-7\n",
			"sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us":         "150000\n",
			"sys/fs/cgroup/cpu/docker/abc/cpu.cfs_period_us":        "100000\n",
			"sys/fs/cgroup/cpu/docker/cpu.cfs_quota_us":             "-1\n",
			"sys/fs/cgroup/cpu/docker/cpu.cfs_period_us":            "100000\n",
			"sys/fs/cgroup/cpuset/docker/abc/cpuset.effective_cpus": "0-3\n",
		}, []provider.CPULimit{{By: "cgroup:/docker/abc", CPUs: 1.5}, {By: "cpuset:/docker/abc", CPUs: 4}, {By: "affinity", CPUs: 8}, {By: "host", CPUs: 8}}},
		{"max everywhere", map[string]string{
			"proc/self/cgroup":              cgV2Leaf,
			"proc/self/status":              status8,
			"sys/devices/system/cpu/online": "0-7\n",
			"sys/fs/cgroup/pod/cpu.max":     "max 100000\n",
			"sys/fs/cgroup/pod/ctr/cpu.max": "max 100000\n",
		}, []provider.CPULimit{{By: "affinity", CPUs: 8}, {By: "host", CPUs: 8}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := readCapacity(t, tc.files)
			if err != nil {
				t.Errorf("Capacity error: %v", err)
			}
			if d := cmp.Diff(tc.want, c.CPULimits); d != "" {
				t.Errorf("CPU limits (-want +got):\n%s", d)
			}
		})
	}
}

func TestCapacityHostileQuota(t *testing.T) {
	for _, v := range []string{"max max\n", "-1 100000\n", "18446744073709551616 100000\n", "100000 0\n", "100000\n", "1 2 3\n", "\n"} {
		t.Run(v, func(t *testing.T) {
			c, err := readCapacity(t, map[string]string{
				"proc/self/cgroup":              cgV2Leaf,
				"proc/self/status":              status8,
				"sys/devices/system/cpu/online": "0-7\n",
				"sys/fs/cgroup/pod/cpu.max":     "400000 100000\n",
				"sys/fs/cgroup/pod/ctr/cpu.max": v,
			})
			if !errors.Is(err, provider.ErrInvalid) {
				t.Errorf("error %v, want one wrapping ErrInvalid and naming the file", err)
			}
			want := []provider.CPULimit{{By: "cgroup:/pod", CPUs: 4}, {By: "affinity", CPUs: 8}, {By: "host", CPUs: 8}}
			if d := cmp.Diff(want, c.CPULimits); d != "" {
				t.Errorf("a bad level must be skipped, the others kept (-want +got):\n%s", d)
			}
		})
	}
}

func TestCapacityProcessMoved(t *testing.T) {
	procfs, sysfs := capTree(t, map[string]string{
		"proc/self/cgroup":              "0::/a\n",
		"proc/self/status":              status8,
		"sys/devices/system/cpu/online": "0-7\n",
		"sys/fs/cgroup/a/cpu.max":       "100000 100000\n",
		"sys/fs/cgroup/a/cpu.stat":      "usage_usec 5\nnr_periods 10\nnr_throttled 4\nthrottled_usec 9\n",
		"sys/fs/cgroup/b/cpu.max":       "300000 100000\n",
		"sys/fs/cgroup/b/cpu.stat":      "nr_periods 7\nnr_throttled 1\n",
	})
	p, _ := newTestProvider(t, procfs, sysfs)
	var c provider.Capacity
	if err := p.Capacity(t.Context(), &c); err != nil {
		t.Fatal(err)
	}
	if c.CPULimits[0] != (provider.CPULimit{By: "cgroup:/a", CPUs: 1}) || c.Throttle != provider.Some(provider.ThrottleCounts{By: "cgroup:/a", Periods: 10, Throttled: 4}) {
		t.Fatalf("in /a: %+v %+v", c.CPULimits, c.Throttle)
	}
	if err := os.WriteFile(filepath.Join(procfs, "self", "cgroup"), []byte("0::/b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.Capacity(t.Context(), &c); err != nil {
		t.Fatal(err)
	}
	if c.CPULimits[0] != (provider.CPULimit{By: "cgroup:/b", CPUs: 3}) || c.Throttle != provider.Some(provider.ThrottleCounts{By: "cgroup:/b", Periods: 7, Throttled: 1}) {
		t.Fatalf("moved to /b: %+v %+v", c.CPULimits, c.Throttle)
	}
}

func TestCapacityMemory(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []provider.MemLimit
	}{
		{"page cache fills the limit", map[string]string{
			"proc/self/cgroup":                 "0::/ctr\n",
			"sys/fs/cgroup/ctr/memory.max":     "1073741824\n",
			"sys/fs/cgroup/ctr/memory.current": "1073741824\n",
			"sys/fs/cgroup/ctr/memory.stat":    "anon 314572800\nfile 759169024\ninactive_file 734003200\n",
		}, []provider.MemLimit{{By: "cgroup:/ctr", AvailMB: 700}, {By: "host", AvailMB: 8000}}},
		{"limit on a parent only", map[string]string{
			"proc/self/cgroup":                     cgV2Leaf,
			"sys/fs/cgroup/pod/memory.max":         "2147483648\n",
			"sys/fs/cgroup/pod/memory.current":     "536870912\n",
			"sys/fs/cgroup/pod/memory.stat":        "inactive_file 0\n",
			"sys/fs/cgroup/pod/ctr/memory.max":     "max\n",
			"sys/fs/cgroup/pod/ctr/memory.current": "536870912\n",
		}, []provider.MemLimit{{By: "cgroup:/pod", AvailMB: 1536}, {By: "host", AvailMB: 8000}}},
		{"limit above the host is no limit", map[string]string{
			"proc/self/cgroup":                 "0::/ctr\n",
			"sys/fs/cgroup/ctr/memory.max":     "68719476736\n",
			"sys/fs/cgroup/ctr/memory.current": "1\n",
		}, []provider.MemLimit{{By: "host", AvailMB: 8000}}},
		{"cgroup v1", map[string]string{
			"proc/self/cgroup": "2:memory:/docker/abc\n",
			"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "536870912\n",
			"sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes": "536870912\n",
			"sys/fs/cgroup/memory/docker/abc/memory.stat":           "total_inactive_file 268435456\n",
		}, []provider.MemLimit{{By: "cgroup:/docker/abc", AvailMB: 256}, {By: "host", AvailMB: 8000}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := readCapacity(t, tc.files)
			if err != nil {
				t.Errorf("Capacity error: %v", err)
			}
			if d := cmp.Diff(tc.want, c.MemLimits); d != "" {
				t.Errorf("memory limits (-want +got):\n%s", d)
			}
		})
	}
}

func TestCapacityThermal(t *testing.T) {
	for _, tc := range []struct {
		name       string
		files      map[string]string
		sensors    []provider.ThermalReading
		throttling provider.Opt[bool]
		by         string
	}{
		{"zones and their thresholds", prefixed("sys/", tree(
			zone("0", "temp", "60000", "trip_point_0_type", "passive", "trip_point_0_temp", "85000", "trip_point_1_type", "critical", "trip_point_1_temp", "105000"),
			zone("1", "temp", "45000", "trip_point_0_type", "critical", "trip_point_0_temp", "95000"),
			zone("2", "temp", "50000"),
			zone("3", "temp", "50000", "mode", "disabled"),
			zone("4", "temp", "50000", "trip_point_0_type", "hot", "trip_point_0_temp", "90000"),
		)), []provider.ThermalReading{{Sensor: "thermal_zone0", Celsius: 60, SevereC: 85}, {Sensor: "thermal_zone1", Celsius: 45, SevereC: 90}, {Sensor: "thermal_zone2", Celsius: 50, SevereC: 70}, {Sensor: "thermal_zone4", Celsius: 50, SevereC: 90}}, provider.Opt[bool]{}, ""},
		{"cooling device throttling while temperatures read normal", prefixed("sys/", tree(
			zone("0", "temp", "40000", "trip_point_0_type", "passive", "trip_point_0_temp", "85000"),
			cooler("0", "Fan", "3"),
			cooler("1", "thermal-cpufreq-0", "2"),
		)), []provider.ThermalReading{{Sensor: "thermal_zone0", Celsius: 40, SevereC: 85}}, provider.Some(true), "cooling_device1:thermal-cpufreq-0"},
		{"coolers idle", prefixed("sys/", tree(
			zone("0", "temp", "40000"),
			cooler("0", "Processor", "0"),
		)), []provider.ThermalReading{{Sensor: "thermal_zone0", Celsius: 40, SevereC: 70}}, provider.Some(false), ""},
		{"hwmon when no zone is usable", prefixed("sys/", tree(
			zone("0", "temp", "200000"),
			hwmon("1", "temp1_input", "55000", "temp1_max", "80000", "temp2_input", "41000"),
		)), []provider.ThermalReading{{Sensor: "hwmon1/temp1", Celsius: 55, SevereC: 80}, {Sensor: "hwmon1/temp2", Celsius: 41, SevereC: 70}}, provider.Opt[bool]{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := readCapacity(t, tc.files)
			if d := cmp.Diff(tc.sensors, c.Sensors); d != "" {
				t.Errorf("sensors (-want +got):\n%s", d)
			}
			if c.Throttling != tc.throttling || c.ThrottlingBy != tc.by {
				t.Errorf("throttling %+v %q, want %+v %q", c.Throttling, c.ThrottlingBy, tc.throttling, tc.by)
			}
		})
	}
}

func prefixed(prefix string, m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[prefix+k] = v
	}
	return out
}

func TestCapacityLive(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var c provider.Capacity
	err = p.Capacity(t.Context(), &c)
	if len(c.CPULimits) == 0 || c.CPULimits[len(c.CPULimits)-1].By != "host" {
		t.Errorf("live CPU limits %+v (%v): the host's online CPUs must be last", c.CPULimits, err)
	}
	if len(c.MemLimits) == 0 || c.MemLimits[len(c.MemLimits)-1].By != "host" {
		t.Errorf("live memory limits %+v (%v)", c.MemLimits, err)
	}
}

func FuzzCapacityParsers(f *testing.F) {
	for _, s := range []string{"0-3,8,10-11\n", "max 100000\n", "850000 100000", "nr_periods 5\nnr_throttled 2\n", "Cpus_allowed_list:\t0-7\n", "-1\n", "3-1", ",", "0-65536"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, ok := cpuListCount(b); ok && (n <= 0 || n > maxCPUs) {
			t.Fatalf("cpuListCount(%q) = %d", b, n)
		}
		if q, per, limited, ok := cgroupCPUMaxQuota(b); ok && (per <= 0 || (limited && q <= 0)) {
			t.Fatalf("cgroupCPUMaxQuota(%q) = %d %d %v", b, q, per, limited)
		}
		cgroupCFSValue(b)
		cpuStatThrottle(b)
		statusCpusAllowedList(b)
	})
}

func TestCPUListCount(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  int
		ok bool
	}{
		{"0-3,8,10-11\n", 7, true}, {"0\n", 1, true}, {"5", 1, true}, {"0-65535", 65536, true},
		{"", 0, false}, {"\n", 0, false}, {"3-1", 0, false}, {"0,", 0, false}, {",0", 0, false},
		{"0-65536", 0, false}, {"a", 0, false}, {"0--1", 0, false}, {"1-", 0, false}, {"0 - 3", 0, false},
	} {
		if n, ok := cpuListCount([]byte(tc.in)); n != tc.n || ok != tc.ok {
			t.Errorf("cpuListCount(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.ok)
		}
	}
}

// On a hybrid host every process has a unified cgroup, which holds no
// cpu.max or memory.max: the limits come from the v1 controllers, mounted
// under the kernel's names (cpu,cpuacct).
func TestCapacityHybrid(t *testing.T) {
	for _, tc := range []struct {
		name    string
		unified bool
	}{{"v1 only", false}, {"hybrid with a unified directory", true}} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{
				"proc/self/cgroup":              "12:memory:/docker/abc\n11:cpu,cpuacct:/docker/abc\n4:cpuset:/docker/abc\n0::/docker/abc\n",
				"proc/self/status":              status8,
				"sys/devices/system/cpu/online": "0-7\n",
				"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us":  "150000\n",
				"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
				"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.stat":          "nr_periods 500\nnr_throttled 40\n",
				"sys/fs/cgroup/cpuset/docker/abc/cpuset.effective_cpus":  "0-3\n",
				"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes":  "536870912\n",
				"sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes":  "402653184\n",
				"sys/fs/cgroup/memory/docker/abc/memory.stat":            "total_inactive_file 67108864\n",
			}
			if tc.unified {
				files["sys/fs/cgroup/unified/docker/abc/cgroup.procs"] = "1\n"
			}
			c, err := readCapacity(t, files)
			if err != nil {
				t.Errorf("Capacity error: %v", err)
			}
			want := []provider.CPULimit{{By: "cgroup:/docker/abc", CPUs: 1.5}, {By: "cpuset:/docker/abc", CPUs: 4}, {By: "affinity", CPUs: 8}, {By: "host", CPUs: 8}}
			if d := cmp.Diff(want, c.CPULimits); d != "" {
				t.Errorf("CPU limits (-want +got):\n%s", d)
			}
			if c.Throttle != provider.Some(provider.ThrottleCounts{By: "cgroup:/docker/abc", Periods: 500, Throttled: 40}) {
				t.Errorf("throttle %+v", c.Throttle)
			}
			if want := []provider.MemLimit{{By: "cgroup:/docker/abc", AvailMB: 192}, {By: "host", AvailMB: 8000}}; !cmp.Equal(want, c.MemLimits) {
				t.Errorf("memory limits %+v, want %+v", c.MemLimits, want)
			}
		})
	}
}
