package linux

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"github.com/restel/restel/provider"
)

// newLive opens a Provider on this machine's /proc and /sys, closed when
// tb ends; where there is no live /proc it skips tb.
func newLive(tb testing.TB) *Provider {
	tb.Helper()
	skipWithoutProc(tb)
	p, err := New()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// newLiveProcfs is newLive where /proc is a real procfs; elsewhere it
// skips tb.
func newLiveProcfs(tb testing.TB) *Provider {
	tb.Helper()
	skipWithoutProc(tb)
	if m, err := fsMagic("/proc"); err != nil || m != procSuperMagic {
		tb.Skipf("/proc is not procfs here (magic %#x, %v)", m, err)
	}
	return newLive(tb)
}

// TestLive checks plausibility on this machine's real /proc and /sys.
func TestLive(t *testing.T) {
	p := newLive(t)
	ctx := context.Background()
	first, err := p.Snapshot(ctx)
	if err != nil {
		t.Fatalf("first read: %v", err)
	}
	if first.CPUPct.Valid {
		t.Errorf("first read has a CPU value %v; want none (no delta)", first.CPUPct)
	}
	// Burn CPU until the kernel's tick counters move (USER_HZ is usually
	// 100): a loop of work bounded by a deadline, not a sleep.
	var s provider.Snapshot
	deadline := time.Now().Add(10 * time.Second)
	x := 1
	for !s.CPUPct.Valid {
		if time.Now().After(deadline) {
			t.Fatal("no CPU value after 10 s of reads")
		}
		for i := range 1_000_000 {
			x = x*31 + i
		}
		if s, err = p.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_ = x
	t.Logf("live snapshot: %s", s.AppendJSON(nil))
	if c := s.CPUPct.V; c < 0 || c > 100 {
		t.Errorf("cpu %v outside [0,100]", c)
	}
	if !s.TotalMemMB.Valid || s.TotalMemMB.V == 0 {
		t.Errorf("total %+v; want > 0", s.TotalMemMB)
	}
	if !s.AvailableMemMB.Valid || s.AvailableMemMB.V > s.TotalMemMB.V {
		t.Errorf("available %+v; want known and <= total %d", s.AvailableMemMB, s.TotalMemMB.V)
	}
	if !s.ProcessRSSMB.Valid || s.ProcessRSSMB.V == 0 {
		t.Errorf("rss %+v; want > 0 MiB for a Go test binary", s.ProcessRSSMB)
	}
	if s.MemoryPressure == provider.MemoryPressureUnknown {
		t.Error("pressure unknown with memory known")
	}
	// Cross-check the host total with prometheus/procfs.
	fs, err := procfs.NewFS("/proc")
	if err != nil {
		t.Fatal(err)
	}
	mi, err := fs.Meminfo()
	if err != nil || mi.MemTotal == nil {
		t.Fatalf("procfs Meminfo: %v", err)
	}
	if want := *mi.MemTotal * 1024; p.fast.hostTotal != want {
		t.Errorf("host total %d; procfs says %d", p.fast.hostTotal, want)
	}
	if total := provider.MiB(*mi.MemTotal * 1024); s.TotalMemMB.V > total.V {
		t.Errorf("total %d MiB above host %d MiB", s.TotalMemMB.V, total.V)
	}
}

// TestLiveCgroupDiscovery cross-checks procPIDCgroup with prometheus/procfs
// on this machine's /proc/self/cgroup.
func TestLiveCgroupDiscovery(t *testing.T) {
	skipWithoutProc(t)
	fs, err := procfs.NewFS("/proc")
	if err != nil {
		t.Fatal(err)
	}
	self, err := fs.Proc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	cgs, err := self.Cgroups()
	if err != nil {
		t.Skip("procfs cannot read the cgroup file:", err)
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	v2, v2ok, v1, v1ok := procPIDCgroup(b)
	var wantV2, wantV1 string
	var haveV2, haveV1 bool
	for _, c := range cgs {
		if c.HierarchyID == 0 && len(c.Controllers) == 0 && !haveV2 {
			wantV2, haveV2 = filepath.Clean(c.Path), true
		}
		for _, ctl := range c.Controllers {
			if ctl == "memory" && !haveV1 {
				wantV1, haveV1 = filepath.Clean(c.Path), true
			}
		}
	}
	if v2 != wantV2 || v2ok != haveV2 || v1 != wantV1 || v1ok != haveV1 {
		t.Errorf("procPIDCgroup = %q %v %q %v; procfs says %q %v %q %v", v2, v2ok, v1, v1ok, wantV2, haveV2, wantV1, haveV1)
	}
}

// TestLiveRefreshDoesNotAllocate: zero allocations on the real /proc with
// every source (cgroup limits, PSI) re-read on every refresh.
func TestLiveRefreshDoesNotAllocate(t *testing.T) {
	p := newLive(t)
	p.fast.slow.every = 0
	ctx := context.Background()
	p.Snapshot(ctx)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := p.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("live refresh allocates %v times; want 0", allocs)
	}
}

// TestLiveProcessExit follows a real child process: RSS while it runs,
// then, once it has exited and been reaped, one error and unknown RSS.
func TestLiveProcessExit(t *testing.T) {
	skipWithoutProc(t)
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary:", err)
	}
	cmd := exec.Command(sleep, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p, err := New(WithPID(cmd.Process.Pid))
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	s, err := p.Snapshot(ctx)
	if err != nil || !s.ProcessRSSMB.Valid {
		t.Errorf("running child: rss %+v, %v", s.ProcessRSSMB, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // reaped: its /proc entry is gone
	s, err = p.Snapshot(ctx)
	if !errors.Is(err, provider.ErrUnavailable) || s.ProcessRSSMB.Valid {
		t.Errorf("exited child: rss %+v, error %v; want unknown and ErrUnavailable", s.ProcessRSSMB, err)
	}
	if !errors.Is(err, syscall.ESRCH) && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v; want ESRCH or ErrNotExist inside", err)
	}
	for range 3 {
		if s, err = p.Snapshot(ctx); err != nil || s.ProcessRSSMB.Valid {
			t.Errorf("after exit: rss %+v, error %v; want unknown and no error", s.ProcessRSSMB, err)
		}
	}
	if !s.TotalMemMB.Valid {
		t.Error("lost memory after the child exited")
	}
}

// TestLiveRunSnapshot: on the real /proc the process's CPU time is known
// and grows across a busy loop, and the kernel's RSS high-water mark is at
// least the resident set.
func TestLiveRunSnapshot(t *testing.T) {
	p := newLive(t)
	ctx := context.Background()
	first, err := p.RunSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := first.Counters
	if !c.ProcessCPU.Valid || !c.CPUBusy.Valid || !c.CPUTotal.Valid || !c.RSSHighWaterMB.Valid {
		t.Fatalf("live counters %+v; want process CPU, device CPU and VmHWM known", c)
	}
	if c.RSSHighWaterMB.V < first.ProcessRSSMB.V {
		t.Errorf("VmHWM %d MiB below RSS %d MiB", c.RSSHighWaterMB.V, first.ProcessRSSMB.V)
	}
	// Burn CPU until the process's tick counter moves: a loop of work
	// bounded by a deadline, not a sleep.
	deadline := time.Now().Add(10 * time.Second)
	x := 1
	var s provider.Snapshot
	for {
		if time.Now().After(deadline) {
			t.Fatalf("process CPU did not grow past %v in 10 s of work", c.ProcessCPU.V)
		}
		for i := range 1_000_000 {
			x = x*31 + i
		}
		if s, err = p.RunSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
		if s.Counters.ProcessCPU.V > c.ProcessCPU.V {
			break
		}
	}
	_ = x
	if s.Counters.CPUTotal.V < c.CPUTotal.V || s.Counters.CPUBusy.V < c.CPUBusy.V {
		t.Errorf("device CPU went backwards: %+v then %+v", c, s.Counters)
	}
	if s.Counters.RSSHighWaterMB.V < s.ProcessRSSMB.V {
		t.Errorf("VmHWM %d MiB below RSS %d MiB", s.Counters.RSSHighWaterMB.V, s.ProcessRSSMB.V)
	}
	t.Logf("live run counters: %+v", s.Counters)
}

// TestLiveRunSnapshotDoesNotAllocate: zero allocations on the real /proc
// and cgroup hierarchy, with every cadence off.
func TestLiveRunSnapshotDoesNotAllocate(t *testing.T) {
	p := newLive(t)
	p.fast.slow.every, p.fast.run.quota.limits.every = 0, 0
	ctx := context.Background()
	p.RunSnapshot(ctx)
	if allocs := testing.AllocsPerRun(200, func() {
		if _, err := p.RunSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("live RunSnapshot allocates %v times; want 0", allocs)
	}
}

// TestLiveRunSnapshotSelf: for the calling process the CPU time comes
// from getrusage and agrees with /proc/self/stat, which floors user and
// system time to ticks apart.
func TestLiveRunSnapshotSelf(t *testing.T) {
	p := newLive(t)
	if !p.fast.run.self {
		t.Fatal("the live provider of this process does not read its CPU time through getrusage")
	}
	statCPU := func() time.Duration {
		b, err := os.ReadFile("/proc/self/stat")
		if err != nil {
			t.Fatal(err)
		}
		u, s, ok := procPIDStatCPU(b)
		if !ok {
			t.Fatalf("unparsable %s", b)
		}
		return ticksDuration(u+s, userHZ()).V
	}
	tick := time.Second / time.Duration(userHZ())
	before := statCPU()
	s, err := p.RunSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	after := statCPU()
	if got := s.Counters.ProcessCPU; !got.Valid || got.V < before || got.V > after+2*tick { // stat floors utime and stime to ticks apart
		t.Errorf("process CPU %v; /proc/self/stat said %v then %v", got, before, after)
	}
	q, err := New(WithProcFS(fixture("procfs-k8s")), WithSysFS(fixture("sysfs-laptop")), WithReadTimeout(fixtureReadTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.fast.run.self {
		t.Error("a fixture root's self is read through getrusage")
	}
}
