//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/provider"
)

const linuxTestdata = "../../provider/linux/testdata"

// mergeTrees copies several fixture trees into one temporary root, as a
// real /sys holds both class/ (thermal, power_supply) and fs/cgroup.
func mergeTrees(t *testing.T, names ...string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range names {
		src := filepath.Join(linuxTestdata, name)
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			out := filepath.Join(dst, rel)
			if d.IsDir() {
				return os.MkdirAll(out, 0o755)
			}
			if d.Type()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				return os.Symlink(target, out)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(out, b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func decodeSnapshot(t *testing.T, stdout string) provider.Snapshot {
	t.Helper()
	s, _ := decodeSnapshotAccels(t, stdout)
	return s
}

// decodeSnapshotAccels decodes what restel snapshot prints: the wire
// snapshot, strictly, then its "accelerators" array, last, each device
// with exactly the keys of docs/contract.md §9.
func decodeSnapshotAccels(t *testing.T, stdout string) (provider.Snapshot, []map[string]any) {
	t.Helper()
	if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("stdout %q; want one line", stdout)
	}
	i := strings.LastIndex(stdout, `,"accelerators":[`)
	if i < 0 || !strings.HasSuffix(stdout, "]}\n") {
		t.Fatalf("stdout %q: no accelerators array after the flat fields", stdout)
	}
	var s provider.Snapshot
	if err := json.Unmarshal([]byte(stdout[:i]+"}"), &s); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(stdout[i+len(`,"accelerators":`):len(stdout)-2]), &list); err != nil || list == nil {
		t.Fatalf("stdout %q: accelerators %v, %v", stdout, list, err)
	}
	keys := []string{"name", "driver", "kind", "unified", "mem_used_mb", "mem_total_mb", "busy_pct", "temp_c", "throttling", "process_mem_mb"}
	for _, a := range list {
		if len(a) != len(keys) {
			t.Errorf("accelerator %v: want the keys %v", a, keys)
		}
		for _, k := range keys {
			if _, ok := a[k]; !ok {
				t.Errorf("accelerator %v: no %s", a, k)
			}
		}
	}
	return s, list
}

// TestSnapshotAccelerators: a discrete amdgpu card and an Intel NPU in
// the fixture are listed after the flat fields, whose totals count the
// discrete card's memory only; without accelerators every accelerator
// field is null and the list is empty.
func TestSnapshotAccelerators(t *testing.T) {
	sysfs := t.TempDir()
	write := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(sysfs, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sysfs, path), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, path string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(sysfs, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(sysfs, path)); err != nil {
			t.Fatal(err)
		}
	}
	write("devices/0000:03:00.0/mem_info_vram_total", "8589934592\n")
	write("devices/0000:03:00.0/mem_info_vram_used", "2147483648\n")
	write("devices/0000:03:00.0/gpu_busy_percent", "42\n")
	link("../../bus/drivers/amdgpu", "devices/0000:03:00.0/driver")
	link("../../../devices/0000:03:00.0", "class/drm/card0/device")
	write("devices/0000:00:0b.0/npu_busy_time_us", "1000\n")
	link("../../bus/drivers/intel_vpu", "devices/0000:00:0b.0/driver")
	link("../../../devices/0000:00:0b.0", "class/accel/accel0/device")

	procfs := filepath.Join(linuxTestdata, "procfs-k8s")
	code, stdout, stderr := invokeSnapshot(t, "--procfs", procfs, "--sysfs", sysfs, "--wait", "0")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	s, list := decodeSnapshotAccels(t, stdout)
	if s.GPUMemUsedMB != provider.Some[uint64](2048) || s.GPUMemTotalMB != provider.Some[uint64](8192) || s.GPUBusyPct != provider.Some(42.0) {
		t.Errorf("flat fields %v %v %v; want the card's 2048 of 8192 MiB, 42 %%", s.GPUMemUsedMB, s.GPUMemTotalMB, s.GPUBusyPct)
	}
	if len(list) != 2 {
		t.Fatalf("accelerators %v; want card0 and accel0", list)
	}
	want := map[string]any{"name": "card0", "driver": "amdgpu", "kind": "gpu", "unified": false,
		"mem_used_mb": 2048.0, "mem_total_mb": 8192.0, "busy_pct": 42.0, "temp_c": nil, "throttling": nil, "process_mem_mb": list[0]["process_mem_mb"]}
	if diff := cmp.Diff(want, list[0]); diff != "" {
		t.Errorf("card0 (-want +got):\n%s", diff)
	}
	if list[1]["name"] != "accel0" || list[1]["kind"] != "npu" || list[1]["unified"] != true {
		t.Errorf("accel0: %v", list[1])
	}

	code, stdout, stderr = invokeSnapshot(t, "--procfs", procfs, "--sysfs", t.TempDir(), "--wait", "0")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasSuffix(stdout, `,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null,"accelerators":[]}`+"\n") {
		t.Errorf("without accelerators: %s", stdout)
	}
}

