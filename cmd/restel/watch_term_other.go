//go:build !windows

package main

import "golang.org/x/term"

// isTerminalFd reports whether fd is a terminal (tcgetattr(3) succeeds
// only on one). Unlike a ModeCharDevice check it is false for /dev/null.
func isTerminalFd(fd uintptr) bool { return term.IsTerminal(int(fd)) }
