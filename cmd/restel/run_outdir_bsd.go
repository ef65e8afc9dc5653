//go:build unix && !linux

package main

import "golang.org/x/sys/unix"

// dirOpenFlag opens --out's directory for reading, which the *at calls
// accept.
const dirOpenFlag = unix.O_RDONLY
