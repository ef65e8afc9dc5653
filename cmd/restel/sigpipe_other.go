//go:build !unix

package main

// catchSIGPIPE is a no-op where there is no SIGPIPE: a write to a closed
// pipe already fails with an error.
func catchSIGPIPE() {}
