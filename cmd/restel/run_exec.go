package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
// child pid: a SIGINT while restel and the child are both in the
// terminal's foreground process group was most likely typed at the
// terminal (Ctrl-C), which has delivered it to the child already.
// Forwarding it too would make the child see two interrupts, which many
// programs treat as "stop cleaning up and die now". SIGTERM is always
// forwarded, and so is SIGINT for a child in a process group of its own.
func terminalSentIt(pid int) func(os.Signal) bool {
	return func(sig os.Signal) bool {
		return sig == os.Interrupt && inTerminalForeground(pid)
	}
}

// sameForeground reports whether a Ctrl-C at a terminal whose foreground
// process group is fg reached both restel (process group self) and the
// child (process group child).
func sameForeground(fg, self, child int) bool { return fg == self && fg == child }

// outFile writes the summary to --out FILE atomically: a temporary file
// created next to FILE before the child starts (so an unwritable
// destination is reported as bad input before anything runs), renamed over
// FILE once the summary is written. Readers see the old FILE or the
// complete new one, never a partial summary.
type outFile struct {
	path string
	tmp  *os.File
}

// createOut creates the temporary file for path.
func createOut(path string) (*outFile, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("--out %s: is a directory", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".restel-*")
	if err != nil {
		return nil, outErr(path, err)
	}
	return &outFile{path: path, tmp: tmp}, nil
}

// commit writes b, makes the file 0644 (the temporary was created 0600)
// and renames it over the destination.
func (o *outFile) commit(b []byte) error {
	tmp := o.tmp
	o.tmp = nil
	_, err := tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), o.path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return outErr(o.path, err)
	}
	return nil
}

// outErr names --out's path in err. The *fs.PathError or *os.LinkError
// from the temporary file names a file the user never asked for: only its
// cause is kept.
func outErr(path string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return fmt.Errorf("--out %s: %w", path, err)
}

// discard removes the temporary file if it was not committed. It is safe
// on a nil outFile and after commit.
func (o *outFile) discard() {
	if o == nil || o.tmp == nil {
		return
	}
	_ = o.tmp.Close()
	_ = os.Remove(o.tmp.Name())
	o.tmp = nil
}
