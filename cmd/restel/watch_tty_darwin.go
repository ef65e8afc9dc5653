package main

import "golang.org/x/sys/unix"

// isTerminalFd reports whether fd is a terminal: the TIOCGETA ioctl
// (tcgetattr(3)) succeeds only on one.
func isTerminalFd(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TIOCGETA)
	return err == nil
}
