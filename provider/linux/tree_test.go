package linux

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/restel/restel/provider"
)

// treeFixture writes a procfs tree: files maps a path under the root to
// its content. Every pid directory also gets its task directory from the
// "task/<tid>/children" entries given.
func treeFixture(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	base := map[string]string{
		"stat":    "cpu  100 0 100 800 0 0 0 0 0 0\n",
		"meminfo": "MemTotal:       16384000 kB\nMemAvailable:    8192000 kB\n",
	}
	for p, c := range base {
		if _, ok := files[p]; !ok {
			files[p] = c
		}
	}
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func status(rssKiB, hwmKiB string) string {
	s := "Name:\tx\nState:\tS (sleeping)\n"
	if hwmKiB != "" {
		s += "VmHWM:\t" + hwmKiB + " kB\n"
	}
	if rssKiB != "" {
		s += "VmRSS:\t" + rssKiB + " kB\n"
	}
	return s + "Threads:\t1\n"
}

// stat returns a /proc/<pid>/stat line with ppid and CPU ticks, of a
// single-threaded process with one resident page.
func stat(pid, ppid, utime, stime, cutime, cstime string) string {
	return statN(pid, ppid, utime, stime, cutime, cstime, "1")
}

// statN is stat for a process with the given number of threads.
func statN(pid, ppid, utime, stime, cutime, cstime, threads string) string {
	return pid + " (x y) S " + ppid + " 1 1 0 -1 0 0 0 0 0 " + utime + " " + stime + " " + cutime + " " + cstime + " 20 0 " + threads + " 0 1 1 1\n"
}

// familyTree is root 100 with two threads (100, 102): thread 100 forked
// 101, thread 102 forked 104, a zombie. 101 lists a child 105 that has
// exited since. 999 is unrelated.
func familyTree() map[string]string {
	return map[string]string{
		"100/statm":             "1000 256 0 0 0 0 0\n", // read by the device Provider
		"100/status":            status("1024", "2048"),
		"100/stat":              statN("100", "1", "10", "5", "100", "20", "2"),
		"100/task/100/children": "101 ",
		"100/task/102/children": "104 ",
		"101/status":            status("4096", "9216"),
		"101/stat":              stat("101", "100", "1", "1", "0", "0"),
		"101/task/101/children": "105 ",
		"104/status":            status("", ""), // a zombie has no Vm lines
		"104/stat":              stat("104", "100", "7", "3", "0", "0"),
		"104/task/104/children": "",
		"999/status":            status("50000", "50000"),
		"999/stat":              stat("999", "1", "500", "500", "0", "0"),
		"999/task/999/children": "",
	}
}

func newFixtureTree(t *testing.T, procfs string, root int, scan bool) *Tree {
	t.Helper()
	tr, err := NewTree(root, WithProcFS(procfs), WithSysFS(fixture("sysfs-laptop")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	tr.scan = scan
	return tr
}

// TestTreeFixture: the tree's RSS is the sum over its live processes, its
// CPU time each process's own plus what it reaped (once each), its
// high-water mark the largest seen, whether the tree is walked through
// the children files or by scanning every process's parent.
func TestTreeFixture(t *testing.T) {
	for _, scan := range []bool{false, true} {
		name := map[bool]string{false: "children", true: "scan"}[scan]
		t.Run(name, func(t *testing.T) {
			tr := newFixtureTree(t, treeFixture(t, familyTree()), 100, scan)
			s, err := tr.RunSnapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			// 1024 + 4096 KiB; 999 is not in the tree.
			if want := provider.Some[uint64](5); s.ProcessRSSMB != want {
				t.Errorf("RSS %v, want %v", s.ProcessRSSMB, want)
			}
			// 100: 10+5+100+20, 101: 1+1, 104: 7+3 = 147 ticks.
			if want := provider.Some(1470 * time.Millisecond); s.Counters.ProcessCPU != want {
				t.Errorf("ProcessCPU %v, want %v", s.Counters.ProcessCPU, want)
			}
			if want := provider.Some[uint64](9); s.Counters.RSSHighWaterMB != want {
				t.Errorf("RSSHighWaterMB %v, want %v", s.Counters.RSSHighWaterMB, want)
			}
			if !s.AvailableMemMB.Valid || !s.TotalMemMB.Valid {
				t.Errorf("device fields missing: %+v", s)
			}
			// Snapshot has the RSS but not the run counters.
			s, err = tr.Snapshot(context.Background())
			if err != nil || s.ProcessRSSMB != provider.Some[uint64](5) || s.Counters.ProcessCPU.Valid || s.Counters.RSSHighWaterMB.Valid {
				t.Errorf("Snapshot = %+v, %v", s, err)
			}
		})
	}
}

// TestTreeCountersAcrossReads: a process seen once keeps its high-water
// mark in the tree's after it exits; a descendant's CPU time that leaves
// the tree (its parent exited without reaping it) never makes the counter
// go backwards; a descendant reaped by its parent moves from its own time
// to the parent's cumulative time, counted once.
func TestTreeCountersAcrossReads(t *testing.T) {
	files := familyTree()
	procfs := treeFixture(t, files)
	tr := newFixtureTree(t, procfs, 100, false)
	ctx := context.Background()
	if _, err := tr.RunSnapshot(ctx); err != nil {
		t.Fatal(err)
	}
	// 101 (9 MiB peak, 2 ticks) vanishes without being reaped in the tree.
	if err := os.RemoveAll(filepath.Join(procfs, "101")); err != nil {
		t.Fatal(err)
	}
	s, err := tr.RunSnapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Counters.RSSHighWaterMB != provider.Some[uint64](9) {
		t.Errorf("RSSHighWaterMB %v after 101 exited, want 9 (seen before)", s.Counters.RSSHighWaterMB)
	}
	if s.Counters.ProcessCPU != provider.Some(1470*time.Millisecond) {
		t.Errorf("ProcessCPU %v, want 1.47s kept (145 ticks now in the tree)", s.Counters.ProcessCPU)
	}
	if s.ProcessRSSMB != provider.Some[uint64](1) {
		t.Errorf("RSS %v, want 1 MiB (100 alone)", s.ProcessRSSMB)
	}
	// 104 (10 ticks) is reaped by 100: its time moves to 100's cstime, and
	// 100 burns 20 more ticks of its own: 145 + 20 = 165.
	if err := os.RemoveAll(filepath.Join(procfs, "104")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(procfs, "100", "stat"), []byte(statN("100", "1", "30", "5", "100", "30", "2")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(procfs, "100", "task", "102", "children"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = tr.RunSnapshot(ctx)
	if err != nil || s.Counters.ProcessCPU != provider.Some(1650*time.Millisecond) {
		t.Errorf("ProcessCPU %v (%v), want 1.65s", s.Counters.ProcessCPU, err)
	}
}

// TestTreeMalformed: a malformed file is an error naming it; the other
// processes still count, and the CPU time, which it would make too low,
// is unknown. A root that has gone leaves the process fields unknown
// without a tree error.
func TestTreeMalformed(t *testing.T) {
	files := familyTree()
	files["101/status"] = "VmRSS:\tlots kB\n"
	files["104/stat"] = "104 (x) Z 100\n"
	tr := newFixtureTree(t, treeFixture(t, files), 100, false)
	s, err := tr.RunSnapshot(context.Background())
	if !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), filepath.Join("101", "status")) || !strings.Contains(err.Error(), filepath.Join("104", "stat")) {
		t.Errorf("error %v, want ErrInvalid naming 101/status and 104/stat", err)
	}
	if s.ProcessRSSMB != provider.Some[uint64](1) || s.Counters.ProcessCPU.Valid {
		t.Errorf("RSS %v ProcessCPU %v, want 1 MiB and unknown", s.ProcessRSSMB, s.Counters.ProcessCPU)
	}

	procfs := treeFixture(t, familyTree())
	tr = newFixtureTree(t, procfs, 100, false)
	if err := os.RemoveAll(filepath.Join(procfs, "100")); err != nil {
		t.Fatal(err)
	}
	s, _ = tr.RunSnapshot(context.Background())
	if s.ProcessRSSMB.Valid || s.Counters.ProcessCPU.Valid {
		t.Errorf("gone root: RSS %v ProcessCPU %v, want unknown", s.ProcessRSSMB, s.Counters.ProcessCPU)
	}
}

func TestNewTreeBad(t *testing.T) {
	procfs := treeFixture(t, familyTree())
	for _, tc := range []struct {
		root int
		want error
	}{
		{0, provider.ErrInvalid},
		{-1, provider.ErrInvalid},
		{4242, ErrNoProcess}, // no such process directory
	} {
		if tr, err := NewTree(tc.root, WithProcFS(procfs), WithSysFS(fixture("sysfs-laptop"))); !errors.Is(err, tc.want) {
			if tr != nil {
				tr.Close()
			}
			t.Errorf("NewTree(%d) = %v, want %v", tc.root, err, tc.want)
		}
	}
}

// TestTreeClosed: after Close, reads fail with ErrClosed and report no
// process fields.
func TestTreeClosed(t *testing.T) {
	tr := newFixtureTree(t, treeFixture(t, familyTree()), 100, false)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	for _, read := range []func(context.Context) (provider.Snapshot, error){tr.Snapshot, tr.RunSnapshot} {
		if s, err := read(context.Background()); !errors.Is(err, provider.ErrClosed) || s.ProcessRSSMB.Valid {
			t.Errorf("after Close: %+v, %v", s, err)
		}
	}
}

// TestTreeWatch: the background reads raise the tree's high-water mark to
// the largest summed RSS seen between two run reads (101 grew to 100 MiB
// and shrank back while nothing else read the tree), and stop ends them
// (no goroutine left).
func TestTreeWatch(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		procfs := treeFixture(t, familyTree())
		tr := newFixtureTree(t, procfs, 100, false)
		ctx := context.Background()
		if _, err := tr.RunSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
		stop := tr.Watch(100 * time.Millisecond)
		set := func(rssKiB string) {
			if err := os.WriteFile(filepath.Join(procfs, "101", "status"), []byte(status(rssKiB, rssKiB)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		set("102400")
		time.Sleep(150 * time.Millisecond) // one background read
		synctest.Wait()
		set("4096")
		time.Sleep(150 * time.Millisecond)
		stop()
		stop() // again: no effect
		s, err := tr.RunSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The root's 1024 KiB plus 101's 102400 KiB.
		if want := provider.Some[uint64](101); s.Counters.RSSHighWaterMB != want {
			t.Errorf("RSSHighWaterMB %v, want %v (the summed peak the watch saw)", s.Counters.RSSHighWaterMB, want)
		}
		if s.ProcessRSSMB != provider.Some[uint64](5) {
			t.Errorf("RSS %v, want 5 MiB now", s.ProcessRSSMB)
		}
	})
}

// TestTreeBackground: a tree larger than a read walks itself is handed to
// the background walker. The read that finds it so answers with what it
// walked, counted incomplete; later reads answer at once with the
// walker's last complete walk, counted stale with its age; a complete
// walk that finds the tree small again leaves the reads to walk it
// themselves; Close stops the walker (no goroutine left).
func TestTreeBackground(t *testing.T) {
	defer goleak.VerifyNone(t)
	synctest.Test(t, func(t *testing.T) {
		// The family, its root single-threaded: the walk visits the root,
		// 104 (a zombie: no RSS), 101 and its gone child 105, in that
		// order.
		files := familyTree()
		files["100/stat"] = stat("100", "1", "10", "5", "100", "20")
		files["100/task/100/children"] = "101 104 "
		procfs := treeFixture(t, files)
		tr := newFixtureTree(t, procfs, 100, false)
		tr.syncProcs = 2 // the family has three processes
		ctx := context.Background()
		write := func(name, content string) {
			t.Helper()
			if err := os.WriteFile(filepath.Join(procfs, filepath.FromSlash(name)), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		check := func(step string, wantMiB uint64, want TreeStats) {
			t.Helper()
			s, err := tr.RunSnapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.ProcessRSSMB != provider.Some(wantMiB) {
				t.Errorf("%s: RSS %v, want %d MiB", step, s.ProcessRSSMB, wantMiB)
			}
			if got := tr.Stats(); got != want {
				t.Errorf("%s: stats\n%+v, want\n%+v", step, got, want)
			}
		}
		// The walk stops after the root and 104.
		check("first read", 1, TreeStats{Reads: 1, Incomplete: 1, Last: TreeRead{Procs: 2}, Background: true})
		synctest.Wait() // the walker's first walk
		time.Sleep(30 * time.Millisecond)
		check("from the walker", 5, TreeStats{Reads: 2, Stale: 1, Incomplete: 1, MaxAge: 30 * time.Millisecond,
			Last: TreeRead{Procs: 3, Complete: true, Age: 30 * time.Millisecond, Vanished: 1}, Walks: 1, Background: true})
		write("101/status", status("102400", "102400"))
		time.Sleep(80 * time.Millisecond) // past the next walk, 100 ms after the first
		synctest.Wait()
		check("grown", 101, TreeStats{Reads: 3, Stale: 2, Incomplete: 1, MaxAge: 30 * time.Millisecond,
			Last: TreeRead{Procs: 3, Complete: true, Age: 10 * time.Millisecond, Vanished: 1}, Walks: 2, Background: true})
		write("100/task/100/children", "")
		time.Sleep(100 * time.Millisecond)
		synctest.Wait() // the walk that finds the root alone ends the walker
		check("small again", 1, TreeStats{Reads: 4, Stale: 2, Incomplete: 1, MaxAge: 30 * time.Millisecond,
			Last: TreeRead{Procs: 1, Complete: true}, Walks: 3})
		// Large again, and closed while the walker waits.
		write("100/task/100/children", "101 104 ")
		if _, err := tr.RunSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
		if !tr.Stats().Background {
			t.Error("the tree grew past what a read walks, and no walker started")
		}
		synctest.Wait()
		if err := tr.Close(); err != nil {
			t.Fatal(err)
		}
		if tr.Stats().Background {
			t.Error("the walker runs after Close")
		}
	})
}

// TestTreeIncomplete: a tree process whose stat cannot be read leaves the
// totals incomplete, and the read says so.
func TestTreeIncomplete(t *testing.T) {
	files := familyTree()
	files["101/stat"] = "garbage"
	tr := newFixtureTree(t, treeFixture(t, files), 100, false)
	if _, err := tr.RunSnapshot(context.Background()); err == nil {
		t.Error("a malformed stat gave no error")
	}
	if st := tr.Stats(); st.Last.Complete || st.Incomplete != 1 {
		t.Errorf("stats %+v, want the read incomplete", st)
	}
}
