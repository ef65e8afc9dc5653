//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// catchSIGPIPE makes a write to a closed pipe on stdout or stderr fail
// with EPIPE instead of killing restel with SIGPIPE (the Go runtime's
// default for fd 1 and 2, see os/signal), so every command reports a lost
// result as an I/O error, status 1 (writeOutput), and `restel watch |
// head -n 3` ends as watch decides. main calls it once, for the whole
// process.
//
// The signal is caught (signal.Notify), never ignored: a caught signal is
// reset to its default across exec, so the command `restel run` starts
// still dies of SIGPIPE on a closed pipe, as it would without restel
// (`yes | head -1` ends), while an ignored one would be inherited.
func catchSIGPIPE() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}
