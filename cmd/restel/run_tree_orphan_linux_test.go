package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// treeWorkerEnv makes the test binary, re-executed, a worker of a run's
// tree: it allocates and touches RESTEL_TEST_MIB MiB, uses
// RESTEL_TEST_HOLD of CPU time (or, with RESTEL_TEST_SLEEP set, sleeps
// that long), writes its pid to the file the variable names once its
// memory is touched and creates that name plus ".done" when done, and appends its own peak (ru_maxrss, KiB) to the
// file named by RESTEL_TEST_MAXRSS_FILE, if set, when done. Only the
// binary started without arguments is the worker: restel, started with
// its command line, passes the variable on.
const treeWorkerEnv = "RESTEL_TEST_TREE_WORKER"

func init() {
	if f := os.Getenv(treeWorkerEnv); f != "" && len(os.Args) == 1 {
		os.Exit(treeWorker(f))
	}
}

func treeWorker(pidFile string) int {
	buf := make([]byte, envInt("RESTEL_TEST_MIB", 1)<<20)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	if err := os.WriteFile(pidFile+".tmp", []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil || os.Rename(pidFile+".tmp", pidFile) != nil {
		return 1
	}
	hold := envDuration("RESTEL_TEST_HOLD", time.Second)
	if os.Getenv("RESTEL_TEST_SLEEP") != "" {
		time.Sleep(hold)
	} else {
		burnCPU(hold)
	}
	runtime.KeepAlive(buf)
	if err := os.WriteFile(pidFile+".done", nil, 0o600); err != nil {
		return 1
	}
	var ru syscall.Rusage
	if f := os.Getenv("RESTEL_TEST_MAXRSS_FILE"); f != "" && syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		out, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return 1
		}
		defer out.Close()
		if _, err := out.WriteString(strconv.FormatInt(ru.Maxrss, 10) + "\n"); err != nil {
			return 1
		}
	}
	return 0
}

// workersPeakMiB returns the highest peak the workers wrote to file, in
// MiB: what one worker really held (the race detector's shadow memory
// included, when the test binary has it).
func workersPeakMiB(t *testing.T, file string) uint64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	for _, f := range strings.Fields(string(b)) {
		kib, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		peak = max(peak, kib>>10)
	}
	return peak
}

// restelProcess runs `restel ARGS...` as a process of its own (the test
// binary as restel), as a user runs it: it adopts its command's orphans,
// which a run inside the test binary does not.
func restelProcess(t *testing.T, env []string, args ...string) (status int, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), testMainEnv+"=1"), env...)
	// A file, not a pipe: a detached worker inherits restel's stderr, and
	// the test must not wait for it to close.
	errf, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd.Stderr = errf
	err = cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	b, err := os.ReadFile(errf.Name())
	if err != nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), string(b)
}

// killPidFile kills the worker whose pid is in file, if it is still
// there, and reports whether it was running.
func killPidFile(t *testing.T, file string) bool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil || pid <= 0 {
		t.Fatalf("pid file %q", b)
	}
	return syscall.Kill(pid, syscall.SIGKILL) == nil
}

// TestRunBoundaryTreePeak: in boundary mode (two snapshots) the tree's
// peak is its true summed resident set: two 250 MiB children at the same
// time peak near 500 MiB, two one after the other near 250 MiB (never the
// sum of peaks that did not overlap), and sample_count stays 2. The
// bounds are relative to what one worker really held (250 MiB, or more
// with the race detector's shadow memory): at least 1.8 times it for two
// at once, at most 1.28 times it (320 of 250 MiB) for two in turn.
func TestRunBoundaryTreePeak(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		min, max     float64
	}{
		{"concurrent", `"$0" & "$0" & wait`, 1.8, 0},
		{"sequential", `"$0" && "$0"`, 0.95, 1.28},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv(treeWorkerEnv, filepath.Join(dir, "pid"))
			t.Setenv("RESTEL_TEST_MIB", "250")
			t.Setenv("RESTEL_TEST_HOLD", "800ms")
			t.Setenv("RESTEL_TEST_SLEEP", "1")
			t.Setenv("RESTEL_TEST_MAXRSS_FILE", filepath.Join(dir, "maxrss"))
			status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--", "sh", "-c", tc.script, os.Args[0])
			if status != 0 || stdout != "" {
				t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
			}
			u := parseUsage(t, lastLine(t, stderr))
			one := float64(workersPeakMiB(t, filepath.Join(dir, "maxrss")))
			rss, ok := u.ProcessRSSPeakMB.Get()
			if !ok || float64(rss) < tc.min*one || (tc.max > 0 && float64(rss) > tc.max*one) {
				t.Errorf("process_rss_peak_mb = %d (valid %v), want between %.2f and %.2f times one worker's %.0f MiB: %s", rss, ok, tc.min, tc.max, one, lastLine(t, stderr))
			}
			if u.SampleCount != 2 {
				t.Errorf("sample_count %d, want 2", u.SampleCount)
			}
		})
	}
}

