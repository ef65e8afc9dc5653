package linux

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/restel/restel/provider"
	"github.com/restel/restel/provider/providertest"
)

// treeChildEnv makes the test binary, re-executed, one process of a live
// tree (see treeChild).
const treeChildEnv = "RESTEL_TREE_CHILD"

// The live tree tests re-execute the test binary as the processes of the
// tree, so they run wherever the tests run (no interpreter needed). init,
// not TestMain, so the package keeps whatever TestMain it has.
func init() {
	if b := os.Getenv(treeChildEnv); b != "" {
		os.Exit(treeChild(b))
	}
}

// treeChild performs behaviour b ("name" or "name:N") and returns its exit
// status. Every behaviour that stays alive prints "ready" once set up and
// then waits to be killed (the tests kill the tree's process group).
//
//	hold      nothing more
//	spawn:N   start N hold children
//	alloc:N   allocate and touch N MiB, keep it
//	spike:N   allocate and touch N MiB, free it and return it to the OS
//	burn:N    use N ms of CPU time (its own, by getrusage), then exit 0
func treeChild(b string) int {
	name, arg, _ := strings.Cut(b, ":")
	n, _ := strconv.Atoi(arg)
	switch name {
	case "hold":
	case "spawn":
		for range n {
			c := exec.Command(os.Args[0])
			c.Env = append(os.Environ(), treeChildEnv+"=hold", "GOMAXPROCS=1")
			if err := c.Start(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
	case "alloc", "spike":
		buf := make([]byte, n<<20)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
		if name == "spike" {
			buf = nil
			debug.FreeOSMemory()
		}
		runtime.KeepAlive(buf)
	case "burn":
		for ownCPU() < time.Duration(n)*time.Millisecond {
			for i := 0; i < 1e6; i++ {
				_ = i
			}
		}
		return 0
	default:
		fmt.Fprintln(os.Stderr, "unknown", treeChildEnv, b)
		return 100
	}
	fmt.Println("ready")
	time.Sleep(10 * time.Minute)
	return 0
}

func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startTree starts the test binary as behaviour b, under `sh -c` when
// wrapped (so b runs as the shell's child, the tree's grandchild), in a
// process group of its own that the test's cleanup kills. With wait it
// returns once b has printed "ready".
func startTree(tb testing.TB, b string, wrapped, wait bool) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(os.Args[0])
	if wrapped {
		// Not "exec": the shell stays the tree's root, b its child.
		cmd = exec.Command("sh", "-c", `"$0"; exit $?`, os.Args[0])
	}
	cmd.Env = append(os.Environ(), treeChildEnv+"="+b)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	if wait {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "ready\n" {
			tb.Fatalf("tree %s said %q, %v", b, line, err)
		}
	}
	return cmd
}

func newLiveTree(tb testing.TB, root int) *Tree {
	tb.Helper()
	tr, err := NewTree(root)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tr.Close() })
	return tr
}

