//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
