package linux

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTreeHostile: a FIFO or an endless file where the tree reads a
// status, stat or children file neither hangs a read nor grows it past
// its bound: the read finishes with an error naming the file (or, for a
// FIFO nobody writes, an empty read), and the rest of the tree counts.
func TestTreeHostile(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		plant      func(t *testing.T, path string)
	}{
		{"children FIFO", "101/task/101/children", mkfifo},
		{"status FIFO", "101/status", mkfifo},
		{"stat FIFO", "101/stat", mkfifo},
		{"children /dev/zero", "100/task/100/children", symlinkTo("/dev/zero")},
		{"status /dev/zero", "101/status", symlinkTo("/dev/zero")},
		{"status 8 MiB", "101/status", bigFile},
		{"children 8 MiB", "100/task/102/children", bigFile},
		{"task is a file", "101/task", func(t *testing.T, p string) {
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			bigFile(t, p)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			procfs := treeFixture(t, familyTree())
			path := filepath.Join(procfs, tc.file)
			if err := os.RemoveAll(path); err != nil {
				t.Fatal(err)
			}
			tc.plant(t, path)
			for _, scan := range []bool{false, true} {
				tr := newFixtureTree(t, procfs, 100, scan)
				s, err := tr.RunSnapshot(context.Background())
				if err != nil && !strings.Contains(err.Error(), procfs) {
					t.Errorf("scan=%v: error %v does not name the file", scan, err)
				}
				if !s.ProcessRSSMB.Valid {
					t.Errorf("scan=%v: RSS unknown; the root still counts", scan)
				}
				tr.mu.Lock()
				if n := cap(tr.w.buf); n > maxReadBytes {
					t.Errorf("scan=%v: buffer grew to %d bytes", scan, n)
				}
				tr.mu.Unlock()
			}
		})
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlinkTo(target string) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		t.Helper()
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
}

func bigFile(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Repeat("1 ", 4<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
}
