package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/restel/restel/aggregate"
)

// lastLine returns the last line of s (the summary follows the child's
// output on stderr).
func lastLine(t *testing.T, s string) string {
	t.Helper()
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		t.Fatal("no output")
	}
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// parseUsage parses a summary line strictly (aggregate.Usage's decoder).
func parseUsage(t *testing.T, line string) aggregate.Usage {
	t.Helper()
	var u aggregate.Usage
	if err := json.Unmarshal([]byte(line), &u); err != nil {
		t.Fatalf("summary %q: %v", line, err)
	}
	return u
}

func skipWithoutSh(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs sh")
	}
}

func TestRunExitStatus(t *testing.T) {
	skipWithoutSh(t)
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"kill -TERM $$", 143},
		{"kill -KILL $$", 137},
	} {
		t.Run(tc.script, func(t *testing.T) {
			status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--", "sh", "-c", tc.script)
			if status != tc.want {
				t.Errorf("status %d, want %d (stderr %q)", status, tc.want, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q", stdout)
			}
			u := parseUsage(t, lastLine(t, stderr))
			if u.Mode != aggregate.ModeBoundary || u.SampleCount != 2 {
				t.Errorf("summary %s: want boundary with 2 samples", lastLine(t, stderr))
			}
		})
	}
}

// TestRunChildRSS runs a child (this test binary) that holds 64 MiB for
// 1.2s under a 250ms sampler: the summary's RSS peak is the child's, not
// restel's.
func TestRunChildRSS(t *testing.T) {
	t.Setenv(testChildEnv, "alloc")
	status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "summary:250ms", "--", os.Args[0])
	if status != 0 || stdout != "" {
		t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
	}
	u := parseUsage(t, lastLine(t, stderr))
	if u.Mode != aggregate.SummaryEvery(aggregate.MinInterval) {
		t.Errorf("mode %v, want summary:250ms", u.Mode)
	}
	if u.SampleCount < 3 {
		t.Errorf("sample_count %d, want start, mid-run samples and end", u.SampleCount)
	}
	if rss, ok := u.ProcessRSSPeakMB.Get(); !ok || rss < testChildMiB {
		t.Errorf("process_rss_peak_mb = %v (valid %v), want >= %d: %s", rss, ok, testChildMiB, lastLine(t, stderr))
	}
}

// TestRunSmallChildRSS is the other half of TestRunChildRSS: a child far
// smaller than restel (sh sleeping) reports its own few MiB, not restel's
// resident set, so the peak cannot be restel's. Linux: restel's own RSS is
// read from /proc/self/statm, after restel (this test process) has grown
// well past the child's size.
func TestRunSmallChildRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/statm")
	}
	ballast := make([]byte, 48<<20)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	defer runtime.KeepAlive(ballast)
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	own := pages * uint64(os.Getpagesize()) >> 20
	const small = 8 // MiB: sh, plus room
	if own <= 2*small {
		t.Fatalf("restel's own RSS %d MiB is too close to the child's to tell them apart", own)
	}
	status, _, stderr := runRestel(t, nil, "", "run", "--mode", "summary:250ms", "--", "sh", "-c", "sleep 0.6")
	if status != 0 {
		t.Fatalf("status %d stderr %q", status, stderr)
	}
	u := parseUsage(t, lastLine(t, stderr))
	if rss, ok := u.ProcessRSSPeakMB.Get(); !ok || rss > small {
		t.Errorf("process_rss_peak_mb = %v (valid %v), want the child's few MiB (restel holds %d MiB): %s", rss, ok, own, lastLine(t, stderr))
	}
}

func TestRunPassthrough(t *testing.T) {
	skipWithoutSh(t)
	status, stdout, stderr := runRestel(t, nil, "from stdin\n", "run", "--mode", "boundary", "--", "sh", "-c", "cat; echo err >&2")
	if status != 0 || stdout != "from stdin\n" {
		t.Errorf("status %d stdout %q", status, stdout)
	}
	if !strings.HasPrefix(stderr, "err\n{") || strings.Count(stderr, "\n") != 2 {
		t.Errorf("stderr = %q, want the child's line then the summary", stderr)
	}
}

