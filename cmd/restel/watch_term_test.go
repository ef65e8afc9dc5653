package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTermNotATerminal: a regular file and the null device are no
// terminal on any OS, and their size is unknown (0, 0), so watch writes
// NDJSON to them.
func TestTermNotATerminal(t *testing.T) {
	regular, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	for _, tc := range []struct {
		name string
		f    *os.File
	}{{"regular file", regular}, {"null device", null}} {
		t.Run(tc.name, func(t *testing.T) {
			if isTerminalFd(tc.f.Fd()) {
				t.Errorf("isTerminalFd(%s) = true, want false", tc.name)
			}
			if c, r := termSize(tc.f); c != 0 || r != 0 {
				t.Errorf("termSize(%s) = %d, %d, want 0, 0", tc.name, c, r)
			}
			if isTerminal(tc.f) {
				t.Errorf("isTerminal(%s) = true, want false", tc.name)
			}
		})
	}
}