func TestSnapshotFixture(t *testing.T) {
	procfs := filepath.Join(linuxTestdata, "procfs-k8s")
	page := uint64(os.Getpagesize())
	tests := []struct {
		name  string
		sysfs string
		want  provider.Snapshot
	}{
		{
			// Kubernetes container on a laptop-like node: cgroup v2 bound
			// 1536 MiB with 768 available, PSI raises to warn; thermal
			// zones say warm; BAT0 87 % (the mouse is excluded).
			name:  "k8s with thermal and battery",
			sysfs: mergeTrees(t, "cgroup-k8s", "sysfs-laptop"),
			want: provider.Snapshot{
				ProcessRSSMB:   provider.Some(131072 * page >> 20),
				AvailableMemMB: provider.Some[uint64](768),
				TotalMemMB:     provider.Some[uint64](1536),
				MemoryPressure: provider.MemoryPressureWarn,
				Thermal:        provider.ThermalWarm,
				BatteryPct:     provider.Some[uint8](87),
			},
		},
		{
			// No thermal sensor and no battery: thermal unknown ("normal"
			// on the wire), battery null.
			name:  "no slow signals",
			sysfs: filepath.Join(linuxTestdata, "cgroup-k8s"),
			want: provider.Snapshot{
				ProcessRSSMB:   provider.Some(131072 * page >> 20),
				AvailableMemMB: provider.Some[uint64](768),
				TotalMemMB:     provider.Some[uint64](1536),
				MemoryPressure: provider.MemoryPressureWarn,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().UnixMilli()
			code, stdout, stderr := invokeSnapshot(t, "--procfs", procfs, "--sysfs", tt.sysfs, "--wait", "0")
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			got := decodeSnapshot(t, stdout)
			if got.CapturedAtMS < before || got.CapturedAtMS > time.Now().UnixMilli() {
				t.Errorf("captured_at_ms %d not now", got.CapturedAtMS)
			}
			got.CapturedAtMS = 0
			if tt.want.Thermal == provider.ThermalUnknown && got.Thermal == provider.ThermalNormal {
				got.Thermal = provider.ThermalUnknown // the wire cannot tell them apart
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("snapshot (-want +got):\n%s", diff)
			}
			if !strings.Contains(stdout, `"cpu_pct":null`) {
				t.Errorf("static fixture gave a CPU value: %s", stdout)
			}
		})
	}
}

