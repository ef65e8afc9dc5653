package main

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// isTerminalFd reports whether fd is a console (GetConsoleMode succeeds
// only on a console handle). Virtual-terminal processing is enabled on it
// (SetConsoleMode with ENABLE_VIRTUAL_TERMINAL_PROCESSING) so the live
// table's escape sequences work; if that fails the handle is treated as no
// terminal and gets NDJSON.
func isTerminalFd(fd uintptr) bool {
	h := windows.Handle(fd)
	var mode uint32
	if windows.GetConsoleMode(h, &mode) != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}

// startKeys is not supported on Windows: watch ends on Ctrl-C (console
// control event, delivered as os.Interrupt).
func startKeys(*os.File, func()) (stop, reapply func(), err error) {
	return nil, nil, errors.ErrUnsupported
}
