//go:build unix && !android

package main

// shellPath is the shell that runs a command file without a "#!" line
// (see startChild), as execvp(3) runs it.
const shellPath = "/bin/sh"

// defaultPath is the search path execvp(3) uses when PATH is unset:
// glibc's confstr(_CS_PATH) (macOS's execvp searches the same two
// directories).
const defaultPath = "/bin:/usr/bin"
