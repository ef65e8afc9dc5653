//go:build !linux && !darwin && !windows

package main

import (
	"errors"
	"os"
)

// isTerminalFd is false where restel has no terminal check: watch writes
// NDJSON (use a supported OS for the live table).
func isTerminalFd(uintptr) bool { return false }

// termCols is unknown (0) here.
func termCols(*os.File) int { return 0 }

// termRows is unknown (0) here.
func termRows(*os.File) int { return 0 }

// startKeys is not supported here; watch ends on SIGINT or SIGTERM.
func startKeys(*os.File, func()) (stop, reapply func(), err error) {
	return nil, nil, errors.ErrUnsupported
}