// TestRunDetachedWorker: a launcher that detaches its worker (a double
// fork into a session of its own) and exits: the worker, adopted by
// restel, still counts — its 200 MiB in the peak, its CPU time in
// process_cpu_pct — in boundary and summary mode; once it has exited
// restel reaps it. A worker still running when the command exits is not
// waited for: restel reports at once and leaves it running.
func TestRunDetachedWorker(t *testing.T) {
	for _, tc := range []struct {
		name, mode, script string
		sleep              bool
		stillRunning       bool
	}{
		// The launcher waits until the worker has done its work, the
		// worker in a session of its own.
		{"boundary", "boundary", `(setsid "$0" &); while [ ! -e "$RESTEL_TEST_TREE_WORKER.done" ]; do sleep 0.05; done`, false, false},
		{"summary", "summary:250ms", `(setsid "$0" &); while [ ! -e "$RESTEL_TEST_TREE_WORKER.done" ]; do sleep 0.05; done`, false, false},
		{"still running at the end", "boundary", `(setsid "$0" &); while [ ! -e "$RESTEL_TEST_TREE_WORKER" ]; do sleep 0.05; done; sleep 0.3`, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			t.Cleanup(func() { killPidFile(t, pidFile) })
			env := []string{treeWorkerEnv + "=" + pidFile, "RESTEL_TEST_MIB=200", "RESTEL_TEST_HOLD=600ms"}
			if tc.sleep {
				env = append(env, "RESTEL_TEST_SLEEP=1", "RESTEL_TEST_HOLD=30s")
			}
			start := time.Now()
			status, stderr := restelProcess(t, env, "run", "--mode", tc.mode, "--", "sh", "-c", tc.script, os.Args[0])
			if status != 0 {
				t.Fatalf("status %d stderr %q", status, stderr)
			}
			if tc.stillRunning && time.Since(start) > 20*time.Second {
				t.Errorf("restel waited %v: it must not wait for a detached worker", time.Since(start))
			}
			u := parseUsage(t, lastLine(t, stderr))
			if rss, ok := u.ProcessRSSPeakMB.Get(); !ok || rss < 200 {
				t.Errorf("process_rss_peak_mb = %d (valid %v), want >= 200: %s", rss, ok, lastLine(t, stderr))
			}
			if !tc.sleep {
				// 600 ms of CPU over a run of about 2 s on all CPUs.
				dur, _ := u.DurationMS.Get()
				want := 100 * 0.6 / (float64(dur) / 1000 * float64(runtime.NumCPU()))
				if cpu, ok := u.ProcessCPUPct.Get(); !ok || cpu < 0.8*want {
					t.Errorf("process_cpu_pct = %.1f (valid %v), want >= %.1f (the worker's 600 ms): %s", cpu, ok, 0.8*want, lastLine(t, stderr))
				}
			}
			if tc.stillRunning && !killPidFile(t, pidFile) {
				t.Errorf("the detached worker is gone: restel must leave it running")
			}
		})
	}
}

// TestRunOffAdoptsNothing: with the mode off — from the environment as
// from --mode — restel never reads the tree, so it must not adopt the
// command's orphans either: nothing would reap them, and a command that
// keeps daemonizing short-lived helpers would pile up zombies under
// restel until it exits.
func TestRunOffAdoptsNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"env off", []string{"RESTEL_RESOURCE_TELEMETRY=off"}, []string{"run", "--"}},
		{"--mode off", nil, []string{"run", "--mode", "off", "--"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "zombies")
			script := `for i in 1 2 3 4 5 6 7 8 9 10; do (sleep 0.01 &); done; sleep 0.5; ` +
				`awk -v p="$PPID" '$4 == p && $3 == "Z"' /proc/[0-9]*/stat 2>/dev/null | wc -l > "$1"`
			args := append(append([]string{}, tc.args...), "sh", "-c", script, "sh", out)
			if status, stderr := restelProcess(t, tc.env, args...); status != 0 {
				t.Fatalf("status %d: %s", status, stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.TrimSpace(string(b)); n != "0" {
				t.Errorf("%s zombies left under restel while the command ran; want 0", n)
			}
		})
	}
}
