//go:build linux || darwin

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// inTerminalForeground reports whether restel's process group and the
// child's (pid) are both the foreground process group of restel's
// controlling terminal: tcgetpgrp(3) on /dev/tty (the TIOCGPGRP ioctl)
// against getpgrp(2) and getpgid(2). Only then has a Ctrl-C typed at that
// terminal delivered SIGINT to the child as well as to restel; a child
// that moved to a process group of its own (setsid, setpgid) did not get
// it. No controlling terminal (a service, a pipeline started by a daemon)
// is false.
func inTerminalForeground(pid int) bool {
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	if err != nil {
		return false
	}
	child, err := unix.Getpgid(pid)
	return err == nil && sameForeground(fg, unix.Getpgrp(), child)
}
