package main

import "golang.org/x/sys/unix"

// dirOpenFlag opens --out's directory as a handle only (O_PATH): enough
// for the *at calls, and it needs no read permission on the directory.
const dirOpenFlag = unix.O_PATH
