package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// victim is a file in a directory only root may enter, with a second hard
// link (a file `>` would truncate in place rather than replace).
type victim struct {
	path, link string
	before     syscall.Stat_t
}

func newVictim(t *testing.T, dir, name string) *victim {
	t.Helper()
	v := &victim{path: filepath.Join(dir, name), link: filepath.Join(dir, name+".link")}
	writeFile(t, v.path, "secret\n", 0o600)
	if err := os.Link(v.path, v.link); err != nil {
		t.Fatal(err)
	}
	v.before = *statT(t, v.path)
	return v
}

// check asserts the victim is untouched: same inode, mode, links and
// content.
func (v *victim) check(t *testing.T) {
	t.Helper()
	st := statT(t, v.path)
	if st.Ino != v.before.Ino || st.Mode != v.before.Mode || st.Nlink != v.before.Nlink || st.Uid != v.before.Uid {
		t.Errorf("%s: inode %d mode %o links %d uid %d, want %d %o %d %d", v.path, st.Ino, st.Mode, st.Nlink, st.Uid,
			v.before.Ino, v.before.Mode, v.before.Nlink, v.before.Uid)
	}
	if b, err := os.ReadFile(v.path); err != nil || string(b) != "secret\n" {
		t.Errorf("%s: content %q, %v; want it unchanged", v.path, b, err)
	}
}

// TestRunOutSwapped: during a run as root, an unprivileged user who owns
// a directory on --out's path swaps the final name for a symbolic link,
// or a directory for a symbolic link, to a root-only directory. restel
// writes nothing there: the files in it keep their inode, mode, links and
// content, no file appears there, and restel says so in one line and
// exits 1 (the command exited 0).
func TestRunOutSwapped(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the swap is made by an unprivileged user during a run as root: needs root")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) not found: it runs the swap as an unprivileged user")
	}
	for _, tc := range []struct {
		name string
		// out is --out's path relative to the user's directory; exists
		// creates it (as root) first.
		out    string
		exists bool
		// script runs as the unprivileged user in the user's directory;
		// $1 is the root-only directory.
		script string
	}{
		{"final name of an existing file", "s.json", true, `rm s.json && ln -s "$1/s.json" s.json`},
		{"final name of a new file", "s.json", false, `rm -f s.json && ln -s "$1/s.json" s.json`},
		{"directory of an existing file", "sub/s.json", true, `mv sub old && ln -s "$1" sub`},
		{"directory of a new file", "sub/s.json", false, `mv sub old && ln -s "$1" sub`},
		{"directory swapped back and forth", "sub/s.json", true, `mv sub old && mkdir sub && mv old/s.json sub/s.json`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, err := os.MkdirTemp("", "restel-swap-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(base) })
			if err := os.Chmod(base, 0o755); err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(base, "root")
			user := filepath.Join(base, "user")
			if err := os.Mkdir(root, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{user, filepath.Join(user, "sub")} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(d, nobody, nobody); err != nil {
					t.Fatal(err)
				}
			}
			v := newVictim(t, root, "s.json")
			out := filepath.Join(user, tc.out)
			if tc.exists {
				writeFile(t, out, "old\n", 0o644)
			}

			script := `cd "$0" && ` + tc.script
			status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", out, "--",
				"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "sh", "-c", script, user, root)
			v.check(t)
			assertOnlyFiles(t, root, "s.json", "s.json.link")
			note, summary, _ := strings.Cut(stderr, "\n")
			want := "restel: run: --out " + out + ": changed while the command ran; not written; summary follows on stderr"
			if status != exitIO || stdout != "" || note != want {
				t.Fatalf("status %d stdout %q stderr %q; want %d and the line %q", status, stdout, stderr, exitIO, want)
			}
			parseUsage(t, strings.TrimSuffix(summary, "\n"))
		})
	}
}

// TestRunOutUncreatable: a new --out file where it cannot be created
// (sysfs refuses new files, even to root, whose access(2) check passes)
// is bad input before the command runs, as `>` refuses it.
func TestRunOutUncreatable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("root's access(2) check passes in /sys, an unprivileged user's does not: needs root")
	}
	if _, err := os.Stat("/sys/kernel"); err != nil {
		t.Skip("no sysfs at /sys")
	}
	marker := filepath.Join(t.TempDir(), "ran")
	out := "/sys/restel-test-summary.json"
	status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", out, "--", "touch", marker)
	checkUsageErr(t, status, stdout, stderr, "restel: run: --out "+out+": ", "")
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran")
	}
}