// TestSnapshotEveryFixture runs the command on each fixture machine (a
// procfs tree, and a sysfs tree merged from its cgroup and class/ parts)
// and checks the printed JSON field by field, as an outside check would.
// No --wait: under a fixture root the command does not wait, and the
// fixture's counters give no CPU delta. The RSS is the root's self/statm.
func TestSnapshotEveryFixture(t *testing.T) {
	page := uint64(os.Getpagesize())
	tests := []struct {
		name   string
		procfs string
		sysfs  []string
		// rssPages is the fixture's self/statm resident pages.
		rssPages     uint64
		avail, total uint64
		pressure     string
		thermal      string
		battery      string
	}{
		// Host memory only (every memory.max "max"); zones warm (62 °C,
		// bands); BAT0 87 %, the mouse excluded.
		{"laptop", "procfs-laptop", []string{"cgroup-laptop", "sysfs-laptop"}, 102400, 10894576 >> 10, 16303392 >> 10, "normal", "warm", "87"},
		// cgroup v2 bound 1.5 GiB, 768 MiB available; PSI some 12.5 → warn;
		// one trip-less zone at 47 °C; no battery.
		{"kubernetes on a board", "procfs-k8s", []string{"cgroup-k8s", "sysfs-rpi"}, 131072, 768, 1536, "warn", "normal", "null"},
		// cgroup v1 bound 512 MiB, 192 MiB available; hwmon only → warm;
		// only a keyboard battery.
		{"docker v1 on a desktop", "procfs-v1", []string{"cgroup-v1", "sysfs-desktop-hwmon"}, 65536, 192, 512, "normal", "warm", "null"},
		// No MemAvailable: MemFree+Buffers+Cached; two batteries weighted
		// by energy_full → 60.
		{"old kernel on a two-battery ThinkPad", "procfs-oldkernel", []string{"sysfs-thinkpad-2bat"}, 1024, 461960 >> 10, 1030440 >> 10, "normal", "normal", "60"},
		{"hostile sysfs", "procfs-laptop", []string{"cgroup-laptop", "sysfs-hostile"}, 102400, 10894576 >> 10, 16303392 >> 10, "normal", "normal", "75"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := invokeSnapshot(t, "--procfs", filepath.Join(linuxTestdata, tt.procfs), "--sysfs", mergeTrees(t, tt.sysfs...))
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			want := fmt.Sprintf(`{"cpu_pct":null,"process_rss_mb":%d,"available_mem_mb":%d,"total_mem_mb":%d,"memory_pressure":%q,"thermal_state":%q,"battery_pct":%s,"captured_at_ms":`,
				tt.rssPages*page>>20, tt.avail, tt.total, tt.pressure, tt.thermal, tt.battery)
			if !strings.HasPrefix(stdout, want) {
				t.Errorf("stdout\n%s\nwant it to start\n%s", stdout, want)
			}
			decodeSnapshot(t, stdout) // one line, valid JSON
		})
	}
}

func TestSnapshotWaitDefault(t *testing.T) {
	for dir, live := range map[string]bool{"": true, "/proc": true, "/proc/": true, "//proc": true, "testdata/procfs-k8s": false, "/tmp/proc": false} {
		if got := liveProcFS(dir); got != live {
			t.Errorf("liveProcFS(%q) = %v; want %v", dir, got, live)
		}
	}
}

func TestSnapshotFixturePID(t *testing.T) {
	procfs := mergeTrees(t, "procfs-laptop")
	if err := os.MkdirAll(filepath.Join(procfs, "777"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(procfs, "777", "statm"), []byte("100 25600 0 0 0 0 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := invokeSnapshot(t, "--procfs", procfs, "--sysfs", t.TempDir(), "--pid", "777", "--wait", "0")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if got, want := decodeSnapshot(t, stdout).ProcessRSSMB, provider.Some(25600*uint64(os.Getpagesize())>>20); got != want {
		t.Errorf("rss %+v; want pid 777's %+v", got, want)
	}
}

func TestSnapshotBadRoots(t *testing.T) {
	procfs := filepath.Join(linuxTestdata, "procfs-laptop")
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing procfs", []string{"--procfs", missing}, missing},
		{"missing sysfs", []string{"--procfs", procfs, "--sysfs", missing}, missing},
		{"procfs is a file", []string{"--procfs", filepath.Join(procfs, "stat")}, "not a directory"},
		{"pid not in procfs", []string{"--procfs", procfs, "--sysfs", t.TempDir(), "--pid", "99999"}, "no process 99999"},
		{"pid not running", []string{"--pid", "2147483647"}, "no process 2147483647"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := invokeSnapshot(t, append(tt.args, "--wait", "0")...)
			checkSnapshotUsageErr(t, code, stdout, stderr, tt.want)
		})
	}
}

