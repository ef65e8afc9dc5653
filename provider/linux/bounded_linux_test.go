package linux

import (
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// The constants are the kernel's: on Linux they are checked against x/sys.
func TestKernelFSMagicMatchesKernel(t *testing.T) {
	for name, pair := range map[string][2]int64{
		"proc":    {procSuperMagic, unix.PROC_SUPER_MAGIC},
		"cgroup":  {cgroupSuperMagic, unix.CGROUP_SUPER_MAGIC},
		"cgroup2": {cgroup2SuperMagic, unix.CGROUP2_SUPER_MAGIC},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s magic %#x, kernel says %#x", name, pair[0], pair[1])
		}
	}
}

func TestFSMagicErrors(t *testing.T) {
	if _, err := fsMagic(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("fsMagic of a missing path: no error")
	} else if !errors.Is(err, unix.ENOENT) {
		t.Fatalf("fsMagic of a missing path: %v, want ENOENT", err)
	}
}
