//go:build !unix

package main

import (
	"os"
	"syscall"
)

// watchQuitSignals end `restel watch` with status 0 (Ctrl-C, and
// termination).
var watchQuitSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// notifyResize has no signal to wait for here: the width is read again at
// every frame instead.
func notifyResize() (ch <-chan os.Signal, stop func()) { return nil, func() {} }
