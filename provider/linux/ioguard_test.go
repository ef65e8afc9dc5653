package linux

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/restel/restel/provider"
)

// stuckRoots builds a procfs fixture (the k8s one) and a sysfs holding its
// cgroup tree, one thermal zone and one battery: every signal has exactly
// one source, so a file that does not answer leaves its field unknown.
func stuckRoots(t *testing.T) (procfs, sysfs string) {
	t.Helper()
	procfs = copyProcTree(t, "procfs-k8s")
	sysfs = copyProcTree(t, "cgroup-k8s")
	writeTree(t, sysfs, tree(
		zone("0", "type", "x86_pkg_temp", "temp", "45000",
			"trip_point_0_type", "passive", "trip_point_0_temp", "95000"),
		bat("BAT0", "type", "Battery", "capacity", "80"),
	))
	return procfs, sysfs
}

// hangingFS stands in for a file system whose chosen files never answer:
// its hook (withIOHook) blocks the I/O goroutine of an operation on a
// listed path until release, and counts the operations started per path.
type hangingFS struct {
	mu      sync.Mutex
	hang    map[string]string // path → op that hangs on it
	started map[string]int
	release chan struct{}
}

// newHangingFS must be called inside the synctest bubble, so that a hook
// blocked on release is durably blocked and the bubble's clock advances.
func newHangingFS(hang map[string]string) *hangingFS {
	return &hangingFS{hang: hang, started: map[string]int{}, release: make(chan struct{})}
}

func (h *hangingFS) hook(op, path string) {
	path = filepath.Clean(path) // sysfs paths are joined with "/", the test's with the OS separator
	h.mu.Lock()
	stuck := h.hang[path] == op
	if stuck {
		h.started[path]++ // the operations of the kind that hangs (New also statfs's each file)
	}
	h.mu.Unlock()
	if stuck {
		<-h.release
	}
}

func (h *hangingFS) startedOn(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.started[filepath.Clean(path)]
}

