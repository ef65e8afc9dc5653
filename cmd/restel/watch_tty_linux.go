package main

import "golang.org/x/sys/unix"

// The termios ioctls (tcgetattr(3), tcsetattr(3) with TCSANOW) on Linux.
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)

// isTerminalFd reports whether fd is a terminal: the TCGETS ioctl
// (tcgetattr(3)) succeeds only on one. Unlike a ModeCharDevice check it
// is false for /dev/null.
func isTerminalFd(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), ioctlGetTermios)
	return err == nil
}
