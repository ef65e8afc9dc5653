//go:build unix && !android

package main

// shellPath is the shell that runs a command file without a "#!" line
// (see startChild), as execvp(3) runs it.
const shellPath = "/bin/sh"