// TestTreeLiveWrapperRSS: a shell whose child holds 100 MiB: the tree's
// RSS and high-water mark include the grandchild, which the shell's own
// resident set does not.
func TestTreeLiveWrapperRSS(t *testing.T) {
	skipWithoutProc(t)
	const mib = 100
	cmd := startTree(t, "alloc:"+strconv.Itoa(mib), true, true)
	tr := newLiveTree(t, cmd.Process.Pid)
	s, err := tr.RunSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !s.ProcessRSSMB.Valid || s.ProcessRSSMB.V < mib {
		t.Errorf("tree RSS %v, want >= %d MiB", s.ProcessRSSMB, mib)
	}
	if !s.Counters.RSSHighWaterMB.Valid || s.Counters.RSSHighWaterMB.V < mib {
		t.Errorf("tree RSSHighWaterMB %v, want >= %d MiB", s.Counters.RSSHighWaterMB, mib)
	}
	shell, err := New(WithPID(cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	defer shell.Close()
	if s, _ := shell.Snapshot(context.Background()); !s.ProcessRSSMB.Valid || s.ProcessRSSMB.V >= mib/4 {
		t.Errorf("the shell alone: RSS %v, want a few MiB (the wrapper, not its child)", s.ProcessRSSMB)
	}
}

// TestTreeLiveSpike: a grandchild that touched 150 MiB and returned it to
// the OS before the first read: the RSS no longer shows it, the tree's
// high-water mark does.
func TestTreeLiveSpike(t *testing.T) {
	skipWithoutProc(t)
	const mib = 150
	cmd := startTree(t, "spike:"+strconv.Itoa(mib), true, true)
	tr := newLiveTree(t, cmd.Process.Pid)
	s, err := tr.RunSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !s.Counters.RSSHighWaterMB.Valid || s.Counters.RSSHighWaterMB.V < mib {
		t.Errorf("tree RSSHighWaterMB %v, want >= %d MiB", s.Counters.RSSHighWaterMB, mib)
	}
	// The freed spike is gone from the resident set (what the race
	// detector shadowed of it may stay), not from the high-water mark.
	if !s.ProcessRSSMB.Valid || s.Counters.RSSHighWaterMB.V < s.ProcessRSSMB.V+mib/2 {
		t.Errorf("tree RSS %v after the spike was freed, want at least %d MiB below the high-water mark %v", s.ProcessRSSMB, mib/2, s.Counters.RSSHighWaterMB)
	}
	t.Logf("RSS %v, high-water mark %v", s.ProcessRSSMB, s.Counters.RSSHighWaterMB)
}

// TestTreeLiveCPU: a grandchild that uses 300 ms of CPU and is reaped by
// the shell before the shell exits: the tree's CPU time between a read at
// the start and one of the exited, not yet reaped shell covers it (in the
// shell's cumulative time), and is no more than the kernel's rusage of the
// reaped shell says the whole tree used.
func TestTreeLiveCPU(t *testing.T) {
	skipWithoutProc(t)
	const burn = 300 * time.Millisecond
	cmd := startTree(t, "burn:"+strconv.Itoa(int(burn/time.Millisecond)), true, false)
	tr := newLiveTree(t, cmd.Process.Pid)
	ctx := context.Background()
	start, err := tr.RunSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	end, err := tr.RunSnapshot(ctx) // the shell is a zombie now
	if err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if !start.Counters.ProcessCPU.Valid || !end.Counters.ProcessCPU.Valid {
		t.Fatalf("ProcessCPU unknown: start %v end %v", start.Counters.ProcessCPU, end.Counters.ProcessCPU)
	}
	got := end.Counters.ProcessCPU.V - start.Counters.ProcessCPU.V
	truth := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	tick := time.Second / time.Duration(userHZ())
	if got < burn-tick || got > truth+2*tick {
		t.Errorf("tree CPU over the run %v, want at least the %v burnt and at most the %v rusage reports", got, burn, truth)
	}
}

// TestTreeLiveWalks: a process with ten children is the same eleven
// processes whether walked through the children files or by scanning
// /proc.
func TestTreeLiveWalks(t *testing.T) {
	skipWithoutProc(t)
	cmd := startTree(t, "spawn:10", false, true)
	tr := newLiveTree(t, cmd.Process.Pid)
	if tr.scan {
		t.Skip("this kernel has no children files")
	}
	walk := func(scan bool) []int {
		tr.walkMu.Lock()
		defer tr.walkMu.Unlock()
		tr.scan = scan
		if r := tr.walk(maxTreeProcs, nil); r.err != nil {
			t.Fatal(r.err)
		}
		return slices.Sorted(slices.Values(tr.w.pids))
	}
	children, scan := walk(false), walk(true)
	if len(children) != 11 || !slices.Equal(children, scan) {
		t.Errorf("children walk %v, scan %v; want the same 11 processes", children, scan)
	}
	if children[0] != cmd.Process.Pid && !slices.Contains(children, cmd.Process.Pid) {
		t.Errorf("the root %d is not in the tree %v", cmd.Process.Pid, children)
	}
}

// TestTreeConformance runs the provider conformance suite against a live
// Tree.
func TestTreeConformance(t *testing.T) {
	skipWithoutProc(t)
	cmd := startTree(t, "hold", false, true)
	providertest.Run(t, func(t *testing.T) provider.SnapshotProvider {
		tr, err := NewTree(cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	})
}

// BenchmarkTreeSample measures one sampled read of a tree (Snapshot: the
// device's fast signals plus the tree's walk and summed RSS) with a root
// and 10, 25 or 50 children, walked through the children files or by scanning
// /proc. The children walk's cost grows with the tree; the scan's with
// every process on the machine.
func BenchmarkTreeSample(b *testing.B) {
	skipWithoutProc(b)
	for _, n := range []int{10, 25, 50} {
		cmd := startTree(b, "spawn:"+strconv.Itoa(n), false, true)
		tr := newLiveTree(b, cmd.Process.Pid)
		if tr.scan {
			b.Skip("this kernel has no children files")
		}
		for _, walk := range []string{"children", "scan"} {
			b.Run(fmt.Sprintf("walk=%s/procs=%d", walk, n), func(b *testing.B) {
				tr.walkMu.Lock()
				tr.scan = walk == "scan"
				tr.walkMu.Unlock()
				ctx := context.Background()
				s, _ := tr.Snapshot(ctx) // warm the buffers
				b.ReportAllocs()
				cpu0 := ownCPU()
				for b.Loop() {
					s, _ = tr.Snapshot(ctx)
				}
				// On a shared machine the wall time per read mostly
				// measures waiting for a CPU; the process's CPU time per
				// read (this benchmark is its only work) is the cost.
				b.ReportMetric(float64(ownCPU()-cpu0)/float64(b.N), "cpu-ns/op")
				if !s.ProcessRSSMB.Valid {
					b.Fatal("tree RSS unknown")
				}
			})
		}
	}
}
