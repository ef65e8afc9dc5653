//go:build !linux && !darwin && !windows

package main

// isTerminalFd is false where restel has no terminal check: watch writes
// NDJSON (use a supported OS for the live table).
func isTerminalFd(uintptr) bool { return false }
