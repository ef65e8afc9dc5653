package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/restel/restel/aggregate"
	"github.com/restel/restel/internal/winacl"
	"github.com/restel/restel/provider"
)

var replayScripts = filepath.Join("..", "..", "testdata", "scripts")

// TestReplayGolden checks that `restel replay --mode summary:250ms FILE`
// prints exactly the golden file of every trace, with the flag before and
// after FILE. provider/fake's TestGolden -update rewrites the goldens.
func TestReplayGolden(t *testing.T) {
	traces, err := filepath.Glob(filepath.Join(replayScripts, "*.trace"))
	if err != nil || len(traces) < 8 {
		t.Fatalf("want at least 8 traces, got %d (%v)", len(traces), err)
	}
	for _, path := range traces {
		name := strings.TrimSuffix(filepath.Base(path), ".trace")
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(path, ".trace") + ".golden.json")
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"replay", "--mode", "summary:250ms", path},
				{"replay", path, "-mode=summary:250ms"},
			} {
				code, stdout, stderr := runRestel(t, nil, "", args...)
				if code != 0 || stderr != "" {
					t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
				}
				if diff := cmp.Diff(string(want), stdout); diff != "" {
					t.Errorf("%q (-golden +stdout):\n%s", args, diff)
				}
			}
		})
	}
}

func TestReplayModes(t *testing.T) {
	spike := filepath.Join(replayScripts, "cpu-spike.trace")
	for _, tc := range []struct {
		name   string
		args   []string
		want   string
		stderr string
	}{
		{
			// Default mode: summary every 1000 ms: samples at 0, 1, 2, 3 s
			// and the end at 4 s; the four 1 s intervals end at cpu 95,
			// 40, 10, 10 (the start's 10 covers time before the run).
			name: "default summary:1s",
			args: []string{"replay", spike},
			want: `{"cpu_avg_pct":38.75,"cpu_peak_pct":95,"process_rss_peak_mb":1900,"available_mem_min_mb":4300,` +
				`"memory_pressure_peak":"normal","thermal_state_peak":"normal","battery_pct_end":90,"sample_count":5,"sampling_mode":"summary","sampling_interval_ms":1000` +
				`,"duration_ms":4000,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}` + "\n",
		},
		{
			name: "boundary has two samples and no interval",
			args: []string{"replay", "--mode=boundary", spike},
			want: `{"cpu_avg_pct":10,"cpu_peak_pct":10,"process_rss_peak_mb":400,"available_mem_min_mb":5900,` +
				`"memory_pressure_peak":"normal","thermal_state_peak":"normal","battery_pct_end":90,"sample_count":2,"sampling_mode":"boundary"` +
				`,"duration_ms":4000,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}` + "\n",
		},
		{
			name: "off prints null",
			args: []string{"replay", spike, "--mode", "off"},
			want: "null\n",
		},
		{
			name:   "interval below the floor is clamped to 250ms",
			args:   []string{"replay", "--mode", "summary:10ms", filepath.Join(replayScripts, "error-burst.trace")},
			want:   mustRead(t, filepath.Join(replayScripts, "error-burst.golden.json")),
			stderr: "restel: replay: --mode interval 10ms is below the minimum, clamped to 250ms\n",
		},
		{
			name: "last --mode wins",
			args: []string{"replay", "--mode", "off", spike, "--mode", "boundary"},
			want: `{"cpu_avg_pct":10,"cpu_peak_pct":10,"process_rss_peak_mb":400,"available_mem_min_mb":5900,` +
				`"memory_pressure_peak":"normal","thermal_state_peak":"normal","battery_pct_end":90,"sample_count":2,"sampling_mode":"boundary"` +
				`,"duration_ms":4000,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}` + "\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runRestel(t, nil, "", tc.args...)
			if code != 0 || stderr != tc.stderr {
				t.Errorf("exit %d, stderr %q, want %q", code, stderr, tc.stderr)
			}
			if diff := cmp.Diff(tc.want, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReplayStdin(t *testing.T) {
	code, stdout, stderr := runRestel(t, nil, "@0s cpu=50 total=10 avail=1\n@1s end\n", "replay", "--mode", "boundary", "-")
	want := `{"cpu_avg_pct":50,"cpu_peak_pct":50,"process_rss_peak_mb":null,"available_mem_min_mb":1,"memory_pressure_peak":"warn",` +
		`"thermal_state_peak":"normal","battery_pct_end":null,"sample_count":2,"sampling_mode":"boundary",` +
		`"duration_ms":1000,"process_cpu_pct":null,"cpu_stall_ms":null,"memory_stall_ms":null,"io_stall_ms":null,"cpu_throttled_ms":null,"gpu_busy_avg_pct":null,"gpu_busy_peak_pct":null,"gpu_mem_peak_mb":null,"process_gpu_mem_peak_mb":null,"samples_skipped":0}` + "\n"
	if code != 0 || stderr != "" || stdout != want {
		t.Errorf("replay - = %d, %q, %q; want 0, %q", code, stdout, stderr, want)
	}
	code, stdout, stderr = runRestel(t, nil, "@0s cpu=500\n", "replay", "-")
	checkUsageErr(t, code, stdout, stderr, "restel: replay: <stdin>:1: ", "cpu 500 outside")
}

// endless repeats line forever, as `yes LINE` does.
type endless struct {
	line []byte
	off  int
}

func (r *endless) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) {
		c := copy(b[n:], r.line[r.off:])
		n += c
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

// Input without end (`yes '@0s cpu=1' | restel replay -`) ends with one
// line naming the limit it reached, not with memory growing without end.
func TestReplayStdinWithoutEnd(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"@0s cpu=1\n", "more than 65536 event lines"},
		{"# a comment\n", "trace larger than 16777216 bytes"},
		{"@0s cpu=1 ", "line longer than 65536 bytes"},
	} {
		e, stdout, stderr := testEnv(t.Context(), nil)
		e.stdin = &endless{line: []byte(tc.line)}
		code := realMain(e, []string{"replay", "-"})
		checkUsageErr(t, code, stdout.String(), stderr.String(), "restel: replay: <stdin>:", tc.want)
	}
}

// An interrupted replay prints nothing on stdout and exits 1.
func TestReplayInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	e, stdout, stderr := testEnv(ctx, nil)
	e.stdin = strings.NewReader("@0s cpu=1\n@2562047h end\n")
	code := realMain(e, []string{"replay", "-"})
	if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, the reason", code, stdout, stderr)
	}
}

