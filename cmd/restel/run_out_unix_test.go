//go:build unix

package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRunOutTargets: --out writes where the shell's `>` would. Each case
// prepares a destination, runs a child that exits 0 and checks where the
// summary went and what became of the destination.
func TestRunOutTargets(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup prepares dir and returns the --out argument.
		setup func(t *testing.T, dir string) string
		// check inspects dir after the run; summary is the line written.
		check func(t *testing.T, dir, summary string)
	}{
		{"new file gets 0666 less the umask", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "s.json")
		}, func(t *testing.T, dir, summary string) {
			// A file created by open(2) with 0666, as the shell creates
			// it, has the mode the umask leaves.
			ref := filepath.Join(dir, "ref")
			f, err := os.OpenFile(ref, os.O_CREATE|os.O_WRONLY, 0o666)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			wantMode(t, filepath.Join(dir, "s.json"), modeOf(t, ref))
			wantContent(t, filepath.Join(dir, "s.json"), summary)
		}},
		{"0600 file stays 0600", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s.json")
			writeFile(t, p, "old\n", 0o600)
			return p
		}, func(t *testing.T, dir, summary string) {
			wantMode(t, filepath.Join(dir, "s.json"), 0o600)
			wantContent(t, filepath.Join(dir, "s.json"), summary)
			assertOnlyFiles(t, dir, "s.json")
		}},
		{"symlink is followed", func(t *testing.T, dir string) string {
			writeFile(t, filepath.Join(dir, "target"), "old\n", 0o640)
			mustSymlink(t, "target", filepath.Join(dir, "link"))
			return filepath.Join(dir, "link")
		}, func(t *testing.T, dir, summary string) {
			wantLink(t, filepath.Join(dir, "link"), "target")
			wantContent(t, filepath.Join(dir, "target"), summary)
			wantMode(t, filepath.Join(dir, "target"), 0o640)
			assertOnlyFiles(t, dir, "link", "target")
		}},
		{"dangling symlink creates its target", func(t *testing.T, dir string) string {
			mustSymlink(t, "link2", filepath.Join(dir, "link1"))
			mustSymlink(t, "target", filepath.Join(dir, "link2"))
			return filepath.Join(dir, "link1")
		}, func(t *testing.T, dir, summary string) {
			wantLink(t, filepath.Join(dir, "link1"), "link2")
			wantLink(t, filepath.Join(dir, "link2"), "target")
			wantContent(t, filepath.Join(dir, "target"), summary)
			assertOnlyFiles(t, dir, "link1", "link2", "target")
		}},
		{"symlink into another directory", func(t *testing.T, dir string) string {
			sub := filepath.Join(dir, "sub")
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(sub, "target"), "old\n", 0o644)
			mustSymlink(t, filepath.Join("sub", "target"), filepath.Join(dir, "link"))
			return filepath.Join(dir, "link")
		}, func(t *testing.T, dir, summary string) {
			wantLink(t, filepath.Join(dir, "link"), filepath.Join("sub", "target"))
			wantContent(t, filepath.Join(dir, "sub", "target"), summary)
			assertOnlyFiles(t, filepath.Join(dir, "sub"), "target")
		}},
		{"/dev/null", func(t *testing.T, dir string) string {
			return "/dev/null"
		}, func(t *testing.T, dir, summary string) {
			fi, err := os.Stat("/dev/null")
			if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
				t.Fatalf("/dev/null is no longer a character device: %v %v", fi, err)
			}
			if left, _ := filepath.Glob("/dev/.null.restel-*"); len(left) != 0 {
				t.Errorf("temporary files left in /dev: %q", left)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := tc.setup(t, dir)
			status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", out, "--", "sh", "-c", "exit 0")
			if status != 0 || stdout != "" || stderr != "" {
				t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
			}
			tc.check(t, dir, "")
		})
	}
}

func writeFile(t *testing.T, path, content string, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // WriteFile's perm is subject to the umask
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func modeOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	if got := modeOf(t, path); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

// wantContent checks that path holds one summary line.
func wantContent(t *testing.T, path, _ string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), "}\n") || strings.Count(string(b), "\n") != 1 {
		t.Fatalf("%s = %q, want one summary line", path, b)
	}
	if u := parseUsage(t, strings.TrimSuffix(string(b), "\n")); u.SampleCount != 2 {
		t.Errorf("%s: summary %q, want boundary with 2 samples", path, b)
	}
}

func wantLink(t *testing.T, path, target string) {
	t.Helper()
	got, err := os.Readlink(path)
	if err != nil || got != target {
		t.Errorf("%s: readlink = %q, %v; want a link to %q", path, got, err, target)
	}
}

