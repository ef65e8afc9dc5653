//go:build linux

package linux

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/provider"
	"golang.org/x/sys/unix"
)

// hostileSysfs writes a small sysfs tree: a battery at 55 %, and a
// thermal zone at 85 °C (critical), or with hwmon set an hwmon sensor at
// 85 °C instead. One thermal source only, so a broken one leaves the
// thermal state unknown.
func hostileSysfs(t *testing.T, sysfs string, hwmon bool) {
	t.Helper()
	files := map[string]string{
		"class/power_supply/BAT0/type":       "Battery\n",
		"class/power_supply/BAT0/capacity":   "55\n",
		"class/power_supply/AC/type":         "Mains\n",
		"class/thermal/cooling_device0/type": "Fan\n",
	}
	if hwmon {
		files["class/hwmon/hwmon0/temp1_input"] = "85000\n"
	} else {
		files["class/thermal/thermal_zone0/temp"] = "85000\n"
	}
	writeTree(t, sysfs, files)
}

// plant replaces path with a hostile object.
func plant(t *testing.T, path, kind string) {
	t.Helper()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	switch kind {
	case "fifo":
		err = unix.Mkfifo(path, 0o644)
	case "/dev/zero symlink":
		err = os.Symlink("/dev/zero", path)
	case "100 MB file":
		var f *os.File
		if f, err = os.Create(path); err == nil {
			err = f.Truncate(100 << 20) // sparse: reads as zeros
			f.Close()
		}
	case "directory for a file":
		err = os.Mkdir(path, 0o755)
	case "file for a directory":
		err = os.WriteFile(path, []byte("not a directory\n"), 0o644)
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	if err != nil {
		t.Skipf("cannot plant a %s: %v", kind, err)
	}
}

// hostileResult is everything one Provider read from a hostile tree.
type hostileResult struct {
	newErr                    error
	first, snap               provider.Snapshot
	firstErr, snapErr, runErr error
	run                       provider.Snapshot
	thermal                   provider.ThermalState
	thermalErr                error
	battery                   provider.Opt[uint8]
	batteryErr                error
}

// fastErr is every error of the two Snapshots and the RunSnapshot: some
// sources are read on a slower cadence, by the first read only.
func (r hostileResult) fastErr() error { return errors.Join(r.firstErr, r.snapErr, r.runErr) }

// readHostile constructs a Provider on the roots and reads every signal
// once, on another goroutine: a read that blocks fails the test at the
// guard rather than hanging it (the guard detects a hang; it does not
// measure speed). It also returns the bytes allocated meanwhile.
func readHostile(t *testing.T, procfs, sysfs string) (hostileResult, uint64) {
	t.Helper()
	done := make(chan struct{})
	var r hostileResult
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	go func() {
		defer close(done)
		p, err := New(WithProcFS(procfs), WithSysFS(sysfs), WithClock(newStepClock()))
		if err != nil {
			r.newErr = err
			return
		}
		defer p.Close()
		ctx := context.Background()
		r.first, r.firstErr = p.Snapshot(ctx)
		r.snap, r.snapErr = p.Snapshot(ctx)
		r.run, r.runErr = p.RunSnapshot(ctx)
		r.thermal, r.thermalErr = p.Thermal(ctx)
		r.battery, r.batteryErr = p.Battery(ctx)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("reading a hostile tree did not return: a blocking open or read")
	}
	runtime.ReadMemStats(&after)
	return r, after.TotalAlloc - before.TotalAlloc
}

// TestHostileTree plants a named pipe, a symlink to /dev/zero, a 100 MB
// file, a directory where a file belongs and a file where a directory
// belongs at each kind of path the Provider reads: a fast file, a cgroup
// file, /proc/<pid>/cgroup, a class directory, an attribute. Every read
// returns, the field it feeds is unknown, an error names the planted path,
// and reading costs a bounded amount of memory.
func TestHostileTree(t *testing.T) {
	fileKinds := []string{"fifo", "/dev/zero symlink", "100 MB file", "directory for a file"}
	dirKinds := []string{"fifo", "/dev/zero symlink", "100 MB file", "file for a directory"}
	// Each check asserts the fields the path feeds are unknown and
	// returns the error that must name the path.
	memUnknown := func(t *testing.T, r hostileResult) error {
		if r.snap.TotalMemMB.Valid || r.snap.AvailableMemMB.Valid {
			t.Errorf("memory total %+v avail %+v; want unknown", r.snap.TotalMemMB, r.snap.AvailableMemMB)
		}
		return r.fastErr()
	}
	availUnknown := func(t *testing.T, r hostileResult) error {
		if r.snap.AvailableMemMB.Valid || r.run.AvailableMemMB.Valid {
			t.Errorf("available %+v; want unknown", r.snap.AvailableMemMB)
		}
		return r.fastErr()
	}
	cpuUnknown := func(t *testing.T, r hostileResult) error {
		if r.snap.CPUPct.Valid || r.snap.Counters.CPUBusy.Valid || r.snap.Counters.CPUTotal.Valid {
			t.Errorf("cpu %+v counters %+v; want unknown", r.snap.CPUPct, r.snap.Counters)
		}
		return r.fastErr()
	}
	rssUnknown := func(t *testing.T, r hostileResult) error {
		if r.snap.ProcessRSSMB.Valid {
			t.Errorf("rss %+v; want unknown", r.snap.ProcessRSSMB)
		}
		return r.fastErr()
	}
	psiOnlyErr := func(t *testing.T, r hostileResult) error {
		// The fixture's PSI would raise the derived normal to warn; the
		// native signal is unknown, so the derived value stands.
		if r.snap.MemoryPressure != provider.MemoryPressureNormal {
			t.Errorf("pressure %v from a broken pressure directory; want the derived normal", r.snap.MemoryPressure)
		}
		return r.fastErr()
	}
	thermalUnknown := func(t *testing.T, r hostileResult) error {
		if r.thermal.Known() {
			t.Errorf("thermal %v; want unknown", r.thermal)
		}
		return r.thermalErr
	}
	batteryUnknown := func(t *testing.T, r hostileResult) error {
		if r.battery.Valid {
			t.Errorf("battery %+v; want unknown", r.battery)
		}
		return r.batteryErr
	}
	places := []struct {
		name, root, rel string
		kinds           []string
		hwmon           bool // the thermal source is hwmon, not a zone
		check           func(t *testing.T, r hostileResult) error
	}{
		// On the laptop tree (no cgroup bound) host memory is all there is.
		{"fast file read whole", "laptop", "meminfo", fileKinds, false, memUnknown},
		{"fast file read for a prefix", "procfs", "stat", fileKinds, false, cpuUnknown},
		{"process fast file", "procfs", "self/statm", fileKinds, false, rssUnknown},
		{"fast file's directory", "procfs", "pressure", dirKinds, false, psiOnlyErr},
		{"cgroup file", "sysfs", k8sScope + "/memory.current", fileKinds, false, availUnknown},
		{"process cgroup file", "procfs", "self/cgroup", fileKinds, false, memUnknown},
		{"class directory", "sysfs", "class/thermal", dirKinds, false, thermalUnknown},
		{"class directory", "sysfs", "class/power_supply", dirKinds, false, batteryUnknown},
		{"hwmon directory", "sysfs", "class/hwmon/hwmon0", dirKinds, true, thermalUnknown},
		{"attribute", "sysfs", "class/power_supply/BAT0/capacity", fileKinds, false, batteryUnknown},
		{"attribute", "sysfs", "class/thermal/thermal_zone0/temp", fileKinds, false, thermalUnknown},
		{"attribute", "sysfs", "class/hwmon/hwmon0/temp1_input", fileKinds, true, thermalUnknown},
	}
	for _, pl := range places {
		for _, kind := range pl.kinds {
			t.Run(pl.name+"/"+pl.rel+"/"+kind, func(t *testing.T) {
				procfs, sysfs := copyProcTree(t, "procfs-k8s"), copyProcTree(t, "cgroup-k8s")
				if pl.root == "laptop" {
					procfs, sysfs = copyProcTree(t, "procfs-laptop"), copyProcTree(t, "cgroup-laptop")
				}
				hostileSysfs(t, sysfs, pl.hwmon)
				root := procfs
				if pl.root == "sysfs" {
					root = sysfs
				}
				target := filepath.Join(root, filepath.FromSlash(pl.rel))
				plant(t, target, kind)

				r, allocated := readHostile(t, procfs, sysfs)
				if r.newErr != nil {
					t.Fatalf("New: %v", r.newErr)
				}
				err := pl.check(t, r)
				if err == nil || !strings.Contains(err.Error(), target) {
					t.Errorf("error %v; want one naming %s", err, target)
				}
				// Generous: every read together costs tens of KiB; a
				// /dev/zero or 100 MB read would cost megabytes.
				if allocated > 4<<20 {
					t.Errorf("reading allocated %d bytes; want a bounded read", allocated)
				}
				// The rest of the tree is still read.
				if pl.rel != "self/statm" && !r.snap.ProcessRSSMB.Valid {
					t.Errorf("rss lost: %+v", r.snap.ProcessRSSMB)
				}
			})
		}
	}
}

// TestFixtureRenameIsSeen: a program that refreshes a fixture tree
// atomically (write a temporary file, rename it over the old one) is seen
// on the next read; a file kept open would keep reading the old inode.
func TestFixtureRenameIsSeen(t *testing.T) {
	procfs := copyProcTree(t, "procfs-laptop")
	p, _ := newTestProvider(t, procfs, t.TempDir())
	for _, pf := range p.fast.files() {
		if !pf.fresh {
			t.Errorf("%s on a fixture tree is kept open", pf.path)
		}
	}
	replace := func(name, content string) {
		t.Helper()
		tmp := filepath.Join(procfs, name+".tmp")
		if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(procfs, name)); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	replace("stat", "cpu 100 0 100 800 0 0 0 0\n")
	if s, err := p.Snapshot(ctx); err != nil || s.CPUPct.Valid {
		t.Fatalf("first read: %+v, %v; want no CPU value yet", s.CPUPct, err)
	}
	replace("stat", "cpu 150 0 150 1100 0 0 0 0\n")
	replace("self/statm", "10 5120 0 0 0 0 0\n")
	s, err := p.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.CPUPct != provider.Some(25.0) {
		t.Errorf("cpu %+v after the rename; want 25 from the new stat", s.CPUPct)
	}
	if s.ProcessRSSMB != rssMiB(5120) {
		t.Errorf("rss %+v after the rename; want %+v", s.ProcessRSSMB, rssMiB(5120))
	}
	if p.fast.stat.open {
		t.Error("the fixture's stat was left open between reads")
	}
}

// TestLiveFilesKeptOpen: on the live procfs the files stay open between
// reads (one pread each), as the hot path's cost depends on.
func TestLiveFilesKeptOpen(t *testing.T) {
	p := newLiveProcfs(t)
	if _, err := p.RunSnapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, pf := range []*procFile{&p.fast.stat, &p.fast.meminfo, &p.fast.statm, &p.fast.run.pidStatus} {
		if pf.fresh || !pf.open {
			t.Errorf("%s: fresh %v open %v; want kept open", pf.path, pf.fresh, pf.open)
		}
	}
	// The process's own CPU time comes from getrusage: its stat file is
	// never opened.
	if pf := &p.fast.run.pidStat; pf.fresh || pf.open {
		t.Errorf("%s: fresh %v open %v; want a live file, never opened", pf.path, pf.fresh, pf.open)
	}
}