// TestSnapshotDegraded: a root whose files cannot be read, or read
// wrong, still prints a snapshot, with the unreadable fields null and one
// warning on stderr naming the file, in the one warning form: a malformed
// meminfo, a malformed PSI file and a meminfo that repeats a key alike.
func TestSnapshotDegraded(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(linuxTestdata, "procfs-laptop", "meminfo"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, content string
		memKnown            bool
		want                []string // fragments of the one warning line
	}{
		{"garbage meminfo", "meminfo", "garbage\n", false, []string{"/meminfo: malformed content"}},
		{"garbage PSI", "pressure/memory", "some avg10=lots\nfull avg10=-3\n", true, []string{"/pressure/memory: malformed content"}},
		{"PSI without its some line", "pressure/memory", "full avg10=50.00 total=1\n", true, []string{"/pressure/memory: malformed content"}},
		{"empty PSI", "pressure/memory", "", true, []string{"/pressure/memory: malformed content"}},
		{"duplicate meminfo key", "meminfo", string(good) + "MemAvailable:   1 kB\n", true, []string{"/meminfo: MemAvailable appears more than once; the first is used"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			procfs := mergeTrees(t, "procfs-laptop")
			if err := os.WriteFile(filepath.Join(procfs, tc.file), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := invokeSnapshot(t, "--procfs", procfs, "--sysfs", t.TempDir(), "--wait", "0")
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			s := decodeSnapshot(t, stdout)
			if s.TotalMemMB.Valid != tc.memKnown || s.AvailableMemMB.Valid != tc.memKnown || !s.ProcessRSSMB.Valid {
				t.Errorf("snapshot %+v; want memory known %v, rss known", s, tc.memKnown)
			}
			if tc.memKnown && s.AvailableMemMB.V != 10894576/1024 {
				t.Errorf("available %d MiB; want the first MemAvailable's %d", s.AvailableMemMB.V, 10894576/1024)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "restel: snapshot: warning: ") {
				t.Errorf("stderr %q; want one warning line", stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q; want it to name %q", stderr, w)
				}
			}
		})
	}
}

// TestSnapshotSlowCadenceWarns: the cgroup limits are re-read on a slower
// cadence than the rest, by the first of the command's two reads; a
// garbage memory.max still warns without a --wait that spans the cadence.
func TestSnapshotSlowCadenceWarns(t *testing.T) {
	sysfs := mergeTrees(t, "cgroup-k8s")
	scope := filepath.Join(sysfs, "fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7c1e.slice/cri-containerd-4f2a.scope")
	if err := os.WriteFile(filepath.Join(scope, "memory.max"), []byte("lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, wait := range []string{"0", "10ms"} {
		code, stdout, stderr := invokeSnapshot(t, "--procfs", filepath.Join(linuxTestdata, "procfs-k8s"), "--sysfs", sysfs, "--wait", wait)
		if code != 0 {
			t.Fatalf("--wait %s: exit %d", wait, code)
		}
		decodeSnapshot(t, stdout)
		if strings.Count(stderr, "memory.max") != 1 {
			t.Errorf("--wait %s: stderr %q; want one warning naming memory.max", wait, stderr)
		}
	}
}

// TestSnapshotLive runs the command on this machine with the default wait.
func TestSnapshotLive(t *testing.T) {
	if _, err := os.Stat("/proc/self/statm"); err != nil {
		t.Skip("no live /proc")
	}
	code, stdout, stderr := invokeSnapshot(t)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	s := decodeSnapshot(t, stdout)
	t.Logf("live: %s", strings.TrimSpace(stdout))
	if !s.CPUPct.Valid || !s.TotalMemMB.Valid || !s.AvailableMemMB.Valid || !s.ProcessRSSMB.Valid {
		t.Errorf("live snapshot has unknowns: %s", stdout)
	}
	if s.AvailableMemMB.V > s.TotalMemMB.V {
		t.Errorf("available %d > total %d", s.AvailableMemMB.V, s.TotalMemMB.V)
	}
	// A machine without accelerators: every accelerator field is null.
	if noAccelerators() {
		if !strings.HasSuffix(stdout, `,"gpu_mem_used_mb":null,"gpu_mem_total_mb":null,"gpu_busy_pct":null,"process_gpu_mem_mb":null,"accelerators":[]}`+"\n") {
			t.Errorf("no accelerator here, yet: %s", stdout)
		}
	}
}

// noAccelerators reports whether the live system has no DRM, compute
// accelerator, devfreq or kgsl class to read accelerators from.
func noAccelerators() bool {
	for _, c := range []string{"drm", "accel", "devfreq", "kgsl"} {
		if entries, err := os.ReadDir("/sys/class/" + c); err == nil && len(entries) > 0 {
			return false
		}
	}
	return true
}

// TestSnapshotBinaryHostile runs the restel binary on trees with a named
// pipe, a /dev/zero symlink, a 100 MB file or a directory where a file
// belongs: it exits 0, the field the file feeds is null, and a warning
// names the file. A blocking open would hang the child: the guard kills it
// and fails the test (it detects a hang; it does not measure speed).
func TestSnapshotBinaryHostile(t *testing.T) {
	scope := "fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7c1e.slice/cri-containerd-4f2a.scope"
	tests := []struct {
		name      string
		procfs    bool   // the planted path is under procfs (else sysfs)
		rel, kind string // where, and what is planted
		null      string // a field that must be null (unknown)
	}{
		{"fifo meminfo", true, "meminfo", "fifo", `"total_mem_mb":null`},
		{"dev zero pid cgroup", true, "self/cgroup", "/dev/zero", `"available_mem_mb":null`},
		{"directory statm", true, "self/statm", "dir", `"process_rss_mb":null`},
		{"big memory.current", false, scope + "/memory.current", "100 MB", `"available_mem_mb":null`},
		{"fifo class/power_supply", false, "class/power_supply", "fifo", `"battery_pct":null`},
		{"dev zero class/thermal", false, "class/thermal", "/dev/zero", `"thermal_state":"normal"`}, // unknown
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			procfs := mergeTrees(t, "procfs-laptop")
			sysfs := mergeTrees(t, "cgroup-laptop", "sysfs-laptop")
			if strings.Contains(tt.rel, "cri-containerd") || tt.rel == "self/cgroup" {
				procfs, sysfs = mergeTrees(t, "procfs-k8s"), mergeTrees(t, "cgroup-k8s", "sysfs-laptop")
			}
			root := sysfs
			if tt.procfs {
				root = procfs
			}
			target := filepath.Join(root, filepath.FromSlash(tt.rel))
			if err := os.RemoveAll(target); err != nil {
				t.Fatal(err)
			}
			var err error
			switch tt.kind {
			case "fifo":
				err = syscall.Mkfifo(target, 0o644)
			case "/dev/zero":
				err = os.Symlink("/dev/zero", target)
			case "dir":
				err = os.Mkdir(target, 0o755)
			case "100 MB":
				err = os.WriteFile(target, nil, 0o644)
				if err == nil {
					err = os.Truncate(target, 100<<20)
				}
			}
			if err != nil {
				t.Skipf("cannot plant a %s: %v", tt.kind, err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "snapshot", "--procfs", procfs, "--sysfs", sysfs)
			statusFile := filepath.Join(t.TempDir(), "status")
			cmd.Env = append(os.Environ(), testMainEnv+"=1", testHWMEnv+"="+statusFile)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			runErr := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("restel snapshot did not exit: a blocking open or read (stderr %q)", stderr.String())
			}
			if runErr != nil {
				t.Fatalf("restel snapshot: %v, stderr %q", runErr, stderr.String())
			}
			decodeSnapshot(t, stdout.String())
			if !strings.Contains(stdout.String(), tt.null) {
				t.Errorf("stdout %s; want %s", stdout.String(), tt.null)
			}
			if !strings.Contains(stderr.String(), "warning") || !strings.Contains(stderr.String(), target) {
				t.Errorf("stderr %q; want a warning naming %s", stderr.String(), target)
			}
			if hwm := statusKiB(t, statusFile, "VmHWM:"); hwm > 200<<10 {
				t.Errorf("peak RSS %d KiB; want a bounded read", hwm)
			}
		})
	}
}

