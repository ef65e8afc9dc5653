//go:build !linux && !darwin

package main

// inTerminalForeground is false where restel cannot tell (every SIGINT
// is forwarded).
func inTerminalForeground(pid int) bool { return false }
