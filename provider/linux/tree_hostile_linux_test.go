package linux

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestTreeHostile: a FIFO, a device or an endless file where the tree
// reads a status, stat or children file neither hangs a read nor grows it
// past its bound: the read finishes with an error naming the file, and the
// rest of the tree counts. Anything but a regular file (a FIFO, a symlink
// to /dev/zero or /dev/urandom) is refused as not a regular file before it
// is read.
func TestTreeHostile(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		plant      func(t *testing.T, path string)
		// notRegular: the error wraps errNotRegular and names the file.
		notRegular bool
	}{
		{"children FIFO", "101/task/101/children", mkfifo, true},
		{"status FIFO", "101/status", mkfifo, true},
		{"stat FIFO", "101/stat", mkfifo, true},
		{"children /dev/zero", "100/task/100/children", symlinkTo("/dev/zero"), true},
		{"status /dev/zero", "101/status", symlinkTo("/dev/zero"), true},
		{"status /dev/urandom", "101/status", symlinkTo("/dev/urandom"), true},
		{"stat /dev/urandom", "101/stat", symlinkTo("/dev/urandom"), true},
		{"children /dev/urandom", "101/task/101/children", symlinkTo("/dev/urandom"), true},
		{"status 8 MiB", "101/status", bigFile, false},
		{"children 8 MiB", "100/task/102/children", bigFile, false},
		{"task is a file", "101/task", func(t *testing.T, p string) {
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
			bigFile(t, p)
		}, false},
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
				// The scan reads no children files.
				read := !scan || !strings.HasSuffix(tc.file, "/children")
				if tc.notRegular && read && (!errors.Is(err, errNotRegular) || !strings.Contains(err.Error(), path+": ")) {
					t.Errorf("scan=%v: error %v; want %s refused as not a regular file", scan, err, path)
				}
				if !s.ProcessRSSMB.Valid {
					t.Errorf("scan=%v: RSS unknown; the root still counts", scan)
				}
				tr.walkMu.Lock()
				if n := cap(tr.w.buf); n > maxChildrenBytes {
					t.Errorf("scan=%v: buffer grew to %d bytes", scan, n)
				}
				tr.walkMu.Unlock()
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