// statusKiB returns a "Key: N kB" field of a /proc/<pid>/status file,
// live or saved.
func statusKiB(t *testing.T, path, key string) uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(ln, key); ok {
			v, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s %q: %v", key, rest, err)
			}
			return v
		}
	}
	t.Fatalf("no %s in %s", key, b)
	return 0
}

// TestSnapshotWarningEscapesZoneName: a thermal zone whose directory name
// holds ESC[2J and a carriage return is named in the warning with both
// escaped, so the warning cannot clear the terminal or overwrite itself.
func TestSnapshotWarningEscapesZoneName(t *testing.T) {
	sysfs := t.TempDir()
	zone := filepath.Join(sysfs, "class", "thermal", "thermal_zone\x1b[2J\r")
	if err := os.MkdirAll(filepath.Join(zone, "temp"), 0o755); err != nil { // a directory where the attribute should be
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(zone, "type"), []byte("x86_pkg_temp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := invokeSnapshot(t, "--procfs", filepath.Join(linuxTestdata, "procfs-laptop"), "--sysfs", sysfs, "--wait", "0")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	decodeSnapshot(t, stdout)
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `thermal_zone\x1b[2J\r/temp`) {
		t.Errorf("stderr %q; want one warning naming the zone with its name escaped", stderr)
	}
	if strings.ContainsAny(stderr, "\x1b\r") {
		t.Errorf("stderr %q holds a raw ESC or CR", stderr)
	}
}