func TestRunModes(t *testing.T) {
	skipWithoutSh(t)
	const env = "RESTEL_RESOURCE_TELEMETRY"
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string // sampling_mode, or "null"
		ms   int64  // sampling_interval_ms for sampled modes
	}{
		{"default", nil, nil, "summary", 1000},
		{"env override", map[string]string{env: "boundary"}, nil, "boundary", 0},
		{"env interval", map[string]string{env: "summary:300ms"}, nil, "summary", 300},
		{"env off", map[string]string{env: "off"}, nil, "null", 0},
		{"flag beats env", map[string]string{env: "off"}, []string{"--mode", "boundary"}, "boundary", 0},
		{"flag off", nil, []string{"--mode", "off"}, "null", 0},
		{"flag debug_local", nil, []string{"--mode", "debug_local:250ms"}, "debug_local", 250},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "debug_local" {
				t.Setenv("XDG_CACHE_HOME", t.TempDir()) // raw samples stay in the test's directory
				t.Setenv("HOME", t.TempDir())
			}
			args := append(append([]string{"run"}, tc.args...), "--", "sh", "-c", "exit 0")
			status, stdout, stderr := runRestel(t, tc.vars, "", args...)
			if status != 0 || stdout != "" {
				t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
			}
			line := lastLine(t, stderr)
			if tc.want == "null" {
				if line != "null" {
					t.Errorf("summary %q, want null", line)
				}
				return
			}
			u := parseUsage(t, line)
			if u.Mode.WireLabel() != tc.want || u.Mode.Interval.Milliseconds() != tc.ms {
				t.Errorf("summary %s: want mode %s interval %dms", line, tc.want, tc.ms)
			}
			// debug_local says where the raw samples went, as replay does,
			// and the file is there with the start and end samples.
			const said = "restel: run: raw samples written to "
			i := strings.Index(stderr, said)
			if tc.want != "debug_local" {
				if i >= 0 {
					t.Errorf("stderr %q: a %s run names a raw-sample file", stderr, tc.want)
				}
				return
			}
			if i < 0 {
				t.Fatalf("stderr %q: want %q", stderr, said+"PATH")
			}
			path, _, _ := strings.Cut(stderr[i+len(said):], "\n")
			b, err := os.ReadFile(path)
			if err != nil || strings.Count(string(b), "\n") < 2 {
				t.Errorf("raw-sample file %s: %v, %d lines; want the start and end samples", path, err, strings.Count(string(b), "\n"))
			}
		})
	}
}

func TestRunOut(t *testing.T) {
	skipWithoutSh(t)
	path := filepath.Join(t.TempDir(), "summary.json")
	status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", path, "--", "sh", "-c", "exit 7")
	if status != 7 || stdout != "" || stderr != "" {
		t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), "}\n") || strings.Count(string(b), "\n") != 1 {
		t.Errorf("--out file = %q, want one JSON line", b)
	}
	parseUsage(t, strings.TrimSuffix(string(b), "\n"))
	assertOnlyFiles(t, filepath.Dir(path), "summary.json")

	// Mode off writes null to the file.
	if status, _, _ := runRestel(t, nil, "", "run", "--mode", "off", "--out", path, "--", "sh", "-c", "exit 0"); status != 0 {
		t.Fatalf("status %d", status)
	}
	if b, _ := os.ReadFile(path); string(b) != "null\n" {
		t.Errorf("--out file = %q, want null", b)
	}
}

