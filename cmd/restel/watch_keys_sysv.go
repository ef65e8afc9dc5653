//go:build linux || solaris

package main

import "golang.org/x/sys/unix"

// The termios ioctls (tcgetattr(3), tcsetattr(3) with TCSANOW) on Linux
// and Solaris/illumos.
const (
	ioctlGetTermios = unix.TCGETS
	ioctlSetTermios = unix.TCSETS
)