// The longest run a trace can describe replays at once with the exact
// sample count; so does an interval whose next tick would overflow.
func TestReplayLongTrace(t *testing.T) {
	for _, tc := range []struct{ trace, mode, count string }{
		{"@0s cpu=1\n@2562047h end\n", "summary:250ms", `"sample_count":36893476801,`},
		{"@0s cpu=1\n@2562047h end\n", "summary:1000000h", `"sample_count":4,`},
		{"@0s cpu=1\n@1281024h end\n", "summary:4611686018427387904ns", `"sample_count":3,`},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		e, stdout, stderr := testEnv(ctx, nil)
		e.stdin = strings.NewReader(tc.trace)
		code := realMain(e, []string{"replay", "--mode", tc.mode, "-"})
		cancel()
		if code != 0 || !strings.Contains(stdout.String(), tc.count) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %s", tc.mode, code, stdout, stderr, tc.count)
		}
	}
}

// TestReplayDebugLocal checks that debug_local writes the raw samples,
// one NDJSON snapshot per line, under <user cache dir>/restel/resource-debug
// (0700) in a 0600 file, and names the file on stderr.
func TestReplayDebugLocal(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // os.UserCacheDir on Linux and the BSDs
	t.Setenv("HOME", cache)           // macOS: ~/Library/Caches
	t.Setenv("LocalAppData", cache)   // Windows
	code, stdout, stderr := runRestel(t, nil, "", "replay", "--mode", "debug_local:250ms", filepath.Join(replayScripts, "fields-unknown.trace"))
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var u aggregate.Usage
	if err := json.Unmarshal([]byte(stdout), &u); err != nil || !strings.HasSuffix(stdout, "}\n") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("stdout %q is not one summary line: %v", stdout, err)
	}
	if u.Mode != aggregate.DebugLocalEvery(250*1e6) || u.SampleCount != 17 {
		t.Errorf("summary mode %v count %d, want debug_local:250ms and 17", u.Mode, u.SampleCount)
	}
	// The rest of the summary matches the summary-mode golden.
	var golden aggregate.Usage
	if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(replayScripts, "fields-unknown.golden.json"))), &golden); err != nil {
		t.Fatal(err)
	}
	golden.Mode = u.Mode
	if diff := cmp.Diff(golden, u); diff != "" {
		t.Errorf("debug_local summary differs from the summary golden (-golden +got):\n%s", diff)
	}

	dir := filepath.Join(cache, "restel", "resource-debug")
	files, err := filepath.Glob(filepath.Join(dir, "run-*.ndjson"))
	if err != nil || len(files) != 1 {
		t.Fatalf("debug files %v (%v), want one", files, err)
	}
	if want := "restel: replay: raw samples written to " + files[0] + "\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	for path, want := range map[string]os.FileMode{dir: os.ModeDir | 0o700, files[0]: 0o600} {
		if runtime.GOOS == "windows" { // an owner-only DACL; mode bits mean nothing
			if why, err := winacl.Unsafe(path); why != "" || err != nil {
				t.Errorf("%s: %s (%v), want private to the user", path, why, err)
			}
			continue
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: %v (%v), want %v", path, fi.Mode(), err, want)
		}
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		var s provider.Snapshot
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Errorf("line %d: %v", n, err)
		}
		// fields-unknown.trace: avail and total are unknown from 1 s to 3 s.
		if at := (n - 1) * 250; at >= 1000 && at < 3000 && (s.AvailableMemMB.Valid || s.TotalMemMB.Valid) {
			t.Errorf("line %d (@%dms): memory known: %s", n, at, sc.Bytes())
		}
	}
	if n != u.SampleCount {
		t.Errorf("%d NDJSON lines, sample_count %d", n, u.SampleCount)
	}
}

