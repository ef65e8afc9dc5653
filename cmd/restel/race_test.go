//go:build race

package main

// raceEnabled: the race detector keeps memory of its own for every
// goroutine that ever ran, which returning the Go heap does not give back;
// tests that measure resident memory loosen their bounds under it.
const raceEnabled = true
