//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestStdoutFull: a failed write to stdout is an I/O error in every
// command that writes one: status 1 and one line on stderr naming the
// command and the cause, through the real binary with stdout on
// /dev/full.
func TestStdoutFull(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "t.trace")
	writeFile(t, trace, "@0s cpu=10\n@1s cpu=20\n@2s end\n", 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"replay", trace}, "restel: replay: write stdout: no space left on device\n"},
		{[]string{"snapshot", "--wait", "0s"}, "restel: snapshot: write stdout: no space left on device\n"},
	} {
		t.Run(tc.args[0], func(t *testing.T) {
			full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer full.Close()
			cmd := exec.Command(os.Args[0], tc.args...)
			cmd.Env = append(os.Environ(), testMainEnv+"=1")
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = full, &stderr
			err = cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			if got := cmd.ProcessState.ExitCode(); got != exitIO || stderr.String() != tc.want {
				t.Errorf("status %d stderr %q, want %d and %q", got, stderr.String(), exitIO, tc.want)
			}
		})
	}
}

// runClosedStdout runs the real binary with args and stdout on a pipe
// whose read end is already closed, as in `restel ... | true`, and
// returns its exit status and stderr.
func runClosedStdout(t *testing.T, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), testMainEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		t.Fatalf("killed by %v, stderr %q; want an exit status", ws.Signal(), stderr.String())
	}
	return ws.ExitStatus(), stderr.String()
}

// TestStdoutClosedPipe: a write of the result to a pipe nobody reads is
// an I/O error, status 1 with one line naming it, in every command; it
// never kills restel with SIGPIPE (status 141 in a shell). watch is the
// exception by design: a reader that goes away ends it with status 0.
func TestStdoutClosedPipe(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "t.trace")
	writeFile(t, trace, "@0s cpu=10\n@1s cpu=20\n@2s end\n", 0o644)
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"replay", trace}, exitIO, "restel: replay: write stdout: broken pipe\n"},
		{[]string{"snapshot", "--wait", "0s"}, exitIO, "restel: snapshot: write stdout: broken pipe\n"},
		{[]string{"help"}, exitIO, "restel: help: write stdout: broken pipe\n"},
		{[]string{"help", "run"}, exitIO, "restel: run: write stdout: broken pipe\n"},
		{[]string{"version"}, exitIO, "restel: version: write stdout: broken pipe\n"},
		{[]string{"watch", "--json"}, 0, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, stderr := runClosedStdout(t, tc.args...)
			if status != tc.status || stderr != tc.want {
				t.Errorf("status %d stderr %q, want %d and %q", status, stderr, tc.status, tc.want)
			}
		})
	}
}

// TestRunChildSIGPIPE: restel catches SIGPIPE but the command it runs
// starts with the default disposition, so a writer in the command's own
// pipeline dies of it quietly, as without restel: `yes | head -1` prints
// one line and no "Broken pipe" error, and the whole command ends.
func TestRunChildSIGPIPE(t *testing.T) {
	status, stdout, stderr := binary(t, "", "run", "--mode", "off", "--", "sh", "-c", "yes | head -1")
	if status != 0 || stdout != "y\n" || stderr != "null\n" {
		t.Errorf("status %d stdout %q stderr %q, want 0, one y and the null summary", status, stdout, stderr)
	}
}