// TestReplayBadInput: every kind of bad input exits 2 with one line on
// stderr naming the problem, and nothing on stdout.
func TestReplayBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(replayScripts, "steady-idle.trace")
	for _, tc := range []struct {
		name string
		args []string
		want string // a fragment of the stderr line
	}{
		{"unknown flag", []string{"replay", "--bogus", good}, "flag provided but not defined: --bogus"},
		{"unknown flag after FILE", []string{"replay", good, "--interval", "1s"}, "flag provided but not defined: --interval"},
		{"bad mode", []string{"replay", "--mode", "fast", good}, `invalid mode "fast"`},
		{"interval on boundary", []string{"replay", "--mode", "boundary:1s", good}, "boundary takes no interval"},
		{"bad interval", []string{"replay", "--mode", "summary:soon", good}, "bad interval"},
		{"negative interval", []string{"replay", good, "--mode=summary:-1s"}, "negative interval"},
		{"mode without value", []string{"replay", good, "--mode"}, "flag needs an argument: --mode"},
		{"missing FILE", []string{"replay"}, "missing trace FILE"},
		{"missing FILE after flag", []string{"replay", "--mode", "boundary"}, "missing trace FILE"},
		{"extra FILE", []string{"replay", good, good}, "unexpected argument"},
		{"extra FILE after --", []string{"replay", good, "--", "--mode"}, `unexpected argument "--mode"`},
		{"unreadable file", []string{"replay", filepath.Join(dir, "nope.trace")}, "nope.trace: " + notFoundText(t)},
		{"directory", []string{"replay", dir}, "is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runRestel(t, nil, "", tc.args...)
			checkUsageErr(t, code, stdout, stderr, "restel: replay: ", tc.want)
		})
	}
}

// TestReplayMalformedTrace: a trace that does not parse exits 2 with one
// line on stderr naming the file and the line.
func TestReplayMalformedTrace(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		src  string
		line string
		want string
	}{
		{"unknown key", "@0s cpu=1\n@1s gpu=3\n", "2", `unknown key "gpu"`},
		{"bad number", "# header\n@0s rss=12MB\n", "2", `bad rss "12MB"`},
		{"decreasing offset", "@0s cpu=1\n@2s cpu=2\n@1s cpu=3\n", "3", "never decrease"},
		{"bad enum", "@0s thermal=normal\n\n@1s thermal=melting\n", "3", `bad thermal "melting"`},
		{"bad pressure", "@0s pressure=high\n", "1", `bad pressure "high"`},
		{"missing @", "0s cpu=1\n", "1", "must start with @OFFSET"},
		{"duplicate key", "@0s cpu=1 cpu=2\n", "1", `duplicate key "cpu"`},
		{"cpu out of range", "@0s cpu=101\n", "1", "outside [0, 100]"},
		{"battery above 100", "@0s battery=120\n", "1", "battery 120 above 100"},
		{"avail above total", "@0s total=100 avail=200\n", "1", "exceeds total"},
		{"line after end", "@0s cpu=1\n@1s end\n@2s cpu=2\n", "3", "event after end"},
		{"empty", "", "1", "no events"},
		{"bad delay", "@0s delay=soon\n", "1", `bad delay "soon"`},
		{"empty error", "@0s error=\n", "1", "error= needs a message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".trace")
			if err := os.WriteFile(path, []byte(tc.src), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runRestel(t, nil, "", "replay", "--mode", "summary:250ms", path)
			checkUsageErr(t, code, stdout, stderr, "restel: replay: "+path+":"+tc.line+": ", tc.want)
		})
	}
}

// TestReplayDebugLocalUnwritable: a debug directory that cannot be made
// never fails the replay: the summary is printed, status 0, and one
// warning line names the problem.
func TestReplayDebugLocalUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", filepath.Join(file, "cache")) // below a regular file
	t.Setenv("HOME", filepath.Join(file, "home"))
	t.Setenv("LocalAppData", filepath.Join(file, "appdata"))
	code, stdout, stderr := runRestel(t, nil, "", "replay", "--mode", "debug_local:250ms", filepath.Join(replayScripts, "cpu-spike.trace"))
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var golden, got aggregate.Usage
	if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(replayScripts, "cpu-spike.golden.json"))), &golden); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	golden.Mode = aggregate.DebugLocalEvery(250 * time.Millisecond)
	if diff := cmp.Diff(golden, got); diff != "" {
		t.Errorf("summary (-golden +got):\n%s", diff)
	}
	if !strings.HasPrefix(stderr, "restel: replay: warning: ") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, file) {
		t.Errorf("stderr %q, want one warning naming %s", stderr, file)
	}
}
