package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A --mode interval below the minimum is clamped up and said once on
// stderr, as watch says it for --interval; an interval at or above the
// minimum, or none, says nothing. The last --mode given is the one used.
func TestModeClampedSaidOnce(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "t.trace")
	if err := os.WriteFile(trace, []byte("@0s cpu=10\n@1s end\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const clampedRun = "restel: run: --mode interval 10ms is below the minimum, clamped to 250ms\n"
	const clampedReplay = "restel: replay: --mode interval 10ms is below the minimum, clamped to 250ms\n"
	for _, tc := range []struct {
		args []string
		want string // the whole of stderr
	}{
		{[]string{"replay", "--mode", "summary:10ms", trace}, clampedReplay},
		{[]string{"replay", trace, "--mode", "debug_local:1s", "--mode", "summary:10ms"}, clampedReplay},
		{[]string{"replay", "--mode", "summary:10ms", "--mode", "summary:250ms", trace}, ""},
		{[]string{"replay", "--mode", "summary", trace}, ""},
		{[]string{"run", "--mode", "summary:10ms", "--out", "OUT", "--", "true"}, clampedRun},
		{[]string{"run", "--mode", "summary:500ms", "--out", "OUT", "--", "true"}, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if tc.args[0] == "run" && runtime.GOOS == "windows" {
				t.Skip("runs true(1)")
			}
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == "OUT" {
					args[i] = filepath.Join(t.TempDir(), "summary.json")
				}
			}
			status, _, stderr := runRestel(t, nil, "", args...)
			if status != 0 || stderr != tc.want {
				t.Errorf("status %d stderr %q, want 0 and %q", status, stderr, tc.want)
			}
		})
	}
	// Bad input stays one line: the clamp is not said before the error.
	status, _, stderr := runRestel(t, nil, "", "replay", "--mode", "summary:10ms", filepath.Join(t.TempDir(), "missing.trace"))
	if status != exitUsage || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "clamped") {
		t.Errorf("status %d stderr %q, want one error line", status, stderr)
	}
}
