//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunNoShebang: a command file without a "#!" line, which the kernel
// refuses with ENOEXEC, is run by /bin/sh as execvp(3) runs it: the
// script sees its own path as $0 and the arguments, and restel exits with
// its status.
func TestRunNoShebang(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	writeFile(t, script, "echo \"ran $0 $# $1 $2\"\nexit 7\n", 0o755)
	out := filepath.Join(dir, "s.json")
	status, stdout, stderr := binary(t, "", "run", "--mode", "boundary", "--out", out, "--", script, "a", "b c")
	if want := "ran " + script + " 2 a b c\n"; status != 7 || stdout != want || stderr != "" {
		t.Errorf("status %d stdout %q stderr %q, want 7, %q and nothing", status, stdout, stderr, want)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.HasPrefix(b, []byte("{")) {
		t.Errorf("summary %q, %v; want the run's summary", b, err)
	}
}

// TestRunNoShebangLikeEnv: a file in no format at all ends as it does
// under env(1), whose execvp hands it to the shell too.
func TestRunNoShebangLikeEnv(t *testing.T) {
	envPath, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env(1) to compare with")
	}
	garbage := filepath.Join(t.TempDir(), "garbage")
	writeFile(t, garbage, "\x7fELF-not-really\n", 0o755)
	want := exec.Command(envPath, garbage)
	err = want.Run()
	if ee := (*exec.ExitError)(nil); err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	status, _, stderr := binary(t, "", "run", "--mode", "off", "--", garbage)
	if status != want.ProcessState.ExitCode() || strings.Contains(stderr, "exec format error") {
		t.Errorf("status %d stderr %q, want env's status %d from the shell", status, stderr, want.ProcessState.ExitCode())
	}
}