// TestRunOutFIFO: a FIFO with a reader gets the summary; the FIFO stays a
// FIFO.
func TestRunOutFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		// Opening for reading blocks until restel opens the other end.
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", fifo, "--", "sh", "-c", "exit 0")
	if status != 0 || stdout != "" || stderr != "" {
		t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
	}
	b := <-got
	if u := parseUsage(t, strings.TrimSuffix(string(b), "\n")); u.SampleCount != 2 || !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("read from the FIFO %q, want one summary line", b)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a FIFO: %v %v", fifo, fi, err)
	}
}

// TestOpenFIFONoReader: a FIFO nobody reads never blocks: openFIFO gives
// up after its wait (zero here) with an error naming the cause.
func TestOpenFIFONoReader(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := openFIFO(fifo, 0)
	if err == nil {
		f.Close()
		t.Fatal("openFIFO succeeded without a reader")
	}
	if !strings.Contains(err.Error(), "no reader") {
		t.Errorf("error %q, want it to say the FIFO has no reader", err)
	}
}

// TestRunOutFull: a summary that cannot be written (/dev/full) is an I/O
// error: status 1 for a child that exited 0, the child's own status
// otherwise; a one-line note, then the summary, on stderr.
func TestRunOutFull(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", exitIO},
		{"exit 5", 5},
	} {
		t.Run(tc.script, func(t *testing.T) {
			status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", "/dev/full", "--", "sh", "-c", tc.script)
			if status != tc.want || stdout != "" {
				t.Fatalf("status %d stdout %q, want %d", status, stdout, tc.want)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if len(lines) != 2 || lines[0] != "restel: run: --out /dev/full: no space left on device; summary follows on stderr" {
				t.Fatalf("stderr %q, want a note naming --out, then the summary", stderr)
			}
			parseUsage(t, lines[1])
		})
	}
}

// TestRunOutReadOnly: a file `>` could not write is refused before the
// child runs, as bad input, unless restel runs as root (which may write
// it, and then replaces it keeping its mode).
func TestRunOutReadOnly(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ro.json")
	writeFile(t, p, "old\n", 0o444)
	marker := filepath.Join(dir, "ran")
	status, stdout, stderr := runRestel(t, nil, "", "run", "--mode", "boundary", "--out", p, "--", "sh", "-c", "echo > "+marker)
	if os.Geteuid() == 0 {
		if status != 0 || stderr != "" {
			t.Fatalf("as root: status %d stderr %q", status, stderr)
		}
		wantMode(t, p, 0o444)
		wantContent(t, p, "")
		return
	}
	checkUsageErr(t, status, stdout, stderr, "restel: run: --out "+p+": ", "permission denied")
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran")
	}
	if b, _ := os.ReadFile(p); string(b) != "old\n" {
		t.Errorf("%s = %q, want it untouched", p, b)
	}
}

// TestRunCannotStart: a command that never ran exits 127 (not found) or
// 126 (cannot be executed), with one line on stderr naming it and nothing
// else: no summary, no --out file.
func TestRunCannotStart(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	writeFile(t, plain, "echo hi\n", 0o644)
	for _, tc := range []struct {
		name string
		cmd  string
		want int
		line string
	}{
		{"not in PATH", "restel-no-such-command", exitNotFound, "restel: run: restel-no-such-command: command not found"},
		{"no such file", filepath.Join(dir, "none"), exitNotFound, "restel: run: " + filepath.Join(dir, "none") + ": no such file or directory"},
		{"path through a file", filepath.Join(plain, "x"), exitCannotRun, "restel: run: " + filepath.Join(plain, "x") + ": cannot execute: not a directory"},
		{"a directory", dir, exitCannotRun, "restel: run: " + dir + ": cannot execute: permission denied"},
		{"no execute permission", plain, exitCannotRun, "restel: run: " + plain + ": cannot execute: permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "s.json")
			status, stdout, stderr := runRestel(t, nil, "", "run", "--out", out, "--", tc.cmd)
			if status != tc.want || stdout != "" || stderr != tc.line+"\n" {
				t.Errorf("status %d stdout %q stderr %q, want %d and %q", status, stdout, stderr, tc.want, tc.line)
			}
			assertOnlyFiles(t, filepath.Dir(out))
		})
	}
}

// TestBinaryRunSignals: the real binary, signalled as a closing session or
// a supervisor would signal it, forwards the signal, still prints the
// summary and exits 128+N; no child outlives it.
func TestBinaryRunSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "run", "--mode", "boundary", "--", "sh", "-c", "echo ready; exec sleep 30")
			cmd.Env = append(os.Environ(), testMainEnv+"=1")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // restel and its child in a group of their own
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
			buf := make([]byte, 6)
			if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "ready\n" {
				t.Fatalf("child said %q, %v", buf, err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, stdout)
			_ = cmd.Wait()
			if got := cmd.ProcessState.ExitCode(); got != 128+int(sig) {
				t.Errorf("status %d, want %d (stderr %q)", got, 128+int(sig), stderr.String())
			}
			if u := parseUsage(t, lastLine(t, stderr.String())); u.SampleCount != 2 {
				t.Errorf("summary %q, want boundary with 2 samples", stderr.String())
			}
			// The group's only members were restel and the child: nothing
			// may be left in it.
			if err := syscall.Kill(-cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("a process of the run's group is still alive (kill 0: %v)", err)
			}
		})
	}
}