// TestRunOutLost: when --out cannot be written once the child has run (its
// directory is gone), the child's status stands and the summary goes to
// stderr after a one-line note.
func TestRunOutLost(t *testing.T) {
	skipWithoutSh(t)
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.json")
	status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", path, "--", "sh", "-c", `rm -rf "$0"; exit 6`, dir)
	if status != 6 || stdout != "" {
		t.Fatalf("status %d stdout %q, want 6 and nothing", status, stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "restel: run: --out "+path+": ") || !strings.HasSuffix(lines[0], "; summary follows on stderr") || strings.Contains(lines[0], ".restel-") {
		t.Fatalf("stderr %q, want a note naming --out, then the summary", stderr)
	}
	if u := parseUsage(t, lines[1]); u.SampleCount != 2 {
		t.Errorf("summary %q, want boundary with 2 samples", lines[1])
	}
}

// TestRunBadInput: one line on stderr, status 2, nothing on stdout, and the
// command never runs.
func TestRunBadInput(t *testing.T) {
	skipWithoutSh(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	touch := []string{"sh", "-c", "echo ran > " + marker}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing command", []string{"run"}, "missing command"},
		{"missing after --", []string{"run", "--mode", "boundary", "--"}, "missing command"},
		{"bad mode", append([]string{"run", "--mode", "sometimes", "--"}, touch...), `invalid mode "sometimes"`},
		{"bad flag", append([]string{"run", "--mod", "off", "--"}, touch...), "flag provided but not defined: --mod"},
		{"out dir missing", append([]string{"run", "--out", filepath.Join(dir, "no", "s.json"), "--"}, touch...), "--out"},
		{"out is a dir", append([]string{"run", "--out", dir, "--"}, touch...), "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, stdout, stderr := runRestel(t, nil, "", tc.args...)
			checkUsageErr(t, status, stdout, stderr, "restel: run: ", tc.want)
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the command ran")
			}
		})
	}
}

// TestRunForwardsSignals: each signal a terminal or a supervisor sends,
// delivered to restel (here: to the test process, whose default action is
// suppressed while run has it on signal.Notify), reaches the child, which
// dies of it: status 128+N. The child is taken to be outside the
// terminal's foreground, as it is under a supervisor, so a SIGINT or
// SIGQUIT is not taken for one the terminal delivered already.
func TestRunForwardsSignals(t *testing.T) {
	skipWithoutSh(t)
	saved := inForeground
	inForeground = func(int) bool { return false }
	t.Cleanup(func() { inForeground = saved })
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			// The child signals its parent (restel, i.e. this process) and
			// waits to be killed by the forwarded signal; "exit 9" is
			// reached only if forwarding failed. A non-interactive sh
			// keeps the default action of every one of these signals.
			n := strconv.Itoa(int(sig))
			status, _, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--", "sh", "-c",
				"kill -"+n+" $PPID; i=0; while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; exit 9")
			if status != 128+int(sig) {
				t.Errorf("status %d, want %d (stderr %q)", status, 128+int(sig), stderr)
			}
			if u := parseUsage(t, lastLine(t, stderr)); u.SampleCount != 2 {
				t.Errorf("summary %s, want boundary with 2 samples", lastLine(t, stderr))
			}
		})
	}
}

// TestRunInvalidEnvMode: an invalid RESTEL_RESOURCE_TELEMETRY is a warning,
// not bad input: the configured default (summary, 1000 ms) applies.
func TestRunInvalidEnvMode(t *testing.T) {
	skipWithoutSh(t)
	status, stdout, stderr := runRestel(t, map[string]string{"RESTEL_RESOURCE_TELEMETRY": "sometimes"}, "", "run", "--", "sh", "-c", "exit 5")
	if status != 5 || stdout != "" {
		t.Fatalf("status %d stdout %q", status, stdout)
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "restel: run: ignoring invalid RESTEL_RESOURCE_TELEMETRY") || !strings.Contains(lines[0], "sometimes") {
		t.Fatalf("stderr = %q, want one warning naming the variable and value, then the summary", stderr)
	}
	if u := parseUsage(t, lines[1]); u.Mode != aggregate.SummaryEvery(time.Second) {
		t.Errorf("mode %v, want summary:1s", u.Mode)
	}
}
