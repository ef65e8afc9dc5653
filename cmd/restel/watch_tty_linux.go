package main

import "golang.org/x/sys/unix"

// isTerminalFd reports whether fd is a terminal: the TCGETS ioctl
// (tcgetattr(3)) succeeds only on one. Unlike a ModeCharDevice check it
// is false for /dev/null.
func isTerminalFd(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	return err == nil
}
