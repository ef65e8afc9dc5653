package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// exitStatus maps a finished child's state to restel's own exit status the
// way POSIX shells do: the child's exit code, or 128+N when signal N killed
// it (SIGTERM → 143, SIGKILL → 137). A nil state (the child was never
// waited for) is 1.
func exitStatus(ps *os.ProcessState) int {
	if ps == nil {
		return 1
	}
	// syscall.WaitStatus has these methods on every OS; on Windows Signaled
	// is always false.
	if ws, ok := ps.Sys().(interface {
		Signaled() bool
		Signal() syscall.Signal
	}); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	if c := ps.ExitCode(); c >= 0 {
		return c
	}
	return 1
}

// startChild starts argv with restel's standard streams. A file that
// exists and may be executed but is in no format the kernel recognises
// (ENOEXEC: a script without a "#!" line) is run by the shell instead, as
// execvp(3), env(1) and time(1) do: /bin/sh with argv[0] "/bin/sh", then
// the file's path, then the arguments. When the shell itself cannot be
// started, the first error stands.
func startChild(e env, argv []string) (*exec.Cmd, error) {
	cmd := childCommand(e, argv[0], argv[1:])
	err := cmd.Start()
	if err == nil || !errors.Is(err, syscall.ENOEXEC) || shellPath == "" {
		return cmd, err
	}
	sh := childCommand(e, shellPath, append([]string{cmd.Path}, argv[1:]...))
	if serr := sh.Start(); serr != nil {
		return cmd, err
	}
	return sh, nil
}

// childCommand is the command name with args and restel's standard
// streams. A name without a slash is searched for in PATH as env(1)
// searches it (see lookPath); the child's argv[0] stays name.
func childCommand(e env, name string, args []string) *exec.Cmd {
	var cmd *exec.Cmd
	if strings.Contains(name, "/") {
		cmd = exec.Command(name, args...)
	} else if path, err := lookPath(name); err != nil {
		cmd = exec.Command(name, args...)
		cmd.Err = err
	} else {
		cmd = exec.Command(path, args...)
		cmd.Args[0] = name
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	return cmd
}

// signaler is the part of *os.Process that forwardSignals needs.
type signaler interface {
	Signal(os.Signal) error
}

// forwardSignals relays every signal received on sigs to the child until
// done is closed, except those for which skip (if not nil) reports true.
// It is the body of the one goroutine `restel run` starts (see
// startForwarding), which ends before runMain returns. A signal that arrives
// after the child exited is dropped (Signal reports os.ErrProcessDone).
func forwardSignals(done <-chan struct{}, sigs <-chan os.Signal, child signaler, skip func(os.Signal) bool) {
	for {
		select {
		case <-done:
			return
		case sig := <-sigs:
			if skip == nil || !skip(sig) {
				_ = child.Signal(sig)
			}
		}
	}
}

// startForwarding runs forwardSignals on its own goroutine. The returned
// stop ends it and returns once it has exited.
func startForwarding(sigs <-chan os.Signal, child signaler, skip func(os.Signal) bool) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		forwardSignals(done, sigs, child, skip)
	}()
	return func() {
		close(done)
		<-exited
	}
}

// terminalSentIt returns forwardSignals' skip for `restel run` with
// child pid: a SIGINT or SIGQUIT while restel and the child are both in
// the terminal's foreground process group was most likely typed at the
// terminal (Ctrl-C, Ctrl-\), which has delivered it to the child already.
// Forwarding it too would make the child see two interrupts, which many
// programs treat as "stop cleaning up and die now". SIGTERM and SIGHUP are
// always forwarded (a supervisor or a closing session sends them to
// restel alone), and so are SIGINT and SIGQUIT for a child in a process
// group of its own. A signal carries no sign of being typed: a `kill
// -INT` of restel alone while both are in the foreground is not passed on
// either (docs/contract.md §6 says so).
func terminalSentIt(pid int) func(os.Signal) bool {
	return func(sig os.Signal) bool {
		return (sig == os.Interrupt || sig == syscall.SIGQUIT) && inForeground(pid)
	}
}

// inForeground is inTerminalForeground; tests replace it.
var inForeground = inTerminalForeground

// sameForeground reports whether a Ctrl-C at a terminal whose foreground
// process group is fg reached both restel (process group self) and the
// child (process group child).
func sameForeground(fg, self, child int) bool { return fg == self && fg == child }

// Wrapper statuses for a command that never ran, as env(1), time(1) and
// timeout(1) report them.
const (
	exitCannotRun = 126 // found, but cannot be executed
	exitNotFound  = 127 // not found
)

// startFailure maps the error of starting the command name to restel's
// exit status and the one line that says why, as env(1) maps it: 127 when
// it is not found (not in PATH, no such file), 126 for every other reason
// it could not be executed (no permission, a directory, a path through a
// non-directory, not an executable format that even the shell fallback of
// startChild could start).
func startFailure(name string, err error) (status int, msg string) {
	cause := err
	if ee, ok := errors.AsType[*exec.Error](err); ok {
		cause = ee.Err
	} else if pe, ok := errors.AsType[*fs.PathError](err); ok {
		cause = pe.Err
	}
	switch {
	case errors.Is(err, exec.ErrNotFound):
		return exitNotFound, fmt.Sprintf("%s: command not found", name)
	case errors.Is(err, fs.ErrNotExist):
		return exitNotFound, fmt.Sprintf("%s: %v", name, cause)
	}
	return exitCannotRun, fmt.Sprintf("%s: cannot execute: %v", name, cause)
}
