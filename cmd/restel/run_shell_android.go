//go:build android

package main

// shellPath is the shell that runs a command file without a "#!" line
// (see startChild): Android's system shell.
const shellPath = "/system/bin/sh"

// defaultPath is the search path used when PATH is unset: the
// directories of Android's system commands.
const defaultPath = "/system/bin:/system/xbin"
