//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"
)

// TestRunSummaryStderrFull: a summary that cannot be written to stderr
// (/dev/full) is lost, so a child's success is not restel's: status 1, as
// time(1) does; a failing child's own status is kept. Through the real
// binary.
func TestRunSummaryStderrFull(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", exitIO},
		{"exit 5", 5},
	} {
		t.Run(tc.script, func(t *testing.T) {
			full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
			if err != nil {
				t.Skip("no /dev/full:", err)
			}
			defer full.Close()
			cmd := exec.Command(os.Args[0], "run", "--mode", "boundary", "--", "sh", "-c", tc.script)
			cmd.Env = append(os.Environ(), testMainEnv+"=1")
			var stdout bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, full
			err = cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatal(err)
			}
			if got := cmd.ProcessState.ExitCode(); got != tc.want || stdout.Len() != 0 {
				t.Fatalf("status %d stdout %q, want %d and nothing", got, stdout.String(), tc.want)
			}
		})
	}
}
