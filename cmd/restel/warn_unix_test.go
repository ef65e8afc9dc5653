//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDebugLocalRefusedDirectory: when the raw-sample directory is a
// symlink (here <cache>/restel, pointing at a victim directory), replay
// and run still succeed with their summary, say why in one warning line
// in the CLI's form, and leave the victim untouched.
func TestDebugLocalRefusedDirectory(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stdout bool // the summary is on stdout (replay) or stderr (run)
		prefix string
	}{
		{[]string{"replay", "--mode", "debug_local:250ms", filepath.Join(replayScripts, "cpu-spike.trace")}, true,
			"restel: replay: warning: debug log: refusing unsafe directory "},
		{[]string{"run", "--mode", "debug_local:250ms", "--", "sh", "-c", "exit 3"}, false,
			"restel: run: debug_local raw samples not kept: debug log: refusing unsafe directory "},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			base := t.TempDir()
			cache := filepath.Join(base, "cache")
			victim := filepath.Join(base, "victim")
			for _, d := range []string{cache, filepath.Join(victim, "resource-debug")} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			old := filepath.Join(victim, "resource-debug", "run-old.ndjson")
			if err := os.WriteFile(old, []byte("victim\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(victim, filepath.Join(cache, "restel")); err != nil {
				t.Fatal(err)
			}
			t.Setenv("XDG_CACHE_HOME", cache)
			t.Setenv("HOME", cache) // macOS: $HOME/Library/Caches
			if c, _ := os.UserCacheDir(); c != cache {
				t.Skipf("user cache dir %q does not follow XDG_CACHE_HOME here", c)
			}

			status, stdout, stderr := runRestel(t, nil, "", tc.args...)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			summary := stdout
			if !tc.stdout {
				summary, lines = lines[len(lines)-1], lines[:len(lines)-1]
			}
			if want := map[bool]int{true: 0, false: 3}[tc.stdout]; status != want {
				t.Errorf("status %d, want %d (stderr %q)", status, want, stderr)
			}
			if u := parseUsage(t, strings.TrimSpace(summary)); u.Mode.String() != "debug_local:250ms" {
				t.Errorf("summary mode %v, want debug_local:250ms", u.Mode)
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.prefix) || !strings.Contains(lines[0], filepath.Join(cache, "restel")+": a symlink") {
				t.Errorf("stderr warnings %q, want one line starting %q naming the symlink", lines, tc.prefix)
			}
			entries, _ := os.ReadDir(filepath.Join(victim, "resource-debug"))
			if b, err := os.ReadFile(old); len(entries) != 1 || err != nil || string(b) != "victim\n" {
				t.Errorf("victim directory changed: %v, %v %q", entries, err, b)
			}
			if fi, _ := os.Stat(filepath.Join(victim, "resource-debug")); fi.Mode().Perm() != 0o755 {
				t.Errorf("victim directory mode %o, want 755", fi.Mode().Perm())
			}
		})
	}
}
