//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// catchSIGPIPE makes a write to a closed pipe on stdout fail with EPIPE
// instead of killing restel with SIGPIPE (the Go runtime's default for fd 1
// and 2, see os/signal), so `restel watch | head -n 3` ends with status 0.
// The returned func undoes it.
func catchSIGPIPE() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGPIPE)
	return func() { signal.Stop(ch) }
}
