package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/provider/linux"
)

// wrapped is `sh -c` running the test binary as its child, the way most
// inference launches go through a script: the shell stays the run's
// child, the test binary its grandchild.
func wrapped() []string { return []string{"sh", "-c", `"$0"; exit $?`, os.Args[0]} }

// childMaxRSSMiB returns the peak resident set the test child reported on
// stderr (see reportMaxRSS), in MiB.
func childMaxRSSMiB(t *testing.T, stderr string) uint64 {
	t.Helper()
	for _, ln := range strings.Split(stderr, "\n") {
		if v, ok := strings.CutPrefix(ln, "test-child-maxrss-kib="); ok {
			kib, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib >> 10
		}
	}
	t.Fatalf("the child reported no peak: stderr %q", stderr)
	return 0
}

// TestRunTreePeak: process_rss_peak_mb is the child tree's, and never
// below what the kernel reports for the biggest process of the tree: a
// wrapper script's grandchild holding 200 MiB while sampled, a 300 MiB
// child in boundary mode (no sample in between; the end read sees a
// zombie), and a 400 MiB spike freed before the first sample.
func TestRunTreePeak(t *testing.T) {
	for _, tc := range []struct {
		name, behaviour, mode, hold string
		argv                        []string
		mib                         uint64
	}{
		{"wrapper grandchild 200 MiB", "alloc", "summary:250ms", "1200ms", wrapped(), 200},
		{"boundary 300 MiB", "alloc", "boundary", "200ms", []string{os.Args[0]}, 300},
		{"spike 400 MiB freed before the first sample", "spike", "summary:250ms", "1s", []string{os.Args[0]}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(testChildEnv, tc.behaviour)
			t.Setenv("RESTEL_TEST_MIB", strconv.FormatUint(tc.mib, 10))
			t.Setenv("RESTEL_TEST_HOLD", tc.hold)
			args := append([]string{"run", "--mode", tc.mode, "--"}, tc.argv...)
			status, stdout, stderr := runRestel(t, nil, "", args...)
			if status != 0 || stdout != "" {
				t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
			}
			u := parseUsage(t, lastLine(t, stderr))
			truth := childMaxRSSMiB(t, stderr)
			if rss, ok := u.ProcessRSSPeakMB.Get(); !ok || rss < tc.mib || rss < truth {
				t.Errorf("process_rss_peak_mb = %v (valid %v), want >= %d MiB and >= the kernel's %d MiB: %s", rss, ok, tc.mib, truth, lastLine(t, stderr))
			}
		})
	}
}

// TestRunTreeCPU: a wrapper script whose grandchild burns one core for a
// second: process_cpu_pct is the tree's CPU time over the run in % of
// all CPUs, which the kernel's rusage of the reaped tree confirms, and at
// most about one CPU's share.
func TestRunTreeCPU(t *testing.T) {
	t.Setenv(testChildEnv, "burn")
	t.Setenv("RESTEL_TEST_HOLD", "1s")
	cpu0, start := childrenCPU(), time.Now()
	status, stdout, stderr := runRestel(t, nil, "", append([]string{"run", "--mode", "summary:250ms", "--"}, wrapped()...)...)
	wall, used := time.Since(start), childrenCPU()-cpu0
	if status != 0 || stdout != "" {
		t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
	}
	u := parseUsage(t, lastLine(t, stderr))
	got, ok := u.ProcessCPUPct.Get()
	if !ok {
		t.Fatalf("process_cpu_pct unknown: %s", lastLine(t, stderr))
	}
	// The truth: the CPU time of the reaped tree over this test's wall
	// time around the run (a little longer than the run: a lower bound).
	cpus := float64(runtime.NumCPU())
	truth := 100 * used.Seconds() / (wall.Seconds() * cpus)
	share := 100 / cpus
	if got < 0.8*truth || got > 1.25*truth+1 || got > 1.25*share {
		t.Errorf("process_cpu_pct = %.1f, want about %.1f (the tree used %v in %v on %v CPUs), at most about one CPU's share %.0f", got, truth, used, wall, cpus, share)
	}
	if u.Mode != aggregate.SummaryEvery(aggregate.MinInterval) {
		t.Errorf("mode %v", u.Mode)
	}
}

func TestWarnIncompleteTree(t *testing.T) {
	var errb strings.Builder
	e := env{stderr: &errb}
	warnIncompleteTree(e, linux.TreeStats{Reads: 5})
	if errb.Len() != 0 {
		t.Fatalf("a complete tree warned: %q", errb.String())
	}
	warnIncompleteTree(e, linux.TreeStats{Reads: 5, Incomplete: 2})
	if got := errb.String(); got != "restel: run: warning: 2 of 5 reads of the process tree missed part of it; process_rss_peak_mb and process_cpu_pct may cover less than the whole tree\n" {
		t.Errorf("warning %q", got)
	}
}
