package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sigIgnMask runs argv with the test binary acting as restel and returns
// the SigIgn mask that the command grep prints from its
// /proc/self/status.
func sigIgnMask(t *testing.T, argv ...string) uint64 {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), testMainEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%q: %v; stderr %q", argv, err, stderr.String())
	}
	hex, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "SigIgn:\t")
	mask, err := strconv.ParseUint(hex, 16, 64)
	if !ok || err != nil {
		t.Fatalf("%q: stdout %q, want one SigIgn line", argv, stdout.String())
	}
	return mask
}

// TestRunKeepsIgnoredSignals: under nohup, or a parent that ignores
// SIGHUP and SIGINT (as a non-interactive shell does for a background
// job), the command `restel run` starts has them ignored, exactly as the
// command env(1) starts has.
func TestRunKeepsIgnoredSignals(t *testing.T) {
	for _, bin := range []string{"nohup", "env", "sh", "grep"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not found", bin)
		}
	}
	const hupInt = 1<<(syscall.SIGHUP-1) | 1<<(syscall.SIGINT-1)
	report := []string{"grep", "^SigIgn:", "/proc/self/status"}
	for _, tc := range []struct {
		name    string
		wrapper []string
	}{
		{"nohup", []string{"nohup"}},
		{"SIGHUP and SIGINT ignored", []string{"sh", "-c", `trap "" HUP INT; exec "$@"`, "sh"}},
		{"SIGINT ignored", []string{"sh", "-c", `trap "" INT; exec "$@"`, "sh"}},
		{"nothing ignored", []string{"sh", "-c", `trap - HUP INT; exec "$@"`, "sh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withEnv := sigIgnMask(t, append(append(append([]string{}, tc.wrapper...), "env"), report...)...)
			withRestel := sigIgnMask(t, append(append(append([]string{}, tc.wrapper...), os.Args[0], "run", "--mode", "off", "--"), report...)...)
			if got, want := withRestel&hupInt, withEnv&hupInt; got != want {
				t.Errorf("SIGHUP/SIGINT ignored by the command: %#x under restel, %#x under env", got, want)
			}
		})
	}
}

// TestRunIgnoredSignalNotForwarded: a SIGHUP that restel receives while
// it ignores SIGHUP (started under a parent that ignores it) is not
// passed on to the command, even to one that catches SIGHUP itself; the
// SIGTERM sent after it is.
func TestRunIgnoredSignalNotForwarded(t *testing.T) {
	// The command is the test binary as the "signal" child; env -u keeps
	// it from acting as restel (and keeps ignored signals ignored).
	cmd := exec.Command("sh", "-c", `trap "" HUP; exec "$@"`, "sh", os.Args[0], "run", "--mode", "off", "--", "env", "-u", testMainEnv, os.Args[0])
	cmd.Env = append(os.Environ(), testMainEnv+"=1", testChildEnv+"=signal")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var out []byte
	buf := make([]byte, 64)
	for !bytes.Contains(out, []byte("ready\n")) {
		n, err := stdout.Read(buf)
		if err != nil {
			t.Fatalf("stdout %q: %v; stderr %q", out, err, stderr.String())
		}
		out = append(out, buf[:n]...)
	}
	// The sh has become restel (exec): its pid is restel's.
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM} {
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	rest, _ := io.ReadAll(stdout)
	out = append(out, rest...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("restel: %v; stderr %q", err, stderr.String())
	}
	if string(out) != "ready\nterminated\n" {
		t.Errorf("the command printed %q, want it to see SIGTERM first (SIGHUP not forwarded)", out)
	}
}

// TestRunSignalAfterChildExit: once the command has exited, a summary
// write that blocks (stderr a pipe that is full and that nobody reads)
// does not keep restel alive: SIGTERM ends it, as it ends any program.
func TestRunSignalAfterChildExit(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	size, err := unix.FcntlInt(w.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		w.Close()
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The command fills stderr's pipe to the brim and exits: restel's
	// summary then has nowhere to go.
	cmd := exec.Command(os.Args[0], "run", "--mode", "off", "--", "sh", "-c",
		`echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec head -c "$1" /dev/zero >&2`, pidFile, strconv.Itoa(size))
	cmd.Env = append(os.Environ(), testMainEnv+"=1")
	cmd.Stderr = w
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Wait until the command has been reaped by restel: its pid is gone.
	var pid string
	for pid == "" {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid = strings.TrimSpace(string(b))
		}
		waitOrPoll(t, exited)
	}
	for {
		if _, err := os.Stat("/proc/" + pid); errors.Is(err, os.ErrNotExist) {
			break
		}
		waitOrPoll(t, exited)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(time.Minute): // a guard against a hang, not a speed goal
		_ = cmd.Process.Kill()
		<-exited
		t.Fatal("restel ignored SIGTERM while blocked writing its summary after the command exited")
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("restel ended with %v, want killed by SIGTERM", cmd.ProcessState)
	}
}

// waitOrPoll pauses briefly before the next look at the file system,
// failing the test if restel has exited meanwhile.
func waitOrPoll(t *testing.T, exited <-chan error) {
	t.Helper()
	select {
	case err := <-exited:
		t.Fatalf("restel exited early: %v", err)
	case <-time.After(5 * time.Millisecond):
	}
}
