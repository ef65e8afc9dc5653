//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// watchQuitSignals end `restel watch` with status 0, through its context,
// so the terminal is restored on the way out: SIGINT (Ctrl-C), SIGTERM,
// SIGHUP (the terminal went away) and SIGQUIT (Ctrl-\).
var watchQuitSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// notifyResize delivers SIGWINCH (the terminal's size changed) and
// SIGCONT (resumed after a suspension, the screen may hold anything) on
// the returned channel until stop is called: both redraw from a clear
// screen.
func notifyResize() (ch <-chan os.Signal, stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, unix.SIGWINCH, unix.SIGCONT)
	return c, func() { signal.Stop(c) }
}
