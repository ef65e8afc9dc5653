package linux

import (
	"bufio"
	"context"
	"fmt"
	"github.com/restel/restel/provider"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startSleepers starts a shell that forks n subshells, each blocked
// reading a pipe the test holds, and returns the shell (the tree's root,
// its n children the tree's other processes) once all n are forked. The
// forks are of the shell itself (no exec), so thousands start in a few
// seconds; the cleanup closes the pipe, which ends every child, and kills
// what is left of the process group.
func startSleepers(tb testing.TB, n int) *exec.Cmd {
	tb.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `i=0; while [ $i -lt $0 ]; do read x <&3 & i=$((i+1)); done; echo ready; wait`, strconv.Itoa(n))
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	r.Close()
	tb.Cleanup(func() {
		w.Close()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		tb.Fatalf("%d sleepers: the shell said %q, %v", n, line, err)
	}
	return cmd
}

// truthKiB sums VmRSS of pid and of every process whose parent it is,
// found by scanning every process's stat under /proc (not through the
// children files a Tree walks).
func truthKiB(tb testing.TB, pid int) (kib uint64, procs int) {
	tb.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if p != pid && (len(f) < 2 || f[1] != strconv.Itoa(pid)) {
			continue
		}
		status, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for _, ln := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(ln, "VmRSS:"); ok {
				n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				kib += n
			}
		}
		procs++
	}
	return kib, procs
}

// TestTreeLiveLarge: a shell with 2,000 sleeping children. A read walks
// the first processes, hands the tree to the background walker and says
// its totals are incomplete; the walker's complete walk then gives a
// summed RSS within 2% of the truth read independently from /proc, with
// every process's files kept open (well within the budget); once the
// children have exited, their files are closed again.
func TestTreeLiveLarge(t *testing.T) {
	skipWithoutProc(t)
	const n = 2000
	cmd := startSleepers(t, n)
	tr := newLiveTree(t, cmd.Process.Pid)
	if tr.scan {
		t.Skip("this kernel has no children files")
	}
	ctx := context.Background()
	if _, err := tr.RunSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if st := tr.Stats(); !st.Background || st.Last.Complete || st.Last.Procs != syncTreeProcs {
		t.Fatalf("first read of %d processes: %+v; want %d walked, incomplete, and the walker started", n+1, st, syncTreeProcs)
	}
	var s provider.Snapshot
	for st := tr.Stats(); !st.Last.Complete; st = tr.Stats() {
		if st.Reads > 100000 {
			t.Fatalf("no complete walk: %+v", st)
		}
		time.Sleep(10 * time.Millisecond) // the walker's first walk
		var err error
		if s, err = tr.RunSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
	}
	truth, procs := truthKiB(t, cmd.Process.Pid)
	st := tr.Stats()
	if st.Last.Procs != n+1 || procs != n+1 {
		t.Errorf("walked %d processes, /proc has %d; want %d", st.Last.Procs, procs, n+1)
	}
	got := s.ProcessRSSMB.V << 10
	if !s.ProcessRSSMB.Valid || got+truth/50+1024 < truth || got > truth+truth/50+1024 {
		t.Errorf("tree RSS %v MiB, truth %d KiB (%d processes): want within 2%%", s.ProcessRSSMB, truth, procs)
	}
	tr.walkMu.Lock()
	kept := tr.fdCount
	tr.walkMu.Unlock()
	if kept != 3*(n+1) && kept != tr.fdBudget {
		t.Errorf("%d files kept open, want %d (or the budget %d)", kept, 3*(n+1), tr.fdBudget)
	}
	t.Logf("RSS %d MiB, truth %d KiB, %d files kept, stats %+v", s.ProcessRSSMB.V, truth, kept, st)

	// The children exit; once the walker finds the shell alone, the reads
	// walk again, and the gone processes' files are closed.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	for tr.Stats().Background {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := tr.RunSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	tr.walkMu.Lock()
	kept = tr.fdCount
	tr.walkMu.Unlock()
	if st := tr.Stats(); kept > 3 || !st.Last.Complete || st.Last.Age != 0 {
		t.Errorf("after the children exited: %d files kept, stats %+v; want at most the shell's 3, read afresh", kept, st)
	}
}

// BenchmarkTreeLarge measures a tree of a shell and 1,000, 5,000 or
// 10,000 sleeping children: walk is one whole walk (what the background
// walker does each time; its files kept open from the earlier walks, as
// far as the descriptor budget goes), read one RunSnapshot (the tree
// answered by the walker when the tree is larger than a read walks
// itself), and walker the background walker's CPU use, in % of one CPU,
// while nothing else reads.
func BenchmarkTreeLarge(b *testing.B) {
	skipWithoutProc(b)
	for _, n := range []int{1000, 5000, 10000} {
		// One tree at a time: its sleepers, kept files and walker are gone
		// before the next size starts.
		b.Run(fmt.Sprintf("procs=%d", n), func(b *testing.B) { benchTreeLarge(b, n) })
	}
}

func benchTreeLarge(b *testing.B, n int) {
	cmd := startSleepers(b, n)
	tr := newLiveTree(b, cmd.Process.Pid)
	if tr.scan {
		b.Skip("this kernel has no children files")
	}
	ctx := context.Background()
	{
		b.Run("walk", func(b *testing.B) {
			walk := func() walkResult {
				tr.walkMu.Lock()
				defer tr.walkMu.Unlock()
				return tr.walk(maxTreeProcs, nil)
			}
			walk() // open the files
			b.ReportAllocs()
			cpu0 := ownCPU()
			for b.Loop() {
				if r := walk(); r.procs != n+1 || !r.complete() {
					b.Fatalf("walked %d processes (complete %v), want %d", r.procs, r.complete(), n+1)
				}
			}
			b.ReportMetric(float64(ownCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			tr.walkMu.Lock()
			b.ReportMetric(float64(tr.fdCount), "files-kept")
			tr.walkMu.Unlock()
		})
		b.Run("read", func(b *testing.B) {
			s, _ := tr.RunSnapshot(ctx)
			b.ReportAllocs()
			cpu0 := ownCPU()
			for b.Loop() {
				s, _ = tr.RunSnapshot(ctx)
			}
			b.ReportMetric(float64(ownCPU()-cpu0)/float64(b.N), "cpu-ns/op")
			if !s.ProcessRSSMB.Valid {
				b.Fatal("tree RSS unknown")
			}
		})
		if n > syncTreeProcs {
			b.Run("walker", func(b *testing.B) {
				if !tr.Stats().Background {
					b.Fatal("no background walker")
				}
				cpu0, wall0 := ownCPU(), time.Now()
				for b.Loop() {
					for w := tr.Stats().Walks; tr.Stats().Walks == w; {
						time.Sleep(time.Millisecond)
					}
				}
				b.ReportMetric(100*float64(ownCPU()-cpu0)/float64(time.Since(wall0)), "cpu-%")
			})
		}
	}
}
