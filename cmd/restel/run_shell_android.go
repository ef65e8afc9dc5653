//go:build android

package main

// shellPath is the shell that runs a command file without a "#!" line
// (see startChild): Android's system shell.
const shellPath = "/system/bin/sh"
