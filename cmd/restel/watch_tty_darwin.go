package main

import "golang.org/x/sys/unix"

// The termios ioctls (tcgetattr(3), tcsetattr(3) with TCSANOW) on macOS.
const (
	ioctlGetTermios = unix.TIOCGETA
	ioctlSetTermios = unix.TIOCSETA
)

// isTerminalFd reports whether fd is a terminal: the TIOCGETA ioctl
// (tcgetattr(3)) succeeds only on one.
func isTerminalFd(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), ioctlGetTermios)
	return err == nil
}
