//go:build !unix

package main

import "os/exec"

// lookPath is os/exec's search here.
func lookPath(name string) (string, error) { return exec.LookPath(name) }
