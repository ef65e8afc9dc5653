//go:build linux || darwin

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// inTerminalForeground reports whether restel's process group is the
// foreground process group of its controlling terminal: tcgetpgrp(3) on
// /dev/tty (the TIOCGPGRP ioctl) equals getpgrp(2). The child inherits
// restel's process group, so a Ctrl-C typed at that terminal has already
// delivered SIGINT to the child as well; forwarding it would deliver it
// twice. No controlling terminal (a service, a pipeline started by a
// daemon) is false.
func inTerminalForeground() bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == unix.Getpgrp()
}