// wantAbandoned checks that err names path and was abandoned.
func wantAbandoned(t *testing.T, what string, err error, path string) {
	t.Helper()
	// sysfs paths are joined with "/": compare with the OS's separator.
	if !errors.Is(err, ErrAbandoned) || !strings.Contains(filepath.FromSlash(errString(err)), path) {
		t.Errorf("%s: error %v; want one naming %s and wrapping ErrAbandoned", what, err, path)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestStuckFilesAreAbandoned points a Provider at a fixture root whose
// chosen file never answers (the I/O hook stands in for a hung FUSE or
// network file system; see TestFUSERootDoesNotHang for a real one): New,
// Snapshot, RunSnapshot, Thermal and Battery return at the read timeout
// with the field unknown and an error naming the file; the operation is
// abandoned and counted once; while it is stuck the file is not read
// again (no goroutine piles up); Close does not wait for it; once the
// file system answers, the file is read again.
func TestStuckFilesAreAbandoned(t *testing.T) {
	type check func(t *testing.T, p *Provider, path string)
	fastCheck := func(read func(*Provider) func(context.Context) (provider.Snapshot, error), field func(provider.Snapshot) bool) check {
		return func(t *testing.T, p *Provider, path string) {
			s, err := read(p)(context.Background())
			wantAbandoned(t, "first read", err, path)
			if field(s) {
				t.Errorf("first read: the stuck file's field is known: %+v", s)
			}
			if _, err := read(p)(context.Background()); !errors.Is(err, errStillStuck) || !strings.Contains(errString(err), path) {
				t.Errorf("second read: error %v; want %s still stuck", err, path)
			}
		}
	}
	snap := func(p *Provider) func(context.Context) (provider.Snapshot, error) { return p.Snapshot }
	run := func(p *Provider) func(context.Context) (provider.Snapshot, error) { return p.RunSnapshot }
	tests := []struct {
		name string
		file string // relative to the procfs ("p/") or sysfs ("s/") root
		op   string
		// newErr: New fails, naming the file; else check runs.
		newErr bool
		check  check
		// ops is how many operations start on the file in all (default
		// 1): New may stat it before the read that hangs.
		ops int
	}{
		{name: "procfs root stat at construction", file: "p/", op: "stat", newErr: true},
		{
			name: "process cgroup at construction", file: "p/self/cgroup", op: "read",
			check: func(t *testing.T, p *Provider, path string) {
				if p.Abandoned() != 1 {
					t.Errorf("after New: Abandoned() = %d, want 1", p.Abandoned())
				}
				s, err := p.Snapshot(context.Background())
				wantAbandoned(t, "Snapshot", err, path)
				if s.TotalMemMB.Valid || s.AvailableMemMB.Valid {
					t.Errorf("memory known with the cgroup unknown: %+v", s)
				}
				if !s.ProcessRSSMB.Valid {
					t.Errorf("RSS unknown; only the memory bound depends on the cgroup: %+v", s)
				}
			},
		},
		{name: "meminfo", file: "p/meminfo", op: "read", check: fastCheck(snap, func(s provider.Snapshot) bool { return false })},
		{name: "statm", file: "p/self/statm", op: "read", check: fastCheck(snap, func(s provider.Snapshot) bool { return s.ProcessRSSMB.Valid })},
		{name: "cgroup usage", file: "s/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7c1e.slice/cri-containerd-4f2a.scope/memory.current", op: "read",
			check: fastCheck(snap, func(s provider.Snapshot) bool { return s.AvailableMemMB.Valid })},
		{name: "process status (RunSnapshot)", file: "p/self/status", op: "read", check: fastCheck(run, func(s provider.Snapshot) bool { return s.Counters.RSSHighWaterMB.Valid })},
		{
			name: "thermal temp", file: "s/class/thermal/thermal_zone0/temp", op: "read",
			check: func(t *testing.T, p *Provider, path string) {
				th, err := p.Thermal(context.Background())
				wantAbandoned(t, "Thermal", err, path)
				if th.Known() {
					t.Errorf("Thermal = %v; want unknown", th)
				}
				if _, err := p.Thermal(context.Background()); !errors.Is(err, errStillStuck) {
					t.Errorf("second Thermal: error %v; want the temp still stuck", err)
				}
			},
		},
		{
			name: "thermal listing", file: "s/class/thermal", op: "open",
			check: func(t *testing.T, p *Provider, path string) {
				th, err := p.Thermal(context.Background())
				wantAbandoned(t, "Thermal", err, path)
				if th.Known() {
					t.Errorf("Thermal = %v; want unknown", th)
				}
			},
		},
		{
			name: "cgroup cpu.max (Capacity)", file: "s/fs/cgroup/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7c1e.slice/cri-containerd-4f2a.scope/cpu.max", op: "read",
			check: func(t *testing.T, p *Provider, path string) {
				var c provider.Capacity
				err := p.Capacity(context.Background(), &c)
				wantAbandoned(t, "Capacity", err, path)
				for _, l := range c.CPULimits {
					if strings.HasSuffix(l.By, "cri-containerd-4f2a.scope") {
						t.Errorf("the stuck level's quota is known: %+v", c.CPULimits)
					}
				}
				if err := p.Capacity(context.Background(), &c); !errors.Is(err, errStillStuck) {
					t.Errorf("second Capacity: error %v; want cpu.max still stuck", err)
				}
			},
		},
		{
			name: "battery capacity", file: "s/class/power_supply/BAT0/capacity", op: "read",
			check: func(t *testing.T, p *Provider, path string) {
				b, err := p.Battery(context.Background())
				wantAbandoned(t, "Battery", err, path)
				if b.Valid {
					t.Errorf("Battery = %+v; want invalid", b)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			procfs, sysfs := stuckRoots(t)
			path := filepath.Join(procfs, strings.TrimPrefix(tt.file, "p/"))
			if rel, ok := strings.CutPrefix(tt.file, "s/"); ok {
				path = filepath.Join(sysfs, rel)
			}
			synctest.Test(t, func(t *testing.T) {
				h := newHangingFS(map[string]string{path: tt.op})
				p, err := New(WithProcFS(procfs), WithSysFS(sysfs), withIOHook(h.hook))
				if tt.newErr {
					if p != nil || !errors.Is(err, ErrRoot) || !errors.Is(err, ErrAbandoned) || !strings.Contains(errString(err), path) {
						t.Errorf("New = %v, %v; want an ErrRoot naming %s, abandoned", p, err, path)
					}
					close(h.release)
					synctest.Wait() // the abandoned stat returns
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, p, path)
				if n, want := h.startedOn(path), max(tt.ops, 1); n != want {
					t.Errorf("%d operations started on %s; want %d: none while the first is stuck", n, path, want)
				}
				if p.Abandoned() != 1 {
					t.Errorf("Abandoned() = %d, want 1", p.Abandoned())
				}
				if err := p.Close(); err != nil { // returns with the read still stuck
					t.Fatal(err)
				}
				close(h.release)
				p.guard.settle()
			})
		})
	}
}

// TestStuckFileIsReadAgainOnceItAnswers: after an abandoned read returns,
// the next refresh reads the file again and the field comes back.
func TestStuckFileIsReadAgainOnceItAnswers(t *testing.T) {
	procfs, sysfs := stuckRoots(t)
	statm := filepath.Join(procfs, "self", "statm")
	synctest.Test(t, func(t *testing.T) {
		h := newHangingFS(map[string]string{statm: "read"})
		p, err := New(WithProcFS(procfs), WithSysFS(sysfs), withIOHook(h.hook))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if s, _ := p.Snapshot(context.Background()); s.ProcessRSSMB.Valid {
			t.Fatalf("RSS known while statm is stuck: %+v", s)
		}
		h.mu.Lock()
		delete(h.hang, statm)
		h.mu.Unlock()
		close(h.release)
		p.guard.settle()
		s, err := p.Snapshot(context.Background())
		if err != nil || !s.ProcessRSSMB.Valid {
			t.Errorf("after the file answered: %+v, %v; want RSS known, no error", s, err)
		}
		if p.Abandoned() != 1 {
			t.Errorf("Abandoned() = %d, want 1", p.Abandoned())
		}
	})
}

// TestReadTimeoutIsShared: one refresh waits at most the read timeout in
// all, not once per file: with two files stuck, the second is abandoned
// at the same deadline (the bubble's clock shows no second wait), and a
// refresh whose time ran out reports the files it did not reach.
func TestReadTimeoutIsShared(t *testing.T) {
	procfs, sysfs := stuckRoots(t)
	stat, meminfo := filepath.Join(procfs, "stat"), filepath.Join(procfs, "meminfo")
	synctest.Test(t, func(t *testing.T) {
		h := newHangingFS(map[string]string{stat: "read", meminfo: "read"})
		const timeout = 250 * time.Millisecond
		p, err := New(WithProcFS(procfs), WithSysFS(sysfs), withIOHook(h.hook), WithReadTimeout(timeout))
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			p.Close()
			close(h.release)
			p.guard.settle()
		}()
		start := p.clock.Now()
		_, err = p.Snapshot(context.Background())
		if took := p.clock.Now().Sub(start); took != timeout {
			t.Errorf("the refresh waited %v; want the read timeout, %v", took, timeout)
		}
		wantAbandoned(t, "Snapshot", err, stat)
		if !errors.Is(err, errOutOfTime) || !strings.Contains(err.Error(), meminfo) {
			t.Errorf("Snapshot error %v; want meminfo not read, out of time", err)
		}
		if p.Abandoned() != 1 {
			t.Errorf("Abandoned() = %d, want 1", p.Abandoned())
		}
	})
}

// TestLiveRootsStayInline: under the default roots nothing is handed off
// to a goroutine: no file is fresh, so no read goes through the guard.
func TestLiveRootsStayInline(t *testing.T) {
	if _, err := os.Stat("/proc/self/statm"); err != nil {
		t.Skip("no live /proc:", err)
	}
	p := newLive(t)
	if p.fast.guarded {
		for _, pf := range p.fast.files() {
			if pf.fresh {
				t.Errorf("%s is read through the guard under the live /proc", pf.path)
			}
		}
	}
}

// TestCancelledContextAbandonsTheWait: a caller whose context ends while
// a file is stuck gets its answer then, with the context's error; the
// read is abandoned and counted. A context already ended starts no read.
func TestCancelledContextAbandonsTheWait(t *testing.T) {
	procfs, sysfs := stuckRoots(t)
	temp := filepath.Join(sysfs, "class", "thermal", "thermal_zone0", "temp")
	synctest.Test(t, func(t *testing.T) {
		h := newHangingFS(map[string]string{temp: "read"})
		p, err := New(WithProcFS(procfs), WithSysFS(sysfs), withIOHook(h.hook), WithReadTimeout(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			p.Close()
			close(h.release)
			p.guard.settle()
		}()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		th, err := p.Thermal(ctx)
		if th.Known() || !errors.Is(err, context.Canceled) {
			t.Errorf("Thermal = %v, %v; want unknown, cancelled", th, err)
		}
		if p.Abandoned() != 1 {
			t.Errorf("Abandoned() = %d, want 1", p.Abandoned())
		}
		before := h.startedOn(filepath.Join(procfs, "meminfo"))
		if _, err := p.Snapshot(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Snapshot with an ended context: %v", err)
		}
		if n := h.startedOn(filepath.Join(procfs, "meminfo")); n != before {
			t.Errorf("an ended context started %d reads of meminfo", n-before)
		}
	})
}

// TestAbandonedPathsAreForgotten: a path abandoned once is forgotten when
// its operation returns, whether or not it is read again (paths naming a
// pid or a descriptor may never be), so the guard's memory of stuck paths
// does not grow with a hung file system's distinct paths.
func TestAbandonedPathsAreForgotten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		g := newIOGuard(time.Second, func(op, path string) { <-release })
		for i := range 50 {
			b := g.newBudget(nil)
			path := filepath.Join("fdinfo", strconv.Itoa(i))
			if _, err := b.attr(path); !errors.Is(err, ErrAbandoned) {
				t.Fatalf("%s: %v, want abandoned", path, err)
			}
		}
		g.mu.Lock()
		n := len(g.stuck)
		g.mu.Unlock()
		if n != 50 || g.abandoned.Load() != 50 {
			t.Fatalf("%d stuck paths, %d abandoned; want 50 each", n, g.abandoned.Load())
		}
		close(release)
		synctest.Wait()
		g.mu.Lock()
		n = len(g.stuck)
		g.mu.Unlock()
		if n != 0 {
			t.Errorf("%d stuck paths remembered after the file system answered; want 0", n)
		}
	})
}
