package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestRunChildSIGPIPEDisposition: the command `restel run` starts has
// SIGPIPE neither ignored nor caught (bit 13 of SigIgn and SigCgt in its
// /proc/self/status is clear), though restel itself catches it.
func TestRunChildSIGPIPEDisposition(t *testing.T) {
	status, stdout, stderr := binary(t, "", "run", "--mode", "off", "--", "grep", "-E", "^Sig(Ign|Cgt):", "/proc/self/status")
	if status != 0 || stderr != "null\n" {
		t.Fatalf("status %d stdout %q stderr %q, want 0 and the null summary", status, stdout, stderr)
	}
	const sigpipe = 1 << (13 - 1)
	seen := 0
	for line := range strings.Lines(stdout) {
		name, hex, ok := strings.Cut(strings.TrimSpace(line), ":\t")
		mask, err := strconv.ParseUint(hex, 16, 64)
		if !ok || err != nil {
			t.Fatalf("line %q: not NAME:\\tMASK", line)
		}
		seen++
		if mask&sigpipe != 0 {
			t.Errorf("%s %s: the command starts with SIGPIPE set there, want the default disposition", name, hex)
		}
	}
	if seen != 2 {
		t.Errorf("stdout %q, want the SigIgn and SigCgt lines", stdout)
	}
}
