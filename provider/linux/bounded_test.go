package linux

import (
	"io/fs"
	"path/filepath"
	"testing"
)

func TestKernelFS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		magic int64
		want  bool
	}{
		{"procfs", 0x9fa0, true},
		{"cgroup v1", 0x27e0eb, true},
		{"cgroup2", 0x63677270, true},
		{"sysfs (not a fast-signal file system)", 0x62656572, false},
		{"tmpfs (swap-backed)", 0x01021994, false},
		{"ext4", 0xef53, false},
		{"fuse", 0x65735546, false},
		{"nfs", 0x6969, false},
		{"overlayfs", 0x794c7630, false},
		{"zero", 0, false},
		{"negative", -1, false},
	} {
		if got := kernelFS(tc.magic); got != tc.want {
			t.Errorf("%s: kernelFS(%#x) = %v, want %v", tc.name, tc.magic, got, tc.want)
		}
	}
}

func TestBoundedRoots(t *testing.T) {
	fsOf := map[string]int64{
		"/proc":                          procSuperMagic,
		"/proc/42":                       procSuperMagic,
		"/sys/fs/cgroup/app":             cgroup2SuperMagic,
		"/sys/fs/cgroup/memory/docker":   cgroupSuperMagic,
		"/home/me/fixture/proc":          0xef53,
		"/mnt/fuse/cgroup":               0x65735546,
		"/sys/fs/cgroup/memory/vanished": -1, // statfs fails
	}
	magicOf := func(dir string) (int64, error) {
		m, ok := fsOf[dir]
		if !ok || m < 0 {
			return 0, fs.ErrNotExist
		}
		return m, nil
	}
	for _, tc := range []struct {
		name string
		dirs []string
		want bool
	}{
		{"live v2", []string{"/proc", "/proc/42", "/sys/fs/cgroup/app"}, true},
		{"live v1", []string{"/proc", "/proc/42", "/sys/fs/cgroup/memory/docker"}, true},
		{"no cgroup", []string{"/proc", "/proc/42"}, true},
		{"fixture procfs", []string{"/home/me/fixture/proc", "/proc/42"}, false},
		{"cgroup on fuse", []string{"/proc", "/proc/42", "/mnt/fuse/cgroup"}, false},
		{"statfs fails", []string{"/proc", "/sys/fs/cgroup/memory/vanished"}, false},
		{"unknown dir", []string{"/proc", "/nowhere"}, false},
		{"nothing", nil, false},
	} {
		if got := boundedRoots(tc.dirs, magicOf); got != tc.want {
			t.Errorf("%s: boundedRoots(%q) = %v, want %v", tc.name, tc.dirs, got, tc.want)
		}
	}
}

// A fixture tree is on an ordinary file system: not Bounded.
func TestFixtureTreeIsNotBounded(t *testing.T) {
	p, _ := newTestProvider(t, filepath.Join("testdata", "procfs-k8s"), filepath.Join("testdata", "cgroup-k8s"))
	if p.Bounded() {
		t.Fatal("a provider on a fixture tree reports Bounded")
	}
	want := 2 + len(p.fast.cg.levels) + len(p.fast.run.files())
	if dirs := p.fast.fastDirs(p.procfs); len(dirs) != want || len(p.fast.cg.levels) == 0 {
		t.Fatalf("fastDirs = %q: want procfs, the pid dir, each of %d cgroup levels and the directory of each RunSnapshot file", dirs, len(p.fast.cg.levels))
	}
}

// The live provider on /proc (procfs) and the cgroup hierarchy (cgroupfs)
// is Bounded.
func TestLiveIsBounded(t *testing.T) {
	p := newLiveProcfs(t)
	for _, d := range p.fast.fastDirs(p.procfs) {
		m, err := fsMagic(d)
		if err != nil {
			t.Fatalf("statfs %s: %v", d, err)
		}
		t.Logf("%s: magic %#x", d, m)
	}
	if !p.Bounded() {
		t.Fatal("the live provider is not Bounded")
	}
}

// TestClassifyJudgesTheFileItself: LXCFS bind-mounts FUSE files over
// /proc/meminfo and /proc/stat in containers; their directory is procfs,
// but a read can wait on a user-space server: such a file is read under
// the guard, and the provider is not vouched for.
func TestClassifyJudgesTheFileItself(t *testing.T) {
	const fuseMagic = 0x65735546
	var f fastSignals
	f.stat = newProcFile("/proc/stat")
	f.meminfo = newProcFile("/proc/meminfo")
	f.statm = newProcFile("/proc/42/statm")
	f.psi = newProcFile("/proc/pressure/memory") // absent: judged by its directory
	magic := map[string]int64{
		"/proc/stat": procSuperMagic, "/proc/meminfo": fuseMagic, "/proc/42/statm": procSuperMagic,
		"/proc/pressure": procSuperMagic, "/proc": procSuperMagic, "/proc/42": procSuperMagic,
	}
	f.classify(func(p string) (int64, error) {
		if m, ok := magic[filepath.ToSlash(p)]; ok { // filepath.Dir gives the OS's separator
			return m, nil
		}
		return 0, fs.ErrNotExist
	})
	if !f.meminfo.fresh || f.stat.fresh || f.statm.fresh || f.psi.fresh {
		t.Errorf("fresh: meminfo %v stat %v statm %v psi %v; want only meminfo", f.meminfo.fresh, f.stat.fresh, f.statm.fresh, f.psi.fresh)
	}
	if !f.anyFresh() {
		t.Error("anyFresh is false with a FUSE meminfo")
	}
}
