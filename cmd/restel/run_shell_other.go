//go:build !unix

package main

// shellPath is empty where the kernel has no ENOEXEC fallback to mirror.
const shellPath = ""
