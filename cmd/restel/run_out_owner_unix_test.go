//go:build unix

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// nobody is the uid and gid of the unprivileged user the tests below run
// as or give files to.
const nobody = 65534

func statT(t *testing.T, path string) *syscall.Stat_t {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t)
}

// TestRunOutKeepsFile: an existing file written by --out keeps what `>`
// keeps: its owner and group, its mode, its inode when other hard links
// share it (they all see the summary).
func TestRunOutKeepsFile(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rootOnly bool
		// setup prepares dir and returns the --out path.
		setup func(t *testing.T, dir string) string
		// check inspects dir after the run; before is the --out file's
		// stat before it.
		check func(t *testing.T, dir string, before *syscall.Stat_t)
	}{
		{"owned by another user", true, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s.json")
			writeFile(t, p, "old\n", 0o640)
			if err := os.Chown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			return p
		}, func(t *testing.T, dir string, _ *syscall.Stat_t) {
			p := filepath.Join(dir, "s.json")
			if st := statT(t, p); st.Uid != nobody || st.Gid != nobody {
				t.Errorf("owner %d:%d, want %d:%d", st.Uid, st.Gid, nobody, nobody)
			}
			wantMode(t, p, 0o640)
			wantContent(t, p, "")
			assertOnlyFiles(t, dir, "s.json")
		}},
		{"hard-linked", false, func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "hl1")
			writeFile(t, p, "old\n", 0o644)
			if err := os.Link(p, filepath.Join(dir, "hl2")); err != nil {
				t.Fatal(err)
			}
			return p
		}, func(t *testing.T, dir string, before *syscall.Stat_t) {
			st := statT(t, filepath.Join(dir, "hl1"))
			if st.Ino != before.Ino || st.Nlink != 2 {
				t.Errorf("hl1: inode %d with %d links, want inode %d still linked twice", st.Ino, st.Nlink, before.Ino)
			}
			wantContent(t, filepath.Join(dir, "hl1"), "")
			wantContent(t, filepath.Join(dir, "hl2"), "")
			assertOnlyFiles(t, dir, "hl1", "hl2")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rootOnly && os.Geteuid() != 0 {
				t.Skip("giving a file to another user needs root")
			}
			dir := t.TempDir()
			out := tc.setup(t, dir)
			before := statT(t, out)
			status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", out, "--", "true")
			if status != 0 || stdout != "" || stderr != "" {
				t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
			}
			tc.check(t, dir, before)
		})
	}
}

// TestRunOutNothingWhileRunning: --out creates no temporary file next to
// the destination before the summary is ready: the command, listing the
// directory while it runs, sees only the destination (a new one created
// empty, as the shell's `>` creates it).
func TestRunOutNothingWhileRunning(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing bool
		want     string
	}{
		{"new file", false, "s.json\n"},
		{"existing file", true, "s.json\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "s.json")
			if tc.existing {
				writeFile(t, out, "old\n", 0o644)
			}
			status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", out, "--", "sh", "-c", `ls -A "$0"`, dir)
			if status != 0 || stdout != tc.want || stderr != "" {
				t.Fatalf("status %d stdout %q stderr %q; want the command to list only %q", status, stdout, stderr, tc.want)
			}
			wantContent(t, out, "")
			assertOnlyFiles(t, dir, "s.json")
		})
	}
}

// binaryAs runs the test binary as restel (see binary) with the
// credentials of uid and gid, from a copy every user may execute, and
// returns the exit status, stdout and stderr.
func binaryAs(t *testing.T, uid, gid uint32, args ...string) (int, string, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "restel-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "restel")
	copyFile(t, os.Args[0], bin, 0o755)
	cmd := exec.Command(bin, args...)
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), testMainEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func copyFile(t *testing.T, from, to string, perm os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestRunOutReadOnlyDir: as an unprivileged user, a file the user may
// write in a directory the user may not write is written in place, as
// `>` writes it, and the command runs; a new file there is refused as bad
// input before the command runs, as `>` refuses it.
func TestRunOutReadOnlyDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running restel as another user needs root")
	}
	dir, err := os.MkdirTemp("", "restel-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "s.json")
	writeFile(t, p, "old\n", 0o644)
	if err := os.Chown(p, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	before := statT(t, p)

	status, stdout, stderr := binaryAs(t, nobody, nobody, "run", "--mode", "boundary", "--out", p, "--", "echo", "ran")
	if status != 0 || stdout != "ran\n" || stderr != "" {
		t.Fatalf("existing file: status %d stdout %q stderr %q, want 0 and the command's output", status, stdout, stderr)
	}
	wantContent(t, p, "")
	if st := statT(t, p); st.Ino != before.Ino || st.Uid != nobody {
		t.Errorf("inode %d owner %d, want the same file (%d) owned by %d", st.Ino, st.Uid, before.Ino, nobody)
	}
	assertOnlyFiles(t, dir, "s.json")

	newp := filepath.Join(dir, "new.json")
	status, stdout, stderr = binaryAs(t, nobody, nobody, "run", "--mode", "boundary", "--out", newp, "--", "echo", "ran")
	checkUsageErr(t, status, stdout, stderr, "restel: run: --out "+newp+": ", "permission denied")
	assertOnlyFiles(t, dir, "s.json")
}

// TestRunOutOwnerNotKept: as an unprivileged user, a file the user may
// write but does not own, in a directory the user may write, cannot be
// replaced by a file of the same owner (the user may not chown): it is
// written in place, keeping its owner and inode, as `>` writes it.
func TestRunOutOwnerNotKept(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running restel as another user needs root")
	}
	dir, err := os.MkdirTemp("", "restel-own-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "s.json")
	writeFile(t, p, "old\n", 0o666) // root's, writable by all
	before := statT(t, p)

	status, stdout, stderr := binaryAs(t, nobody, nobody, "run", "--mode", "boundary", "--out", p, "--", "true")
	if status != 0 || stdout != "" || stderr != "" {
		t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
	}
	wantContent(t, p, "")
	if st := statT(t, p); st.Ino != before.Ino || st.Uid != before.Uid || st.Gid != before.Gid {
		t.Errorf("inode %d owner %d:%d, want the same file (%d) owned by %d:%d", st.Ino, st.Uid, st.Gid, before.Ino, before.Uid, before.Gid)
	}
	wantMode(t, p, 0o666)
	assertOnlyFiles(t, dir, "s.json")
}