// TestBinaryRunOutStdout: --out /dev/stdout, through the real binary,
// writes into whatever stdout is: after the child's output in a file
// (appended, never renamed over, so the child's output stays), and down a
// pipe.
func TestBinaryRunOutStdout(t *testing.T) {
	args := []string{"run", "--mode", "boundary", "--out", "/dev/stdout", "--", "sh", "-c", "echo child"}
	check := func(t *testing.T, out string) {
		t.Helper()
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 2 || lines[0] != "child" {
			t.Fatalf("stdout %q, want the child's line then the summary", out)
		}
		if u := parseUsage(t, lines[1]); u.SampleCount != 2 {
			t.Errorf("summary %q, want boundary with 2 samples", lines[1])
		}
	}
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "out")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), testMainEnv+"=1")
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = f, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() != 0 {
			t.Fatalf("%v, stderr %q", err, stderr.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		check(t, string(b))
		assertOnlyFiles(t, dir, "out")
	})
	t.Run("pipe", func(t *testing.T) {
		status, stdout, stderr := binary(t, "", args...)
		if status != 0 || stderr != "" {
			t.Fatalf("status %d stderr %q", status, stderr)
		}
		check(t, stdout)
	})
}

// TestOutFileChanged: what --out resolved before the command started is
// what commit writes, or nothing: a name or directory swapped meanwhile
// (here by the same user) makes commit fail with errChanged and leaves
// the file the swap points at as it was.
func TestOutFileChanged(t *testing.T) {
	for _, tc := range []struct {
		name string
		// out is --out's path relative to dir/user; setup prepares it.
		out   string
		setup func(t *testing.T, user string)
		// swap runs between createOut and commit; other is a directory
		// holding the file "s.json" the swap may point at.
		swap func(t *testing.T, user, other string)
	}{
		{"existing file swapped for a link", "s.json", func(t *testing.T, user string) {
			writeFile(t, filepath.Join(user, "s.json"), "old\n", 0o644)
		}, func(t *testing.T, user, other string) {
			mustRemove(t, filepath.Join(user, "s.json"))
			mustSymlink(t, filepath.Join(other, "s.json"), filepath.Join(user, "s.json"))
		}},
		{"existing file swapped for another file", "s.json", func(t *testing.T, user string) {
			writeFile(t, filepath.Join(user, "s.json"), "old\n", 0o644)
		}, func(t *testing.T, user, other string) {
			mustRemove(t, filepath.Join(user, "s.json"))
			writeFile(t, filepath.Join(user, "s.json"), "new\n", 0o644)
		}},
		{"new file swapped for a link", "s.json", func(*testing.T, string) {}, func(t *testing.T, user, other string) {
			mustRemove(t, filepath.Join(user, "s.json"))
			mustSymlink(t, filepath.Join(other, "s.json"), filepath.Join(user, "s.json"))
		}},
		{"directory swapped for a link", "sub/s.json", func(t *testing.T, user string) {
			writeFile(t, filepath.Join(user, "sub", "s.json"), "old\n", 0o644)
		}, func(t *testing.T, user, other string) {
			if err := os.Rename(filepath.Join(user, "sub"), filepath.Join(user, "moved")); err != nil {
				t.Fatal(err)
			}
			mustSymlink(t, other, filepath.Join(user, "sub"))
		}},
		{"FIFO swapped for a file", "fifo", func(t *testing.T, user string) {
			if err := syscall.Mkfifo(filepath.Join(user, "fifo"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, user, other string) {
			mustRemove(t, filepath.Join(user, "fifo"))
			mustSymlink(t, filepath.Join(other, "s.json"), filepath.Join(user, "fifo"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			user, other := filepath.Join(dir, "user"), filepath.Join(dir, "other")
			for _, d := range []string{user, filepath.Join(user, "sub"), other} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(t, filepath.Join(other, "s.json"), "keep\n", 0o600)
			tc.setup(t, user)
			o, err := createOut(filepath.Join(user, tc.out))
			if err != nil {
				t.Fatal(err)
			}
			tc.swap(t, user, other)
			err = o.commit([]byte("{}\n"))
			o.discard()
			if !errors.Is(err, errChanged) {
				t.Errorf("commit: %v, want %v", err, errChanged)
			}
			if b, err := os.ReadFile(filepath.Join(other, "s.json")); err != nil || string(b) != "keep\n" {
				t.Errorf("the file the swap points at: %q, %v; want it unchanged", b, err)
			}
			wantMode(t, filepath.Join(other, "s.json"), 0o600)
			assertOnlyFiles(t, other, "s.json")
		})
	}
}

func mustRemove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
