//go:build linux

package native

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/linux"
)

func TestNewLinuxFixture(t *testing.T) {
	procfs := filepath.Join("..", "linux", "testdata", "procfs-k8s")
	sysfs := filepath.Join("..", "linux", "testdata", "cgroup-k8s")
	p, err := New(Options{ProcFS: procfs, SysFS: sysfs})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*linux.Provider); !ok {
		t.Fatalf("New returned %T; want *linux.Provider", p)
	}
	for _, capability := range []bool{
		implements[provider.ThermalReader](p),
		implements[provider.BatteryReader](p),
		implements[io.Closer](p),
	} {
		if !capability {
			t.Errorf("%T lacks an optional capability", p)
		}
	}
	defer p.(io.Closer).Close()
	s, err := p.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalMemMB != provider.Some[uint64](1536) {
		t.Errorf("total %+v; want the fixture's 1536 MiB cgroup bound", s.TotalMemMB)
	}
}

func implements[T any](p provider.SnapshotProvider) bool {
	_, ok := p.(T)
	return ok
}

func TestNewLinuxErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	p, err := New(Options{ProcFS: missing})
	if p != nil {
		t.Errorf("New returned a non-nil provider %#v with an error", p)
	}
	if !errors.Is(err, linux.ErrRoot) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v; want ErrRoot and ErrNotExist", err)
	}
}

func TestNewLinuxLive(t *testing.T) {
	if _, err := os.Stat("/proc/self/statm"); err != nil {
		t.Skip("no live /proc")
	}
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.(io.Closer).Close()
	s, err := p.Snapshot(context.Background())
	if err != nil || !s.ProcessRSSMB.Valid {
		t.Errorf("live: %+v, %v", s, err)
	}
}
