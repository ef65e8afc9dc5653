//go:build linux

package linux

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/restel/restel/internal/fusetest"
)

// TestFUSERootDoesNotHang serves the fixture roots through a real FUSE
// file system whose chosen files never answer a read (a blocking open or
// read is what O_NONBLOCK cannot prevent on FUSE or NFS): New, Snapshot,
// RunSnapshot, Thermal and Battery all return at the read timeout, the
// stuck fields unknown, the errors naming the files, the reads abandoned
// and counted, and nothing retried while stuck. Stopping the server
// releases the abandoned reads; no goroutine outlives the test.
func TestFUSERootDoesNotHang(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	procfs, sysfs := stuckRoots(t)
	backing := t.TempDir()
	for _, l := range []struct{ src, dst string }{{procfs, "proc"}, {sysfs, "sys"}} {
		if err := os.Rename(l.src, filepath.Join(backing, l.dst)); err != nil {
			t.Fatal(err)
		}
	}
	stuck := []string{
		"proc/self/cgroup",                     // read by New
		"proc/meminfo",                         // Snapshot
		"proc/self/status",                     // RunSnapshot
		"sys/class/thermal/thermal_zone0/temp", // Thermal
		"sys/class/power_supply/BAT0/capacity", // Battery
	}
	m := fusetest.New(t, backing, stuck...)
	path := func(rel string) string { return filepath.Join(m.Dir, rel) }

	p, err := New(WithProcFS(path("proc")), WithSysFS(path("sys")))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if n := p.Abandoned(); n != 1 {
		t.Errorf("after New: Abandoned() = %d, want 1 (the process's cgroup file)", n)
	}

	s, err := p.Snapshot(context.Background())
	wantAbandoned(t, "Snapshot", err, path("proc/meminfo"))
	if !errors.Is(err, ErrAbandoned) || !strings.Contains(err.Error(), path("proc/self/cgroup")) {
		t.Errorf("Snapshot error %v; want the unknown cgroup named", err)
	}
	if s.TotalMemMB.Valid || s.AvailableMemMB.Valid {
		t.Errorf("memory known with meminfo and the cgroup stuck: %+v", s)
	}
	if !s.ProcessRSSMB.Valid {
		t.Errorf("RSS unknown; statm answers: %+v", s)
	}
	s, err = p.RunSnapshot(context.Background())
	wantAbandoned(t, "RunSnapshot", err, path("proc/self/status"))
	if s.Counters.RSSHighWaterMB.Valid {
		t.Errorf("RSS high-water mark known with status stuck: %+v", s.Counters)
	}
	if !errors.Is(err, errStillStuck) || !strings.Contains(err.Error(), path("proc/meminfo")) {
		t.Errorf("RunSnapshot error %v; want meminfo still stuck, not read again", err)
	}
	th, err := p.Thermal(context.Background())
	wantAbandoned(t, "Thermal", err, path("sys/class/thermal/thermal_zone0/temp"))
	if th.Known() {
		t.Errorf("Thermal = %v with the only zone's temp stuck", th)
	}
	bat, err := p.Battery(context.Background())
	wantAbandoned(t, "Battery", err, path("sys/class/power_supply/BAT0/capacity"))
	if bat.Valid {
		t.Errorf("Battery = %+v with its capacity stuck", bat)
	}
	if n := p.Abandoned(); n != uint64(len(stuck)) {
		t.Errorf("Abandoned() = %d, want %d: one per stuck file, none twice", n, len(stuck))
	}
	if err := p.Close(); err != nil { // does not wait for the stuck reads
		t.Fatal(err)
	}
	m.Stop() // every stuck read fails now
	p.guard.settle()
}
